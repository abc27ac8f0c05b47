// Suite files: many tests described as matrices, for nightly CI.
//
//   {"name": "smoke",                         required; [A-Za-z0-9._-]+
//    "defaults": {<entry fields>},            optional; every entry starts from these
//    "tests": [                               required, not empty
//      {"name": "etcd-faults",                optional; default "<target>-<workload>"
//       "targets": ["etcd"],                  or "target": "etcd"      (required)
//       "workloads": ["register"],            or "workload"            (default register)
//       "nemeses": ["partition", "kill,pause", "none"],  or "nemesis"  (default none)
//       "seeds": [1, 2],                      or "seed"                (default 1)
//       "time_limit": 30,                     seconds of workload      (default 60)
//       "nemesis_interval": 10,               seconds                  (default 10)
//       "concurrency": "2n",                  N threads, or "Nn" per node (default "2n")
//       "nodes": 3,                           cluster size for targets on nodes (default 3)
//       "rate": 0,                            ops/s over all clients; 0 unthrottled
//       "check_time_limit": 0,                seconds; 0 none
//       "target_options": {},                 passed to the target
//       "expect": "valid"}]}                  "valid" (default), "invalid" (a positive
//                                             control: a planted bug that must be caught)
//                                             or "any"
//
// Each entry expands to targets x workloads x nemeses x seeds runs, in that
// order (seeds innermost); a suite has at most 10000 runs. A nemesis is a comma-separated list of kinds; an
// array of kinds is taken too; "none", "" and [] mean no faults. Unknown keys
// are errors (a misspelt "seed" must not silently run the default).
//
// Which targets, workloads and nemeses exist is not known here (this library
// depends on nothing but JSON); the command checks the names before running.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/base/status.h"

namespace faultline::suite {

using Json = nlohmann::json;

enum class Expect { kValid, kInvalid, kAny };
const char* ExpectName(Expect e);

// One test run of a suite.
struct SuiteRun {
  std::string name;  // unique in the suite: "<entry name>-<nemeses or none>-s<seed>"
  std::string entry;  // where it came from, for messages: "tests[2]"
  std::string target;
  std::string workload = "register";
  std::vector<std::string> nemesis;  // empty: no faults
  uint64_t seed = 1;
  double time_limit_s = 60;
  double nemesis_interval_s = 10;
  int concurrency = 2;          // threads, or per node when per_node
  bool concurrency_per_node = true;
  int nodes = 3;
  double rate = 0;
  double check_time_limit_s = 0;
  Json target_options = Json::object();
  Expect expect = Expect::kValid;

  // Whether the target runs in the harness's own process (no cluster needed).
  bool InMemory() const { return target.rfind("memory", 0) == 0; }
  // Client threads for `node_count` nodes.
  int Threads(int node_count) const {
    return concurrency_per_node ? concurrency * node_count : concurrency;
  }
};

struct Suite {
  std::string name;
  std::string source;  // the file, for messages
  std::vector<SuiteRun> runs;

  // Sum of the runs' time limits, a lower bound of the suite's duration.
  double WorkloadSeconds() const;
};

// Parses suite text. InvalidArgument "FILE:LINE:COL: not valid JSON ..." for
// syntax errors, and "FILE: tests[1].seeds[0]: expected ..., got ..." for
// anything else: the message names the file, where, what was expected and
// what was found.
Result<Suite> ParseSuite(const std::string& text, const std::string& source);

// Reads and parses a suite file; NotFound naming it when it cannot be read.
Result<Suite> LoadSuite(const std::string& path);

}  // namespace faultline::suite
