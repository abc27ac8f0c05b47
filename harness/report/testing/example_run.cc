#include "harness/report/testing/example_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "checkers/perf.h"
#include "checkers/stats.h"
#include "harness/history/writer.h"

namespace faultline::report::testing {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMs = 1000000, kSec = 1000000000;
constexpr int kNodes = 3;
constexpr int64_t kTimeout = kSec;
constexpr int64_t kRecovery = 2 * kSec;  // slow period after each fault ends

enum class FaultKind { kIsolate, kKill, kPause };

struct Fault {
  FaultKind kind;
  int node;         // the isolated, killed or paused node (0-based)
  double from, to;  // fractions of the test duration
  std::string open_f, close_f, value;
  int64_t start = 0, end = 0;  // ns, filled from the fractions
};

enum class Condition { kNormal, kRecovering, kMajority, kMinority, kKilled, kPaused };

struct SimOp {
  int client = 0;
  int64_t process = 0;
  std::string f;
  int key = 0;
  Json value;
  int64_t invoke = 0, complete = 0, lin = 0;
  OpType outcome = OpType::kOk;
  bool applied = false;
  Json result, error;
};

Condition ConditionAt(const std::vector<Fault>& faults, int node, int64_t t) {
  bool recovering = false;
  for (const Fault& f : faults) {
    if (t >= f.start && t < f.end) {
      switch (f.kind) {
        case FaultKind::kIsolate:
          return node == f.node ? Condition::kMinority : Condition::kMajority;
        case FaultKind::kKill:
          if (node == f.node) return Condition::kKilled;
          break;
        case FaultKind::kPause:
          if (node == f.node) return Condition::kPaused;
          break;
      }
      recovering = true;  // the others see a leader change
    }
    if (t >= f.end && t < f.end + kRecovery) recovering = true;
  }
  return recovering ? Condition::kRecovering : Condition::kNormal;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Status::IoError(path.string() + ": cannot write");
  return Status::Ok();
}

// Replaces an ok read's result by a value that was overwritten before the
// read began: no linearization can explain it.
bool PlantStaleRead(std::vector<SimOp>& ops) {
  std::vector<size_t> order(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ops[a].invoke < ops[b].invoke; });
  for (size_t k = order.size() * 2 / 3; k < order.size(); ++k) {
    SimOp& read = ops[order[k]];
    if (read.f != "read" || read.outcome != OpType::kOk) continue;
    for (const SimOp& w1 : ops) {
      if (w1.key != read.key || w1.f != "write" || w1.outcome != OpType::kOk ||
          w1.complete >= read.invoke) {
        continue;
      }
      for (const SimOp& w2 : ops) {
        if (w2.key == read.key && w2.f == "write" && w2.outcome == OpType::kOk &&
            w2.invoke > w1.complete && w2.complete < read.invoke) {
          read.result = w1.value;
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace

Status WriteExampleRun(const std::string& dir, const ExampleRunOptions& o) {
  if (o.ops <= 0 || o.clients <= 0 || o.keys <= 0 || !(o.seconds > 0)) {
    return Status::InvalidArgument("WriteExampleRun: ops, clients, keys and seconds must be > 0");
  }
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> normal(0, 1);
  const int64_t duration = static_cast<int64_t>(o.seconds * kSec);
  auto lognormal = [&](double median_ms, double sigma) {
    return std::max<int64_t>(1000,
                             static_cast<int64_t>(median_ms * kMs * std::exp(sigma * normal(rng))));
  };

  std::vector<Fault> faults = {
      {FaultKind::kIsolate, 2, 0.10, 0.27, "start-partition", "stop-partition", "n3 | n1 n2"},
      {FaultKind::kKill, 1, 0.37, 0.50, "kill", "start", "n2"},
      {FaultKind::kPause, 0, 0.60, 0.73, "pause", "resume", "n1"},
      {FaultKind::kIsolate, 0, 0.83, 0.93, "start-partition", "stop-partition", "n1 | n2 n3"},
  };
  for (Fault& f : faults) {
    f.start = static_cast<int64_t>(f.from * static_cast<double>(duration));
    f.end = static_cast<int64_t>(f.to * static_cast<double>(duration));
  }

  // Timing and outcome of every op, client by client.
  std::vector<SimOp> ops;
  ops.reserve(static_cast<size_t>(o.ops));
  // Slightly faster than ops / duration, so that timeouts do not push the
  // run past its duration; a client stops at the duration.
  const double mean_gap =
      0.6 * static_cast<double>(duration) * o.clients / static_cast<double>(o.ops);
  std::exponential_distribution<double> think(1.0 / mean_gap);
  for (int c = 0; c < o.clients; ++c) {
    const int64_t count = o.ops / o.clients + (c < o.ops % o.clients ? 1 : 0);
    int64_t process = c;
    int64_t t = static_cast<int64_t>(unit(rng) * mean_gap);
    const int node = c % kNodes;
    for (int64_t i = 0; i < count && t < duration; ++i) {
      SimOp op;
      op.client = c;
      op.process = process;
      const double r = unit(rng);
      op.f = r < 0.5 ? "read" : r < 0.8 ? "write" : "cas";
      op.key = static_cast<int>(rng() % static_cast<uint64_t>(o.keys));
      op.invoke = t;
      int64_t latency = 0;
      switch (ConditionAt(faults, node, t)) {
        case Condition::kKilled:
          latency = lognormal(0.5, 0.4);
          op.outcome = OpType::kFail;
          op.error = "connection-refused";
          break;
        case Condition::kPaused:
          latency = kTimeout;
          op.outcome = OpType::kInfo;
          op.error = "timed-out";
          break;
        case Condition::kMinority:
          if (unit(rng) < 0.75) {
            latency = kTimeout;
            op.outcome = OpType::kInfo;
            op.error = "timed-out";
          } else {
            latency = lognormal(3, 0.3);
            op.outcome = OpType::kFail;
            op.error = "no-leader";
          }
          break;
        case Condition::kMajority:
          latency = lognormal(4, 0.6);
          op.applied = true;
          break;
        case Condition::kRecovering:
          if (unit(rng) < 0.03) {
            latency = kTimeout;
            op.outcome = OpType::kInfo;
            op.error = "timed-out";
            op.applied = unit(rng) < 0.5;
          } else {
            latency = lognormal(8, 0.8);
            op.applied = true;
          }
          break;
        case Condition::kNormal:
          if (unit(rng) < 0.002) {
            latency = kTimeout;
            op.outcome = OpType::kInfo;
            op.error = "timed-out";
            op.applied = unit(rng) < 0.5;
          } else {
            latency = lognormal(op.f == "read" ? 1.0 : 1.6, 0.5);
            op.applied = true;
          }
          break;
      }
      op.complete = t + latency;
      op.lin = t + static_cast<int64_t>((0.1 + 0.8 * unit(rng)) * static_cast<double>(latency));
      if (op.outcome == OpType::kInfo) process += o.clients;  // Jepsen retires it
      t = op.complete + static_cast<int64_t>(think(rng));
      ops.push_back(std::move(op));
    }
  }

  // Values in invocation order: writes are unique; a cas usually expects the
  // latest value invoked on its key.
  std::vector<size_t> by_invoke(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) by_invoke[i] = i;
  std::sort(by_invoke.begin(), by_invoke.end(),
            [&](size_t a, size_t b) { return ops[a].invoke < ops[b].invoke; });
  std::vector<Json> latest(static_cast<size_t>(o.keys));
  int64_t next_value = 1;
  for (size_t i : by_invoke) {
    SimOp& op = ops[i];
    Json& last = latest[static_cast<size_t>(op.key)];
    if (op.f == "write") {
      op.value = next_value++;
      last = op.value;
    } else if (op.f == "cas") {
      const Json expected = !last.is_null() && unit(rng) < 0.8 ? last : Json(next_value - 3);
      op.value = Json::array({expected, next_value++});
      last = op.value[1];
    }
  }

  // Effects in linearization order decide reads and cas outcomes.
  std::vector<size_t> by_lin(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) by_lin[i] = i;
  std::sort(by_lin.begin(), by_lin.end(),
            [&](size_t a, size_t b) { return ops[a].lin < ops[b].lin; });
  std::vector<Json> state(static_cast<size_t>(o.keys));
  for (size_t i : by_lin) {
    SimOp& op = ops[i];
    if (!op.applied) continue;
    Json& s = state[static_cast<size_t>(op.key)];
    if (op.f == "read") {
      op.result = s;
    } else if (op.f == "write") {
      s = op.value;
    } else if (s == op.value[0]) {
      s = op.value[1];
    } else if (op.outcome == OpType::kOk) {
      op.outcome = OpType::kFail;
      op.error = "cas-mismatch";
    }
  }
  if (o.invalid && !PlantStaleRead(ops)) {
    return Status::Internal("WriteExampleRun: no read to plant a stale value in; use more ops");
  }

  // The history: invocations and completions by time, nemesis ops among them.
  struct Event {
    int64_t time;
    int order;  // invocations before completions at equal times
    Op op;
  };
  std::vector<Event> events;
  events.reserve(ops.size() * 2 + faults.size() * 4);
  for (const SimOp& s : ops) {
    Op inv;
    inv.type = OpType::kInvoke;
    inv.process = s.process;
    inv.f = s.f;
    inv.value = s.value;
    inv.key = s.key;
    inv.node = "n" + std::to_string(s.client % kNodes + 1);
    inv.time = s.invoke;
    Op done = inv;
    done.type = s.outcome;
    done.time = s.complete;
    done.error = s.error;
    if (s.outcome == OpType::kOk && s.f == "read") done.value = s.result;
    events.push_back({inv.time, 0, std::move(inv)});
    events.push_back({done.time, 1, std::move(done)});
  }
  for (const Fault& f : faults) {
    auto nemesis = [&](const std::string& name, int64_t t, int64_t took) {
      Op inv;
      inv.type = OpType::kInvoke;
      inv.process = kNemesisProcess;
      inv.f = name;
      inv.value = f.value;
      inv.time = t;
      Op done = inv;
      done.type = OpType::kInfo;
      done.time = t + took;
      events.push_back({inv.time, 0, std::move(inv)});
      events.push_back({done.time, 1, std::move(done)});
    };
    nemesis(f.open_f, f.start, 40 * kMs);
    nemesis(f.close_f, f.end, f.kind == FaultKind::kKill ? 600 * kMs : 30 * kMs);
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : a.order < b.order;
  });
  History history;
  history.source = "history.jsonl";
  for (Event& e : events) {
    e.op.index = static_cast<int64_t>(history.ops.size());
    e.op.line = e.op.index + 1;
    history.ops.push_back(std::move(e.op));
  }

  // The real checkers.
  using Clock = std::chrono::steady_clock;
  auto timed = [](auto&& check) {
    const auto start = Clock::now();
    Json j = check();
    j["duration_ns"] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    return j;
  };
  Result<std::unique_ptr<Model>> model = MakeModel("cas-register");
  if (!model.ok()) return model.status();
  Status lin_error;
  Json lin = timed([&] {
    Result<LinearizabilityResult> r = CheckLinearizability(history, **model, Json());
    if (!r.ok()) {
      lin_error = r.status();
      return Json::object();
    }
    return r->ToJson();
  });
  if (!lin_error.ok()) return lin_error;
  const Json expected = !o.invalid;
  if (lin["valid"] != expected) {
    return Status::Internal("WriteExampleRun: linearizability says " + lin["valid"].dump() +
                            ", expected " + expected.dump());
  }
  StatsChecker stats;
  PerfChecker perf;
  Json checkers = {{"linearizability", lin},
                   {"stats", timed([&] { return stats.Check(history).details; })},
                   {"perf", timed([&] { return perf.Check(history).details; })}};
  Validity verdict = Validity::kValid;
  for (const auto& [name, r] : checkers.items()) {
    const Validity v = r["valid"] == true    ? Validity::kValid
                       : r["valid"] == false ? Validity::kInvalid
                                             : Validity::kUnknown;
    verdict = Combine(verdict, v);
  }

  const int64_t setup = 3200 * kMs, run_end = setup + duration + kSec;
  const Json phases = Json::array({
      {{"name", "setup"}, {"start_ns", 0}, {"end_ns", setup}, {"status", "ok"}},
      {{"name", "run"}, {"start_ns", setup}, {"end_ns", run_end}, {"status", "ok"}},
      {{"name", "heal"}, {"start_ns", run_end}, {"end_ns", run_end + 150 * kMs}, {"status", "ok"}},
      {{"name", "final reads"},
       {"start_ns", run_end + 150 * kMs},
       {"end_ns", run_end + 900 * kMs},
       {"status", "ok"}},
      {{"name", "download logs"},
       {"start_ns", run_end + 900 * kMs},
       {"end_ns", run_end + 1700 * kMs},
       {"status", "ok"}},
      {{"name", "teardown"},
       {"start_ns", run_end + 1700 * kMs},
       {"end_ns", run_end + 3000 * kMs},
       {"status", "ok"}},
      {{"name", "check"},
       {"start_ns", run_end + 3000 * kMs},
       {"end_ns", run_end + 3400 * kMs},
       {"status", "ok"}},
  });
  const Json results = {
      {"valid", ValidityToJson(verdict)}, {"checkers", checkers}, {"phases", phases}};
  const Json test = {{"name", "etcd-register"},
                     {"target", "etcd"},
                     {"workload", "register"},
                     {"nemesis", Json::array({"partition", "kill", "pause"})},
                     {"nodes", Json::array({"n1", "n2", "n3"})},
                     {"concurrency", o.clients},
                     {"time_limit", o.seconds},
                     {"nemesis_interval", o.seconds / 10},
                     {"seed", o.seed},
                     {"keys", o.keys},
                     {"ssh", {{"user", "root"}, {"port", 22}, {"strict_host_key_checking", true}}}};

  std::error_code ec;
  fs::create_directories(fs::path(dir) / "nodes", ec);
  if (ec) return Status::IoError(dir + ": cannot create: " + ec.message());
  Status s = WriteJsonlHistory(history, (fs::path(dir) / "history.jsonl").string());
  if (!s.ok()) return s;
  s = WriteText(fs::path(dir) / "test.json", test.dump(2) + "\n");
  if (!s.ok()) return s;
  s = WriteText(fs::path(dir) / "results.json", results.dump(2) + "\n");
  if (!s.ok()) return s;
  s = WriteText(
      fs::path(dir) / "harness.log",
      "0.000 setup: etcd on n1 n2 n3\n3.200 run: 10 clients, nemesis partition,kill,pause\n" +
          std::to_string(run_end / kSec) + ".000 heal, final reads, teardown\n");
  if (!s.ok()) return s;
  for (int n = 1; n <= kNodes; ++n) {
    const fs::path node = fs::path(dir) / "nodes" / ("n" + std::to_string(n));
    fs::create_directories(node, ec);
    if (ec) return Status::IoError(node.string() + ": cannot create: " + ec.message());
    s = WriteText(node / "etcd.log", "etcd n" + std::to_string(n) + " started\n");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace faultline::report::testing
