// Redis targets on a warm local cluster (FAULTLINE_NODES_FILE: a nodes file,
// e.g. `faultline cluster status --name NAME --json` -> nodes_file; cases
// are skipped with a message without it):
//   BM_SetupToHealthy/<target>  SetupAll until every node is healthy (the
//       Sentinels name the primary, replicas' links are up); teardown untimed
//   BM_FailoverAfterIsolation   redis-sentinel: the primary (n1) cut off from
//       every other node until a majority of Sentinels names another primary
//   BM_RegisterClient / BM_HiredisLoop  the same SET + GET pairs on the
//       primary, through faultline's register client (Invoke, op building,
//       reply parsing) and through hiredis calls in a tight loop; items/s
//       counts commands (real time), so the two compare directly; CPU time
//       per iteration is the client-side cost.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "harness/control/nodes_file.h"
#include "harness/control/partition.h"
#include "targets/client.h"
#include "targets/redis_conn.h"
#include "targets/registry.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Cluster {
  std::vector<std::shared_ptr<Remote>> remotes;
  ClusterInfo info;
  std::string error;
};

Cluster& TheCluster() {
  static Cluster c = [] {
    Cluster out;
    const char* path = std::getenv("FAULTLINE_NODES_FILE");
    if (path == nullptr) {
      out.error = "set FAULTLINE_NODES_FILE to a local cluster's nodes file";
      return out;
    }
    Result<NodesFile> file = ReadNodesFile(path);
    if (!file.ok()) {
      out.error = file.status().ToString();
      return out;
    }
    for (const NodeSpec& spec : file->nodes) {
      Result<std::shared_ptr<Remote>> r = ConnectNode(spec);
      if (!r.ok()) {
        out.error = r.status().ToString();
        return out;
      }
      out.remotes.push_back(*r);
      out.info.nodes.push_back({spec.name, spec.host, ""});
    }
    return out;
  }();
  return c;
}

std::unique_ptr<Target> Make(const std::string& name) {
  Result<std::unique_ptr<Target>> t = MakeTarget(name, {{"packages", Json::array()}});
  return t.ok() ? std::move(*t) : nullptr;
}

void BM_SetupToHealthy(benchmark::State& state, const std::string& name) {
  Cluster& c = TheCluster();
  if (!c.error.empty()) return state.SkipWithError(c.error.c_str());
  std::unique_ptr<Target> target = Make(name);
  for (auto _ : state) {
    const auto start = Clock::now();
    Status st = SetupAll(*target, c.remotes, c.info);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    if (Status down = TeardownAll(*target, c.remotes, c.info); !down.ok()) {
      state.SkipWithError(down.ToString().c_str());
      break;
    }
  }
  state.counters["nodes"] = static_cast<double>(c.info.nodes.size());
}
BENCHMARK_CAPTURE(BM_SetupToHealthy, redis_sentinel, std::string("redis-sentinel"))
    ->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SetupToHealthy, redis_cluster, std::string("redis-cluster"))
    ->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SetupToHealthy, redis, std::string("redis"))
    ->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_FailoverAfterIsolation(benchmark::State& state) {
  Cluster& c = TheCluster();
  if (!c.error.empty()) return state.SkipWithError(c.error.c_str());
  if (c.info.nodes.size() < 3) return state.SkipWithError("needs at least 3 nodes");
  std::unique_ptr<Target> target = Make("redis-sentinel");
  std::map<std::string, std::shared_ptr<Remote>> by_name;
  std::map<std::string, std::string> addresses;
  for (size_t i = 0; i < c.info.nodes.size(); ++i) {
    by_name[c.info.nodes[i].name] = c.remotes[i];
    addresses[c.info.nodes[i].name] = c.info.nodes[i].host;
  }
  const std::string old = c.info.nodes[0].name;
  Grudge grudge;
  for (const NodeInfo& n : c.info.nodes) {
    if (n.name == old) continue;
    grudge[old].insert(n.name);
    grudge[n.name].insert(old);
  }
  // The majority side's view: every node but the isolated one.
  std::vector<NodeContext> majority;
  for (size_t i = 1; i < c.info.nodes.size(); ++i) {
    majority.push_back(NodeContext{*c.remotes[i], c.info.nodes[i], c.info});
  }
  for (auto _ : state) {
    if (Status st = SetupAll(*target, c.remotes, c.info); !st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    const auto start = Clock::now();
    if (Status st = ApplyGrudge(by_name, addresses, grudge); !st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    bool moved = false;
    while (!moved && Clock::now() - start < std::chrono::seconds(60)) {
      auto named = target->primaries()->Primaries(majority);
      moved = named.ok() && !named->empty() && named->front() != old;
      if (!moved) std::this_thread::sleep_for(milliseconds(50));
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    HealAll(by_name);
    TeardownAll(*target, c.remotes, c.info);
    if (!moved) {
      state.SkipWithError("no failover within 60 s");
      break;
    }
  }
}
BENCHMARK(BM_FailoverAfterIsolation)->UseManualTime()->Iterations(2)->Unit(benchmark::kMillisecond);

// One sentinel deployment shared by the two throughput cases.
struct Deployed {
  std::unique_ptr<Target> target;
  std::string error;
};
Deployed& TheDeployment() {
  static Deployed d = [] {
    Deployed out;
    Cluster& c = TheCluster();
    if (!c.error.empty()) {
      out.error = c.error;
      return out;
    }
    out.target = Make("redis-sentinel");
    if (Status st = SetupAll(*out.target, c.remotes, c.info); !st.ok()) out.error = st.ToString();
    std::atexit([] { TeardownAll(*TheDeployment().target, TheCluster().remotes, TheCluster().info); });
    return out;
  }();
  return d;
}

void BM_RegisterClient(benchmark::State& state) {
  Deployed& d = TheDeployment();
  if (!d.error.empty()) return state.SkipWithError(d.error.c_str());
  std::unique_ptr<Client> client = d.target->register_clients()->NewRegisterClient();
  client->Open(TheCluster().info.nodes[0]);
  int64_t i = 0;
  for (auto _ : state) {
    Op w;
    w.type = OpType::kInvoke;
    w.process = 0;
    w.f = "write";
    w.value = ++i;
    w.key = 1;
    Op done = client->Invoke(w);
    Op r = w;
    r.f = "read";
    r.value = nullptr;
    Op read = client->Invoke(r);
    if (done.type != OpType::kOk || read.type != OpType::kOk) {
      state.SkipWithError(("op failed: " + done.error.dump() + " " + read.error.dump()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_RegisterClient)->MinTime(3)->UseRealTime();

void BM_HiredisLoop(benchmark::State& state) {
  Deployed& d = TheDeployment();
  if (!d.error.empty()) return state.SkipWithError(d.error.c_str());
  const NodeInfo& primary = TheCluster().info.nodes[0];
  auto conn = HiredisConnector()(primary.host, 6379, RedisTimeouts{});
  if (!conn.ok()) return state.SkipWithError(conn.status().ToString().c_str());
  int64_t i = 0;
  for (auto _ : state) {
    auto set = (*conn)->Command({"SET", "faultline:1", std::to_string(++i)});
    auto get = (*conn)->Command({"GET", "faultline:1"});
    if (!set.ok() || !get.ok()) {
      state.SkipWithError("hiredis failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_HiredisLoop)->MinTime(3)->UseRealTime();

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
