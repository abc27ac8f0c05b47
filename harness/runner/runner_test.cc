// The whole runner on in-memory targets: no cluster, no SSH.
#include "harness/runner/runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/history/reader.h"
#include "harness/runner/store.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = fs::temp_directory_path() /
             ("faultline-runner-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(store_);
  }
  void TearDown() override { fs::remove_all(store_); }

  TestConfig Config(const std::string& target) {
    TestConfig c;
    c.target = target;
    c.local_nodes = {"n1", "n2", "n3"};
    c.concurrency = 6;
    c.time_limit_s = 1;
    c.nemesis_interval_s = 0.2;
    c.seed = 5;
    c.store = store_.string();
    return c;
  }

  fs::path store_;
};

TEST_F(RunnerTest, MemoryTargetUnderKillsAndPausesIsValid) {
  TestConfig c = Config("memory");
  c.nemesis = {"kill", "pause"};
  int progress_calls = 0;
  auto outcome = RunTest(c, nullptr, [&](const Progress&) { ++progress_calls; });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->harness_error.ok()) << outcome->harness_error.ToString();
  EXPECT_EQ(outcome->valid, Validity::kValid) << outcome->summary;
  const std::string run = outcome->run_dir;
  for (const char* f : {"test.json", "history.jsonl", "results.json", "harness.log",
                        "report.html", "junit.xml"}) {
    EXPECT_TRUE(fs::exists(fs::path(run) / f)) << f;
  }
  EXPECT_TRUE(fs::exists(store_ / "latest" / "history.jsonl"));
  auto results = ReadJsonFile(run + "/results.json");
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)["valid"], true);
  EXPECT_EQ((*results)["checkers"]["linearizability"]["valid"], true);
  auto history = ReadHistoryFile(run + "/history.jsonl");
  ASSERT_TRUE(history.ok());
  int nemesis_ops = 0, ok_ops = 0;
  bool healed = false, ok_after_heal = false;
  for (const Op& op : history->ops) {
    if (op.is_nemesis()) {
      ++nemesis_ops;
      healed |= op.f == "heal";
    } else if (op.type == OpType::kOk) {
      ++ok_ops;
      ok_after_heal |= healed;
    }
  }
  EXPECT_GT(nemesis_ops, 2);
  EXPECT_GT(ok_ops, 100);
  EXPECT_TRUE(ok_after_heal) << "final reads after the heal";
  auto test_json = ReadJsonFile(run + "/test.json");
  ASSERT_TRUE(test_json.ok());
  EXPECT_EQ((*test_json)["seed"], 5);
}

TEST_F(RunnerTest, UnsafeMemoryTargetIsCaughtWithAnExplanation) {
  TestConfig c = Config("memory-unsafe");
  c.time_limit_s = 2;
  auto outcome = RunTest(c, nullptr, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->valid, Validity::kInvalid) << outcome->summary;
  auto results = ReadJsonFile(outcome->run_dir + "/results.json");
  ASSERT_TRUE(results.ok());
  const Json& lin = (*results)["checkers"]["linearizability"];
  EXPECT_EQ(lin["valid"], false);
  EXPECT_TRUE(lin.contains("explanation"));
  EXPECT_NE(lin["explanation_text"].get<std::string>().find("cannot be linearized"),
            std::string::npos);
  // analyze reaches the same verdict from the stored files.
  auto again = AnalyzeRun(outcome->run_dir);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->valid, Validity::kInvalid);
}

TEST_F(RunnerTest, InterruptStopsTheRunAndChecksThePartialHistory) {
  TestConfig c = Config("memory");
  c.time_limit_s = 60;
  c.nemesis = {"kill"};
  std::atomic<bool> interrupt{false};
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    interrupt = true;
  });
  auto outcome = RunTest(c, &interrupt, nullptr);
  stopper.join();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(outcome->valid, Validity::kUnknown);
  EXPECT_TRUE(outcome->harness_error.ok()) << "an interrupt is not a harness error";
  auto results = ReadJsonFile(outcome->run_dir + "/results.json");
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)["interrupted"], true);
  std::ifstream log(outcome->run_dir + "/harness.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("heal"), std::string::npos);
}

TEST_F(RunnerTest, BadConfigurationIsRejectedBeforeAnythingIsMade) {
  TestConfig c = Config("nosuchdb");
  auto outcome = RunTest(c, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("nosuchdb"), std::string::npos);
  EXPECT_FALSE(fs::exists(store_));
  c = Config("memory");
  c.workload = "bank";
  EXPECT_FALSE(RunTest(c, nullptr, nullptr).ok());
  c = Config("memory");
  c.local_nodes.clear();
  EXPECT_FALSE(RunTest(c, nullptr, nullptr).ok());
}

}  // namespace
}  // namespace faultline
