// Conformance: every history in ../shared/peer-histories (listed in its
// EXPECTED.tsv) must parse and pair. Skipped where that folder is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/history/reader.h"

namespace faultline {
namespace {

TEST(PeerHistoriesTest, EveryListedHistoryParsesAndPairs) {
  const std::filesystem::path dir = FAULTLINE_PEER_HISTORIES;
  const std::filesystem::path expected = dir / "EXPECTED.tsv";
  if (!std::filesystem::exists(expected)) {
    GTEST_SKIP() << "peer histories not found at " << expected
                 << " (set FAULTLINE_PEER_HISTORIES to run this test)";
  }
  std::ifstream in(expected);
  std::string line;
  std::getline(in, line);  // header
  int files = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::string relative = line.substr(0, line.find('\t'));
    std::string path = (dir / relative).string();
    SCOPED_TRACE(path);
    Result<History> history = ReadHistoryFile(path);
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    EXPECT_GT(history->ops.size(), 0u);
    // Some histories hold only nemesis ops, so zero pairs is fine.
    Result<std::vector<OpPair>> pairs = PairOps(*history);
    EXPECT_TRUE(pairs.ok()) << pairs.status().ToString();
    ++files;
  }
  EXPECT_GT(files, 0) << expected << " lists no histories";
}

}  // namespace
}  // namespace faultline
