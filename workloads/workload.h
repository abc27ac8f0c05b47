// Workload: what the clients ask and how the history is judged: a generator of
// client ops, the final ops run after the last heal, the client capability it
// needs from a target, and its checkers. Workloads are target-agnostic: the
// register workload runs against any target that offers register clients.
//
// Thread-safety: a Workload is built once per test and used from the runner's
// coordinating thread; NewClient may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "checkers/linearizability.h"
#include "harness/base/status.h"
#include "harness/generator/generator.h"
#include "targets/client.h"
#include "targets/target.h"

namespace faultline {

struct WorkloadOptions {
  int concurrency = 5;          // client threads
  int threads_per_key = 2;      // for keyed workloads
  int64_t ops_per_key = 200;    // a key's threads move to a fresh key after this many ops
  double rate = 0;              // ops/s over all clients; 0: as fast as the target answers
  // lock and lock-set: the longest time a client holds a lock (a random
  // share of it each time); 0: the workload's default (lock 100 ms,
  // lock-set 2 s).
  std::chrono::milliseconds hold_max{0};
  LinearizabilityOptions linearizability;  // time and memory bounds of the checker
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  // Client ops for the main phase (unbounded; the runner limits it in time).
  virtual gen::GenPtr Generator() = 0;
  // Ops each client runs after the final heal. `recent_keys` gives the most
  // recently used keys when the final phase starts (e.g. to read each).
  virtual gen::GenPtr FinalGenerator(std::function<std::vector<Json>()> recent_keys) = 0;
  // A new client for this workload from `target`; Unsupported naming the
  // target when it lacks the capability.
  virtual Result<std::unique_ptr<Client>> NewClient(Target& target) = 0;
  // Fresh checkers for a history of this workload.
  virtual std::vector<std::unique_ptr<Checker>> Checkers() = 0;
};

// The workloads by name (see README "Workloads"):
//   register   reads, writes and CAS on rotating keys; cas-register model
//   set        adds of unique integers to rotating sets, final reads; SetChecker
//   lock       acquire, hold, release of one named lock; mutex model
//   lock-set   under a lock, read a controller-held set, sleep, write it back
//              with one more element; lost elements mean overlapping holders
// InvalidArgument for an unknown name, listing the known ones.
Result<std::unique_ptr<Workload>> MakeWorkload(const std::string& name,
                                               const WorkloadOptions& options);
std::vector<std::string> WorkloadNames();

// Applies a test's "workload_options" object to `options`: {"hold_max_ms": N}
// (N >= 1). InvalidArgument naming the option when unknown or of the wrong type.
Status ApplyWorkloadOptions(const Json& json, WorkloadOptions* options);

// Each workload's constructor (registry.cc maps names to them).
std::unique_ptr<Workload> MakeRegisterWorkload(const WorkloadOptions& options);
std::unique_ptr<Workload> MakeSetWorkload(const WorkloadOptions& options);
std::unique_ptr<Workload> MakeLockWorkload(const WorkloadOptions& options);
std::unique_ptr<Workload> MakeLockSetWorkload(const WorkloadOptions& options);

}  // namespace faultline
