// Target: a system under test (etcd, an in-memory fake, ...) as the runner
// sees it: how to set it up and tear it down on one node, which optional
// fault capabilities it has, and which typed clients it can hand out.
//
// Capabilities are small separate interfaces, discovered through methods that
// return nullptr when the target lacks them (kill and start, pause and resume,
// log files, primaries; register clients from client.h). A nemesis or
// workload asks for the one it needs and reports "unsupported" on nullptr.
//
// Lifecycle, as the runner drives it:
//   SetupAll(target, remotes, cluster)    Setup on every node, concurrently
//   ... clients, nemesis (Kill/Start, Pause/Resume) ...
//   log_files()->LogFiles(node), downloaded by the runner
//   TeardownAll(target, remotes, cluster) Teardown on every node, concurrently
// Setup on different nodes must run concurrently (a member of a replicated
// system may only become healthy once a quorum of its peers is up); SetupAll
// does that.
//
// Thread-safety: every method of a Target and of its capabilities may be
// called concurrently from several threads, for different nodes or the same
// node (the nemesis kills a node while clients run). No method throws:
// failures come back as a Status naming the node.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/net.h"
#include "harness/control/remote.h"

namespace faultline {

class RegisterClientFactory;
class SetClientFactory;
class LockClientFactory;
class BalanceClientFactory;

// One node of the test, as the target and its clients reach it.
struct NodeInfo {
  std::string name;  // "n1": unique in the test
  std::string host;  // address the other nodes and the controller reach it at
  // The node's private data directory; empty: ClusterInfo::data_dir. Set it
  // when several nodes share one machine (loopback tests).
  std::string data_dir;
};

// The whole test, as every node's setup needs to know it.
struct ClusterInfo {
  std::vector<NodeInfo> nodes;  // in the test's order
  // Absolute; each target keeps its files in a subdirectory of it (the local
  // cluster gives every node a private directory here).
  std::string data_dir = "/var/lib/faultline/node";
  bool sudo = false;  // run the target's commands through sudo (non-root SSH user)
  // The network between the nodes, as the test's environment provides it
  // (harness/control/net.h): the partition nemesis cuts it; in-memory targets
  // ask it who hears whom, so they honour partitions. May be null (no Net:
  // nodes always hear each other).
  std::shared_ptr<Net> net;
};

// Everything a target needs to act on one node. Valid for the call only.
struct NodeContext {
  Remote& remote;
  const NodeInfo& node;
  const ClusterInfo& cluster;

  // node.data_dir, or cluster.data_dir when that is empty.
  const std::string& data_dir() const {
    return node.data_dir.empty() ? cluster.data_dir : node.data_dir;
  }
};

// Capability: crash a node's process and start it again on the same data.
class Killable {
 public:
  virtual ~Killable() = default;
  // Ends the target's processes on the node abruptly (no clean shutdown:
  // SIGKILL). Ok when none runs any more, also when none ran.
  virtual Status Kill(const NodeContext& node) = 0;
  // Starts the target on the node again on the data it has; Ok once it
  // accepts connections (it need not be healthy: its peers may be down or cut
  // off). Ok without doing anything when it already runs. Error with the end
  // of its log when it did not come up.
  virtual Status Start(const NodeContext& node) = 0;
};

// Capability: freeze a node's process (SIGSTOP) and thaw it (SIGCONT).
class Pausable {
 public:
  virtual ~Pausable() = default;
  // NotFound when the target does not run on the node (e.g. killed).
  virtual Status Pause(const NodeContext& node) = 0;
  // NotFound when the target does not run on the node. Resuming a node that
  // is not paused is Ok.
  virtual Status Resume(const NodeContext& node) = 0;
};

// Capability: log files worth keeping with the test's results.
class HasLogFiles {
 public:
  virtual ~HasLogFiles() = default;
  // Absolute paths on the node. Some may not exist (e.g. setup failed early);
  // the caller downloads those that do.
  virtual Result<std::vector<std::string>> LogFiles(const NodeContext& node) = 0;
};

// Capability: which nodes currently lead (e.g. the raft leader).
class HasPrimaries {
 public:
  virtual ~HasPrimaries() = default;
  // Names of the nodes that consider themselves primary, as far as can be
  // seen from `nodes` (those that do not answer are skipped). Empty when none
  // does. Error only when no node answered at all.
  virtual Result<std::vector<std::string>> Primaries(const std::vector<NodeContext>& nodes) = 0;
};

// Capability: the target's processes read the wall clock through libc
// (clock_gettime, gettimeofday, time), so they can run under faultline's
// clock shim (nemesis/clock_shim/clock_support.h), which gives each node's
// processes a wall clock offset of their own even when nodes share one kernel
// (the local cluster). Go programs such as etcd read the clock through the
// vDSO and ignore LD_PRELOAD: such targets must not have this capability.
class ClockShimmable {
 public:
  virtual ~ClockShimmable() = default;
  // Called once, before Setup, when the test skews clocks through the shim.
  // From then on Setup and Start start every process of the target with the
  // environment clock::PrepareClockShim(node.remote, node.data_dir(),
  // node.cluster.sudo) returns added to it (LD_PRELOAD and
  // FAULTLINE_CLOCK_FILE), so the clock nemesis finds each node's offset file.
  virtual void EnableClockShim() = 0;
};

class Target {
 public:
  virtual ~Target() = default;

  // "etcd", "memory", ...
  virtual std::string name() const = 0;

  // True for targets that run inside the test process (the in-memory ones):
  // their nodes are names, not a nodes file, and they honour partitions by
  // reading ClusterInfo::net rather than being cut by iptables.
  virtual bool in_process() const { return false; }

  // Installs, configures and starts the target on one node, from a clean
  // slate (leftovers of an earlier run are stopped and wiped), and waits
  // until it serves clients. Error naming the node and what failed.
  virtual Status Setup(const NodeContext& node) = 0;

  // Checks the test's nodes against the target's options before anything
  // is touched (a node an option names, addresses the target needs), so that
  // bad input is bad usage (exit 254), not a failed setup. InvalidArgument
  // naming the option or node. Default: Ok.
  virtual Status CheckNodes(const std::vector<NodeInfo>& nodes) const {
    (void)nodes;
    return Status::Ok();
  }

  // Stops the target on the node (also when paused) and deletes its data.
  // Idempotent: Ok when nothing was set up.
  virtual Status Teardown(const NodeContext& node) = 0;

  // Optional capabilities: nullptr when unsupported. The pointers live as
  // long as the target.
  virtual Killable* killable() { return nullptr; }
  virtual Pausable* pausable() { return nullptr; }
  virtual HasLogFiles* log_files() { return nullptr; }
  virtual HasPrimaries* primaries() { return nullptr; }
  virtual ClockShimmable* clock_shim() { return nullptr; }

  // Typed client factories (client.h): nullptr when the target cannot serve
  // that workload.
  virtual RegisterClientFactory* register_clients() { return nullptr; }
  virtual SetClientFactory* set_clients() { return nullptr; }
  virtual LockClientFactory* lock_clients() { return nullptr; }
  virtual BalanceClientFactory* balance_clients() { return nullptr; }
};

// Runs target.Setup on every node at once (remotes[i] is cluster.nodes[i]'s
// Remote) and waits for all. Ok when all succeeded; otherwise one error
// listing every failing node ("n2: ...; n3: ..."), with the first failure's
// code. InvalidArgument when remotes and cluster.nodes differ in size.
Status SetupAll(Target& target, const std::vector<std::shared_ptr<Remote>>& remotes,
                const ClusterInfo& cluster);

// The same for Teardown; every node is torn down even when some fail.
Status TeardownAll(Target& target, const std::vector<std::shared_ptr<Remote>>& remotes,
                   const ClusterInfo& cluster);

}  // namespace faultline
