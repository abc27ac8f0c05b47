// In-memory targets: registers, sets and locks held inside the test process, for fast tests of
// the runner, workloads and nemeses with no cluster and no SSH. Setup,
// Teardown and the capabilities never touch the Remote.
//
//   "memory"         one register store shared by every node, under a mutex:
//                    linearizable.
//   "memory-unsafe"  every node keeps its own replica; a write or cas takes
//                    effect on its node at once and reaches the other nodes
//                    only after replication_delay. Reads on another node are
//                    stale: the linearizability checker must catch it.
//                    Its sets acknowledge adds and drop 5% of them, and its
//                    locks grant a lock another client holds with chance 10%
//                    at each try, so the set and lock checkers must catch it.
// Sets and locks are one store shared by all nodes. A lock client is one
// owner (a session): its acquire waits up to `timeout` for a held lock and
// then fails ("lock-busy"); closing the client frees its locks.
//
// Faults, as a real system would show them:
//   Kill   the node is down: its ops fail at once ("unreachable: ...", as a
//          refused connection) until Start; an op blocked on the node when
//          it dies completes as info. Data survives (as on disk).
//   Pause  ops on the node block until Resume; one blocked longer than
//          `timeout` completes as info without taking effect.
//
// Thread-safety: everything may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "targets/target.h"

namespace faultline {

struct MemoryTargetOptions {
  // Each op sleeps a uniformly random time in [0, max_latency] before it
  // takes effect, so that concurrent ops overlap.
  std::chrono::microseconds max_latency{0};
  // How long an op waits on a paused node before completing as info.
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  // memory-unsafe only: the delay before a write reaches the other nodes.
  std::chrono::milliseconds replication_delay{std::chrono::milliseconds(50)};
  uint64_t seed = 1;  // for the latencies
};

std::unique_ptr<Target> MakeMemoryTarget(const MemoryTargetOptions& options = {});
std::unique_ptr<Target> MakeUnsafeMemoryTarget(const MemoryTargetOptions& options = {});

}  // namespace faultline
