// Reporters for one stored run: report.html, junit.xml and a console summary.
//
// They read only what the run stored and never re-check anything. A run
// directory (store/<test>/<timestamp>/) holds:
//   test.json      required; the test's configuration, any JSON object. Shown
//                  as a table; "name" (else "test") names the test.
//   results.json   required; the verdicts:
//     {"valid": true | false | "unknown",                    (required)
//      "checkers": {"<name>": {"valid": true|false|"unknown", (required in each)
//                              "reason"?: "...", ...checker details}},
//      "phases"?: [{"name", "start_ns", "end_ns", "status": "ok"|"failed"|"skipped"|...,
//                   "error"?}],        (ns on any one monotonic clock; shown
//                                       relative to the earliest start)
//      "errors"?: ["harness error", ...]}
//     Checkers the report knows by name: "stats" (StatsChecker details) and
//     "perf" (PerfChecker details). Any checker whose details hold
//     "explanation" and/or "explanation_text" (linearizability's shape) gets
//     its explanation rendered. A checker may carry "duration_ns" (time spent
//     checking), used as the JUnit testcase time.
//   history.jsonl, harness.log, nodes/<node>/<files>   optional; linked.
// report.html is one self-contained file: inline CSS and server-drawn inline
// SVG, no script and no external resource, so it opens from disk anywhere.
// Everything taken from the data is escaped.
//
// junit.xml has one testsuite named after the test and one testcase per
// checker: invalid -> <failure>, unknown -> <error type="unknown"> (a check
// that could not decide must not pass a CI job; exit code 2 agrees). A
// testcase named "harness" is added with an <error> when results.json lists
// errors or a phase whose status is neither "ok" nor "skipped", or has no
// checker at all.
//
// Thread-safety: all functions are reentrant; none throws.
#pragma once

#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/report/text_util.h"

namespace faultline::report {

// What the reporters need of a run.
struct RunData {
  std::string run_dir;  // as given; used in messages and the console summary
  Json test = Json::object();
  Json results = Json::object();
  bool has_history = false;      // history.jsonl exists
  bool has_harness_log = false;  // harness.log exists
  // Regular files under nodes/, relative to run_dir ("nodes/n1/etcd.log"),
  // sorted; at most 1000, the rest counted in node_files_omitted.
  std::vector<std::string> node_files;
  size_t node_files_omitted = 0;
  // The last lines of harness.log (at most 60), shown when the run had errors.
  std::vector<std::string> harness_log_tail;
};

// Reads test.json, results.json and the list of files in `run_dir`.
// NotFound naming the file when test.json or results.json (or the directory)
// is missing; InvalidArgument naming the file and the field when either is
// not valid JSON or results.json does not have the shape above; IoError when
// a file cannot be read.
Result<RunData> LoadRun(const std::string& run_dir);

// Checks `results` against the shape above; InvalidArgument naming
// `source` and the offending field otherwise.
Status ValidateResults(const Json& results, const std::string& source);

// The whole report.html / junit.xml document.
std::string RenderHtml(const RunData& run);
std::string RenderJunit(const RunData& run);

// A few lines for the terminal: the verdict, operation counts, each checker's
// verdict (with the reason or the first line of an explanation), and the
// paths of report.html and history.jsonl. Ends with a newline.
std::string ConsoleSummary(const RunData& run);

// Writes report.html and junit.xml into run.run_dir (each through a
// temporary file renamed into place). IoError naming the file on failure.
Status WriteReport(const RunData& run);
// LoadRun, then WriteReport.
Status WriteReport(const std::string& run_dir);

}  // namespace faultline::report
