// StatsChecker: how many operations of each function succeeded, failed or
// ended unknown.
//
// Counts completed client operations per f by outcome (ok, fail, info), plus
// invocations that never completed ("unfinished"); nemesis operations are
// counted separately per f and never affect the verdict. The verdict follows
// Jepsen's stats checker: a function that was invoked but never once
// succeeded makes the history invalid, because such a test exercised nothing
// of that function (usually a broken client or a cluster that never came up).
// A history with no client operation at all is unknown: it proves nothing.
// Thread-safety: Check is const in effect and may run concurrently.
#pragma once

#include <string>

#include "checkers/checker.h"

namespace faultline {

struct StatsOptions {
  // When false, a function with zero ok operations is reported (details
  // "by_f".<f>."valid": false) but the verdict stays valid.
  bool require_ok_per_f = true;
};

// Details (all counts are integers):
//   {"valid": true|false|"unknown", "reason"?: "...",
//    "count", "ok_count", "fail_count", "info_count", "unfinished_count",
//    "by_f": {"<f>": {"valid", "count", "ok", "fail", "info", "unfinished"}},
//    "nemesis": {"<f>": {"count", "ok", "fail", "info", "unfinished"}}}
// "count" is invocations; info excludes unfinished. "by_f" keys are sorted.
// A malformed history (see PairOps) gives unknown with the pairing error as
// reason.
class StatsChecker : public Checker {
 public:
  explicit StatsChecker(StatsOptions options = {}) : options_(options) {}
  std::string name() const override { return "stats"; }
  CheckResult Check(const History& history) override;

 private:
  StatsOptions options_;
};

}  // namespace faultline
