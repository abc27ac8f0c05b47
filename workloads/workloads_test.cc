// The set, lock and lock-set workloads end to end on the in-memory targets:
// valid on "memory", and the unsafe set and lock of "memory-unsafe" caught.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/generator/combinators.h"
#include "harness/generator/driver.h"
#include "harness/runner/runner.h"
#include "harness/runner/store.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

class WorkloadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = fs::temp_directory_path() /
             ("faultline-workloads-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(store_);
  }
  void TearDown() override { fs::remove_all(store_); }

  Json Run(const std::string& target, const std::string& workload, Validity expected,
           double seconds = 1, Json workload_options = Json::object()) {
    TestConfig c;
    c.target = target;
    c.workload = workload;
    c.workload_options = std::move(workload_options);
    c.local_nodes = {"n1", "n2", "n3"};
    c.concurrency = "6";
    c.time_limit_s = seconds;
    c.seed = 7;
    c.store = store_.string();
    c.target_options = {{"timeout_ms", 300}};
    auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return Json();
    EXPECT_TRUE(outcome->harness_error.ok()) << outcome->harness_error.ToString();
    EXPECT_EQ(outcome->valid, expected) << outcome->run_dir;
    auto results = ReadJsonFile(outcome->run_dir + "/results.json");
    EXPECT_TRUE(results.ok());
    return results.ok() ? (*results)["checkers"] : Json();
  }

  fs::path store_;
};

TEST_F(WorkloadsTest, SetOnMemoryIsValidAndEveryKeyIsRead) {
  Json checkers = Run("memory", "set", Validity::kValid);
  const Json& set = checkers["set"];
  EXPECT_GT(set["acknowledged_count"].get<int64_t>(), 100) << set.dump();
  EXPECT_EQ(set["ok_count"], set["acknowledged_count"]);
  EXPECT_EQ(set["unread_keys"], 0);
}

TEST_F(WorkloadsTest, LossySetIsCaught) {
  Json checkers = Run("memory-unsafe", "set", Validity::kInvalid);
  EXPECT_GT(checkers["set"]["lost_count"].get<int64_t>(), 0) << checkers["set"].dump();
  EXPECT_FALSE(checkers["set"]["lost"].empty());
}

TEST_F(WorkloadsTest, LockOnMemoryIsLinearizable) {
  Json checkers = Run("memory", "lock", Validity::kValid, 1, {{"hold_max_ms", 5}});
  EXPECT_EQ(checkers["linearizability"]["model"], "mutex");
  EXPECT_GT(checkers["stats"]["ok_count"].get<int64_t>(), 50);
}

TEST_F(WorkloadsTest, UnsafeLockIsCaught) {
  Json checkers = Run("memory-unsafe", "lock", Validity::kInvalid, 1, {{"hold_max_ms", 5}});
  EXPECT_EQ(checkers["linearizability"]["valid"], false);
}

TEST_F(WorkloadsTest, LockSetOnMemoryKeepsEveryElement) {
  Json checkers = Run("memory", "lock-set", Validity::kValid, 1, {{"hold_max_ms", 10}});
  EXPECT_GT(checkers["set"]["ok_count"].get<int64_t>(), 10) << checkers["set"].dump();
  EXPECT_EQ(checkers["holders"]["overlap_count"], 0);
}

TEST_F(WorkloadsTest, UnsafeLockLosesLockSetElementsAndShowsOverlappingHolders) {
  Json checkers = Run("memory-unsafe", "lock-set", Validity::kInvalid, 1, {{"hold_max_ms", 10}});
  EXPECT_GT(checkers["set"]["lost_count"].get<int64_t>(), 0) << checkers["set"].dump();
  EXPECT_GT(checkers["holders"]["overlap_count"].get<int64_t>(), 0);
  const Json& overlap = checkers["holders"]["overlaps"][0];
  EXPECT_NE(overlap["first"]["process"], overlap["second"]["process"]);
}

TEST(WorkloadRegistry, NamesAndOptions) {
  EXPECT_EQ(WorkloadNames(), (std::vector<std::string>{"register", "set", "lock", "lock-set", "balance"}));
  auto bad = MakeWorkload("queue", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("lock-set"), std::string::npos);
  WorkloadOptions o;
  EXPECT_TRUE(ApplyWorkloadOptions({{"hold_max_ms", 50}}, &o).ok());
  EXPECT_EQ(o.hold_max.count(), 50);
  EXPECT_FALSE(ApplyWorkloadOptions({{"hold_max_ms", 0}}, &o).ok());
  EXPECT_FALSE(ApplyWorkloadOptions({{"hold", 5}}, &o).ok());
}

// The same seed gives the same ops: the generators hold no shared state.
TEST(WorkloadGenerators, AreReproducible) {
  for (const std::string name : {"set", "lock-set", "lock"}) {
    auto run = [&] {
      auto w = MakeWorkload(name, {});
      EXPECT_TRUE(w.ok());
      gen::Driver driver(gen::Clients((*w)->Generator()),
                         {.client_count = 4, .nemesis = false, .seed = 3});
      std::vector<std::string> ops;
      int64_t now = 0;
      while (ops.size() < 200) {
        auto d = driver.Next(now);
        EXPECT_TRUE(d.ok());
        if (!d.ok()) break;
        if (d->kind == gen::Driver::Decision::Kind::kInvoke) {
          ops.push_back(d->op.f + d->op.value.dump() + d->op.key.dump());
          Op done = d->op;
          done.type = OpType::kOk;
          EXPECT_TRUE(driver.Complete(done).ok());
        } else {
          now += 1'000'000;
        }
      }
      return ops;
    };
    EXPECT_EQ(run(), run()) << name;
  }
}

}  // namespace
}  // namespace faultline
