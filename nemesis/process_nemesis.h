// KillNemesis and PauseNemesis: crash or freeze the target's processes on
// some nodes through the target's Killable / Pausable capability, and undo it.
//
//   kill nemesis
//     f "kill",  value: a node selection (node_selection.h; null means "one")
//       -> ok, value {"killed": [nodes]}
//     f "start", value: null (every node this nemesis killed and has not
//                started since) or a node selection
//       -> ok, value {"started": [nodes]}
//   pause nemesis
//     f "pause",  value as for kill  -> ok, value {"paused": [nodes]}
//     f "resume", value as for start -> ok, value {"resumed": [nodes],
//                                                  "not-running": [nodes]}
//       A node whose process is not running (e.g. killed meanwhile) is
//       listed under "not-running": nothing is paused there any more.
//
// Each remembers the nodes it faulted until they are recovered (a node whose
// fault or recovery failed part-way stays remembered); Heal recovers exactly
// those, and Teardown heals. Nodes are acted on in parallel. When the
// context's target lacks the capability an op completes as fail with
// "unsupported: target <name> cannot kill" (or pause); the Make functions
// refuse such a target up front.
//
// Thread-safety: as Nemesis (calls are serialized).
#pragma once

#include <memory>

#include "harness/base/status.h"
#include "nemesis/nemesis.h"
#include "targets/target.h"

namespace faultline {

inline constexpr const char* kKill = "kill";
inline constexpr const char* kStart = "start";
inline constexpr const char* kPause = "pause";
inline constexpr const char* kResume = "resume";

// InvalidArgument when `target` has no Killable (Pausable) capability. The
// target is only inspected: each call acts on the context's target.
Result<std::unique_ptr<Nemesis>> MakeKillNemesis(Target& target);
Result<std::unique_ptr<Nemesis>> MakePauseNemesis(Target& target);

}  // namespace faultline
