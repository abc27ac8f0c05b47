// LocalCluster: brings local container clusters up and down on this machine
// (`faultline cluster up | down | status`).
//
// A cluster NAME of N nodes is: a bridge flbr-<index> holding 10.77.<index>.1/24;
// per node nK a network namespace faultline-NAME-nK whose eth0 (10.77.<index>.(10+K))
// is one end of a veth pair on that bridge, and sshd as PID 1 of fresh PID,
// mount and UTS namespaces inside it (see node_launcher.h); the files listed
// in cluster_files.h under <state root>/NAME. Nodes have no default route and
// nothing is forwarded or NATed, so no node traffic leaves the machine; the
// whole 10.77.0.0/16 is routed `unreachable` on the host (a route that `up`
// and `down` install and leave in place), so while no cluster holds a subnet a
// stray connection into the range fails at once.
//
// Up and Down need root. Both hold an exclusive lock on <state root>/.lock, so
// concurrent commands on one machine serialize. The state file is written
// before anything it names is made, and Down also sweeps by name (namespaces
// faultline-NAME-*, links whose alias is faultline:NAME), so Down cleans up
// after a crashed Up, a killed process or a rebooted machine.
//
// Thread-safety: one LocalCluster may be used from several threads; the file
// lock serializes Up and Down, also across processes.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "harness/base/status.h"
#include "harness/cluster/cluster_files.h"
#include "harness/cluster/cluster_plan.h"

namespace faultline::cluster {

struct UpOptions {
  std::string name = kDefaultClusterName;
  int nodes = kDefaultNodeCount;
  // How long every node's sshd gets to accept connections.
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(15)};
  // When set and it becomes true (e.g. from a SIGINT handler), Up stops,
  // removes what it made and returns Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

class LocalCluster {
 public:
  // `log` receives progress notes and warnings (one line each, no newline).
  explicit LocalCluster(std::filesystem::path state_root = kDefaultStateRoot,
                        std::function<void(const std::string&)> log = nullptr);

  // Brings cluster `options.name` up, first removing any earlier cluster or
  // leftovers of that name. On success every node's sshd accepted a
  // connection from the host and from its neighbour node. Errors:
  //   InvalidArgument  bad name or count, not root, a missing tool, or the
  //                    address range is in use (the message names the user);
  //   Timeout          a node's sshd did not answer in time (names the node);
  //   Cancelled        options.cancel was raised;
  //   Internal/IoError a host command or system call failed.
  // On any error everything made so far has been removed again.
  Result<ClusterState> Up(const UpOptions& options);

  // Removes every trace of cluster `name`: processes, namespaces, links,
  // mounts, directories. Ok when nothing was there. InvalidArgument for a
  // bad name or not root; Internal naming what could not be removed.
  Status Down(const std::string& name);

  // Reads the state of cluster `name` and probes each node's sshd (no root
  // needed). Ok with exists=false when there is no such cluster.
  Result<ClusterStatus> GetStatus(const std::string& name);

  ClusterPaths Paths(const std::string& name) const { return ClusterPaths(root_, name); }

 private:
  class RootLock;

  Status CheckEnvironment() const;
  Status Teardown(const std::string& name);
  Status Build(ClusterState& state, const UpOptions& options);
  Status EnsureGuardRoute();
  Result<RangeReport> InspectHostRange() const;
  // Subnet indices held by other clusters' state files or by flbr-* bridges.
  std::set<int> IndicesInUse(const std::string& except_name) const;
  bool HasTraces(const std::string& name) const;
  void Log(const std::string& line) const;

  std::filesystem::path root_;
  std::function<void(const std::string&)> log_;
};

}  // namespace faultline::cluster
