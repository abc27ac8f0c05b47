// History reader and writer throughput. Goal: a 1M-op JSONL history parses in
// well under 2 s (BM_ParseJsonl/1000000 items_per_second above 500k/s).
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "harness/history/reader.h"
#include "harness/history/writer.h"

namespace faultline {
namespace {

// A register history shaped like a real run: 10 processes, invoke/ok pairs of
// read, write and cas on 5 keys, with times, some info and nemesis ops.
std::vector<Op> MakeOps(int64_t count) {
  std::vector<Op> ops(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    Op& op = ops[static_cast<size_t>(i)];
    int64_t pair = i / 2;
    op.index = i;
    op.time = i * 1000;
    op.process = pair % 10;
    op.key = "k" + std::to_string(pair % 5);
    switch (pair % 3) {
      case 0:
        op.f = "read";
        break;
      case 1:
        op.f = "write";
        op.value = pair % 7;
        break;
      default:
        op.f = "cas";
        op.value = Json::array({pair % 5, (pair + 1) % 5});
        break;
    }
    if (i % 2 == 0) {
      op.type = OpType::kInvoke;
    } else if (pair % 50 == 0) {
      op.type = OpType::kInfo;
      op.error = "timed-out";
    } else {
      op.type = OpType::kOk;
      if (op.f == "read") op.value = pair % 7;
    }
    if (pair % 1000 == 999 && i % 2 == 1) {
      op.process = kNemesisProcess;
      op.f = "start-partition";
      op.type = OpType::kInfo;
      op.key = nullptr;
      op.value = Json::object({{"n1", Json::array({"n2", "n3"})}});
    }
  }
  return ops;
}

const std::string& JsonlText(int64_t count) {
  static std::map<int64_t, std::string> cache;
  std::string& text = cache[count];
  if (text.empty()) {
    for (const Op& op : MakeOps(count)) {
      text += OpToJsonLine(op);
      text += '\n';
    }
  }
  return text;
}

void BM_ParseJsonl(benchmark::State& state) {
  const std::string& text = JsonlText(state.range(0));
  for (auto _ : state) {
    Result<History> history = ParseHistory(text, "bench", HistoryFormat::kJsonl);
    if (!history.ok()) {
      state.SkipWithError(history.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(history->ops.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseJsonl)->Arg(1000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_ParseEdn(benchmark::State& state) {
  std::string text = "[";
  for (int64_t i = 0; i < state.range(0); ++i) {
    text += i % 2 == 0 ? "{:process " : " {:process ";
    text += std::to_string(i / 2 % 10);
    text += i % 2 == 0 ? ", :type :invoke, :f :cas, :value [" : ", :type :ok, :f :cas, :value [";
    text += std::to_string(i % 5) + " " + std::to_string((i + 1) % 5) + "], :time ";
    text += std::to_string(i * 1000) + "}\n";
  }
  text += "]";
  for (auto _ : state) {
    Result<History> history = ParseHistory(text, "bench", HistoryFormat::kEdn);
    if (!history.ok()) {
      state.SkipWithError(history.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(history->ops.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ParseEdn)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_WriteJsonlLines(benchmark::State& state) {
  std::vector<Op> ops = MakeOps(state.range(0));
  for (auto _ : state) {
    size_t bytes = 0;
    for (const Op& op : ops) bytes += OpToJsonLine(op).size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_WriteJsonlLines)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace faultline

BENCHMARK_MAIN();
