// The run store: owns the layout of store/<test>/<timestamp>/ and when a run
// counts as complete. A run directory holds
//   test.json      the whole configuration, seed included (written first)
//   state.json     {"complete": false, "phase": "<the phase under way>"}
//                  while the run goes on; {"complete": true} only once
//                  results.json is written at its very end
//   history.jsonl  written as the test runs
//   harness.log    every phase, timestamped
//   results.json   RunResults (harness/report/run_results.h), written once
//   nodes/<node>/  the target's logs
//   report.html, junit.xml   written by the reporters
// store/latest points at a run from the moment it is created, so a run whose
// controller was killed is still `latest`. A run whose state.json says it is
// not complete (or that has no results.json) was cut short: analyze reports
// it as unknown, naming the phase.
//
// Thread-safety: RunStore and RunDir are reentrant; concurrent runs get
// distinct directories. One RunDir is written by one thread at a time.
#pragma once

#include <string>

#include "harness/base/status.h"
#include "harness/history/op.h"
#include "harness/report/run_results.h"

namespace faultline {

class RunDir {
 public:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  std::string test_json() const { return path_ + "/test.json"; }
  std::string state_json() const { return path_ + "/state.json"; }
  std::string history() const { return path_ + "/history.jsonl"; }
  std::string harness_log() const { return path_ + "/harness.log"; }
  std::string results_json() const { return path_ + "/results.json"; }
  // nodes/<node>; InvalidArgument for a name that would leave nodes/.
  Result<std::string> node_dir(const std::string& node) const;

  Status WriteConfig(const Json& test) const;
  Result<Json> ReadConfig() const;
  // Records the phase under way (state.json, not complete).
  Status MarkPhase(const std::string& phase) const;
  // Writes results.json, then marks the run complete. Called once per run
  // (and once per analyze, which replaces the verdicts; an analyze of a run
  // that never completed passes complete=false, so it stays incomplete).
  Status WriteResults(const RunResults& results, bool complete = true) const;
  // NotFound when there is none.
  Result<RunResults> ReadResults() const;

  struct State {
    bool complete = false;
    std::string phase;  // the last phase marked, when not complete
  };
  // A directory without state.json (made before it existed) is complete when
  // it has results.json.
  State ReadState() const;

 private:
  std::string path_;
};

class RunStore {
 public:
  explicit RunStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  // Ok when the root exists or can be made and a file can be written in it;
  // InvalidArgument naming it and why otherwise (bad --store is bad input,
  // and is found before any run is made).
  Status CheckWritable() const;

  // Creates <root>/<test_name>/<UTC timestamp>/ (with a suffix if that
  // exists), points <root>/latest at it and marks it started (not
  // complete). InvalidArgument when the name is empty, ".", "..", "latest"
  // or holds '/'; IoError naming the path when it cannot be made.
  Result<RunDir> Create(const std::string& test_name) const;

 private:
  std::string root_;
};

// Writes `value` to `path` via a temporary file renamed into place.
Status WriteJsonFile(const std::string& path, const Json& value);
// NotFound / IoError / InvalidArgument (with the parse error) naming the path.
Result<Json> ReadJsonFile(const std::string& path);

}  // namespace faultline
