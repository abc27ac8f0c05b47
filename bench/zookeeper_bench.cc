// ZooKeeper on a local cluster (or any nodes file): how long the target takes
// to set up a healthy ensemble (goal: under 10 s for 3 nodes, warm: packages
// installed), and ok ops/s of register clients in a tight loop against ok
// ops/s of the same workload through `faultline test` (the harness's cost).
//
// The nodes file comes from FAULTLINE_BENCH_NODES_FILE, else the local
// cluster named by FAULTLINE_BENCH_CLUSTER (default "faultline"); every case
// is skipped with a message when there is none. Run it with few repetitions:
//   faultline cluster up --nodes 3 --name zkbench
//   FAULTLINE_BENCH_CLUSTER=zkbench build/bench/zookeeper_bench
// The client loop and the faultline run each start from a fresh ensemble, so
// both see the same JVM warm-up.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "harness/control/nodes_file.h"
#include "harness/runner/runner.h"
#include "targets/client.h"
#include "targets/zookeeper_target.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

std::string NodesFilePath() {
  if (const char* f = std::getenv("FAULTLINE_BENCH_NODES_FILE")) return f;
  const char* name = std::getenv("FAULTLINE_BENCH_CLUSTER");
  return std::string("/var/lib/faultline/clusters/") + (name ? name : "faultline") +
         "/nodes.json";
}

struct Ensemble {
  std::string nodes_file;
  std::vector<std::shared_ptr<Remote>> remotes;
  ClusterInfo cluster;
  std::unique_ptr<Target> target;
  bool up = false;
  std::string error;  // why the cases are skipped
};

// The nodes and a target; nothing set up yet.
Ensemble* Nodes() {
  static Ensemble* e = [] {
    auto* e = new Ensemble();
    e->nodes_file = NodesFilePath();
    Result<NodesFile> file = ReadNodesFile(e->nodes_file);
    if (!file.ok()) {
      e->error = "no nodes file (" + file.status().ToString() +
                 "); set FAULTLINE_BENCH_NODES_FILE or FAULTLINE_BENCH_CLUSTER";
      return e;
    }
    for (const NodeSpec& spec : file->nodes) {
      Result<std::shared_ptr<Remote>> r = ConnectNode(spec);
      if (!r.ok()) {
        e->error = r.status().ToString();
        return e;
      }
      // Connect now, so that setup times leave out SSH handshakes.
      Result<CommandResult> warm = (*r)->Run(Command::Argv({"true"}));
      if (!warm.ok()) {
        e->error = spec.name + ": " + warm.status().ToString();
        return e;
      }
      e->remotes.push_back(*r);
      e->cluster.nodes.push_back({spec.name, spec.host, ""});
    }
    Result<std::unique_ptr<Target>> t = MakeZooKeeperTarget();
    if (!t.ok()) {
      e->error = t.status().ToString();
      return e;
    }
    e->target = std::move(*t);
    return e;
  }();
  return e;
}

void BM_ZooKeeperSetup(benchmark::State& state) {
  Ensemble* e = Nodes();
  if (!e->error.empty()) {
    state.SkipWithError(e->error.c_str());
    return;
  }
  for (auto _ : state) {
    const auto start = Clock::now();
    Status st = SetupAll(*e->target, e->remotes, e->cluster);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      (void)TeardownAll(*e->target, e->remotes, e->cluster);
      return;
    }
    e->up = true;
    state.PauseTiming();
    (void)TeardownAll(*e->target, e->remotes, e->cluster);
    e->up = false;
    state.ResumeTiming();
  }
  state.counters["nodes"] = static_cast<double>(e->cluster.nodes.size());
}
BENCHMARK(BM_ZooKeeperSetup)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

// The register workload's op mix: half reads, a quarter writes of unique
// values, a quarter CAS against one of the five latest values; two threads
// per key, a fresh key every 200 ops.
std::atomic<int64_t> g_next_value{1};

Op NextOp(std::mt19937_64& rng, int thread, int64_t n) {
  Op op;
  op.type = OpType::kInvoke;
  op.process = thread;
  op.key = static_cast<int64_t>(thread / 2) * 1'000'000 + n / 200;
  switch (rng() % 4) {
    case 0:
    case 1:
      op.f = "read";
      break;
    case 2:
      op.f = "write";
      op.value = g_next_value.fetch_add(1);
      break;
    default: {
      op.f = "cas";
      const int64_t expected = g_next_value.load() - static_cast<int64_t>(rng() % 5);
      op.value = Json::array({expected, g_next_value.fetch_add(1)});
      break;
    }
  }
  return op;
}

constexpr int kThreads = 6;
constexpr double kRunSeconds = 20;

// kThreads register clients (thread i on node i mod n) in a tight loop for
// kRunSeconds on a freshly set up ensemble, as `faultline test` would see it
// (same JVM warm-up): ok ops per second.
void BM_ZooKeeperClientLoop(benchmark::State& state) {
  Ensemble* e = Nodes();
  if (e->error.empty() && e->up) {
    (void)TeardownAll(*e->target, e->remotes, e->cluster);
    e->up = false;
  }
  if (!e->error.empty()) {
    state.SkipWithError(e->error.c_str());
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    Status st = SetupAll(*e->target, e->remotes, e->cluster);
    e->up = st.ok();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      (void)TeardownAll(*e->target, e->remotes, e->cluster);
      return;
    }
    state.ResumeTiming();
    std::atomic<int64_t> ok{0}, total{0};
    const auto deadline = Clock::now() + std::chrono::duration<double>(kRunSeconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const NodeInfo& node = e->cluster.nodes[t % e->cluster.nodes.size()];
        auto client = e->target->register_clients()->NewRegisterClient();
        (void)client->Open(node);
        std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
        for (int64_t n = 0; Clock::now() < deadline; ++n) {
          Op done = client->Invoke(NextOp(rng, t, n));
          ++total;
          if (done.type == OpType::kOk) ++ok;
          if (done.type == OpType::kInfo) {
            client = e->target->register_clients()->NewRegisterClient();
            (void)client->Open(node);
          }
        }
        client->Close();
      });
    }
    for (auto& t : threads) t.join();
    state.counters["ok_per_s"] = static_cast<double>(ok.load()) / kRunSeconds;
    state.counters["ops_per_s"] = static_cast<double>(total.load()) / kRunSeconds;
    state.PauseTiming();
    (void)TeardownAll(*e->target, e->remotes, e->cluster);
    e->up = false;
    state.ResumeTiming();
  }
}
BENCHMARK(BM_ZooKeeperClientLoop)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// The same ensemble size and concurrency through `faultline test` (setup,
// generator, recorder, checkers, teardown), no nemesis: ok ops per second of
// the run phase, from its history.
void BM_ZooKeeperThroughFaultline(benchmark::State& state) {
  Ensemble* e = Nodes();
  if (e->error.empty() && e->up) {
    (void)TeardownAll(*e->target, e->remotes, e->cluster);
    e->up = false;
  }
  if (!e->error.empty()) {
    state.SkipWithError(e->error.c_str());
    return;
  }
  char store[] = "/tmp/faultline-zk-bench-XXXXXX";
  if (mkdtemp(store) == nullptr) {
    state.SkipWithError("cannot create a temporary directory");
    return;
  }
  for (auto _ : state) {
    TestConfig config;
    config.target = "zookeeper";
    config.workload = "register";
    config.time_limit_s = kRunSeconds;
    config.concurrency = kThreads;
    config.seed = 1;
    config.nodes_file = e->nodes_file;
    config.store = store;
    Result<TestOutcome> outcome = RunTest(config, nullptr, {});
    if (!outcome.ok() || !outcome->harness_error.ok()) {
      state.SkipWithError(outcome.ok() ? outcome->harness_error.ToString().c_str()
                                       : outcome.status().ToString().c_str());
      break;
    }
    std::ifstream in(outcome->run_dir + "/history.jsonl");
    std::string line;
    // The run phase: kRunSeconds from the first invocation (the final reads
    // after it are left out).
    int64_t ok = 0, total = 0, first = -1;
    while (std::getline(in, line)) {
      Json j = Json::parse(line, nullptr, false);
      if (!j.is_object() || !j["process"].is_number_integer()) continue;
      const int64_t t = j["time"].get<int64_t>();
      if (first < 0) first = t;
      if (j["type"] == "invoke" || t > first + static_cast<int64_t>(kRunSeconds * 1e9)) continue;
      ++total;
      if (j["type"] == "ok") ++ok;
    }
    state.counters["ok_per_s"] = static_cast<double>(ok) / kRunSeconds;
    state.counters["ops_per_s"] = static_cast<double>(total) / kRunSeconds;
    state.counters["valid"] = outcome->valid == Validity::kValid ? 1 : 0;
  }
  std::filesystem::remove_all(store);
}
BENCHMARK(BM_ZooKeeperThroughFaultline)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Leave nothing running on the nodes.
  faultline::Ensemble* e = faultline::Nodes();
  if (e->up) (void)faultline::TeardownAll(*e->target, e->remotes, e->cluster);
  return 0;
}
