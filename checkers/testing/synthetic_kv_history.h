// Synthetic kv histories for benchmarks and tests: a simulated linearizable
// key-value store (get / put / append on strings) under concurrent clients
// with random latencies, so operations really interleave; some writes crash
// (they may or may not take effect, and never complete); optionally one
// injected anomaly makes the history non-linearizable. Deterministic for a
// given seed.
//
// Each op takes effect at one instant strictly inside its interval (clients
// send, the store applies, the reply travels back), so without an anomaly the
// history is linearizable by construction.
#pragma once

#include <cstdint>
#include <queue>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "harness/history/op.h"

namespace faultline::testing {

enum class KvAnomaly {
  kNone,
  kStaleRead,         // a get returns the value from before a write that had completed
  kLostAppend,        // an append reports ok but never takes effect
  kDuplicatedAppend,  // an append takes effect twice (a duplicated chunk)
};

struct SyntheticKvOptions {
  int64_t ops = 4000;       // invocations in total
  int keys = 10;
  int clients = 50;         // concurrent clients, each with one op in flight at a time
  double crash_rate = 0.0;  // fraction of puts and appends that crash (never complete)
  double get_share = 0.46, put_share = 0.05;  // the rest are appends
  int max_latency = 100;    // each half of an op's round trip: uniform in [1, max_latency]
  int max_think = 10;       // a client's pause between ops: uniform in [0, max_think)
  KvAnomaly anomaly = KvAnomaly::kNone;
  // Crashed ops are written as info completions (true) or left without any
  // completion (false, as Porcupine's logs show them).
  bool crashed_as_info = false;
  uint64_t seed = 1;
};

inline History SyntheticKvHistory(const SyntheticKvOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0, 1);
  auto latency = [&] { return 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(o.max_latency)); };
  History h;
  h.source = "<synthetic-kv>";
  h.ops.reserve(static_cast<size_t>(o.ops) * 2);

  struct Client {
    int64_t process;
    int64_t seq = 0;
    std::string f;
    std::string key;
    std::string value;   // put / append argument
    std::string result;  // get result
    bool crashed = false;
    bool applies = true;  // a crashed op takes effect only sometimes
    bool anomalous = false;
    int64_t invoked_at = 0;
  };
  std::vector<Client> clients;
  for (int c = 0; c < o.clients; ++c) clients.push_back(Client{c});
  std::vector<std::string> store(o.keys);
  // Per key, in effect order: (effect time, write id or -1 when crashed, value
  // after) of every write that took effect, for stale reads.
  std::vector<std::vector<std::tuple<int64_t, int64_t, std::string>>> writes(o.keys);
  std::vector<int64_t> completed_at;  // per write: completion time (or -1)

  enum Kind { kInvoke = 0, kEffect = 1, kComplete = 2 };
  // (time, kind, client): effects at the same instant happen in client order.
  using Event = std::tuple<int64_t, int, int>;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
  for (int c = 0; c < o.clients; ++c) events.emplace(static_cast<int64_t>(rng() % 50), kInvoke, c);

  const int64_t anomaly_at = o.anomaly == KvAnomaly::kNone ? -1 : o.ops / 2 + static_cast<int64_t>(rng() % (o.ops / 4 + 1));
  bool anomaly_done = false;
  int64_t started = 0;
  auto emit = [&](const Client& c, OpType type, int64_t time, Json value) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.time = time;
    op.line = op.index + 1;
    op.type = type;
    op.process = c.process;
    op.f = c.f;
    op.key = c.key;
    op.value = std::move(value);
    h.ops.push_back(std::move(op));
  };

  while (!events.empty()) {
    auto [time, kind, ci] = events.top();
    events.pop();
    Client& c = clients[ci];
    if (kind == kInvoke) {
      if (started >= o.ops) continue;
      ++started;
      const int k = static_cast<int>(rng() % static_cast<uint64_t>(o.keys));
      c.key = std::to_string(k);
      const double r = unit(rng);
      c.f = r < o.get_share ? "get" : r < o.get_share + o.put_share ? "put" : "append";
      c.value = "x " + std::to_string(c.process) + " " + std::to_string(c.seq++) + " y";
      c.crashed = c.f != "get" && unit(rng) < o.crash_rate;
      c.applies = !c.crashed || unit(rng) < 0.5;
      c.anomalous = false;
      c.invoked_at = time;
      if (!anomaly_done && started >= anomaly_at && anomaly_at >= 0) {
        const bool want_get = o.anomaly == KvAnomaly::kStaleRead;
        if ((c.f == "get") == want_get && (want_get || c.f == "append") && !c.crashed) {
          // A stale read needs an earlier completed write on its key.
          bool possible = !want_get;
          for (const auto& [t, id, after] : writes[k]) {
            if (id >= 0 && completed_at[id] >= 0 && completed_at[id] < time) possible = true;
          }
          if (possible) {
            c.anomalous = true;
            anomaly_done = true;
          }
        }
      }
      emit(c, OpType::kInvoke, time, c.f == "get" ? Json() : Json(c.value));
      events.emplace(time + latency(), kEffect, ci);
      continue;
    }
    const int k = std::stoi(c.key);
    if (kind == kEffect) {
      if (c.f == "get") {
        c.result = store[k];
        if (c.anomalous) {
          // The value from before the latest write completed before this get began.
          for (auto it = writes[k].rbegin(); it != writes[k].rend(); ++it) {
            const auto& [t, id, after] = *it;
            if (id >= 0 && completed_at[id] >= 0 && completed_at[id] < c.invoked_at) {
              c.result = it + 1 == writes[k].rend() ? std::string() : std::get<2>(*(it + 1));
              break;
            }
          }
        }
      } else if (c.applies && !(c.anomalous && o.anomaly == KvAnomaly::kLostAppend)) {
        int times = c.anomalous && o.anomaly == KvAnomaly::kDuplicatedAppend ? 2 : 1;
        for (int i = 0; i < times; ++i) {
          store[k] = c.f == "put" ? c.value : store[k] + c.value;
        }
        const int64_t id = static_cast<int64_t>(completed_at.size());
        completed_at.push_back(-1);
        writes[k].emplace_back(time, c.crashed ? -1 : id, store[k]);
        c.result = std::to_string(id);  // the write's id, to mark its completion
      } else {
        c.result.clear();
      }
      if (c.crashed) {
        if (o.crashed_as_info) emit(c, OpType::kInfo, time, Json(c.value));
        c.process += o.clients;  // a crashed client is retired, as Jepsen does
        events.emplace(time + latency(), kInvoke, ci);
      } else {
        events.emplace(time + latency(), kComplete, ci);
      }
      continue;
    }
    // kComplete
    if (c.f == "get") {
      emit(c, OpType::kOk, time, Json(c.result));
    } else {
      if (!c.result.empty()) completed_at[std::stoll(c.result)] = time;
      emit(c, OpType::kOk, time, Json(c.value));
    }
    events.emplace(time + static_cast<int64_t>(rng() % static_cast<uint64_t>(o.max_think)), kInvoke, ci);
  }
  return h;
}

// The history in Porcupine's kv log format ({:process P, :type :invoke, :f :get,
// :key "K", :value nil}), which faultline's EDN reader also reads. Crashed ops
// have no completion line.
inline std::string ToPorcupineKvLog(const History& h) {
  std::string out;
  for (const Op& op : h.ops) {
    if (op.type == OpType::kInfo) continue;
    out += "{:process " + std::to_string(op.process) + ", :type :" +
           (op.type == OpType::kInvoke ? "invoke" : "ok") + ", :f :" + op.f + ", :key \"" +
           op.key.get<std::string>() + "\", :value " +
           (op.value.is_null() ? std::string("nil") : "\"" + op.value.get<std::string>() + "\"") +
           "}\n";
  }
  return out;
}

}  // namespace faultline::testing
