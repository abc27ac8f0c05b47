// Linearizability checker speed and memory. Run:
//   build/bench/checker_bench [--benchmark_filter=...]
// Peer-history benchmarks read ../shared/peer-histories (or
// $FAULTLINE_PEER_HISTORIES) and are skipped where it is absent.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkers/linearizability.h"
#include "checkers/testing/synthetic_history.h"
#include "harness/history/reader.h"

namespace faultline {
namespace {

std::string PeerDir() {
  if (const char* env = std::getenv("FAULTLINE_PEER_HISTORIES")) return env;
  return FAULTLINE_PEER_HISTORIES;
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

struct Loaded {
  std::string name;
  History history;
  Json init;
};

std::vector<Loaded> LoadSet(const std::string& prefix, const std::string& model) {
  std::vector<Loaded> out;
  std::ifstream in(PeerDir() + "/EXPECTED.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string path, m, init, expected;
    std::getline(f, path, '\t');
    std::getline(f, m, '\t');
    std::getline(f, init, '\t');
    if (path.rfind(prefix, 0) != 0 || m != model) continue;
    auto h = ReadHistoryFile(PeerDir() + "/" + path);
    if (!h.ok()) continue;
    out.push_back({path, std::move(*h), Json::parse(init)});
  }
  return out;
}

void CheckSet(benchmark::State& state, const std::vector<Loaded>& set, const char* model_name) {
  if (set.empty()) {
    state.SkipWithError("peer histories not found; set FAULTLINE_PEER_HISTORIES");
    return;
  }
  auto model = MakeModel(model_name);
  size_t ops = 0;
  for (auto _ : state) {
    for (const Loaded& l : set) {
      auto r = CheckLinearizability(l.history, **model, l.init, {});
      benchmark::DoNotOptimize(r);
      ops += l.history.ops.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(ops));
  state.counters["files"] = static_cast<double>(set.size());
}

// Total check time over porcupine/etcd (goal: 1/10 of Porcupine's ~300 ms).
void BM_EtcdSetTotal(benchmark::State& state) {
  static const std::vector<Loaded> set = LoadSet("porcupine/etcd/", "cas-register");
  CheckSet(state, set, "cas-register");
}
BENCHMARK(BM_EtcdSetTotal)->Unit(benchmark::kMillisecond);

// etcd_002: Porcupine's slowest file of the set.
void BM_EtcdSlowestFile(benchmark::State& state) {
  static const std::vector<Loaded> set = LoadSet("porcupine/etcd/etcd_002", "cas-register");
  CheckSet(state, set, "cas-register");
}
BENCHMARK(BM_EtcdSlowestFile)->Unit(benchmark::kMillisecond);

void BM_KvC10(benchmark::State& state) {
  static const std::vector<Loaded> set = LoadSet("porcupine/kv/c10", "kv");
  CheckSet(state, set, "kv");
}
BENCHMARK(BM_KvC10)->Unit(benchmark::kMillisecond);

void BM_KnossosCasRegister(benchmark::State& state) {
  static const std::vector<Loaded> set = LoadSet("knossos/cas-register/", "cas-register");
  CheckSet(state, set, "cas-register");
}
BENCHMARK(BM_KnossosCasRegister)->Unit(benchmark::kMillisecond);

void CheckSynthetic(benchmark::State& state, const testing::SyntheticOptions& options,
                    std::chrono::milliseconds time_limit = {}) {
  const History history = testing::SyntheticRegisterHistory(options);
  auto model = MakeModel("cas-register");
  LinearizabilityOptions lin;
  lin.time_limit = time_limit;
  Validity verdict = Validity::kUnknown;
  size_t peak_cache = 0;
  uint64_t configurations = 0;
  for (auto _ : state) {
    auto r = CheckLinearizability(history, **model, Json(), lin);
    verdict = r->valid;
    peak_cache = std::max(peak_cache, r->peak_cache_bytes);
    configurations = r->configurations;
  }
  state.counters["configurations"] = static_cast<double>(configurations);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * history.ops.size()));
  state.counters["ops"] = static_cast<double>(history.ops.size());
  state.counters["valid"] = verdict == Validity::kValid ? 1 : verdict == Validity::kInvalid ? 0 : -1;
  state.counters["peak_rss_MiB"] = PeakRssMiB();
  state.counters["peak_cache_MiB"] = peak_cache / 1048576.0;
}

// Goal: 1M ops over 1,000 keys in under 5 s with under 2 GiB.
void BM_Synthetic1MOps1000Keys(benchmark::State& state) {
  CheckSynthetic(state, {.ops = 1'000'000, .keys = 1000, .processes_per_key = 5,
                         .crash_rate = 0.05, .value_domain = 0, .seed = 7});
}
BENCHMARK(BM_Synthetic1MOps1000Keys)->Unit(benchmark::kMillisecond)->Iterations(1);

// 10k ops on one key, 30% crashed, unique values (our register workload's shape).
void BM_Synthetic10kOneKey30PctCrashed(benchmark::State& state) {
  CheckSynthetic(state, {.ops = 10'000, .keys = 1, .processes_per_key = 10, .crash_rate = 0.3,
                         .value_domain = 0, .seed = 11});
}
BENCHMARK(BM_Synthetic10kOneKey30PctCrashed)->Unit(benchmark::kMillisecond);

// The same with values from a domain of 5 (etcd-test style): crashed writes
// cannot be pruned; bounded by a 10 s limit (valid = -1 means unknown).
void BM_Synthetic10kOneKey30PctCrashedSmallDomain(benchmark::State& state) {
  CheckSynthetic(state,
                 {.ops = 10'000, .keys = 1, .processes_per_key = 10, .crash_rate = 0.3,
                  .value_domain = 5, .seed = 11},
                 std::chrono::seconds(10));
}
BENCHMARK(BM_Synthetic10kOneKey30PctCrashedSmallDomain)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
