// The harness's own cost per operation: the register workload's generator
// driving in-memory register clients, every invocation and completion recorded
// to a history.jsonl on disk. Threads are left out: each op completes in the
// dispatching thread, so what is measured is generator + client bookkeeping +
// recording. Goal: >= 200,000 ops/s.
// Arguments: clients, then the writer's group-commit interval in ms (5 is what
// the runner uses; 0 writes every line with its own system call).
//   build/bench/runner_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>

#include "harness/generator/combinators.h"
#include "harness/generator/driver.h"
#include "harness/history/writer.h"
#include "targets/memory_target.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

void BM_GeneratorPlusRecording(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  const HistoryWriterOptions writer_options{.group_commit = std::chrono::milliseconds(state.range(1))};
  const std::string path =
      (std::filesystem::temp_directory_path() / "faultline_runner_bench.jsonl").string();
  std::unique_ptr<Target> target = MakeMemoryTarget();
  WorkloadOptions options;
  options.concurrency = clients;
  auto workload = MakeWorkload("register", options);
  NodeInfo node{"n1", "127.0.0.1", ""};
  std::vector<std::unique_ptr<Client>> pool;
  for (int i = 0; i < clients; ++i) {
    auto c = (*workload)->NewClient(*target);
    (void)(*c)->Open(node);
    pool.push_back(std::move(*c));
  }
  int64_t ops = 0;
  for (auto _ : state) {
    auto writer = JsonlHistoryWriter::Open(path, writer_options);
    gen::Driver driver(gen::Clients(gen::Limit(100000, (*workload)->Generator())),
                       {.client_count = clients, .nemesis = false, .seed = 1});
    int64_t now = 0;
    while (true) {
      auto d = driver.Next(now);
      if (!d.ok() || d->kind == gen::Driver::Decision::Kind::kDone) break;
      if (d->kind != gen::Driver::Decision::Kind::kInvoke) continue;
      Op op = d->op;
      op.time = now++;
      (void)(*writer)->Append(op);
      Op done = pool[static_cast<size_t>(d->thread)]->Invoke(op);
      done.time = now++;
      (void)(*writer)->Append(done);
      (void)driver.Complete(done);
      ++ops;
    }
    (void)(*writer)->Close();
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(ops);
}
BENCHMARK(BM_GeneratorPlusRecording)
    ->ArgNames({"clients", "group_commit_ms"})
    ->Args({10, 5})
    ->Args({100, 5})
    ->Args({10, 0})
    ->Args({100, 0})
    ->UseRealTime()  // the group-commit writer thread works too
    ->Unit(benchmark::kMillisecond);

// The same for the balance workload as the runner wraps it (time limit,
// clients, phases), 9 threads (8 request threads and the health reader),
// --rate 100000, ops completing 50 us of simulated time apart with a
// balance client's ok value: the controller's own CPU per request on top of
// the HTTP client's (see harness_cost_bench for the whole).
void BM_BalanceGeneratorPlusRecording(benchmark::State& state) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "faultline_runner_bench_balance.jsonl").string();
  WorkloadOptions options;
  options.concurrency = 9;
  options.rate = 100000;
  auto workload = MakeWorkload("balance", options);
  int64_t ops = 0;
  for (auto _ : state) {
    auto writer = JsonlHistoryWriter::Open(path, {.group_commit = std::chrono::milliseconds(5)});
    gen::GenPtr whole = gen::Phases(
        {gen::TimeLimit(std::chrono::seconds(5), gen::Clients((*workload)->Generator())),
         gen::Empty()});
    gen::Driver driver(whole, {.client_count = 9, .nemesis = true, .seed = 1});
    int64_t now = 0;
    std::vector<Op> running;
    while (true) {
      auto d = driver.Next(now);
      if (!d.ok() || d->kind == gen::Driver::Decision::Kind::kDone) break;
      if (d->kind == gen::Driver::Decision::Kind::kInvoke) {
        Op op = d->op;
        op.time = now;
        (void)(*writer)->Append(op);
        running.push_back(std::move(op));
        continue;
      }
      if (running.empty()) {  // waiting for the health reader's 100 ms
        now = d->wake_time;
        continue;
      }
      now += 50'000;
      Op done = std::move(running.front());
      running.erase(running.begin());
      done.type = OpType::kOk;
      done.time = now;
      if (done.f == "request") done.value = Json{{"id", done.value["id"]}, {"node", "n2"}};
      done.node = "n1";
      (void)(*writer)->Append(done);
      (void)driver.Complete(done);
      ++ops;
    }
    (void)(*writer)->Close();
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(ops);
}
BENCHMARK(BM_BalanceGeneratorPlusRecording)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
