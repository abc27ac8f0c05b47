// The test lifecycle, as Jepsen's: connect to the nodes; set the target up on
// all of them; open clients; run the generator with one worker thread per
// client plus the nemesis until the time limit; heal; run the final ops;
// close clients; download the target's logs; tear the target down; check.
// Setup starts from a healed network: the Net is reset (and stopped target
// processes resumed) first, whatever an earlier, killed controller left.
// The history is streamed to disk as the test runs. Every phase is logged
// with timestamps; a failing phase is recorded in results.json, and the
// cluster is still healed and torn down.
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
#include "harness/report/run_results.h"
#include "harness/runner/env.h"

namespace faultline {

// Ops/s of a test against an in-process target when --rate is not given.
inline constexpr double kInProcessDefaultRate = 10000;

// A test as the user asked for it. RunTest resolves it: "2n" into a client
// count, the nodes (a nodes file, or names for in-process targets), the
// nemesis list; test.json stores what was asked plus what it resolved to.
struct TestConfig {
  std::string name;  // default "<target>-<workload>"
  std::string target = "etcd";
  Json target_options = Json::object();
  std::string workload = "register";
  Json workload_options = Json::object();  // see ApplyWorkloadOptions (workloads/workload.h)
  // Nemesis kinds; each entry may itself be a comma-separated list
  // ("partition,kill"); "none" or empty: no faults.
  std::vector<std::string> nemesis;
  double time_limit_s = 60;
  double nemesis_interval_s = 10;
  // Client threads: "N", or "Nn" for N per node.
  std::string concurrency = "2n";
  uint64_t seed = 0;
  std::string store = "store";
  // Where the nodes are: a nodes file (SSH), or, for in-process targets,
  // node names (default n1, n2, n3). Empty nodes_file for other targets:
  // the environment's default (the local cluster's, when one is up).
  std::string nodes_file;
  std::vector<std::string> local_nodes;
  bool leave_running = false;
  double rate = 0;                 // ops/s over all clients; 0: unthrottled
                                   // (in-process targets: kInProcessDefaultRate)
  double check_time_limit_s = 0;   // linearizability search bound; 0: none

  Json ToJson() const;
  // InvalidArgument naming the field when `j` (a test.json) is malformed.
  static Result<TestConfig> FromJson(const Json& j);
};

// "N" or "Nn" (N per node, N >= 1) for `nodes` nodes; InvalidArgument
// naming the text otherwise.
Result<int> ResolveConcurrency(const std::string& text, size_t nodes);

struct Progress {
  double elapsed_s = 0;
  std::string phase;
  int64_t ok = 0, fail = 0, info = 0;
  std::string nemesis;  // the latest nemesis op, e.g. "start-partition"
};

struct TestOutcome {
  Validity valid = Validity::kUnknown;
  std::string run_dir;
  RunResults results;    // as written to results.json
  Status harness_error;  // ok unless a phase failed; InvalidArgument when it failed on bad input
};

// Runs the test described by `config` in `env`. `interrupt` (may be null) is
// polled: once set, the test stops issuing operations, heals and tears down,
// and checks the partial history. `progress` (may be empty) is called about
// once a second from the calling thread. InvalidArgument for bad input (an
// unknown target, workload or nemesis, unusable nodes, an unwritable store),
// found before any run directory is made; otherwise an outcome, whose
// harness_error says whether a phase failed. Writes no report: the caller
// runs the reporters on outcome.run_dir.
Result<TestOutcome> RunTest(const TestConfig& config, const TestEnv& env,
                            const std::atomic<bool>* interrupt,
                            const std::function<void(const Progress&)>& progress);

// Re-checks a stored run directory from its test.json and history.jsonl and
// rewrites results.json. A run that never completed (its controller was
// killed) is unknown, "interrupted at phase X", unless the history already
// shows a violation; a last history line cut mid-way is left out with a
// warning.
Result<TestOutcome> AnalyzeRun(const std::string& run_dir);

}  // namespace faultline
