// Synthetic register histories for benchmarks and tests: a simulated
// linearizable cas-register service under concurrent clients, with crashes.
// Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "harness/history/op.h"

namespace faultline::testing {

struct SyntheticOptions {
  int64_t ops = 10000;          // operations (invocations) in total
  int keys = 1;                 // independent registers
  int processes_per_key = 5;    // concurrent clients on each key
  double crash_rate = 0.0;      // fraction of ops that end in info (or never complete)
  int value_domain = 0;         // 0: every written value is unique; else values in [0, n)
  uint64_t seed = 1;
};

// Each op takes effect at a random instant while in flight, so the history is
// linearizable. A CAS whose compare fails completes as fail.
inline History SyntheticRegisterHistory(const SyntheticOptions& o) {
  std::mt19937_64 rng(o.seed);
  History h;
  h.source = "<synthetic>";
  h.ops.reserve(static_cast<size_t>(o.ops) * 2);
  struct Proc {
    int64_t process;
    int key;
    bool busy = false, applied = false;
    std::string f;
    Json value, result;
  };
  std::vector<Proc> procs;
  const int total = o.keys * o.processes_per_key;
  for (int i = 0; i < total; ++i) procs.push_back(Proc{i, i % o.keys});
  std::vector<Json> state(o.keys, Json());
  int64_t next_value = 0, started = 0, busy = 0;
  auto fresh = [&]() -> Json {
    if (o.value_domain > 0) return Json(static_cast<int64_t>(rng() % o.value_domain));
    return Json(next_value++);
  };
  auto emit = [&](const Proc& p, OpType type, const Json& value) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.time = op.index * 1000;
    op.line = op.index + 1;
    op.type = type;
    op.process = p.process;
    op.f = p.f;
    op.value = value;
    op.key = o.keys > 1 ? Json(p.key) : Json();
    h.ops.push_back(std::move(op));
  };
  auto apply = [&](Proc& p) {
    Json& s = state[p.key];
    if (p.f == "read") {
      p.result = s;
    } else if (p.f == "write") {
      s = p.value;
      p.result = p.value;
    } else if (s == p.value[0]) {
      s = p.value[1];
      p.result = p.value;
    } else {
      p.result = nullptr;  // compare failed
    }
    p.applied = true;
  };
  std::uniform_real_distribution<double> unit(0, 1);
  while (started < o.ops || busy > 0) {
    Proc& p = procs[rng() % procs.size()];
    if (!p.busy) {
      if (started >= o.ops) continue;
      const double r = unit(rng);
      if (r < 0.5) {
        p.f = "read";
        p.value = nullptr;
      } else if (r < 0.75) {
        p.f = "write";
        p.value = fresh();
      } else {
        p.f = "cas";
        Json expected = unit(rng) < 0.7 && !state[p.key].is_null() ? state[p.key] : fresh();
        p.value = Json::array({expected, fresh()});
      }
      p.busy = true;
      p.applied = false;
      ++started;
      ++busy;
      emit(p, OpType::kInvoke, p.value);
      continue;
    }
    if (!p.applied) {
      if (unit(rng) < 0.5) apply(p);
      continue;
    }
    p.busy = false;
    --busy;
    if (unit(rng) < o.crash_rate) {
      emit(p, OpType::kInfo, p.value);
      p.process += total;  // Jepsen retires a process whose op crashed
      continue;
    }
    if (p.f == "cas" && p.result.is_null()) {
      emit(p, OpType::kFail, p.value);
    } else {
      emit(p, OpType::kOk, p.result);
    }
  }
  return h;
}

}  // namespace faultline::testing
