// Facts about a run that several reporters state the same way.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/report/report.h"

namespace faultline::report {

// test.json "name", else "test", else the run directory's parent's name
// (store/<test>/<timestamp>), else "test".
std::string TestName(const RunData& run);

// The run directory's own name (its timestamp in the store).
std::string RunLabel(const RunData& run);

// results.json "checkers" as (name, result) pairs: every checker but
// "stats" and "perf" first (alphabetically), then "stats", then "perf".
std::vector<std::pair<std::string, const Json*>> OrderedCheckers(const RunData& run);

// One line about a checker's result: its reason, else the first line of its
// explanation, else a figure it is known for ("10,000 ops: ...").
std::string CheckerSummary(const std::string& name, const Json& result);

// Harness problems: results.json "errors", then each phase whose status is
// neither "ok", "skipped" nor "interrupted" ("phase setup failed: <error>").
std::vector<std::string> HarnessProblems(const RunData& run);

// For a run stopped by Ctrl-C or SIGTERM (results.json "interrupted"): which
// phase the signal stopped, as a sentence; empty otherwise. Not a harness
// problem: the cluster was healed and the partial history checked.
std::string Interruption(const RunData& run);

// 12345 -> "12,345".
std::string Thousands(int64_t n);

}  // namespace faultline::report
