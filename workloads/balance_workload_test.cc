#include "workloads/balance_workload.h"

#include <gtest/gtest.h>

#include <set>

#include "harness/generator/combinators.h"
#include "harness/generator/simulator.h"
#include "targets/registry.h"

namespace faultline {
namespace {

TEST(BalanceWorkloadTest, UniqueIdsKeysAndHealthReadsOnTheirOwnThread) {
  WorkloadOptions o;
  o.concurrency = 4;
  auto w = MakeBalanceWorkload(o);
  Result<gen::SimResult> sim = gen::Simulate(
      gen::TimeLimit(std::chrono::seconds(2), gen::Clients(w->Generator())),
      {.client_count = 4, .nemesis = false, .seed = 3});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  std::set<int64_t> ids;
  std::set<std::string> keys;
  int64_t requests = 0, health = 0;
  for (const Op& op : sim->history) {
    if (op.type != OpType::kInvoke) continue;
    if (op.f == "request") {
      ++requests;
      EXPECT_NE(op.process, 0) << "requests use threads 1..3";
      EXPECT_TRUE(ids.insert(op.value["id"].get<int64_t>()).second) << "id reused: " << op.value;
      keys.insert(op.key.get<std::string>());
    } else {
      EXPECT_EQ(op.f, "backends");
      EXPECT_EQ(op.process, 0);
      ++health;
    }
  }
  // 300 requests/s and a health read every 100 ms, for 2 s.
  EXPECT_NEAR(requests, 600, 5);
  EXPECT_NEAR(health, 20, 2);
  EXPECT_GT(keys.size(), 20u);
  EXPECT_LE(keys.size(), static_cast<size_t>(kBalanceKeys));
}

TEST(BalanceWorkloadTest, VipReadsOnAThreadOfTheirOwnWithVrrp) {
  Result<std::unique_ptr<Target>> target = MakeTarget("haproxy", Json{{"vrrp", true}});
  ASSERT_TRUE(target.ok());
  WorkloadOptions o;
  o.concurrency = 4;
  auto w = MakeBalanceWorkload(o);
  ASSERT_TRUE(w->NewClient(**target).ok());  // as the runner's probe does, first
  Result<gen::SimResult> sim = gen::Simulate(
      gen::TimeLimit(std::chrono::seconds(2), gen::Clients(w->Generator())),
      {.client_count = 4, .nemesis = false, .seed = 3});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  int64_t vip = 0, health = 0;
  for (const Op& op : sim->history) {
    if (op.type != OpType::kInvoke) continue;
    if (op.f == "vip") {
      EXPECT_EQ(op.process, 1);
      ++vip;
    } else if (op.f == "backends") {
      EXPECT_EQ(op.process, 0);
      ++health;
    } else {
      EXPECT_GE(op.process, 2);
    }
  }
  EXPECT_NEAR(vip, 20, 2);
  EXPECT_NEAR(health, 20, 2);
  // The final phase reads who holds it for a while, then what was applied.
  Result<gen::SimResult> final_sim = gen::Simulate(gen::Clients(w->FinalGenerator(nullptr)),
                                                  {.client_count = 4, .nemesis = false});
  ASSERT_TRUE(final_sim.ok());
  int64_t final_vip = 0;
  std::string last;
  for (const Op& op : final_sim->history) {
    if (op.type != OpType::kInvoke) continue;
    if (op.f == "vip") ++final_vip;
    last = op.f;
  }
  EXPECT_NEAR(final_vip, kBalanceFinalVipSeconds * 10, 2);
  EXPECT_EQ(last, "applied");
  // Without vrrp: no vip reads at all.
  Result<std::unique_ptr<Target>> plain = MakeTarget("haproxy", Json::object());
  auto w2 = MakeBalanceWorkload(o);
  ASSERT_TRUE(w2->NewClient(**plain).ok());
  Result<gen::SimResult> none = gen::Simulate(
      gen::TimeLimit(std::chrono::seconds(1), gen::Clients(w2->Generator())),
      {.client_count = 4, .nemesis = false, .seed = 3});
  ASSERT_TRUE(none.ok());
  for (const Op& op : none->history) EXPECT_NE(op.f, "vip");
}

TEST(BalanceWorkloadTest, FinalReadsAppliedUntilOk) {
  auto w = MakeBalanceWorkload({});
  gen::SimOptions o{.client_count = 3, .nemesis = false};
  int calls = 0;
  o.policy = [&calls](const Op&, gen::Rng&) {
    return gen::SimCompletion{++calls < 3 ? OpType::kFail : OpType::kOk, Json::object(), nullptr,
                              std::chrono::milliseconds(1)};
  };
  Result<gen::SimResult> sim = gen::Simulate(gen::Clients(w->FinalGenerator(nullptr)), o);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  int invokes = 0;
  for (const Op& op : sim->history) {
    if (op.type == OpType::kInvoke) {
      ++invokes;
      EXPECT_EQ(op.f, "applied");
    }
  }
  EXPECT_EQ(invokes, 3);
}

TEST(BalanceWorkloadTest, NeedsABalancerTarget) {
  auto w = MakeBalanceWorkload({});
  auto memory = MakeTarget("memory");
  ASSERT_TRUE(memory.ok());
  Result<std::unique_ptr<Client>> c = w->NewClient(**memory);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kUnsupported);
  auto haproxy = MakeTarget("haproxy");
  ASSERT_TRUE(haproxy.ok());
  EXPECT_TRUE(w->NewClient(**haproxy).ok());
  std::set<std::string> names;
  for (const auto& c : w->Checkers()) names.insert(c->name());
  EXPECT_EQ(names, (std::set<std::string>{"at-most-once", "balance-errors", "distribution",
                                          "failover", "hash-stability", "perf", "stats",
                                          "vrrp-split-brain"}));
  auto via_registry = MakeWorkload("balance", {});
  ASSERT_TRUE(via_registry.ok());
  EXPECT_EQ((*via_registry)->name(), "balance");
}

}  // namespace
}  // namespace faultline
