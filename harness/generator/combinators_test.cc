#include "harness/generator/combinators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/generator/simulator.h"

namespace faultline::gen {
namespace {

using namespace std::chrono_literals;

SimResult MustSimulate(GenPtr gen, SimOptions options = {}) {
  Result<SimResult> result = Simulate(std::move(gen), options);
  if (!result.ok()) {
    ADD_FAILURE() << "Simulate failed: " << result.status().ToString();
    return {};
  }
  return std::move(result).value();
}

std::vector<Op> Invocations(const SimResult& result) {
  std::vector<Op> out;
  for (const Op& op : result.history) {
    if (op.is_invoke()) out.push_back(op);
  }
  return out;
}

std::vector<std::string> Fs(const std::vector<Op>& ops) {
  std::vector<std::string> out;
  for (const Op& op : ops) out.push_back(op.f);
  return out;
}

// Completion latency uniform in [1, 50] ms, ok.
SimCompletion RandomLatency(const Op& invocation, Rng& rng) {
  SimCompletion c;
  c.value = invocation.value;
  c.latency = std::chrono::milliseconds(1 + static_cast<int64_t>(rng.Below(50)));
  return c;
}

TEST(LeavesTest, OpsAreInvokedInOrderWithProcessAndTime) {
  SimResult r = MustSimulate(Ops({MakeOp("a", 1), MakeOp("b", 2), MakeOp("c", 3)}),
                             {.client_count = 1, .nemesis = false});
  const std::vector<Op> inv = Invocations(r);
  ASSERT_EQ(Fs(inv), (std::vector<std::string>{"a", "b", "c"}));
  for (size_t i = 0; i < inv.size(); ++i) {
    EXPECT_EQ(inv[i].process, 0);
    EXPECT_EQ(inv[i].value, static_cast<int>(i) + 1);
    // One thread, 1 ms per op: each waits for the previous completion.
    EXPECT_EQ(inv[i].time, static_cast<int64_t>(i) * 1'000'000);
  }
  ASSERT_EQ(r.history.size(), 6u);
  for (size_t i = 0; i < r.history.size(); ++i)
    EXPECT_EQ(r.history[i].index, static_cast<int64_t>(i));
}

TEST(LeavesTest, FromFnPassesIndexAndEndsOnNullopt) {
  GenPtr gen = FromFn([](Rng&, int64_t i) -> std::optional<Op> {
    if (i == 4) return std::nullopt;
    return MakeOp("write", i * 10);
  });
  const std::vector<Op> inv = Invocations(MustSimulate(gen, {.client_count = 2}));
  ASSERT_EQ(inv.size(), 4u);
  for (size_t i = 0; i < inv.size(); ++i) EXPECT_EQ(inv[i].value, static_cast<int>(i) * 10);
}

TEST(LeavesTest, FromFnExceptionBecomesAnError) {
  GenPtr gen = FromFn([](Rng&, int64_t) -> std::optional<Op> { throw std::runtime_error("boom"); });
  Result<SimResult> r = Simulate(gen, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boom"), std::string::npos) << r.status().ToString();
}

TEST(LimitTest, CountsInvocationsExactly) {
  EXPECT_EQ(Invocations(MustSimulate(Limit(7, Repeat(MakeOp("read"))), {.client_count = 3})).size(),
            7u);
  EXPECT_EQ(Invocations(MustSimulate(Limit(0, Repeat(MakeOp("read"))))).size(), 0u);
  // Fewer than the limit when the child ends first.
  EXPECT_EQ(Invocations(MustSimulate(Limit(10, Ops({MakeOp("a"), MakeOp("b")})))).size(), 2u);
}

TEST(LimitTest, SleepsAndLogsDoNotCount) {
  GenPtr gen = Limit(2, Seq({Log("hi"), Sleep(1s), Once(MakeOp("a")), Sleep(1s), Once(MakeOp("b")),
                             Once(MakeOp("c"))}));
  SimResult r = MustSimulate(gen, {.client_count = 1});
  EXPECT_EQ(Fs(Invocations(r)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.logs, std::vector<std::string>{"hi"});
}

TEST(TimeLimitTest, StopsAtTheCutoffMeasuredFromTheFirstOp) {
  GenPtr gen = TimeLimit(1s, Delay(10ms, Repeat(MakeOp("read"))));
  const std::vector<Op> inv = Invocations(MustSimulate(gen, {.client_count = 4}));
  ASSERT_FALSE(inv.empty());
  EXPECT_EQ(inv.size(), 100u);  // at 0, 10, ..., 990 ms
  for (const Op& op : inv) EXPECT_LT(op.time, 1'000'000'000);
  EXPECT_EQ(inv.back().time, 990'000'000);
}

TEST(TimeLimitTest, CutsSleepsShort) {
  GenPtr gen = TimeLimit(1s, Nemesis(Seq({Once(MakeOp("a")), Sleep(1h), Once(MakeOp("never"))})));
  SimResult r = MustSimulate(gen, {.client_count = 1, .latency = 0ns});
  EXPECT_EQ(Fs(Invocations(r)), std::vector<std::string>{"a"});
  EXPECT_LE(r.end_time, 1'000'000'000);
}

TEST(TimeLimitTest, PendingChildStillEndsAtTheCutoff) {
  // After the first op the only client thread is stuck in a 1 h op; the time
  // limit must still end the generator at 1 s instead of waiting for it.
  SimOptions options{.client_count = 1, .nemesis = false};
  options.policy = [](const Op&, Rng&) { return SimCompletion{.latency = std::chrono::hours(1)}; };
  GenPtr gen = Any({TimeLimit(1s, Repeat(MakeOp("read")))});
  SimResult r = MustSimulate(gen, options);
  EXPECT_EQ(Invocations(r).size(), 1u);
}

TEST(DelayTest, InvocationsAreExactlyDtApart) {
  const std::vector<Op> inv = Invocations(
      MustSimulate(Limit(50, Delay(10ms, Repeat(MakeOp("read")))), {.client_count = 5}));
  ASSERT_EQ(inv.size(), 50u);
  for (size_t i = 1; i < inv.size(); ++i) EXPECT_EQ(inv[i].time - inv[i - 1].time, 10'000'000);
}

TEST(DelayTest, RateIsOneOverDt) {
  const std::vector<Op> inv =
      Invocations(MustSimulate(Limit(20, Rate(200, Repeat(MakeOp("read")))), {.client_count = 5}));
  ASSERT_EQ(inv.size(), 20u);
  for (size_t i = 1; i < inv.size(); ++i) EXPECT_EQ(inv[i].time - inv[i - 1].time, 5'000'000);
}

TEST(StaggerTest, GapsAreUniformInZeroToTwoDt) {
  // Enough threads that one is always free: the gaps are Stagger's alone.
  const std::vector<Op> inv = Invocations(MustSimulate(
      Limit(4000, Stagger(10ms, Repeat(MakeOp("read")))), {.client_count = 20, .seed = 5}));
  ASSERT_EQ(inv.size(), 4000u);
  int64_t min_gap = INT64_MAX, max_gap = 0;
  double sum = 0;
  for (size_t i = 1; i < inv.size(); ++i) {
    const int64_t gap = inv[i].time - inv[i - 1].time;
    ASSERT_GE(gap, 0);
    ASSERT_LT(gap, 20'000'000);
    min_gap = std::min(min_gap, gap);
    max_gap = std::max(max_gap, gap);
    sum += static_cast<double>(gap);
  }
  const double mean = sum / static_cast<double>(inv.size() - 1);
  EXPECT_NEAR(mean, 10e6, 0.5e6);
  EXPECT_LT(min_gap, 1'000'000);
  EXPECT_GT(max_gap, 19'000'000);
}

TEST(StaggerTest, ZeroIsNoDelay) {
  const std::vector<Op> inv = Invocations(
      MustSimulate(Limit(10, Stagger(0ns, Repeat(MakeOp("read")))), {.client_count = 10}));
  ASSERT_EQ(inv.size(), 10u);
  for (const Op& op : inv) EXPECT_EQ(op.time, 0);
}

TEST(MixTest, ProportionsAreRoughlyUniform) {
  GenPtr gen = Limit(30000, Mix({Repeat(MakeOp("a")), Repeat(MakeOp("b")), Repeat(MakeOp("c"))}));
  std::map<std::string, int> counts;
  for (const Op& op : Invocations(MustSimulate(gen, {.client_count = 4, .seed = 11}))) {
    ++counts[op.f];
  }
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [f, count] : counts) EXPECT_NEAR(count, 10000, 400) << f;
}

TEST(MixTest, DropsExhaustedChildren) {
  GenPtr gen = Limit(200, Mix({Once(MakeOp("once")), Repeat(MakeOp("many"))}));
  std::map<std::string, int> counts;
  for (const Op& op : Invocations(MustSimulate(gen, {.seed = 3}))) ++counts[op.f];
  EXPECT_EQ(counts["once"], 1);
  EXPECT_EQ(counts["many"], 199);
  // A mix of finite children ends when all are done.
  EXPECT_EQ(Invocations(MustSimulate(Mix({Once(MakeOp("x")), Once(MakeOp("y"))}))).size(), 2u);
}

TEST(SeqTest, RunsChildrenInOrderWithoutWaiting) {
  SimResult r = MustSimulate(Seq({Once(MakeOp("a")), Once(MakeOp("b"))}), {.client_count = 2});
  const std::vector<Op> inv = Invocations(r);
  ASSERT_EQ(Fs(inv), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(inv[1].time, 0);  // no synchronisation: b starts while a runs
}

TEST(SleepTest, OccupiesOneThreadOnly) {
  // As in Jepsen: the sleep lands on one thread and the sequence goes on with
  // another; on a single thread (the nemesis) it is a pause.
  SimResult two = MustSimulate(Clients(Seq({Sleep(1s), Once(MakeOp("b"))})),
                               {.client_count = 2, .nemesis = false});
  EXPECT_EQ(Invocations(two).at(0).time, 0);
  EXPECT_EQ(Invocations(two).at(0).process, 1);
  SimResult one = MustSimulate(Nemesis(Seq({Sleep(1s), Once(MakeOp("b"))})), {.client_count = 2});
  EXPECT_EQ(Invocations(one).at(0).time, 1'000'000'000);
  SimResult phased = MustSimulate(Phases({Sleep(1s), Once(MakeOp("b"))}), {.client_count = 2});
  EXPECT_EQ(Invocations(phased).at(0).time, 1'000'000'000);
}

TEST(RepeatTest, RepeatsAGeneratorAndStopsOnEmptyRounds) {
  EXPECT_EQ(Fs(Invocations(MustSimulate(Repeat(3, Ops({MakeOp("a"), MakeOp("b")}))))),
            (std::vector<std::string>{"a", "b", "a", "b", "a", "b"}));
  EXPECT_TRUE(Invocations(MustSimulate(Repeat(Empty()))).empty());
  EXPECT_TRUE(Invocations(MustSimulate(Repeat(Limit(0, Repeat(MakeOp("x")))))).empty());
}

// No invocation of phase 2 before every op of phase 1 completed.
void ExpectPhaseOrder(const SimResult& r, const std::string& first_f, const std::string& second_f) {
  int64_t last_first_completion = -1, first_second_invocation = INT64_MAX;
  int first_count = 0, second_count = 0;
  for (const Op& op : r.history) {
    if (op.f == first_f && !op.is_invoke()) {
      last_first_completion = std::max(last_first_completion, op.time);
      ++first_count;
    }
    if (op.f == second_f && op.is_invoke()) {
      first_second_invocation = std::min(first_second_invocation, op.time);
      ++second_count;
    }
  }
  EXPECT_GT(first_count, 0);
  EXPECT_GT(second_count, 0);
  EXPECT_LE(last_first_completion, first_second_invocation);
  // And by history position, not only by time.
  bool seen_second = false;
  for (const Op& op : r.history) {
    if (op.f == second_f) seen_second = true;
    if (op.f == first_f) {
      EXPECT_FALSE(seen_second) << "a phase-1 op after phase 2 began: " << DescribeOp(op);
    }
  }
}

TEST(PhasesTest, NextPhaseStartsOnlyAfterAllOpsOfThePreviousCompleted) {
  SimOptions options{.client_count = 5, .seed = 4};
  options.policy = RandomLatency;
  GenPtr gen = Phases({Limit(40, Repeat(MakeOp("write"))), Limit(40, Repeat(MakeOp("read")))});
  SimResult r = MustSimulate(gen, options);
  EXPECT_EQ(Invocations(r).size(), 80u);
  ExpectPhaseOrder(r, "write", "read");
}

TEST(PhasesTest, WaitsForTheNemesisToo) {
  SimOptions options{.client_count = 3, .seed = 9};
  options.policy = RandomLatency;
  GenPtr gen = Phases(
      {ClientsAndNemesis(Limit(30, Repeat(MakeOp("write"))), Limit(3, Repeat(MakeOp("kill")))),
       Nemesis(Once(MakeOp("heal"))), Clients(Once(MakeOp("final-read")))});
  SimResult r = MustSimulate(gen, options);
  ExpectPhaseOrder(r, "kill", "heal");
  ExpectPhaseOrder(r, "write", "heal");
  ExpectPhaseOrder(r, "heal", "final-read");
}

TEST(PhasesTest, ThenSynchronizes) {
  SimOptions options{.client_count = 4, .seed = 2};
  options.policy = RandomLatency;
  ExpectPhaseOrder(MustSimulate(Then(Limit(12, Repeat(MakeOp("a"))), Once(MakeOp("b"))), options),
                   "a", "b");
}

TEST(EachThreadTest, EveryThreadRunsItsOwnCopy) {
  GenPtr gen = Clients(EachThread(Ops({MakeOp("a"), MakeOp("b")})));
  SimOptions options{.client_count = 4, .seed = 1};
  options.policy = RandomLatency;
  const std::vector<Op> inv = Invocations(MustSimulate(gen, options));
  ASSERT_EQ(inv.size(), 8u);
  std::map<int64_t, std::vector<std::string>> by_process;
  for (const Op& op : inv) by_process[op.process].push_back(op.f);
  ASSERT_EQ(by_process.size(), 4u);
  for (const auto& [process, fs] : by_process) {
    EXPECT_GE(process, 0);
    EXPECT_EQ(fs, (std::vector<std::string>{"a", "b"})) << "process " << process;
  }
}

TEST(EachThreadTest, CopiesAreSeededPerThread) {
  GenPtr body = Limit(5, FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
                        return MakeOp("write", static_cast<int64_t>(rng.Below(1'000'000)));
                      }));
  const std::vector<Op> inv =
      Invocations(MustSimulate(Clients(EachThread(body)), {.client_count = 3, .seed = 8}));
  ASSERT_EQ(inv.size(), 15u);
  std::map<int64_t, std::vector<int64_t>> values;
  for (const Op& op : inv) values[op.process].push_back(op.value.get<int64_t>());
  EXPECT_NE(values[0], values[1]);
  EXPECT_NE(values[1], values[2]);
}

TEST(RoutingTest, ClientsAndNemesisNeverMix) {
  SimOptions options{.client_count = 4, .seed = 6};
  options.policy = RandomLatency;
  GenPtr gen =
      TimeLimit(125s, ClientsAndNemesis(Stagger(10ms, Repeat(MakeOp("read"))),
                                        StartStopCycle(10s, MakeOp("start"), MakeOp("stop"))));
  const std::vector<Op> inv = Invocations(MustSimulate(gen, options));
  int nemesis_ops = 0, client_ops = 0;
  for (const Op& op : inv) {
    if (op.f == "read") {
      EXPECT_GE(op.process, 0);
      ++client_ops;
    } else {
      EXPECT_EQ(op.process, kNemesisProcess) << DescribeOp(op);
      ++nemesis_ops;
    }
  }
  EXPECT_GT(client_ops, 1000);
  // start at ~10, 30, ..., 110 s and stop at ~20, 40, ..., 120 s (latencies add up to < 1 s).
  EXPECT_EQ(nemesis_ops, 12);
}

TEST(RoutingTest, NemesisOnlyAndClientsOnly) {
  for (const Op& op :
       Invocations(MustSimulate(Limit(20, Nemesis(Repeat(MakeOp("kill")))), {.client_count = 3}))) {
    EXPECT_EQ(op.process, kNemesisProcess);
  }
  for (const Op& op :
       Invocations(MustSimulate(Limit(20, Clients(Repeat(MakeOp("read")))), {.client_count = 1}))) {
    EXPECT_EQ(op.process, 0);
  }
}

TEST(RoutingTest, NoThreadForTheGeneratorIsAnError) {
  Result<SimResult> r = Simulate(Clients(Repeat(MakeOp("read"))), {.client_count = 0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("never make progress"), std::string::npos);
  EXPECT_FALSE(Simulate(Nemesis(Once(MakeOp("kill"))), {.client_count = 2, .nemesis = false}).ok());
}

TEST(StartStopCycleTest, AlternatesEveryInterval) {
  GenPtr gen = TimeLimit(65s, Nemesis(StartStopCycle(10s, MakeOp("start"), MakeOp("stop"))));
  const std::vector<Op> inv = Invocations(MustSimulate(gen, {.client_count = 2, .latency = 0ns}));
  EXPECT_EQ(Fs(inv), (std::vector<std::string>{"start", "stop", "start", "stop", "start", "stop"}));
  for (size_t i = 0; i < inv.size(); ++i) {
    EXPECT_EQ(inv[i].time, static_cast<int64_t>(i + 1) * 10'000'000'000) << i;
  }
}

struct KeyStats {
  int invocations = 0;
  std::set<int64_t> threads;
};

std::map<int64_t, KeyStats> StatsByKey(const std::vector<Op>& invocations, int client_count) {
  std::map<int64_t, KeyStats> stats;
  for (const Op& op : invocations) {
    EXPECT_TRUE(op.key.is_number_integer()) << DescribeOp(op);
    KeyStats& s = stats[op.key.get<int64_t>()];
    ++s.invocations;
    s.threads.insert(op.process % client_count);
  }
  return stats;
}

TEST(IndependentTest, EachKeyGetsExactlyKOpsFromAtMostNThreads) {
  SimOptions options{.client_count = 4, .seed = 12};
  options.policy = [](const Op& invocation, Rng& rng) {
    SimCompletion c = RandomLatency(invocation, rng);
    if (rng.Below(4) == 0) c.type = OpType::kInfo;  // new processes must not widen a key's threads
    return c;
  };
  GenPtr gen = Clients(Independent({.threads_per_key = 2, .ops_per_key = 5, .key_count = 6},
                                   Repeat(MakeOp("read"))));
  const std::vector<Op> inv = Invocations(MustSimulate(gen, options));
  ASSERT_EQ(inv.size(), 30u);
  const auto stats = StatsByKey(inv, 4);
  ASSERT_EQ(stats.size(), 6u);
  for (const auto& [key, s] : stats) {
    EXPECT_EQ(s.invocations, 5) << "key " << key;
    EXPECT_LE(s.threads.size(), 2u) << "key " << key;
  }
}

TEST(IndependentTest, UnboundedKeysMoveOnEveryKOps) {
  GenPtr gen = Limit(
      103, Clients(Independent({.threads_per_key = 3, .ops_per_key = 10}, Repeat(MakeOp("read")))));
  SimOptions options{.client_count = 6, .seed = 1};
  options.policy = RandomLatency;
  const auto stats = StatsByKey(Invocations(MustSimulate(gen, options)), 6);
  int partial = 0;
  for (const auto& [key, s] : stats) {
    EXPECT_LE(s.invocations, 10) << "key " << key;
    EXPECT_LE(s.threads.size(), 3u) << "key " << key;
    if (s.invocations < 10) ++partial;
  }
  EXPECT_LE(partial, 2);  // only each group's current key may be unfinished
  EXPECT_GE(stats.size(), 11u);
}

TEST(IndependentTest, CopiesHearOnlyTheirOwnEvents) {
  // One thread per key and "until ok": each key's ops are fails and then one
  // ok, after which the group moves on. Needs completions routed to the copy.
  SimOptions options{.client_count = 3, .seed = 21};
  options.policy = [](const Op&, Rng& rng) {
    return SimCompletion{.type = rng.Below(2) ? OpType::kOk : OpType::kFail, .latency = 1ms};
  };
  GenPtr gen =
      Clients(Independent({.threads_per_key = 1, .key_count = 9}, UntilOk(Repeat(MakeOp("read")))));
  SimResult r = MustSimulate(gen, options);
  std::map<int64_t, std::vector<OpType>> outcomes;
  for (const Op& op : r.history) {
    if (!op.is_invoke()) outcomes[op.key.get<int64_t>()].push_back(op.type);
  }
  ASSERT_EQ(outcomes.size(), 9u);
  for (const auto& [key, types] : outcomes) {
    ASSERT_FALSE(types.empty());
    EXPECT_EQ(types.back(), OpType::kOk) << "key " << key;
    EXPECT_EQ(std::count(types.begin(), types.end(), OpType::kOk), 1) << "key " << key;
  }
}

TEST(ProcessTest, InfoGivesTheThreadANewProcess) {
  SimOptions options{.client_count = 3, .seed = 5};
  options.policy = [](const Op& invocation, Rng&) {
    // Process p's first op crashes while p < 6: each thread crashes twice.
    return SimCompletion{.type = invocation.process < 6 ? OpType::kInfo : OpType::kOk,
                         .latency = 1ms};
  };
  SimResult r = MustSimulate(Limit(30, Clients(Repeat(MakeOp("read")))), options);
  std::map<int64_t, int64_t> completed_at;  // process -> index of its info completion
  std::set<int64_t> processes;
  for (const Op& op : r.history) {
    processes.insert(op.process);
    if (op.is_invoke()) {
      EXPECT_FALSE(completed_at.count(op.process))
          << "process " << op.process << " invoked after its info completion";
    } else if (op.type == OpType::kInfo) {
      completed_at[op.process] = op.index;
    }
  }
  EXPECT_EQ(processes, (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(UntilOkTest, EachThreadReadsUntilOneSucceeds) {
  SimOptions options{.client_count = 4, .seed = 17};
  options.policy = [](const Op&, Rng& rng) {
    const uint64_t roll = rng.Below(3);
    return SimCompletion{.type = roll == 0   ? OpType::kOk
                                 : roll == 1 ? OpType::kFail
                                             : OpType::kInfo,
                         .latency = 2ms};
  };
  SimResult r = MustSimulate(Clients(EachThread(UntilOk(Repeat(MakeOp("read"))))), options);
  std::map<int64_t, int> oks_by_thread;
  for (const Op& op : r.history) {
    if (op.type == OpType::kOk) ++oks_by_thread[op.process % 4];
  }
  ASSERT_EQ(oks_by_thread.size(), 4u);
  for (const auto& [thread, oks] : oks_by_thread) EXPECT_EQ(oks, 1) << "thread " << thread;
}

TEST(AnyTest, SoonestWinsAndTiesGoToTheFirst) {
  GenPtr gen = Any({Delay(10ms, Limit(3, Repeat(MakeOp("slow")))),
                    Delay(3ms, Limit(5, Repeat(MakeOp("fast"))))});
  const std::vector<Op> inv = Invocations(MustSimulate(gen, {.client_count = 4, .latency = 0ns}));
  // slow at 0, 10, 20 ms; fast at 0, 3, 6, 9, 12 ms; slow first at the 0 tie.
  EXPECT_EQ(Fs(inv), (std::vector<std::string>{"slow", "fast", "fast", "fast", "fast", "slow",
                                               "fast", "slow"}));
}

TEST(MapTest, TransformsInvocations) {
  GenPtr gen = Map([](Op& op) { op.f = "renamed-" + op.f; }, Ops({MakeOp("a"), MakeOp("b")}));
  EXPECT_EQ(Fs(Invocations(MustSimulate(gen))),
            (std::vector<std::string>{"renamed-a", "renamed-b"}));
}

TEST(InvalidTest, BadParametersAreClearErrors) {
  struct Case {
    GenPtr gen;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Limit(-1, Repeat(MakeOp("r"))), "Limit: n must be >= 0, got -1"},
      {TimeLimit(-1s, Repeat(MakeOp("r"))), "TimeLimit: duration must be >= 0 ns"},
      {Stagger(-1ns, Repeat(MakeOp("r"))), "Stagger: duration must be >= 0 ns"},
      {Rate(0, Repeat(MakeOp("r"))), "Rate: ops_per_second must be in (0, 1e9]"},
      {Mix({Repeat(MakeOp("r")), nullptr}), "Mix: generator #1 is null"},
      {Independent({.threads_per_key = 0}, Repeat(MakeOp("r"))),
       "Independent: threads_per_key must be >= 1, got 0"},
      {Any({Repeat(MakeOp("r")), Clients(Sleep(-5ns))}), "Sleep: duration must be >= 0 ns"},
  };
  for (const Case& c : cases) {
    Result<SimResult> r = Simulate(c.gen, {});
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().ToString();
  }
}

// Asking twice without taking the op gives the same op: the runner relies on
// this when a completion arrives before an op's due time.
TEST(PurityTest, AskingTwiceGivesTheSameStep) {
  GenPtr gen =
      Clients(Independent({.threads_per_key = 2, .ops_per_key = 3},
                          Stagger(5ms, Mix({Repeat(MakeOp("read")),
                                            FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
                                              return MakeOp("write",
                                                            static_cast<int64_t>(rng.Below(100)));
                                            })}))))
          ->WithSeed(77);
  WorkerTable workers(4, true);
  for (int i = 0; i < 50; ++i) {
    const Context ctx(i * 1'000'000, workers);
    const Step a = gen->Next(ctx);
    const Step b = gen->Next(ctx);
    ASSERT_EQ(a.kind, Step::Kind::kInvoke);
    EXPECT_EQ(OpToJson(a.op), OpToJson(b.op));
    gen = a.next;  // take it; the thread stays free so the next one may reuse it
  }
}

}  // namespace
}  // namespace faultline::gen
