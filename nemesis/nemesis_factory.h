// Nemeses by name, for the CLI's `--nemesis partition,kill,pause` list.
//
//   partition   partition_nemesis.h   start-partition / stop-partition
//   kill        process_nemesis.h     kill / start      (target must be Killable)
//   pause       process_nemesis.h     pause / resume    (target must be Pausable)
//   clock       clock_nemesis.h       bump, strobe / reset (see ChooseClockMechanism)
//
// Thread-safety: the functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/base/status.h"
#include "nemesis/nemesis.h"
#include "targets/target.h"

namespace faultline {

// partition, kill, pause, clock.
std::vector<std::string> NemesisKinds();

// Parses a comma-separated list ("partition, kill"): names trimmed,
// duplicates dropped, order kept; "" and "none" mean no faults.
// InvalidArgument naming an unknown or empty entry and listing the kinds.
Result<std::vector<std::string>> ParseNemesisList(std::string_view text);

// One nemesis doing every fault in `names` (each a NemesisKind, duplicates
// ignored): a CompositeNemesis whose children come in the order partition,
// pause, kill whatever the order of `names`, so Heal reconnects the network
// before resuming and restarting processes. An empty list gives a nemesis
// with no ops whose Heal does nothing. InvalidArgument for an unknown name,
// or a kind the target cannot do:
//   nemesis kill: target nginx cannot kill nodes; leave "kill" out of the
//   nemesis list for this target
Result<std::unique_ptr<Nemesis>> MakeNemesis(const std::vector<std::string>& names, Target& target);

// What the factory may know about the test before anything is touched.
struct NemesisOptions {
  // The nodes' addresses (nodes file "host"), in order; empty when unknown.
  // The clock nemesis picks its mechanism from them (ChooseClockMechanism) and
  // refuses a target it cannot skew there.
  std::vector<std::string> hosts;
};

// As above; "clock" comes last (after the processes are back, their clocks
// are reset). For "clock", tells a ClockShimmable target to start under the
// clock shim when the shim is the mechanism, so call it before the target's
// Setup.
Result<std::unique_ptr<Nemesis>> MakeNemesis(const std::vector<std::string>& names, Target& target,
                                             const NemesisOptions& options);

}  // namespace faultline
