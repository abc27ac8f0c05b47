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
#include "checkers/testing/synthetic_kv_history.h"
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

// Generated kv histories of Porcupine's size class: 50 clients, 4,000 ops
// over 10 keys (46% gets, 5% puts, 49% appends), one thread so that the CPU
// time is the checker's work. Args: crash rate in percent of writes, anomaly
// (0 none, 1 stale read, 2 lost append, 3 duplicated append), latency and
// think bounds. `valid`: 1 valid, 0 invalid, -1 unknown (a 60 s guard).
void BM_Kv50Clients(benchmark::State& state) {
  testing::SyntheticKvOptions o;
  o.crash_rate = state.range(0) / 100.0;
  o.anomaly = static_cast<testing::KvAnomaly>(state.range(1));
  o.max_latency = static_cast<int>(state.range(2));
  o.max_think = static_cast<int>(state.range(3));
  o.seed = 1;
  const History history = testing::SyntheticKvHistory(o);
  auto model = MakeModel("kv");
  LinearizabilityOptions lin;
  lin.threads = 1;
  lin.time_limit = std::chrono::seconds(60);
  Validity verdict = Validity::kUnknown;
  uint64_t configurations = 0;
  for (auto _ : state) {
    auto r = CheckLinearizability(history, **model, Json(), lin);
    verdict = r->valid;
    configurations = r->configurations;
  }
  state.counters["ops"] = static_cast<double>(history.ops.size());
  state.counters["configurations"] = static_cast<double>(configurations);
  state.counters["valid"] = verdict == Validity::kValid ? 1 : verdict == Validity::kInvalid ? 0 : -1;
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
// Porcupine's class (latency 20, think 20) and a harder, more concurrent one
// (latency 100, think 10); valid and invalid, without and with 2% crashed writes.
BENCHMARK(BM_Kv50Clients)
    ->ArgNames({"crash_pct", "anomaly", "latency", "think"})
    ->Args({0, 0, 20, 20})
    ->Args({2, 0, 20, 20})
    ->Args({2, 1, 20, 20})
    ->Args({2, 3, 20, 20})
    ->Args({0, 0, 100, 10})
    ->Args({2, 0, 100, 10})
    ->Args({2, 1, 100, 10})
    ->Args({2, 2, 100, 10})
    ->Args({2, 3, 100, 10})
    ->Unit(benchmark::kMillisecond);

// Any kv history files, for side-by-side runs with other checkers on the
// same files: FAULTLINE_KV_FILES=a.txt:b.txt checker_bench --benchmark_filter=KvFiles
void BM_KvFiles(benchmark::State& state) {
  const char* env = std::getenv("FAULTLINE_KV_FILES");
  if (!env) {
    state.SkipWithError("set FAULTLINE_KV_FILES to a colon-separated list of kv histories");
    return;
  }
  std::vector<History> histories;
  std::stringstream list(env);
  for (std::string path; std::getline(list, path, ':');) {
    auto h = ReadHistoryFile(path);
    if (!h.ok()) {
      state.SkipWithError(h.status().message().c_str());
      return;
    }
    histories.push_back(std::move(*h));
  }
  auto model = MakeModel("kv");
  LinearizabilityOptions lin;
  lin.threads = 1;
  lin.time_limit = std::chrono::seconds(60);
  int invalid = 0, unknown = 0;
  for (auto _ : state) {
    invalid = unknown = 0;
    for (const History& h : histories) {
      auto r = CheckLinearizability(h, **model, Json(), lin);
      invalid += r->valid == Validity::kInvalid;
      unknown += r->valid == Validity::kUnknown;
    }
  }
  state.counters["files"] = static_cast<double>(histories.size());
  state.counters["invalid"] = invalid;
  state.counters["unknown"] = unknown;
}
BENCHMARK(BM_KvFiles)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
