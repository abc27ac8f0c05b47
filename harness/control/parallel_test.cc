#include "harness/control/parallel.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "harness/control/fake_remote.h"

namespace faultline {
namespace {

TEST(ParallelTest, RunOnAllRunsEveryNodeAtOnceAndKeepsOrder) {
  constexpr int kNodes = 5;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::vector<std::shared_ptr<Remote>> remotes;
  for (int i = 0; i < kNodes; ++i) {
    auto fake = std::make_shared<FakeRemote>("n" + std::to_string(i + 1));
    // Each node answers only once all of them have been asked: this can only
    // finish if the calls overlap.
    fake->OnMatch([](const std::string&) { return true; },
                  [&, i](const Command&, const std::string&) -> Result<CommandResult> {
                    std::unique_lock<std::mutex> lock(mu);
                    ++arrived;
                    cv.notify_all();
                    bool all = cv.wait_for(lock, std::chrono::seconds(10),
                                           [&] { return arrived == kNodes; });
                    if (!all) return Status::Timeout("calls did not overlap");
                    return CommandResult{0, "node" + std::to_string(i + 1), ""};
                  });
    remotes.push_back(fake);
  }
  std::vector<NodeResult> results = RunOnAll(remotes, Command::Argv({"hostname"}));
  ASSERT_EQ(results.size(), static_cast<size_t>(kNodes));
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_EQ(results[i].node, "n" + std::to_string(i + 1));
    ASSERT_TRUE(results[i].result.ok()) << results[i].result.status().ToString();
    EXPECT_EQ(results[i].result->out, "node" + std::to_string(i + 1));
  }
  EXPECT_TRUE(AllSucceeded(results).ok());
}

TEST(ParallelTest, AllSucceededNamesEveryFailingNode) {
  auto ok = std::make_shared<FakeRemote>("n1");
  auto exits = std::make_shared<FakeRemote>("n2");
  exits->SetDefault(CommandResult{3, "", "permission denied\nmore"});
  auto down = std::make_shared<FakeRemote>("n3");
  down->SetDefault(Status::Unreachable("no route"));
  auto results = RunOnAll({ok, exits, down}, Command::Argv({"x"}));
  Status st = AllSucceeded(results);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "n2: exit 3: permission denied; n3: unreachable: no route");
}

TEST(ParallelTest, ForEachNodeReturnsAnyType) {
  std::vector<std::shared_ptr<Remote>> remotes = {std::make_shared<FakeRemote>("a"),
                                                  std::make_shared<FakeRemote>("b")};
  std::vector<std::string> names = ForEachNode(remotes, [](Remote& r) { return r.node(); });
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  std::vector<Status> none =
      ForEachNode(std::vector<std::shared_ptr<Remote>>{}, [](Remote&) { return Status::Ok(); });
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace faultline
