#include "checkers/balance_checker.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace faultline {
namespace {

constexpr int64_t kMs = 1'000'000;  // ns

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// What the balance workload's history says, in one pass.
struct Config {
  bool known = false;
  std::string balancer, kind, algorithm, hash_type;
  int64_t bound_ns = -1;   // -1: no failover bound (nginx)
  int64_t settle_ns = 5'000 * kMs;
  bool has_health = false;
  std::vector<std::string> nodes;  // backends, from health or from what answered
};

struct Observation {  // an ok "backends" op with health
  int64_t invoke = 0, complete = 0;
  Json health, sessions;
};

struct Request {
  int64_t invoke = 0, complete = -1;  // -1: never completed
  OpType type = OpType::kInfo;
  int64_t id = -1;
  std::string key;
  std::string node;  // who answered (ok only)
};

struct Window {
  std::string kind, node;
  int64_t invoked = 0;  // the fault op's invocation: it may act from here on
  int64_t start = 0, end = 0, recovered = 0;
};

struct Analysis {
  Config config;
  std::vector<Observation> observations;
  std::vector<Request> requests;
  std::vector<Window> windows;
  Json applied;  // the last ok "applied" value, or null
  int64_t last_time = 0;
};

bool IsDown(const Json& status) {
  if (!status.is_string()) return false;
  const std::string s = status.get<std::string>();
  return s.rfind("DOWN", 0) == 0 || s.rfind("MAINT", 0) == 0;
}

std::vector<std::string> Names(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const Json& n : list) {
    if (n.is_string()) out.push_back(n.get<std::string>());
  }
  return out;
}

Result<Analysis> Analyze(const History& history) {
  Analysis a;
  Result<std::vector<OpPair>> pairs = PairOps(history);
  if (!pairs.ok()) return pairs.status();
  std::set<std::string> nodes;
  for (const Op& op : history.ops) a.last_time = std::max(a.last_time, op.time);
  for (const OpPair& p : *pairs) {
    const Op& inv = history.ops[p.invoke];
    const Op* done = p.completion ? &history.ops[*p.completion] : nullptr;
    if (inv.f == "backends" && done && done->type == OpType::kOk && done->value.is_object()) {
      const Json& v = done->value;
      if (!a.config.known) {
        a.config.known = true;
        a.config.balancer = v.value("balancer", "");
        a.config.kind = v.value("kind", "");
        a.config.algorithm = v.value("algorithm", "");
        a.config.hash_type = v.value("hash_type", Json()).is_string() ? v["hash_type"].get<std::string>() : "";
        if (v.value("bound_ms", Json()).is_number()) {
          a.config.bound_ns = static_cast<int64_t>(v["bound_ms"].get<double>() * kMs);
        }
        if (v.value("settle_ms", Json()).is_number()) {
          a.config.settle_ns = static_cast<int64_t>(v["settle_ms"].get<double>() * kMs);
        } else if (v.value("inter_ms", Json()).is_number() && v.value("rise", Json()).is_number()) {
          a.config.settle_ns =
              (v["rise"].get<int64_t>() + 1) * v["inter_ms"].get<int64_t>() * kMs + 1000 * kMs;
        }
      }
      if (v.contains("health") && v["health"].is_object()) {
        a.config.has_health = true;
        for (const auto& [n, s] : v["health"].items()) nodes.insert(n);
        a.observations.push_back({inv.time, done->time, v["health"],
                                   v.value("sessions", Json::object())});
      }
    } else if (inv.f == "request") {
      Request r;
      r.invoke = inv.time;
      if (inv.value.is_object() && inv.value.value("id", Json()).is_number_integer()) {
        r.id = inv.value["id"].get<int64_t>();
      }
      r.key = inv.key.is_string() ? inv.key.get<std::string>() : inv.key.dump();
      if (done) {
        r.complete = done->time;
        r.type = done->type;
        if (done->type == OpType::kOk && done->value.is_object()) {
          r.node = done->value.value("node", "");
          if (!r.node.empty()) nodes.insert(r.node);
        }
      }
      a.requests.push_back(std::move(r));
    } else if (inv.f == "applied" && done && done->type == OpType::kOk && done->value.is_object()) {
      a.applied = done->value;
      for (const auto& [n, ids] : done->value.items()) nodes.insert(n);
    }
  }
  a.config.nodes.assign(nodes.begin(), nodes.end());

  // Fault windows from the nemesis ops.
  std::map<std::string, std::vector<size_t>> open;  // kind -> indices into windows
  int64_t last_invoke = 0;
  auto close = [&](const std::string& kind, const std::vector<std::string>& which, int64_t end,
                   int64_t recovered, bool all) {
    std::vector<size_t> still;
    for (size_t i : open[kind]) {
      Window& w = a.windows[i];
      if (all || std::find(which.begin(), which.end(), w.node) != which.end()) {
        w.end = end;
        w.recovered = recovered;
      } else {
        still.push_back(i);
      }
    }
    open[kind] = still;
  };
  auto begin = [&](const std::string& kind, const std::vector<std::string>& which, int64_t t) {
    for (const std::string& n : which) {
      a.windows.push_back({kind, n, last_invoke, t, -1, -1});
      open[kind].push_back(a.windows.size() - 1);
    }
  };
  for (const Op& op : history.ops) {
    if (!op.is_nemesis()) continue;
    if (op.type == OpType::kInvoke) {
      last_invoke = op.time;
      continue;
    }
    if (op.type == OpType::kFail) continue;  // certainly nothing was done
    const Json& v = op.value;
    if (op.f == "kill" && v.is_object()) {
      begin("kill", Names(v.value("killed", Json())), op.time);
    } else if (op.f == "pause" && v.is_object()) {
      begin("pause", Names(v.value("paused", Json())), op.time);
    } else if (op.f == "start-partition" && v.is_object() && v.contains("grudge")) {
      close("partition", {}, last_invoke, op.time, true);  // a new partition replaces the old
      std::set<std::string> cut;
      const Json& g = v["grudge"];
      if (g.is_object()) {
        for (const auto& [n, peers] : g.items()) {
          for (const std::string& p : Names(peers)) {
            if (n == a.config.balancer) cut.insert(p);
            if (p == a.config.balancer) cut.insert(n);
          }
        }
      }
      begin("partition", std::vector<std::string>(cut.begin(), cut.end()), op.time);
    } else if (op.f == "start") {
      close("kill", Names(v.is_object() ? v.value("started", Json()) : Json()), last_invoke,
            op.time, false);
    } else if (op.f == "resume") {
      std::vector<std::string> which = Names(v.is_object() ? v.value("resumed", Json()) : Json());
      for (const std::string& n : Names(v.is_object() ? v.value("not-running", Json()) : Json())) {
        which.push_back(n);
      }
      close("pause", which, last_invoke, op.time, false);
    } else if (op.f == "stop-partition") {
      close("partition", {}, last_invoke, op.time, true);
    } else if (op.f == "heal") {
      for (const char* k : {"kill", "pause", "partition"}) close(k, {}, last_invoke, op.time, true);
    }
  }
  for (Window& w : a.windows) {
    if (w.end < 0) w.end = w.recovered = a.last_time;
  }
  return a;
}

// True when t falls in a window or in its settling time.
bool Disturbed(const Analysis& a, int64_t t) {
  for (const Window& w : a.windows) {
    if (t >= w.invoked && t <= w.recovered + a.config.settle_ns) return true;
  }
  return false;
}

// The completion time of the first health read inside [from, to] that shows
// every node of `nodes` down; -1 when none does.
int64_t FirstDown(const Analysis& a, const std::vector<std::string>& nodes, int64_t from,
                  int64_t to) {
  for (const Observation& o : a.observations) {
    if (o.invoke < from || o.complete > to) continue;
    bool all = true;
    for (const std::string& n : nodes) all = all && IsDown(o.health.value(n, Json()));
    if (all) return o.complete;
  }
  return -1;
}

CheckResult BalanceUnknown(const std::string& reason) {
  CheckResult r;
  r.valid = Validity::kUnknown;
  r.details = {{"valid", ValidityToJson(r.valid)}, {"reason", reason}};
  return r;
}

CheckResult NotApplicable(const std::string& reason) {
  CheckResult r;
  r.valid = Validity::kValid;
  r.details = {{"valid", true}, {"applicable", false}, {"reason", reason}};
  return r;
}

Json Summary(std::vector<double> v) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  return {{"count", v.size()}, {"min", v.front()}, {"median", v[v.size() / 2]}, {"max", v.back()}};
}

class FailoverChecker final : public Checker {
 public:
  std::string name() const override { return "failover"; }
  CheckResult Check(const History& history) override {
    Result<Analysis> got = Analyze(history);
    if (!got.ok()) return BalanceUnknown(got.status().ToString());
    const Analysis& a = *got;
    if (!a.config.known) return BalanceUnknown("no ok \"backends\" op: the balancer's configuration is unknown");
    if (!a.config.has_health || a.config.bound_ns < 0) {
      return NotApplicable(a.config.kind + " reports no backend health; failover is not measured");
    }
    const int64_t bound = a.config.bound_ns;
    Json faults = Json::array(), violations = Json::array();
    std::map<std::string, std::vector<double>> detect_by_kind;
    std::vector<double> all;
    for (const Window& w : a.windows) {
      Json f = {{"kind", w.kind}, {"node", w.node}, {"start_ms", Ms(w.start)}, {"end_ms", Ms(w.end)}};
      // Down already when the fault began (an earlier fault not yet risen)?
      bool already = false;
      for (const Observation& o : a.observations) {
        if (o.complete <= w.start) already = IsDown(o.health.value(w.node, Json()));
      }
      const int64_t down = FirstDown(a, {w.node}, w.start, w.end);
      if (already) {
        f["status"] = "already-down";
      } else if (down >= 0) {
        const double d = Ms(down - w.start);
        f["detect_ms"] = d;
        detect_by_kind[w.kind].push_back(d);
        all.push_back(d);
        f["status"] = down - w.start <= bound ? "detected" : "late";
        if (down - w.start > bound) {
          violations.push_back(w.kind + " of " + w.node + " at " + std::to_string(Ms(w.start)) +
                               " ms: detected after " + std::to_string(d) + " ms > bound " +
                               std::to_string(Ms(bound)) + " ms");
        }
      } else {
        bool seen_up_late = false;
        for (const Observation& o : a.observations) {
          if (o.invoke >= w.start + bound && o.complete <= w.end) seen_up_late = true;
        }
        f["status"] = seen_up_late ? "undetected" : "too-short";
        if (seen_up_late) {
          violations.push_back(w.kind + " of " + w.node + " at " + std::to_string(Ms(w.start)) +
                               " ms: still UP after the bound of " + std::to_string(Ms(bound)) + " ms");
        }
      }
      // Requests sent to it after the bound: its session count grows.
      const Observation* prev = nullptr;
      int64_t late_sessions = 0;
      for (const Observation& o : a.observations) {
        if (o.invoke < w.start + bound || o.complete > w.end) continue;
        if (prev && o.sessions.value(w.node, Json()).is_number() &&
            prev->sessions.value(w.node, Json()).is_number()) {
          late_sessions += o.sessions[w.node].get<int64_t>() - prev->sessions[w.node].get<int64_t>();
        }
        prev = &o;
      }
      f["sessions_after_bound"] = late_sessions;
      if (late_sessions > 0) {
        violations.push_back(w.kind + " of " + w.node + " at " + std::to_string(Ms(w.start)) +
                             " ms: " + std::to_string(late_sessions) +
                             " requests sent to it after the bound");
      }
      faults.push_back(f);
    }
    Json by_kind = Json::object();
    for (const auto& [k, v] : detect_by_kind) by_kind[k] = Summary(v);
    CheckResult r;
    r.valid = violations.empty() ? Validity::kValid : Validity::kInvalid;
    r.details = {{"valid", ValidityToJson(r.valid)}, {"applicable", true},
                 {"bound_ms", Ms(bound)},        {"faults", faults},
                 {"detect_ms", Summary(all)},    {"detect_ms_by_kind", by_kind},
                 {"violations", violations}};
    return r;
  }
};

class ErrorsChecker final : public Checker {
 public:
  std::string name() const override { return "balance-errors"; }
  CheckResult Check(const History& history) override {
    Result<Analysis> got = Analyze(history);
    if (!got.ok()) return BalanceUnknown(got.status().ToString());
    const Analysis& a = *got;
    const int64_t bound = a.config.bound_ns;
    Json windows = Json::array(), violations = Json::array();
    struct Count {
      int64_t requests = 0, errors = 0;
    };
    std::map<std::string, Count> by_kind;
    for (const Window& w : a.windows) {
      int64_t ok = 0, fail = 0, info = 0, late = 0;
      for (const Request& q : a.requests) {
        if (q.invoke < w.invoked || q.invoke > w.recovered) continue;
        const bool error = q.type != OpType::kOk;
        q.type == OpType::kOk ? ++ok : q.type == OpType::kFail ? ++fail : ++info;
        if (error && bound >= 0 && q.invoke >= w.start + bound && q.invoke <= w.end) ++late;
      }
      by_kind[w.kind].requests += ok + fail + info;
      by_kind[w.kind].errors += fail + info;
      windows.push_back({{"kind", w.kind}, {"node", w.node}, {"start_ms", Ms(w.start)},
                         {"end_ms", Ms(w.end)}, {"ok", ok}, {"fail", fail}, {"info", info},
                         {"errors_after_bound", late}});
      if (late > 0) {
        violations.push_back(w.kind + " of " + w.node + " at " + std::to_string(Ms(w.start)) +
                             " ms: " + std::to_string(late) +
                             " requests failed although invoked after the failover bound");
      }
    }
    Count outside;
    for (const Request& q : a.requests) {
      if (Disturbed(a, q.invoke)) continue;
      ++outside.requests;
      if (q.type != OpType::kOk) ++outside.errors;
    }
    Json kinds = Json::object();
    for (const auto& [k, c] : by_kind) {
      kinds[k] = {{"requests", c.requests}, {"errors", c.errors},
                  {"error_rate", c.requests ? static_cast<double>(c.errors) / c.requests : 0.0}};
    }
    CheckResult r;
    r.valid = violations.empty() ? Validity::kValid : Validity::kInvalid;
    r.details = {{"valid", ValidityToJson(r.valid)},
                 {"bound_ms", bound >= 0 ? Json(Ms(bound)) : Json()},
                 {"windows", windows},
                 {"by_kind", kinds},
                 {"outside_faults", {{"requests", outside.requests}, {"errors", outside.errors}}},
                 {"violations", violations}};
    return r;
  }
};

class DistributionChecker final : public Checker {
 public:
  explicit DistributionChecker(BalanceCheckOptions o) : o_(o) {}
  std::string name() const override { return "distribution"; }
  CheckResult Check(const History& history) override {
    Result<Analysis> got = Analyze(history);
    if (!got.ok()) return BalanceUnknown(got.status().ToString());
    const Analysis& a = *got;
    if (!a.config.known) return BalanceUnknown("no ok \"backends\" op: the algorithm is unknown");
    std::map<std::string, int64_t> counts;
    for (const std::string& n : a.config.nodes) counts[n] = 0;
    int64_t total = 0;
    for (const Request& q : a.requests) {
      if (q.type != OpType::kOk || q.node.empty() || Disturbed(a, q.invoke)) continue;
      ++counts[q.node];
      ++total;
    }
    const double n = static_cast<double>(counts.size());
    Json shares = Json::object();
    double max_dev = 0, chi2 = 0;
    for (const auto& [node, c] : counts) {
      const double expected = total / n;
      const double share = total ? c / static_cast<double>(total) : 0;
      shares[node] = {{"requests", c}, {"share", share}};
      if (expected > 0) {
        max_dev = std::max(max_dev, std::fabs(c - expected) / expected);
        chi2 += (c - expected) * (c - expected) / expected;
      }
    }
    const bool judged = a.config.algorithm == "roundrobin";
    CheckResult r;
    if (counts.empty() || total < o_.min_per_backend * static_cast<int64_t>(counts.size())) {
      r.valid = judged ? Validity::kUnknown : Validity::kValid;
      r.details["reason"] = "too few requests outside faults (" + std::to_string(total) + ")";
    } else if (judged) {
      r.valid = max_dev <= o_.max_deviation ? Validity::kValid : Validity::kInvalid;
    } else {
      r.valid = Validity::kValid;
    }
    r.details["valid"] = ValidityToJson(r.valid);
    r.details["algorithm"] = a.config.algorithm;
    r.details["judged"] = judged;
    r.details["requests"] = total;
    r.details["backends"] = shares;
    r.details["max_deviation"] = max_dev;
    r.details["max_deviation_bound"] = o_.max_deviation;
    r.details["chi_square"] = chi2;
    r.details["degrees_of_freedom"] = counts.empty() ? 0 : counts.size() - 1;
    return r;
  }

 private:
  BalanceCheckOptions o_;
};

// The backend that answered most requests for each key among `requests`
// invoked in [from, to).
std::map<std::string, std::string> Mapping(const Analysis& a, int64_t from, int64_t to) {
  std::map<std::string, std::map<std::string, int>> votes;
  for (const Request& q : a.requests) {
    if (q.type == OpType::kOk && !q.node.empty() && q.invoke >= from && q.invoke < to) {
      ++votes[q.key][q.node];
    }
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, v] : votes) {
    out[key] = std::max_element(v.begin(), v.end(), [](const auto& x, const auto& y) {
                 return x.second < y.second;
               })->first;
  }
  return out;
}

class HashStabilityChecker final : public Checker {
 public:
  std::string name() const override { return "hash-stability"; }
  CheckResult Check(const History& history) override {
    Result<Analysis> got = Analyze(history);
    if (!got.ok()) return BalanceUnknown(got.status().ToString());
    const Analysis& a = *got;
    if (!a.config.known) return BalanceUnknown("no ok \"backends\" op: the algorithm is unknown");
    if (a.config.algorithm != "hash") {
      return NotApplicable("algorithm " + a.config.algorithm + " does not hash");
    }
    const bool strict = a.config.hash_type == "consistent";
    // Windows that start together (a partition cutting off several
    // backends) are one removal.
    std::map<int64_t, std::vector<const Window*>> groups;
    for (const Window& w : a.windows) groups[w.start].push_back(&w);
    Json removals = Json::array(), violations = Json::array();
    int64_t prev_settled = 0, keys_total = 0, moved_total = 0, unaffected_moved_total = 0;
    double expected_sum = 0;
    for (auto it = groups.begin(); it != groups.end(); ++it) {
      const std::vector<const Window*>& g = it->second;
      std::vector<std::string> removed;
      int64_t end = g[0]->end, recovered = g[0]->recovered;
      for (const Window* w : g) {
        removed.push_back(w->node);
        end = std::min(end, w->end);
        recovered = std::max(recovered, w->recovered);
      }
      const int64_t next_start = std::next(it) == groups.end() ? a.last_time + 1 : std::next(it)->first;
      Json rec = {{"start_ms", Ms(it->first)}, {"removed", removed}};
      const int64_t down = a.config.has_health ? FirstDown(a, removed, it->first, end)
                                               : (a.config.bound_ns >= 0 ? it->first + a.config.bound_ns : -1);
      if (down < 0 || down >= end) {
        rec["status"] = "not-detected";
        removals.push_back(rec);
        prev_settled = recovered + a.config.settle_ns;
        continue;
      }
      const auto before = Mapping(a, prev_settled, it->first);
      const auto during = Mapping(a, down, end);
      const auto after = Mapping(a, recovered + a.config.settle_ns, next_start);
      int64_t keys = 0, moved = 0, unaffected_moved = 0, back_keys = 0, returned = 0;
      for (const auto& [key, node] : before) {
        auto d = during.find(key);
        if (d != during.end()) {
          ++keys;
          const bool was_removed = std::find(removed.begin(), removed.end(), node) != removed.end();
          if (d->second != node) {
            ++moved;
            if (!was_removed) ++unaffected_moved;
          }
        }
        auto b = after.find(key);
        if (b != after.end()) {
          ++back_keys;
          if (b->second == node) ++returned;
        }
      }
      const double expected =
          a.config.nodes.empty() ? 0 : static_cast<double>(removed.size()) / a.config.nodes.size();
      rec["status"] = "measured";
      rec["keys"] = keys;
      rec["moved"] = moved;
      rec["moved_fraction"] = keys ? static_cast<double>(moved) / keys : 0.0;
      rec["expected_fraction"] = expected;
      rec["unaffected_moved"] = unaffected_moved;
      rec["returned_fraction"] = back_keys ? Json(static_cast<double>(returned) / back_keys) : Json();
      removals.push_back(rec);
      keys_total += keys;
      moved_total += moved;
      unaffected_moved_total += unaffected_moved;
      expected_sum += expected * keys;
      if (strict && unaffected_moved > 0) {
        violations.push_back("removing " + Json(removed).dump() + " at " +
                             std::to_string(Ms(it->first)) + " ms moved " +
                             std::to_string(unaffected_moved) + " keys of other backends");
      }
      prev_settled = recovered + a.config.settle_ns;
    }
    CheckResult r;
    r.valid = violations.empty() ? Validity::kValid : Validity::kInvalid;
    r.details = {{"valid", ValidityToJson(r.valid)},
                 {"applicable", true},
                 {"hash_type", a.config.hash_type},
                 {"strict", strict},
                 {"removals", removals},
                 {"keys", keys_total},
                 {"moved_fraction", keys_total ? Json(static_cast<double>(moved_total) / keys_total) : Json()},
                 {"expected_fraction", keys_total ? Json(expected_sum / keys_total) : Json()},
                 {"unaffected_moved", unaffected_moved_total},
                 {"violations", violations}};
    return r;
  }
};

class AtMostOnceChecker final : public Checker {
 public:
  std::string name() const override { return "at-most-once"; }
  CheckResult Check(const History& history) override {
    Result<Analysis> got = Analyze(history);
    if (!got.ok()) return BalanceUnknown(got.status().ToString());
    const Analysis& a = *got;
    if (a.applied.is_null()) return BalanceUnknown("no ok \"applied\" op: the backends' effects are unknown");
    std::map<int64_t, std::vector<std::string>> where;
    int64_t applied = 0;
    for (const auto& [node, ids] : a.applied.items()) {
      if (!ids.is_array()) continue;
      for (const Json& id : ids) {
        if (!id.is_number_integer()) continue;
        where[id.get<int64_t>()].push_back(node);
        ++applied;
      }
    }
    Json duplicates = Json::array(), failed_applied = Json::array();
    int64_t duplicate_count = 0, failed_count = 0, ok_unapplied = 0, wrong_node = 0;
    for (const auto& [id, nodes] : where) {
      if (nodes.size() > 1) {
        ++duplicate_count;
        if (duplicates.size() < 20) duplicates.push_back({{"id", id}, {"nodes", nodes}});
      }
    }
    for (const Request& q : a.requests) {
      auto it = where.find(q.id);
      if (q.type == OpType::kFail && it != where.end()) {
        ++failed_count;
        if (failed_applied.size() < 20) failed_applied.push_back({{"id", q.id}, {"nodes", it->second}});
      }
      if (q.type == OpType::kOk) {
        if (it == where.end()) {
          ++ok_unapplied;
        } else if (std::find(it->second.begin(), it->second.end(), q.node) == it->second.end()) {
          ++wrong_node;
        }
      }
    }
    CheckResult r;
    r.valid = duplicate_count == 0 && failed_count == 0 ? Validity::kValid : Validity::kInvalid;
    r.details = {{"valid", ValidityToJson(r.valid)},
                 {"requests", a.requests.size()},
                 {"applied", applied},
                 {"duplicated", duplicate_count},
                 {"duplicates", duplicates},
                 {"failed_but_applied", failed_count},
                 {"failed_but_applied_ids", failed_applied},
                 // Measured, not judged: a backend killed between answering
                 // and logging loses the line (a limit of the backend's log).
                 {"ok_not_applied", ok_unapplied},
                 {"ok_applied_elsewhere", wrong_node}};
    return r;
  }
};

// ---- VRRP: who held the virtual address ----

struct VipReading {
  int64_t t = 0;  // when the node read its interface (history time)
  bool holds = false;
};

struct HeldRun {
  std::string node;
  int64_t first = 0, last = 0;  // readings showing it held (lower bound)
  int64_t before = 0, after = 0;  // the readings just outside (upper bound)
  bool open = false;              // the history ends inside the run
};

constexpr int64_t kMaxReadingGap = 1000 * kMs;

struct VipFault {
  std::string kind, node;  // node: the holder it hit
  int64_t start = 0, end = -1;
};

class VrrpSplitBrainChecker final : public Checker {
 public:
  std::string name() const override { return "vrrp-split-brain"; }
  CheckResult Check(const History& history) override {
    Result<std::vector<OpPair>> pairs = PairOps(history);
    if (!pairs.ok()) return BalanceUnknown(pairs.status().ToString());
    std::map<std::string, std::vector<VipReading>> readings;
    struct AllRead {
      int64_t t;
      bool none;  // every node read, none holding
    };
    std::vector<AllRead> polls;
    int64_t bound_ns = -1, last_time = 0;
    std::string vip;
    std::vector<std::string> vrrp_nodes;
    for (const Op& op : history.ops) last_time = std::max(last_time, op.time);
    for (const OpPair& p : *pairs) {
      const Op& inv = history.ops[p.invoke];
      if (inv.f != "vip" || !p.completion) continue;
      const Op& done = history.ops[*p.completion];
      if (done.type != OpType::kOk || !done.value.is_object()) continue;
      const Json& v = done.value;
      if (vip.empty()) {
        vip = v.value("vip", "");
        if (v.value("bound_ms", Json()).is_number()) {
          bound_ns = static_cast<int64_t>(v["bound_ms"].get<double>() * kMs);
        }
        if (v.contains("priorities") && v["priorities"].is_object()) {
          for (const auto& [n, prio] : v["priorities"].items()) vrrp_nodes.push_back(n);
        }
      }
      const Json nodes = v.value("nodes", Json::object());
      if (!nodes.is_object()) continue;
      bool none = !v.contains("unread");
      for (const auto& [n, r] : nodes.items()) {
        if (!r.is_object() || !r.value("holds", Json()).is_boolean()) continue;
        double age = r.value("age_ms", Json()).is_number() ? r["age_ms"].get<double>() : 0;
        // A reading can be no older than the op, give or take the fetch; an
        // absurd age (another clock) falls back to the op's completion.
        if (age < 0 || age > 10'000) age = 0;
        int64_t t = done.time - static_cast<int64_t>(age * kMs);
        readings[n].push_back({t, r["holds"].get<bool>()});
        if (r["holds"].get<bool>()) none = false;
      }
      polls.push_back({done.time, none});
    }
    if (readings.empty()) {
      return NotApplicable("no \"vip\" reads: the target runs without redundant balancers (vrrp)");
    }

    // Each node's runs of holding.
    std::vector<HeldRun> runs;
    Json held = Json::object();
    std::vector<double> gaps;
    for (auto& [node, rs] : readings) {
      std::sort(rs.begin(), rs.end(), [](const VipReading& a, const VipReading& b) { return a.t < b.t; });
      Json list = Json::array();
      std::optional<HeldRun> cur;
      int64_t prev_t = -1;
      auto close = [&](int64_t after, bool open) {
        cur->after = after;
        cur->open = open;
        list.push_back({{"start_ms", Ms(cur->first)}, {"end_ms", Ms(cur->last)}, {"open", open}});
        runs.push_back(*cur);
        cur.reset();
      };
      for (const VipReading& r : rs) {
        if (prev_t >= 0) gaps.push_back(Ms(r.t - prev_t));
        const bool gap = prev_t >= 0 && r.t - prev_t > kMaxReadingGap;
        if (cur && (gap || !r.holds)) close(r.holds ? cur->last : r.t, false);
        if (r.holds) {
          if (!cur) cur = HeldRun{node, r.t, r.t, prev_t >= 0 && !gap ? prev_t : r.t, r.t, false};
          cur->last = r.t;
        }
        prev_t = r.t;
      }
      if (cur) close(last_time, true);
      held[node] = list;
    }

    // Faults, from the nemesis ops: which node each one hit, when.
    struct Event {
      int64_t invoked;  // who held it is judged here, before the fault could act
      int64_t t;
      std::string kind;
      std::vector<std::string> nodes;  // faulted (kill, pause) or empty
      Json grudge;                     // partitions
    };
    std::vector<Event> faults;
    std::vector<std::pair<int64_t, std::string>> recoveries;  // invoke time, kind
    int64_t last_invoke = 0;
    for (const Op& op : history.ops) {
      if (!op.is_nemesis()) continue;
      if (op.type == OpType::kInvoke) {
        last_invoke = op.time;
        continue;
      }
      if (op.type == OpType::kFail) continue;
      const Json& v = op.value;
      if (op.f == "kill" && v.is_object()) {
        faults.push_back({last_invoke, op.time, "kill", Names(v.value("killed", Json())), Json()});
      } else if (op.f == "pause" && v.is_object()) {
        faults.push_back({last_invoke, op.time, "pause", Names(v.value("paused", Json())), Json()});
      } else if (op.f == "start-partition" && v.is_object() && v.contains("grudge")) {
        recoveries.push_back({last_invoke, "partition"});  // replaces the previous one
        faults.push_back({last_invoke, op.time, "partition", {}, v["grudge"]});
      } else if (op.f == "start") {
        recoveries.push_back({last_invoke, "kill"});
      } else if (op.f == "resume") {
        recoveries.push_back({last_invoke, "pause"});
      } else if (op.f == "stop-partition") {
        recoveries.push_back({last_invoke, "partition"});
      } else if (op.f == "heal") {
        for (const char* k : {"kill", "pause", "partition"}) recoveries.push_back({last_invoke, k});
      }
    }
    auto holds_at = [&](const std::string& node, int64_t t) {
      // The latest reading at or before t.
      const auto& rs = readings[node];
      bool h = false;
      for (const VipReading& r : rs) {
        if (r.t > t) break;
        h = r.holds;
      }
      return h;
    };
    auto cut = [](const Json& grudge, const std::string& a, const std::string& b) {
      if (!grudge.is_object()) return false;
      for (const auto& [n, peers] : grudge.items()) {
        for (const std::string& p : Names(peers)) {
          if ((n == a && p == b) || (n == b && p == a)) return true;
        }
      }
      return false;
    };
    std::vector<std::string> nodes;
    for (const auto& [n, rs] : readings) nodes.push_back(n);
    for (const std::string& n : vrrp_nodes) {
      if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
    }
    std::vector<VipFault> windows;  // every fault, for "during"
    Json failovers = Json::array(), violations = Json::array();
    std::vector<double> takeovers;
    for (const Event& e : faults) {
      int64_t end = last_time;
      for (const auto& [t, k] : recoveries) {
        if (k == e.kind && t >= e.t) {
          end = t;
          break;
        }
      }
      std::string what = e.kind;
      if (!e.nodes.empty()) what += " " + Json(e.nodes).dump();
      windows.push_back({what, "", e.t, end});
      for (const std::string& h : nodes) {
        if (!holds_at(h, e.invoked)) continue;
        std::vector<std::string> others;
        for (const std::string& o : nodes) {
          if (o == h) continue;
          if (e.kind == "partition" ? cut(e.grudge, h, o) : std::find(e.nodes.begin(), e.nodes.end(), h) != e.nodes.end()) {
            others.push_back(o);
          }
        }
        if (others.empty()) continue;
        Json f = {{"kind", e.kind}, {"holder", h}, {"start_ms", Ms(e.t)}, {"end_ms", Ms(end)}};
        int64_t taken = -1;
        std::string by;
        for (const std::string& o : others) {
          for (const VipReading& r : readings[o]) {
            if (r.t > e.t && r.holds && (taken < 0 || r.t < taken)) {
              taken = r.t;
              by = o;
              break;
            }
          }
        }
        if (taken >= 0 && taken <= end + 1000 * kMs) {
          f["takeover_ms"] = Ms(taken - e.t);
          f["by"] = by;
          takeovers.push_back(Ms(taken - e.t));
          const bool late = bound_ns >= 0 && taken - e.t > bound_ns;
          f["status"] = late ? "late" : "taken-over";
          if (late) {
            violations.push_back(e.kind + " of holder " + h + " at " + std::to_string(Ms(e.t)) +
                                 " ms: " + by + " took the address over after " +
                                 std::to_string(Ms(taken - e.t)) + " ms > bound " +
                                 std::to_string(Ms(bound_ns)) + " ms");
          }
        } else if (bound_ns >= 0 && end - e.t > bound_ns) {
          f["status"] = "not-taken-over";
          violations.push_back(e.kind + " of holder " + h + " at " + std::to_string(Ms(e.t)) +
                               " ms: no other node took the address over in " +
                               std::to_string(Ms(end - e.t)) + " ms (bound " +
                               std::to_string(Ms(bound_ns)) + " ms)");
        } else {
          f["status"] = "too-short";
        }
        failovers.push_back(f);
      }
    }

    // Two holders at once: runs of different nodes that intersect.
    Json split = Json::array();
    double split_total = 0, split_max = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      for (size_t j = i + 1; j < runs.size(); ++j) {
        const HeldRun& a = runs[i];
        const HeldRun& b = runs[j];
        if (a.node == b.node) continue;
        const int64_t lo = std::max(a.first, b.first), hi = std::min(a.last, b.last);
        if (hi < lo) continue;
        const int64_t ulo = std::max(a.before, b.before), uhi = std::min(a.after, b.after);
        Json during = Json::array();
        for (const VipFault& w : windows) {
          if (w.start <= hi && w.end >= lo) during.push_back(w.kind);
        }
        const double d = Ms(hi - lo);
        split_total += d;
        split_max = std::max(split_max, d);
        std::vector<std::string> pair = {a.node, b.node};
        std::sort(pair.begin(), pair.end());
        split.push_back({{"nodes", pair}, {"start_ms", Ms(lo)}, {"end_ms", Ms(hi)},
                         {"duration_ms", d}, {"max_duration_ms", Ms(std::max(uhi - ulo, hi - lo))},
                         {"open", a.open && b.open},
                         {"during", during}});
        violations.push_back(pair[0] + " and " + pair[1] + " both held " + vip + " from " +
                             std::to_string(Ms(lo)) + " to " + std::to_string(Ms(hi)) + " ms (" +
                             std::to_string(d) + " ms observed" +
                             (a.open && b.open ? ", still at the end of the history" : "") + ")");
      }
    }
    std::sort(split.begin(), split.end(), [](const Json& x, const Json& y) {
      return x["start_ms"].get<double>() < y["start_ms"].get<double>();
    });

    // No holder: between the end of one holding and the start of the next,
    // when some poll in between read every node and found none holding.
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (const HeldRun& r : runs) spans.push_back({r.first, r.last});
    std::sort(spans.begin(), spans.end());
    Json none = Json::array();
    int64_t covered = spans.empty() ? 0 : spans[0].second;
    for (size_t i = 1; i < spans.size(); ++i) {
      if (spans[i].first > covered) {
        bool seen_none = false;
        for (const AllRead& p : polls) seen_none = seen_none || (p.none && p.t > covered && p.t < spans[i].first);
        if (seen_none) {
          none.push_back({{"start_ms", Ms(covered)}, {"end_ms", Ms(spans[i].first)},
                          {"max_duration_ms", Ms(spans[i].first - covered)}});
        }
      }
      covered = std::max(covered, spans[i].second);
    }

    std::sort(gaps.begin(), gaps.end());
    CheckResult r;
    r.valid = violations.empty() ? Validity::kValid : Validity::kInvalid;
    r.details = {{"valid", ValidityToJson(r.valid)},
                 {"applicable", true},
                 {"vip", vip},
                 {"nodes", nodes},
                 {"bound_ms", bound_ns >= 0 ? Json(Ms(bound_ns)) : Json()},
                 {"held", held},
                 {"split_brain", split},
                 {"split_brain_count", split.size()},
                 {"split_brain_ms", split_total},
                 {"split_brain_max_ms", split_max},
                 {"no_holder", none},
                 {"failovers", failovers},
                 {"takeover_ms", Summary(takeovers)},
                 {"resolution_ms", gaps.empty() ? Json() : Json(gaps[gaps.size() / 2])},
                 {"end_ms", Ms(last_time)},
                 {"violations", violations}};
    return r;
  }
};

}  // namespace

std::unique_ptr<Checker> MakeFailoverChecker() { return std::make_unique<FailoverChecker>(); }
std::unique_ptr<Checker> MakeBalanceErrorsChecker() { return std::make_unique<ErrorsChecker>(); }
std::unique_ptr<Checker> MakeDistributionChecker(BalanceCheckOptions options) {
  return std::make_unique<DistributionChecker>(options);
}
std::unique_ptr<Checker> MakeHashStabilityChecker() {
  return std::make_unique<HashStabilityChecker>();
}
std::unique_ptr<Checker> MakeAtMostOnceChecker() { return std::make_unique<AtMostOnceChecker>(); }
std::unique_ptr<Checker> MakeVrrpSplitBrainChecker() {
  return std::make_unique<VrrpSplitBrainChecker>();
}

}  // namespace faultline
