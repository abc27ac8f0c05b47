// The test lifecycle, as Jepsen's: connect to the nodes; set the target up on
// all of them; open clients; run the generator with one worker thread per
// client plus the nemesis until the time limit; heal; run the final ops;
// close clients; download the target's logs; tear the target down; check;
// report. The history is streamed to disk as the test runs. Every phase is
// logged with timestamps; a failing phase is recorded in results.json and the
// report, and the cluster is still healed and torn down.
//
// Thread-safety: RunTest runs one test; call it from one thread. It starts
// and joins its own worker threads.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

struct TestConfig {
  std::string name;  // default "<target>-<workload>"
  std::string target = "etcd";
  Json target_options = Json::object();
  std::string workload = "register";
  Json workload_options = Json::object();  // see ApplyWorkloadOptions (workloads/workload.h)
  std::vector<std::string> nemesis;  // "partition", "kill", "pause"
  double time_limit_s = 60;
  double nemesis_interval_s = 10;
  int concurrency = 0;  // client threads; 0: two per node
  uint64_t seed = 0;
  std::string store = "store";
  // Where the nodes are: a nodes file (SSH), or, for in-memory targets, just
  // node names (no SSH).
  std::string nodes_file;
  std::vector<std::string> local_nodes;
  bool leave_running = false;
  double rate = 0;                 // ops/s over all clients; 0: unthrottled
  double check_time_limit_s = 0;   // linearizability search bound; 0: none

  Json ToJson() const;
  // InvalidArgument naming the field when `j` (a test.json) is malformed.
  static Result<TestConfig> FromJson(const Json& j);
};

struct Progress {
  double elapsed_s = 0;
  std::string phase;
  int64_t ok = 0, fail = 0, info = 0;
  std::string nemesis;  // the latest nemesis op, e.g. "start-partition"
};

struct TestOutcome {
  Validity valid = Validity::kUnknown;
  std::string run_dir;
  std::string summary;  // console summary
  Status harness_error;  // ok unless a phase failed
};

// Runs the test described by `config`. `interrupt` (may be null) is polled:
// once set, the test stops issuing operations, heals and tears down, and
// checks the partial history. `progress` (may be empty) is called about once
// a second from the calling thread. InvalidArgument for a bad configuration
// (before anything is touched); otherwise an outcome, whose harness_error says
// whether a phase failed.
Result<TestOutcome> RunTest(const TestConfig& config, const std::atomic<bool>* interrupt,
                            const std::function<void(const Progress&)>& progress);

// Re-checks a stored run directory from its test.json and history.jsonl, and
// rewrites results.json, report.html and junit.xml.
Result<TestOutcome> AnalyzeRun(const std::string& run_dir);

}  // namespace faultline
