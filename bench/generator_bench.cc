// The generator's share of the harness cost per operation: a typical register
// workload (read / write / cas mix, no stagger, independent keys, a nemesis
// cycle) run through the Driver by the simulator, whose fake system answers
// every op ok after 1 ms of simulated time. Issue 4's goal for generator plus
// recording together is at least 200,000 ops/s; items_per_second counts
// invocations.
//
// BM_Generator keeps no history: the generator, the Driver and the simulator's
// event queue only. BM_GeneratorAndHistory also keeps every invocation and
// completion in memory (a stand-in for recording; the real recorder streams
// JSONL to disk instead).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "harness/generator/combinators.h"
#include "harness/generator/simulator.h"

namespace faultline::gen {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kInvocations = 100'000;

GenPtr RegisterWorkload() {
  GenPtr write = FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
    return MakeOp("write", static_cast<int64_t>(rng.Below(5)));
  });
  GenPtr cas = FromFn([](Rng& rng, int64_t) -> std::optional<Op> {
    return MakeOp("cas", Json::array({rng.Below(5), rng.Below(5)}));
  });
  GenPtr ops = Stagger(0ns, Mix({Repeat(MakeOp("read")), write, cas}));
  GenPtr clients =
      Limit(kInvocations, Independent({.threads_per_key = 2, .ops_per_key = 100}, ops));
  // Bounded like the clients, so that the run ends when they do (a real test
  // ends both with one TimeLimit).
  GenPtr nemesis =
      Limit(kInvocations / 1000, StartStopCycle(100ms, MakeOp("start"), MakeOp("stop")));
  return ClientsAndNemesis(clients, nemesis);
}

void Run(benchmark::State& state, bool keep_history) {
  const GenPtr gen = RegisterWorkload();
  const SimOptions options{.client_count = static_cast<int>(state.range(0)),
                           .seed = 1,
                           .latency = 1ms,
                           .keep_history = keep_history};
  int64_t invocations = 0;
  for (auto _ : state) {
    Result<SimResult> result = Simulate(gen, options);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
    invocations += result->invocations;
    benchmark::DoNotOptimize(result->history.data());
  }
  state.SetItemsProcessed(invocations);
}

void BM_Generator(benchmark::State& state) { Run(state, false); }
void BM_GeneratorAndHistory(benchmark::State& state) { Run(state, true); }

BENCHMARK(BM_Generator)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GeneratorAndHistory)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace faultline::gen

BENCHMARK_MAIN();
