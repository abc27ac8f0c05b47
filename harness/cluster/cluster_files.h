// The files a local cluster keeps and hands out: its state file, each node's
// sshd_config, the SSH config and known_hosts for users, the nodes file for
// `faultline test --nodes-file`, and the `status` output.
//
// Layout of a cluster's directory (<root> is /var/lib/faultline/clusters):
//   <root>/<name>/state.json       what exists (written before it is made)
//   <root>/<name>/id_ed25519[.pub] the cluster's SSH key pair
//   <root>/<name>/nodes.json       nodes file
//   <root>/<name>/ssh_config       for `ssh -F ssh_config n1`
//   <root>/<name>/known_hosts      every node's host key
//   <root>/<name>/nK/data          mounted at kNodeDataDir inside node nK
//   <root>/<name>/nK/tmp           mounted at /tmp inside nK
//   <root>/<name>/nK/root          mounted at /root (root's home) inside nK
//   <root>/<name>/nK/sshd          mounted at kNodeSshdDir inside nK: sshd_config,
//                                  host key, authorized_keys, sshd.log
//
// Pure functions and plain values; thread-compatible.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/base/status.h"

namespace faultline::cluster {

inline constexpr const char* kDefaultStateRoot = "/var/lib/faultline/clusters";
// Inside every node: sshd's configuration, host key and log (a private bind).
inline constexpr const char* kNodeSshdDir = "/run/faultline";

struct ClusterPaths {
  ClusterPaths(std::filesystem::path root, const std::string& name) : dir(std::move(root) / name) {}

  std::filesystem::path dir;
  std::filesystem::path state() const { return dir / "state.json"; }
  std::filesystem::path key() const { return dir / "id_ed25519"; }
  std::filesystem::path public_key() const { return dir / "id_ed25519.pub"; }
  std::filesystem::path nodes_file() const { return dir / "nodes.json"; }
  std::filesystem::path ssh_config() const { return dir / "ssh_config"; }
  std::filesystem::path known_hosts() const { return dir / "known_hosts"; }
  std::filesystem::path node_dir(const std::string& node) const { return dir / node; }
  std::filesystem::path data_dir(const std::string& node) const { return dir / node / "data"; }
  std::filesystem::path tmp_dir(const std::string& node) const { return dir / node / "tmp"; }
  std::filesystem::path home_dir(const std::string& node) const { return dir / node / "root"; }
  std::filesystem::path sshd_dir(const std::string& node) const { return dir / node / "sshd"; }
  std::filesystem::path host_key(const std::string& node) const {
    return sshd_dir(node) / "ssh_host_ed25519_key";
  }
  std::filesystem::path sshd_log(const std::string& node) const {
    return sshd_dir(node) / "sshd.log";
  }
};

struct NodeState {
  std::string name;     // "n1"
  std::string address;  // "10.77.3.11"
  std::string netns;    // "faultline-NAME-n1"
  std::string veth;     // host end of the node's veth pair, "fl3n1"
  int init_pid = 0;     // host pid of the node's first process (sshd); 0 before launch
};

// Written before anything it names is made, so `down` can undo a crashed `up`.
struct ClusterState {
  std::string name;
  int index = -1;
  std::string bridge;  // "flbr-3"
  std::string subnet;  // "10.77.3.0/24"
  std::string phase;   // "creating" while `up` runs, "up" once every node answered
  std::vector<NodeState> nodes;
};

// The plan for cluster `name` number `index` with `count` nodes, phase "creating".
ClusterState PlanCluster(const std::string& name, int index, int count);

std::string StateToJson(const ClusterState& state);
// InvalidArgument naming `source` and the field when the text is not a state.
Result<ClusterState> ParseState(const std::string& text, const std::string& source);

// sshd_config for a node listening on `address`:22, root by key only.
std::string RenderSshdConfig(const std::string& address);

// `Host nK` entries with the cluster's key, user root and strict host keys.
std::string RenderSshConfig(const ClusterState& state, const ClusterPaths& paths);

// One "<address> <type> <base64>" line per node; `host_public_keys[i]` is the
// content of node i's ssh_host_ed25519_key.pub ("ssh-ed25519 AAAA... comment").
Result<std::string> RenderKnownHosts(const ClusterState& state,
                                     const std::vector<std::string>& host_public_keys);

// The nodes file (format: harness/control/nodes_file.h): every node as root
// on port 22 with the cluster's key, host_key_policy "strict" against the
// cluster's known_hosts; plus the cluster's name and SSH config.
std::string RenderNodesFile(const ClusterState& state, const ClusterPaths& paths);

// What `faultline cluster status` reports.
struct ClusterStatus {
  std::string name;
  bool exists = false;  // a state file was found
  ClusterState state;
  std::vector<bool> running;  // per node: its sshd answered just now
  std::string nodes_file, ssh_config, ssh_key;

  bool up() const;  // exists, phase "up" and every node running
};

// {"name","up","phase","subnet","nodes":[{"name","address","running"}],
//  "nodes_file","ssh_config","ssh_key"}
std::string RenderStatusJson(const ClusterStatus& status);
std::string RenderStatusText(const ClusterStatus& status);

// The lines `up` prints: how to reach the nodes and use the nodes file.
std::string RenderUsageHint(const ClusterState& state, const ClusterPaths& paths);

}  // namespace faultline::cluster
