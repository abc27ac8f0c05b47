// ClockNemesis: skews the nodes' wall clocks.
//
//   f "bump"    value null: one node drawn, moved by a delta drawn
//               log-uniformly from 10 ms to 5 min, either sign;
//               or {"n2": 120000, ...}: those nodes moved by those deltas (ms)
//     -> ok, value {"n2": 120000}: each moved node's offset afterwards (ms)
//   f "strobe"  value null: one node drawn, a delta drawn as for bump, a
//               period drawn log-uniformly from 10 ms to 1 s, for
//               options.strobe_duration;
//               or {"node": "n2", "delta_ms": 200, "period_ms": 50,
//                   "duration_ms": 3000}
//               The node's clock flips between its offset and offset + delta
//               every period for the duration, then stays at its offset.
//     -> ok, value {"n2": {"strobe_ms": [base, base + delta], "period_ms": 50,
//                          "flips": 58, "for_ms": 3004}}
//   f "reset"   value null -> ok, value {"n1": 0, "n2": 0, ...}: every node
//
// An offset is the node's wall clock minus true time. A change that failed
// part-way completes as info with the offsets it meant to set; Heal resets
// every node whose offset may be non-zero (so also those). Heal interrupts a
// running strobe at its next flip. Teardown heals, then undoes what Setup did.
//
// How a node's clock is moved: a NodeClock, one mechanism for the whole test,
// chosen by ChooseClockMechanism before the target is set up:
//   shim     the local cluster (nodes share this machine's kernel, so one
//            wall clock): the target's processes run under the clock shim and
//            the nemesis rewrites each node's offset file
//            (nemesis/clock_shim/clock_support.h). The target must be
//            ClockShimmable.
//   settime  nodes with kernels of their own (your VMs): faultline-clock is
//            uploaded and steps the system clock (clock_settime); NTP daemons
//            (chrony, ntp, ntpsec, openntpd, systemd-timesyncd) running at
//            Setup are stopped until Teardown. Setup refuses a node that
//            shares this machine's kernel (its boot id is ours): stepping it
//            would step the controller's clock.
// Setup logs the mechanism and why.
//
// Thread-safety: as Nemesis (calls are serialized; Heal may interrupt a strobe).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "nemesis/nemesis.h"
#include "targets/target.h"

namespace faultline {

inline constexpr const char* kBump = "bump";
inline constexpr const char* kStrobe = "strobe";
inline constexpr const char* kReset = "reset";

// How one node's wall clock is moved. Implementations hold the node's Remote.
class NodeClock {
 public:
  virtual ~NodeClock() = default;
  // "shim" or "settime".
  virtual std::string mechanism() const = 0;
  // Readies the node: finds the offset file (shim), or uploads the stepper and
  // stops NTP (settime). Error naming the node and what is missing.
  virtual Status Prepare() = 0;
  // Makes the node's wall clock read true time + offset_ns.
  virtual Status SetOffset(int64_t offset_ns) = 0;
  // Offset 0, then undoes Prepare (NTP restarted, uploaded files removed).
  // Idempotent; safe without Prepare.
  virtual Status Restore() = 0;
};

enum class ClockMechanism { kShim, kSettime };
std::string ClockMechanismName(ClockMechanism mechanism);

struct ClockPlan {
  ClockMechanism mechanism = ClockMechanism::kShim;
  std::string why;  // one sentence, for the log
};

// True for an address on this machine's kernel: loopback (127.0.0.0/8, ::1,
// localhost) or the local cluster's range 10.77.0.0/16 (harness/cluster:
// `cluster up` refuses to start when anything else on this machine uses it).
bool IsThisMachinesKernel(const std::string& host);

// The mechanism for `target` on nodes at `hosts`:
//   any host on this machine's kernel  shim; InvalidArgument when the target
//                                      is not ClockShimmable, naming why
//                                      and what works instead (VMs)
//   hosts on other machines            settime
//   hosts unknown (empty)              shim when the target is
//                                      ClockShimmable, else settime
Result<ClockPlan> ChooseClockMechanism(Target& target, const std::vector<std::string>& hosts);

// Builds a node's clock. `data_dir` is the node's data directory (the shim's
// offset file and uploaded files live under it).
using NodeClockFactory = std::function<std::unique_ptr<NodeClock>(
    ClockMechanism mechanism, Remote& remote, const std::string& data_dir, bool sudo)>;
// The real ones (shim: clock_support.h; settime: faultline-clock step).
std::unique_ptr<NodeClock> MakeNodeClock(ClockMechanism mechanism, Remote& remote,
                                         const std::string& data_dir, bool sudo);

struct ClockNemesisOptions {
  std::chrono::milliseconds min_delta{10};
  std::chrono::milliseconds max_delta{std::chrono::minutes(5)};
  std::chrono::milliseconds min_period{10};
  std::chrono::milliseconds max_period{1000};
  std::chrono::milliseconds strobe_duration{std::chrono::seconds(5)};
  // Tests replace it with fakes.
  NodeClockFactory make_clock = MakeNodeClock;
};

// A clock nemesis using `plan`. For the shim, tells the target to start its
// processes under it (ClockShimmable::EnableClockShim); InvalidArgument when
// the target cannot.
Result<std::unique_ptr<Nemesis>> MakeClockNemesis(Target& target, const ClockPlan& plan,
                                                  ClockNemesisOptions options = {});

}  // namespace faultline
