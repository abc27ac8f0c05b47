// Nemesis: the part of a test that injects faults (partitions, kills, pauses)
// into the cluster and undoes them.
//
// The runner's nemesis worker hands it the nemesis ops the generator emits
// (f "start-partition", "kill", "pause", ...), one at a time, and records
// the completion Invoke returns. Each fault kind is its own small Nemesis;
// CompositeNemesis routes ops to them by f (composite_nemesis.h), and
// MakeNemesis builds one from the CLI's --nemesis list (nemesis_factory.h).
//
// Lifecycle, as the runner drives it:
//   Setup(ctx)          once, after the target is set up
//   Invoke(ctx, op)     for every nemesis op, from the nemesis worker
//   Heal(ctx)           the final heal before the final reads, and on any
//                       error, Ctrl-C or SIGTERM (possibly more than once)
//   Teardown(ctx)       once, before the target is torn down
// Heal and Teardown must work in any state: before Setup, after a failed
// Setup or Invoke, twice in a row, with nothing to undo.
//
// Thread-safety: every method may be called from any thread, also while
// another call runs; calls on one nemesis are serialized, so a Heal that
// arrives while an Invoke runs waits for it and then undoes its fault too.
// No method throws; failures come back as a Status or as the op's `error`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/remote.h"
#include "harness/history/op.h"
#include "targets/target.h"

namespace faultline {

// What every nemesis call may act on. The runner builds one for the whole
// test and passes it to every call; it must stay unchanged between calls.
struct NemesisContext {
  ClusterInfo cluster;
  // remotes[i] reaches cluster.nodes[i] (the convention of SetupAll).
  std::vector<std::shared_ptr<Remote>> remotes;
  // For its capabilities (killable, pausable); may be null for nemeses that
  // need none (partition).
  Target* target = nullptr;
  // Each nemesis draws its random choices (which nodes, which split) from a
  // stream derived from this seed, so the same seed and the same ops give
  // the same faults.
  uint64_t seed = 0;
  // Receives one line per fault injected or undone (no newline). May be empty.
  std::function<void(const std::string&)> log;

  void Log(const std::string& line) const {
    if (log) log(line);
  }
  // Names of cluster.nodes, in order.
  std::vector<std::string> NodeNames() const;
  // Index of `name` in cluster.nodes, or -1.
  int IndexOf(const std::string& name) const;
  // Ok when remotes and nodes match one to one, no remote is null and the
  // node names are unique and non-empty; InvalidArgument saying what is wrong.
  Status Validate() const;
};

class Nemesis {
 public:
  virtual ~Nemesis() = default;

  // "partition", "kill", "pause", or a composite's "partition+kill".
  virtual std::string name() const = 0;

  // The op f values Invoke acts on (e.g. {"start-partition", "stop-partition"}).
  virtual std::vector<std::string> fs() const = 0;

  // Prepares the nodes (e.g. makes the iptables chain on every node, which
  // also proves iptables works there). Error naming the node and what failed.
  virtual Status Setup(const NemesisContext& ctx) = 0;

  // Performs the nemesis op `op` (type invoke) and returns its completion:
  // `op` with type
  //   ok    done; value says exactly what (e.g. {"killed": ["n3"]})
  //   fail  certainly nothing was done (bad value, unknown f, a capability
  //         the target lacks: "unsupported: target nginx cannot kill"); error
  //         says why
  //   info  it failed part-way and may have taken effect on some nodes;
  //         value says what was attempted or done, error what failed
  // and index and time left for the recorder. Never throws.
  virtual Op Invoke(const NemesisContext& ctx, const Op& op) = 0;

  // Undoes every fault this nemesis may have caused: heals partitions,
  // resumes paused processes, restarts killed ones. Idempotent; Ok when
  // nothing was to be undone. Tries everything even when part fails, then
  // returns an error naming each node and what failed there.
  virtual Status Heal(const NemesisContext& ctx) = 0;

  // Heals, then removes whatever Setup left on the nodes (the iptables
  // chain), so no trace remains. Idempotent; safe without Setup.
  virtual Status Teardown(const NemesisContext& ctx) = 0;
};

// The completion of `invocation` with `type`, `value` and `error` (null:
// none); index and time are reset for the recorder.
Op CompleteNemesisOp(const Op& invocation, OpType type, Json value, Json error = nullptr);

}  // namespace faultline
