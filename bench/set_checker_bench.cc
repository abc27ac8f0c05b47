// The set checker on large histories: `adds` adds over 1,000 keys with
// `reads` reads spread evenly over the keys (each read returns everything
// added to its key so far; the last read of each key is its final read).
// Goal: 1M adds with 10k reads in under a second, linear in the history.
#include <benchmark/benchmark.h>

#include "checkers/set_checker.h"

namespace faultline {
namespace {

History MakeSetHistory(int64_t adds, int64_t reads) {
  constexpr int64_t kKeys = 1000;
  const int64_t adds_per_key = adds / kKeys;
  const int64_t reads_per_key = std::max<int64_t>(1, reads / kKeys);
  History h{"synthetic-set", {}};
  h.ops.reserve(static_cast<size_t>(2 * (adds + reads)));
  auto push = [&](OpType type, int64_t process, const char* f, Json value, int64_t key) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.type = type;
    op.process = process;
    op.f = f;
    op.value = std::move(value);
    op.key = key;
    h.ops.push_back(std::move(op));
  };
  for (int64_t k = 0; k < kKeys; ++k) {
    Json so_far = Json::array();
    for (int64_t i = 0; i < adds_per_key; ++i) {
      const int64_t p = i % 10;
      push(OpType::kInvoke, p, "add", i, k);
      // One add in 100 has an unknown outcome.
      push(i % 100 == 7 ? OpType::kInfo : OpType::kOk, p, "add", i, k);
      so_far.push_back(i);
      if ((i + 1) % (adds_per_key / reads_per_key) == 0) {
        push(OpType::kInvoke, 10, "read", nullptr, k);
        push(OpType::kOk, 10, "read", so_far, k);
      }
    }
  }
  return h;
}

void BM_SetChecker(benchmark::State& state) {
  const History h = MakeSetHistory(state.range(0), state.range(1));
  for (auto _ : state) {
    SetChecker checker;
    CheckResult r = checker.Check(h);
    if (r.valid != Validity::kValid) state.SkipWithError("unexpected verdict");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(h.ops.size()));
}
BENCHMARK(BM_SetChecker)
    ->Args({100'000, 1'000})
    ->Args({1'000'000, 10'000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
