// Requests per second through a running balancer, straight from balance
// clients with no runner and no history: the baseline against which the
// balance workload's throughput under `faultline test` (which records every
// op) shows the harness's own cost.
//
//   FAULTLINE_BALANCER=10.77.1.11 build/bench/balance_bench
//
// needs a balancer set up and left running, e.g.
//   faultline test --target haproxy --workload balance --leave-running ...
// Without FAULTLINE_BALANCER the benchmark is skipped.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>

#include "targets/balancer_target.h"
#include "targets/client.h"

namespace faultline {
namespace {

std::atomic<int64_t> next_id{1'000'000'000};

void BM_RequestsThroughBalancer(benchmark::State& state) {
  const char* host = std::getenv("FAULTLINE_BALANCER");
  if (host == nullptr || *host == '\0') {
    state.SkipWithError("set FAULTLINE_BALANCER to the balancer's address");
    return;
  }
  BalancerOptions options;
  std::unique_ptr<Client> client = MakeBalanceClient(options, "balancer", {{"balancer", host, 8081}});
  if (!client->Open({"balancer", host, ""}).ok()) {
    state.SkipWithError("could not open a client");
    return;
  }
  Op op;
  op.f = "request";
  int64_t errors = 0;
  for (auto _ : state) {
    const int64_t id = next_id.fetch_add(1);
    op.value = Json{{"id", id}};
    op.key = "k" + std::to_string(id % 32);
    if (client->Invoke(op).type != OpType::kOk) ++errors;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["errors"] = static_cast<double>(errors);
}
BENCHMARK(BM_RequestsThroughBalancer)->Threads(8)->UseRealTime()->MinTime(10);

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
