// A synthetic stored run, for the reporters' tests and for looking at the
// report's design without a cluster: a simulated 3-node register service
// under a partition, a kill and a pause, checked by the real checkers
// (cas-register linearizability per key, stats, perf) and written as a run
// directory. Deterministic for a given seed. Not thread-safe across calls
// writing the same directory.
#pragma once

#include <cstdint>
#include <string>

#include "harness/base/status.h"

namespace faultline::report::testing {

struct ExampleRunOptions {
  int64_t ops = 10000;   // client invocations (a few fewer if the duration ends first)
  int clients = 10;      // concurrent client workers (nodes n1..n3 round-robin)
  int keys = 5;          // independent registers
  double seconds = 60;   // simulated test duration; faults are placed by fraction of it
  bool invalid = false;  // plant a stale read, so linearizability fails
  uint64_t seed = 1;
};

// Writes test.json, history.jsonl, results.json, harness.log and
// nodes/n{1,2,3}/etcd.log into `dir` (created if needed). Internal when the
// checkers' verdict is not the one asked for (valid, or invalid with a
// planted stale read); IoError when a file cannot be written.
Status WriteExampleRun(const std::string& dir, const ExampleRunOptions& options);

}  // namespace faultline::report::testing
