// Conformance: every history in ../shared/peer-histories/EXPECTED.tsv gets the
// verdict its own project's test suite asserts, with the listed model and init.
// Skipped, with a message, where that directory is absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkers/linearizability.h"
#include "harness/history/reader.h"

namespace faultline {
namespace {

std::string PeerDir() {
  if (const char* env = std::getenv("FAULTLINE_PEER_HISTORIES")) return env;
  return FAULTLINE_PEER_HISTORIES;
}

struct Expected {
  std::string path, model, init, verdict;
};

std::vector<Expected> LoadExpected(const std::string& dir) {
  std::vector<Expected> rows;
  std::ifstream in(dir + "/EXPECTED.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    Expected e;
    std::getline(fields, e.path, '\t');
    std::getline(fields, e.model, '\t');
    std::getline(fields, e.init, '\t');
    std::getline(fields, e.verdict, '\t');
    rows.push_back(e);
  }
  return rows;
}

TEST(Conformance, PeerHistoriesGetTheirExpectedVerdicts) {
  const std::string dir = PeerDir();
  if (!std::filesystem::exists(dir + "/EXPECTED.tsv")) {
    GTEST_SKIP() << "peer histories not found at " << dir
                 << " (set FAULTLINE_PEER_HISTORIES); conformance not checked";
  }
  std::vector<Expected> rows = LoadExpected(dir);
  ASSERT_GT(rows.size(), 0u);
  int checked = 0;
  for (const Expected& e : rows) {
    SCOPED_TRACE(e.path);
    auto history = ReadHistoryFile(dir + "/" + e.path);
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    auto model = MakeModel(e.model);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    const Json init = Json::parse(e.init);
    auto result = CheckLinearizability(*history, **model, init, {});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_TRUE(e.verdict == "linearizable" || e.verdict == "not-linearizable") << e.verdict;
    const Validity want =
        e.verdict == "linearizable" ? Validity::kValid : Validity::kInvalid;
    EXPECT_EQ(ValidityName(result->valid), std::string(ValidityName(want)))
        << result->reason << result->explanation_text;
    if (want == Validity::kInvalid && result->valid == Validity::kInvalid) {
      EXPECT_FALSE(result->explanation_text.empty());
      EXPECT_TRUE(result->explanation.contains("op"));
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(rows.size()));
}

}  // namespace
}  // namespace faultline
