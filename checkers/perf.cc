#include "checkers/perf.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace faultline {
namespace {

struct Word {
  std::string word, subject;
};

Word SplitF(const std::string& f) {
  const size_t dash = f.find('-');
  if (dash == std::string::npos) return {f, ""};
  return {f.substr(0, dash), f.substr(dash + 1)};
}

struct LatencyPoint {
  int64_t time = 0;  // invocation time
  int64_t latency = 0;
  const std::string* f = nullptr;
  OpType type = OpType::kOk;
};

// Nearest rank: the value at position ceil(p/100 * n) (1-based).
int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  const size_t n = sorted.size();
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

Json Quantiles(std::vector<int64_t> latencies) {
  std::sort(latencies.begin(), latencies.end());
  long double sum = 0;
  for (int64_t l : latencies) sum += l;
  return {{"count", latencies.size()},
          {"min", latencies.front()},
          {"p50", Percentile(latencies, 50)},
          {"p95", Percentile(latencies, 95)},
          {"p99", Percentile(latencies, 99)},
          {"max", latencies.back()},
          {"mean", static_cast<int64_t>(std::llround(sum / latencies.size()))}};
}

// Indices of `n` items spread evenly over [0, total).
std::vector<size_t> EvenStride(size_t total, size_t n) {
  std::vector<size_t> out;
  if (n == 0 || total == 0) return out;
  if (n >= total) {
    for (size_t i = 0; i < total; ++i) out.push_back(i);
    return out;
  }
  out.reserve(n);
  // k * total stays far below 2^64 for any history that fits in memory.
  for (size_t k = 0; k < n; ++k) {
    out.push_back(static_cast<size_t>(static_cast<uint64_t>(k) * total / n));
  }
  return out;
}

// Keeps every point when they fit; otherwise non-ok points first (they are
// rare and what the reader looks for), then the slowest ok points (the
// outliers a plot must not lose), then an even sample of the rest.
std::vector<LatencyPoint> Downsample(std::vector<LatencyPoint> points, size_t budget) {
  if (points.size() <= budget) return points;
  std::vector<LatencyPoint> ok, other, kept;
  for (const LatencyPoint& p : points) (p.type == OpType::kOk ? ok : other).push_back(p);
  const size_t other_budget = std::min(other.size(), budget / 4);
  for (size_t i : EvenStride(other.size(), other_budget)) kept.push_back(other[i]);
  size_t remaining = budget - kept.size();
  const size_t slowest = std::min({ok.size(), budget / 20, remaining});
  std::stable_sort(ok.begin(), ok.end(), [](const LatencyPoint& a, const LatencyPoint& b) {
    return a.latency > b.latency;
  });
  kept.insert(kept.end(), ok.begin(), ok.begin() + static_cast<std::ptrdiff_t>(slowest));
  ok.erase(ok.begin(), ok.begin() + static_cast<std::ptrdiff_t>(slowest));
  std::stable_sort(ok.begin(), ok.end(),
                   [](const LatencyPoint& a, const LatencyPoint& b) { return a.time < b.time; });
  remaining = budget - kept.size();
  for (size_t i : EvenStride(ok.size(), remaining)) kept.push_back(ok[i]);
  std::stable_sort(kept.begin(), kept.end(),
                   [](const LatencyPoint& a, const LatencyPoint& b) { return a.time < b.time; });
  return kept;
}

struct OpenPeriod {
  Word word;
  std::string f;
  int64_t start = 0;
  Json value;
};

class PeriodTracker {
 public:
  explicit PeriodTracker(const std::vector<NemesisPeriodRule>& rules) : rules_(rules) {}

  void Add(const History& h, const NemesisAction& action) {
    const Op& first = h.ops[action.start];
    const Op* completion = action.completion ? &h.ops[*action.completion] : nullptr;
    const int64_t begin = first.time;
    const int64_t end = completion && completion->time >= 0 ? completion->time : begin;
    const Json& value =
        completion && !completion->value.is_null() ? completion->value : first.value;
    if (begin < 0) return;  // no time: nothing to place on a time axis
    const Word w = SplitF(action.f);
    const bool did_nothing = completion && completion->type == OpType::kFail;
    if (!did_nothing) {
      if (Close(w, action.f, end)) return;
      if (Opens(w.word)) {
        open_.push_back(OpenPeriod{w, action.f, begin, value});
        return;
      }
    }
    events_.push_back({{"time", begin}, {"f", action.f}, {"value", value}});
  }

  // Periods still open end at `last_time`.
  Json Finish(int64_t last_time) {
    for (OpenPeriod& p : open_) {
      intervals_.push_back(Interval(p, std::max(last_time, p.start), nullptr, false));
    }
    open_.clear();
    std::stable_sort(intervals_.begin(), intervals_.end(), [](const Json& a, const Json& b) {
      return a["start"].get<int64_t>() < b["start"].get<int64_t>();
    });
    Json intervals = Json::array();
    for (Json& j : intervals_) intervals.push_back(std::move(j));
    return {{"intervals", std::move(intervals)}, {"events", std::move(events_)}};
  }

 private:
  bool Opens(const std::string& word) const {
    return std::any_of(rules_.begin(), rules_.end(),
                       [&](const NemesisPeriodRule& r) { return r.open == word; });
  }

  bool Closes(const Word& closer, const Word& opener) const {
    if (!closer.subject.empty() && !opener.subject.empty() && closer.subject != opener.subject) {
      return false;
    }
    for (const NemesisPeriodRule& r : rules_) {
      if (r.open != opener.word) continue;
      if (std::find(r.close.begin(), r.close.end(), closer.word) != r.close.end()) return true;
    }
    return false;
  }

  bool Close(const Word& w, const std::string& f, int64_t end) {
    bool closed = false;
    for (auto it = open_.begin(); it != open_.end();) {
      if (Closes(w, it->word)) {
        intervals_.push_back(Interval(*it, std::max(end, it->start), &f, true));
        it = open_.erase(it);
        closed = true;
      } else {
        ++it;
      }
    }
    return closed;
  }

  static Json Interval(const OpenPeriod& p, int64_t end, const std::string* end_f, bool closed) {
    Json j = {{"kind", p.word.subject.empty() ? p.word.word : p.word.subject},
              {"f", p.f},
              {"start", p.start},
              {"end", end},
              {"closed", closed},
              {"value", p.value}};
    if (end_f) j["end_f"] = *end_f;
    return j;
  }

  const std::vector<NemesisPeriodRule>& rules_;
  std::vector<OpenPeriod> open_;
  std::vector<Json> intervals_;
  Json events_ = Json::array();
};

}  // namespace

std::vector<NemesisAction> PairNemesisOps(const History& history) {
  std::vector<NemesisAction> actions;
  bool open = false;
  for (size_t i = 0; i < history.ops.size(); ++i) {
    const Op& op = history.ops[i];
    if (!op.is_nemesis()) continue;
    if (open && actions.back().f == op.f && !op.is_invoke()) {
      actions.back().completion = i;
      open = false;
      continue;
    }
    actions.push_back(NemesisAction{op.f, i, std::nullopt});
    open = true;
  }
  return actions;
}

std::vector<NemesisPeriodRule> DefaultNemesisPeriodRules() {
  return {{"start", {"stop", "heal"}},
          {"kill", {"restart", "start"}},
          {"pause", {"resume"}},
          {"partition", {"heal"}}};
}

CheckResult PerfChecker::Check(const History& history) {
  CheckResult result;
  result.valid = Validity::kValid;
  Json& d = result.details;
  d["valid"] = true;

  int64_t first_time = -1, last_time = -1;
  int64_t without_time = 0;
  for (const Op& op : history.ops) {
    if (op.time < 0) {
      ++without_time;
      continue;
    }
    if (first_time < 0 || op.time < first_time) first_time = op.time;
    last_time = std::max(last_time, op.time);
  }
  d["ops_without_time"] = without_time;
  if (last_time >= 0) d["time_range"] = {{"start", first_time}, {"end", last_time}};

  Result<std::vector<OpPair>> pairs = PairOps(history);
  if (!pairs.ok()) {
    d["error"] = "cannot pair operations: " + pairs.status().message();
    pairs = std::vector<OpPair>{};
  }
  d["count"] = pairs->size();

  std::vector<LatencyPoint> points;
  std::map<OpType, std::vector<int64_t>> all;
  std::map<std::string, std::map<OpType, std::vector<int64_t>>> by_f;
  int64_t bucket_ns = std::max<int64_t>(options_.bucket_ns, 1);
  int64_t last_completion = -1;
  for (const OpPair& pair : *pairs) {
    if (!pair.completion) continue;
    const Op& invoke = history.ops[pair.invoke];
    const Op& done = history.ops[*pair.completion];
    if (done.time >= 0) last_completion = std::max(last_completion, done.time);
    if (invoke.time < 0 || done.time < 0) continue;
    const int64_t latency = std::max<int64_t>(done.time - invoke.time, 0);
    points.push_back(LatencyPoint{invoke.time, latency, &invoke.f, done.type});
    all[done.type].push_back(latency);
    by_f[invoke.f][done.type].push_back(latency);
  }

  Json latency = {{"all", Json::object()}, {"by_f", Json::object()}};
  for (auto& [type, values] : all) latency["all"][OpTypeName(type)] = Quantiles(values);
  for (auto& [f, types] : by_f) {
    Json per_type = Json::object();
    for (auto& [type, values] : types) per_type[OpTypeName(type)] = Quantiles(values);
    latency["by_f"][f] = std::move(per_type);
  }
  d["latency"] = std::move(latency);

  const size_t total_points = points.size();
  std::vector<LatencyPoint> kept =
      Downsample(std::move(points), std::max<size_t>(options_.max_points, 20));
  Json rows = Json::array();
  for (const LatencyPoint& p : kept) rows.push_back({p.time, p.latency, *p.f, OpTypeName(p.type)});
  d["points"] = {{"columns", {"time", "latency", "f", "type"}},
                 {"total", total_points},
                 {"kept", kept.size()},
                 {"rows", std::move(rows)}};

  // Throughput: widen buckets by a whole factor if there would be too many.
  Json buckets = Json::array();
  if (last_completion >= 0) {
    const size_t max_buckets = std::max<size_t>(options_.max_buckets, 1);
    const int64_t needed = last_completion / bucket_ns + 1;
    if (static_cast<size_t>(needed) > max_buckets) {
      const int64_t factor =
          (needed + static_cast<int64_t>(max_buckets) - 1) / static_cast<int64_t>(max_buckets);
      bucket_ns *= factor;
    }
    const size_t n = static_cast<size_t>(last_completion / bucket_ns + 1);
    std::vector<std::array<int64_t, 3>> counts(n, {0, 0, 0});
    for (const OpPair& pair : *pairs) {
      if (!pair.completion) continue;
      const Op& done = history.ops[*pair.completion];
      if (done.time < 0) continue;
      const int slot = done.type == OpType::kOk ? 0 : done.type == OpType::kFail ? 1 : 2;
      ++counts[static_cast<size_t>(done.time / bucket_ns)][slot];
    }
    for (size_t i = 0; i < n; ++i) {
      buckets.push_back({{"time", static_cast<int64_t>(i) * bucket_ns},
                         {"ok", counts[i][0]},
                         {"fail", counts[i][1]},
                         {"info", counts[i][2]}});
    }
  }
  d["throughput"] = {{"bucket_ns", bucket_ns}, {"buckets", std::move(buckets)}};

  PeriodTracker periods(options_.nemesis_rules);
  for (const NemesisAction& action : PairNemesisOps(history)) periods.Add(history, action);
  d["nemesis"] = periods.Finish(last_time);
  return result;
}

}  // namespace faultline
