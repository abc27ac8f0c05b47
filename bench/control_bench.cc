// Control plane throughput: small commands (`true`) per second over one SSH
// connection (sequential, and 8 in flight from 8 threads), against a
// throwaway sshd on 127.0.0.1; and the same through LocalRemote.
// Goal (issue 3): >= 500 small commands/s per node with 8 in flight.
// BM_SshSmallCommandsInstantServer runs the same loop against an in-process
// SSH server that answers without forking: the harness's own ceiling.
//
// The SSH cases need root (they start sshd) and are skipped otherwise.
// Each remote command costs the node one fork+exec (sshd forks the login
// shell); on a machine where that is slow, the figure says more about the
// machine than about faultline: BM_ForkExecBaseline measures it locally.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "harness/control/local_remote.h"
#include "harness/control/ssh_remote.h"
#include "harness/control/testing/instant_ssh_server.h"
#include "harness/control/testing/test_ssh_server.h"

namespace faultline {
namespace {

std::unique_ptr<testing::TestSshServer> g_server;
std::string g_server_error;
std::shared_ptr<SshRemote> g_remote;
std::mutex g_remote_mu;

// One connected SshRemote shared by the threads of a benchmark.
SshRemote* SharedRemote(benchmark::State& state) {
  std::lock_guard<std::mutex> lock(g_remote_mu);
  if (!g_server) {
    state.SkipWithError(("SSH benchmarks skipped: " + g_server_error).c_str());
    return nullptr;
  }
  if (!g_remote) {
    g_remote = std::make_shared<SshRemote>(g_server->Options());
    if (Status st = g_remote->Connect(); !st.ok()) {
      g_remote.reset();
      state.SkipWithError(st.ToString().c_str());
      return nullptr;
    }
  }
  return g_remote.get();
}

double ProcessCpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

// client_cpu_us_per_cmd: CPU the harness process (all its threads) spent
// per command; 1e6 / it is what one client core could sustain against a node
// that answered instantly.
void RunTrueLoop(benchmark::State& state, Remote& remote) {
  const Command command = Command::Argv({"true"});
  int64_t failures = 0;
  double cpu_start = ProcessCpuMicros();
  for (auto _ : state) {
    Result<CommandResult> r = remote.Run(command);
    if (!r.ok() || r->exit_status != 0) ++failures;
  }
  double cpu = ProcessCpuMicros() - cpu_start;
  state.SetItemsProcessed(state.iterations());
  state.counters["failures"] = benchmark::Counter(static_cast<double>(failures));
  if (state.thread_index() == 0) {
    state.counters["client_cpu_us_per_cmd"] =
        cpu / static_cast<double>(state.iterations() * state.threads());
  }
}

void BM_SshSmallCommands(benchmark::State& state) {
  SshRemote* remote = SharedRemote(state);
  if (remote == nullptr) return;
  RunTrueLoop(state, *remote);
}
BENCHMARK(BM_SshSmallCommands)->Threads(1)->Threads(8)->UseRealTime()->MinTime(3.0);

// The same against an in-process server that answers every exec at once:
// the client's own ceiling (the goal, measurable on any machine).
std::unique_ptr<testing::InstantSshServer> g_instant;
std::shared_ptr<SshRemote> g_instant_remote;

void BM_SshSmallCommandsInstantServer(benchmark::State& state) {
  {
    std::lock_guard<std::mutex> lock(g_remote_mu);
    if (!g_instant_remote) {
      auto server = testing::InstantSshServer::Start();
      if (!server.ok()) {
        state.SkipWithError(server.status().ToString().c_str());
        return;
      }
      g_instant = std::move(server).value();
      g_instant_remote = std::make_shared<SshRemote>(g_instant->Options());
      if (Status st = g_instant_remote->Connect(); !st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
  }
  RunTrueLoop(state, *g_instant_remote);
}
BENCHMARK(BM_SshSmallCommandsInstantServer)->Threads(1)->Threads(8)->UseRealTime()->MinTime(3.0);

void BM_LocalSmallCommands(benchmark::State& state) {
  LocalRemote local;
  RunTrueLoop(state, local);
}
BENCHMARK(BM_LocalSmallCommands)->Threads(1)->Threads(8)->UseRealTime()->MinTime(2.0);

// What one fork+exec of /bin/true costs here, without any harness.
void BM_ForkExecBaseline(benchmark::State& state) {
  for (auto _ : state) {
    int rc = std::system("/bin/true");
    benchmark::DoNotOptimize(rc);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ForkExecBaseline)->UseRealTime()->MinTime(1.0);

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto server = faultline::testing::TestSshServer::Start();
  if (server.ok()) {
    faultline::g_server = std::move(server).value();
  } else {
    faultline::g_server_error = server.status().ToString();
  }
  benchmark::RunSpecifiedBenchmarks();
  faultline::g_remote.reset();
  faultline::g_server.reset();
  faultline::g_instant_remote.reset();
  faultline::g_instant.reset();
  benchmark::Shutdown();
  return 0;
}
