// PerfChecker: latency and throughput of client operations, and when the
// nemesis was active. Informational: its verdict is always valid.
//
// Everything is computed from the history's `time` fields (ns since the test
// started); ops without a time are counted in "ops_without_time" and skipped.
//
// Nemesis periods. A nemesis action is an invocation and the completion that
// follows it on the nemesis process (Jepsen-style histories that record both
// halves as `info` pair the same way: two consecutive nemesis ops with one f).
// Whether an action opens or closes a fault period is decided from its f, by
// data (NemesisPeriodRule): f is split at its first '-' into a word and a
// subject ("start-partition" -> "start", "partition"; "kill" -> "kill", "").
// The default rules, each an opening word and the words that close it:
//   start -> stop, heal      (start-partition ... stop-partition, or ... heal)
//   kill  -> restart, start  (kill ... start)
//   pause -> resume
//   partition -> heal
// A closing action ends every open period whose opening word it closes and
// whose subject equals its own (an empty subject on either side matches any).
// A word that both closes and opens ("start") closes when some period it can
// close is open, and opens otherwise. An action that completed `fail` (it
// certainly did nothing) neither opens nor closes a period. A period spans
// from its opening action's invocation (the fault may act from then) to its
// closing action's completion (it has surely ended by then); one never closed
// ends at the last time in the history with "closed": false. Other nemesis
// actions (e.g. "bump-clock", or a failed one) are listed as instantaneous
// events.
// Thread-safety: Check may run concurrently on different histories.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkers/checker.h"

namespace faultline {

// One nemesis operation: where it started in History::ops and its completion.
struct NemesisAction {
  std::string f;
  size_t start = 0;                  // index into History::ops
  std::optional<size_t> completion;  // absent: never completed
};

// Nemesis ops grouped into actions, in history order. A nemesis op whose f
// equals the open action's f completes it; any other nemesis op starts a new
// action (leaving the open one unfinished).
std::vector<NemesisAction> PairNemesisOps(const History& history);

struct NemesisPeriodRule {
  std::string open;                // opening word, e.g. "kill"
  std::vector<std::string> close;  // words that close it, e.g. {"restart", "start"}
};

// The default rules listed at the top of this file.
std::vector<NemesisPeriodRule> DefaultNemesisPeriodRules();

struct PerfOptions {
  size_t max_points = 5000;        // latency points kept for plotting (>= 20)
  int64_t bucket_ns = 1000000000;  // throughput bucket width
  size_t max_buckets = 3600;       // past this the width grows by a whole factor
  std::vector<NemesisPeriodRule> nemesis_rules = DefaultNemesisPeriodRules();
};

// Details (times and latencies are integer ns):
//   {"valid": true, "count": client ops, "ops_without_time",
//    "time_range": {"start", "end"},                 (absent when no op has a time)
//    "latency": {"all": {"<type>": Q}, "by_f": {"<f>": {"<type>": Q}}},
//    "points": {"columns": ["time","latency","f","type"], "total", "kept",
//               "rows": [[invoke time, latency, f, type], ...]},   (sorted by time)
//    "throughput": {"bucket_ns", "buckets": [{"time", "ok", "fail", "info"}, ...]},
//    "nemesis": {"intervals": [{"kind", "f", "end_f"?, "start", "end", "closed",
//                               "value"}],
//                "events": [{"time", "f", "value"}]}}
// Q = {"count", "min", "p50", "p95", "p99", "max", "mean"}; percentiles are
// nearest-rank (the smallest latency with at least p% of the others <= it).
// <type> is ok, fail or info; an op whose process never completed has no
// latency. Throughput counts completions by completion time in buckets
// [k*bucket_ns, (k+1)*bucket_ns) from 0 to the last completion, zeros
// included. When there are more latency points than max_points, the rows
// keep: every fail/info point (sampled evenly if they exceed a quarter of
// the budget), the slowest ok points (a twentieth of it), and an even stride
// of the remaining ok points.
class PerfChecker : public Checker {
 public:
  explicit PerfChecker(PerfOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "perf"; }
  CheckResult Check(const History& history) override;

 private:
  PerfOptions options_;
};

}  // namespace faultline
