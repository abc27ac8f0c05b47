// How long `faultline cluster up` and `down` take for 5 nodes. Goal (issue 3):
// up, until every node's sshd answers, in under 3 s. Needs root (namespaces,
// a bridge); without it every benchmark is skipped with a message.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <string>

#include "harness/cluster/local_cluster.h"

namespace {

using faultline::cluster::LocalCluster;
using faultline::cluster::UpOptions;

constexpr const char* kBenchCluster = "bench-cluster";
constexpr int kNodes = 5;

bool SkipUnlessRoot(benchmark::State& state) {
  if (::geteuid() == 0) return false;
  state.SkipWithError("needs root: a local cluster makes namespaces and a bridge");
  return true;
}

UpOptions Options() {
  UpOptions options;
  options.name = kBenchCluster;
  options.nodes = kNodes;
  return options;
}

void BM_ClusterUp(benchmark::State& state) {
  if (SkipUnlessRoot(state)) return;
  LocalCluster cluster;
  for (auto _ : state) {
    auto up = cluster.Up(Options());
    state.PauseTiming();
    faultline::Status down = cluster.Down(kBenchCluster);
    if (!up.ok() || !down.ok()) {
      state.SkipWithError((up.ok() ? down : up.status()).ToString().c_str());
      break;
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_ClusterUp)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_ClusterDown(benchmark::State& state) {
  if (SkipUnlessRoot(state)) return;
  LocalCluster cluster;
  for (auto _ : state) {
    state.PauseTiming();
    auto up = cluster.Up(Options());
    if (!up.ok()) {
      state.SkipWithError(up.status().ToString().c_str());
      break;
    }
    state.ResumeTiming();
    faultline::Status down = cluster.Down(kBenchCluster);
    if (!down.ok()) {
      state.SkipWithError(down.ToString().c_str());
      break;
    }
  }
}
BENCHMARK(BM_ClusterDown)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
