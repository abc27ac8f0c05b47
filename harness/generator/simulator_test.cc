#include "harness/generator/simulator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/generator/combinators.h"

namespace faultline::gen {
namespace {

using namespace std::chrono_literals;

// The shape of a real register test: rotating keys, random values, a nemesis
// cycle, a time limit, then heal and final reads.
GenPtr RegisterTest() {
  GenPtr write = FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
    return MakeOp("write", static_cast<int64_t>(rng.Below(5)));
  });
  GenPtr cas = FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
    return MakeOp("cas", Json::array({rng.Below(5), rng.Below(5)}));
  });
  GenPtr workload = Independent({.threads_per_key = 2, .ops_per_key = 20},
                                Stagger(5ms, Mix({Repeat(MakeOp("read")), write, cas})));
  GenPtr main = TimeLimit(
      30s, ClientsAndNemesis(workload, StartStopCycle(5s, MakeOp("start"), MakeOp("stop"))));
  return Phases({main, Nemesis(Once(MakeOp("heal"))), Log("final reads"),
                 Clients(EachThread(UntilOk(Repeat(MakeOp("read")))))});
}

// ok, fail or info at random, with random latency: the fake system.
SimCompletion Flaky(const Op& invocation, Rng& rng) {
  SimCompletion c;
  const uint64_t roll = rng.Below(10);
  c.type = roll == 0 ? OpType::kInfo : roll == 1 ? OpType::kFail : OpType::kOk;
  c.value = invocation.value;
  c.latency = std::chrono::microseconds(100 + static_cast<int64_t>(rng.Below(20000)));
  return c;
}

std::string Dump(const SimResult& result) {
  std::string out;
  for (const Op& op : result.history) out += OpToJson(op).dump() + "\n";
  for (const std::string& line : result.logs) out += line + "\n";
  return out;
}

Result<SimResult> RunRegister(uint64_t seed) {
  SimOptions options{.client_count = 6, .seed = seed};
  options.policy = Flaky;
  return Simulate(RegisterTest(), options);
}

TEST(SimulatorTest, SameSeedSameHistory) {
  Result<SimResult> a = RunRegister(42);
  Result<SimResult> b = RunRegister(42);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(a->history.size(), 2000u);
  EXPECT_EQ(Dump(*a), Dump(*b));
}

TEST(SimulatorTest, DifferentSeedDifferentHistory) {
  Result<SimResult> a = RunRegister(1);
  Result<SimResult> b = RunRegister(2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Dump(*a), Dump(*b));
}

// The values come from the generator's seed alone: with different timing
// (and so a different interleaving of keys and threads) every key still gets
// the same sequence of ops.
TEST(SimulatorTest, GeneratorSeedAloneFixesTheValues) {
  SimOptions fast{.client_count = 4, .seed = 5, .latency = 1ms};
  SimOptions slow{.client_count = 4, .seed = 5};
  slow.policy = [](const Op&, Rng& rng) {
    return SimCompletion{.latency = std::chrono::microseconds(1 + rng.Below(10000))};
  };
  GenPtr gen = Clients(
      Independent({.threads_per_key = 2, .ops_per_key = 10, .key_count = 20},
                  Mix({Repeat(MakeOp("read")), FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
                         return MakeOp("write", static_cast<int64_t>(rng.Below(1000)));
                       })})));
  Result<SimResult> a = Simulate(gen, fast);
  Result<SimResult> b = Simulate(gen, slow);
  ASSERT_TRUE(a.ok() && b.ok());
  auto values = [](const SimResult& r) {
    std::map<int64_t, std::vector<std::string>> by_key;
    for (const Op& op : r.history) {
      if (op.is_invoke()) by_key[op.key.get<int64_t>()].push_back(op.f + op.value.dump());
    }
    return by_key;
  };
  EXPECT_EQ(values(*a), values(*b));
}

TEST(SimulatorTest, HistoryIsWellFormed) {
  Result<SimResult> r = RunRegister(3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  History history{"<simulated>", r->history};
  Result<std::vector<OpPair>> pairs = PairOps(history);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  int64_t last_time = 0;
  for (const Op& op : r->history) {
    EXPECT_GE(op.time, last_time) << DescribeOp(op);
    last_time = op.time;
  }
  EXPECT_EQ(r->logs, std::vector<std::string>{"final reads"});
  // Final phase: after the heal, every client thread read until ok.
  int64_t heal_index = -1;
  for (const Op& op : r->history) {
    if (op.f == "heal" && op.is_invoke()) heal_index = op.index;
  }
  ASSERT_GE(heal_index, 0);
  std::set<int64_t> threads_with_final_ok;
  for (const Op& op : r->history) {
    if (op.index > heal_index && op.f == "read" && op.type == OpType::kOk) {
      threads_with_final_ok.insert(op.process % 6);
    }
  }
  EXPECT_EQ(threads_with_final_ok.size(), 6u);
}

TEST(SimulatorTest, UnboundedGeneratorHitsABound) {
  Result<SimResult> r = Simulate(Repeat(MakeOp("read")), {.max_invocations = 1000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("Limit or TimeLimit"), std::string::npos);
}

TEST(SimulatorTest, BadPolicyAnswerIsAnError) {
  SimOptions options;
  options.policy = [](const Op&, Rng&) { return SimCompletion{.type = OpType::kInvoke}; };
  Result<SimResult> r = Simulate(Once(MakeOp("read")), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected ok, fail or info"), std::string::npos);
}

}  // namespace
}  // namespace faultline::gen
