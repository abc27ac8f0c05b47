// Register clients' throughput: the in-memory target (the harness-side cost of
// a client op, no I/O), and etcd's register client against a 1-member etcd on
// loopback (HTTP/JSON gateway over one kept-alive connection per client;
// 1 and 4 client threads). The etcd cases are skipped with a message when
// /usr/bin/etcd is not installed or the member does not come up.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "harness/control/local_remote.h"
#include "targets/client.h"
#include "targets/etcd_target.h"
#include "targets/memory_target.h"

namespace faultline {
namespace {

struct LoopbackEtcd {
  std::string dir;
  std::shared_ptr<Remote> remote = std::make_shared<LocalRemote>("localhost");
  ClusterInfo cluster;
  std::unique_ptr<Target> target;
  std::string error;  // why the etcd cases are skipped
};
LoopbackEtcd* g_etcd = nullptr;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

void StartEtcd(LoopbackEtcd& m) {
  if (access("/usr/bin/etcd", X_OK) != 0) {
    m.error = "/usr/bin/etcd is not installed";
    return;
  }
  char dir[] = "/tmp/faultline-etcd-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    m.error = "cannot create a temporary directory";
    return;
  }
  m.dir = dir;
  m.cluster.nodes = {{"n1", "127.0.0.1", m.dir}};
  EtcdOptions options;
  options.ports = {FreePort(), FreePort()};
  auto target = MakeEtcdTarget(options);
  if (!target.ok()) {
    m.error = target.status().ToString();
    return;
  }
  m.target = std::move(*target);
  Status st = SetupAll(*m.target, {m.remote}, m.cluster);
  if (!st.ok()) m.error = st.ToString();
}

void StopEtcd(LoopbackEtcd& m) {
  if (m.target != nullptr) {
    Status st = TeardownAll(*m.target, {m.remote}, m.cluster);
    if (!st.ok()) std::cerr << "etcd teardown: " << st.ToString() << "\n";
  }
  if (!m.dir.empty()) std::filesystem::remove_all(m.dir);
}

Op Invocation(int64_t process, const char* f, Json value) {
  Op op;
  op.process = process;
  op.f = f;
  op.value = std::move(value);
  op.key = process;
  return op;
}

// Alternates write, read and cas on a key of the thread's own.
void RunRegisterOps(benchmark::State& state, Target& target, const NodeInfo& node) {
  auto client = target.register_clients()->NewRegisterClient();
  if (Status st = client->Open(node); !st.ok()) {
    state.SkipWithError(st.ToString().c_str());
    return;
  }
  const int64_t process = state.thread_index();
  int64_t value = 0, failures = 0;
  for (auto _ : state) {
    Op done;
    switch (value % 3) {
      case 0:
        done = client->Invoke(Invocation(process, "write", value));
        break;
      case 1:
        done = client->Invoke(Invocation(process, "read", Json()));
        break;
      default:
        done = client->Invoke(Invocation(process, "cas", Json::array({value - 2, value})));
    }
    if (done.type != OpType::kOk) ++failures;
    ++value;
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["not_ok"] = static_cast<double>(failures);
}

Target* g_memory = nullptr;
const NodeInfo kMemoryNode{"n1", "127.0.0.1", ""};

void BM_MemoryRegisterOps(benchmark::State& state) {
  RunRegisterOps(state, *g_memory, kMemoryNode);
}
BENCHMARK(BM_MemoryRegisterOps)->Threads(1)->Threads(4)->UseRealTime();

void BM_EtcdRegisterOps(benchmark::State& state) {
  if (g_etcd == nullptr || !g_etcd->error.empty()) {
    state.SkipWithError(("etcd benchmark skipped: " +
                         (g_etcd == nullptr ? std::string("not started") : g_etcd->error))
                            .c_str());
    return;
  }
  RunRegisterOps(state, *g_etcd->target, g_etcd->cluster.nodes[0]);
}
BENCHMARK(BM_EtcdRegisterOps)->Threads(1)->Threads(4)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The in-memory target needs no Remote; LocalRemote only fills the context.
  auto memory = faultline::MakeMemoryTarget();
  faultline::ClusterInfo memory_cluster{{faultline::kMemoryNode}, "/unused", false};
  faultline::LocalRemote local("localhost");
  (void)memory->Setup(faultline::NodeContext{local, memory_cluster.nodes[0], memory_cluster});
  faultline::g_memory = memory.get();
  faultline::LoopbackEtcd etcd;
  faultline::StartEtcd(etcd);
  if (!etcd.error.empty()) std::cerr << "etcd benchmarks will be skipped: " << etcd.error << "\n";
  faultline::g_etcd = &etcd;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  faultline::StopEtcd(etcd);
  return 0;
}
