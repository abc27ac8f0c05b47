// The nodes file: the nodes a test may use and how to reach each over SSH.
// `faultline cluster up` writes one; `faultline test --nodes-file F` reads it;
// for your own VMs, write it by hand:
//
//   {
//     "name": "local",                         optional: the cluster's name
//     "nodes": [
//       {"name": "n1",                         default: the host; [A-Za-z0-9._-]+, unique
//        "host": "10.77.0.11",                 REQUIRED: address or DNS name
//        "port": 22,                           default 22
//        "user": "root",                       default root
//        "key": "/abs/path/id_ed25519",        default: use ssh-agent (SSH_AUTH_SOCK)
//        "host_key_policy": "accept-new",      strict | accept-new (default) | off
//        "known_hosts": "/abs/path/known_hosts"}  default ~/.ssh/known_hosts
//     ],
//     "ssh_config": "/abs/path/ssh_config"     optional
//   }
//
// Relative "key", "known_hosts" and "ssh_config" paths are taken relative to
// the nodes file's directory. "ssh_config" names an OpenSSH client config with
// which `ssh -F <it> n1` works, for humans; faultline itself does not read it.
// Unknown fields are errors, so that a typo never silently becomes a default.
// Every error names the file, the node index and the field:
//   nodes.json: nodes[2].port: expected an integer from 1 to 65535, got "22a"
//
// Plain values; the functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/remote.h"
#include "harness/control/ssh_remote.h"

namespace faultline {

struct NodeSpec {
  std::string name;
  std::string host;
  int port = 22;
  std::string user = "root";
  std::string key;  // private key file; empty: ssh-agent
  HostKeyPolicy host_key_policy = HostKeyPolicy::kAcceptNew;
  std::string known_hosts;  // empty: ~/.ssh/known_hosts
};

struct NodesFile {
  std::string name;  // optional
  std::vector<NodeSpec> nodes;
  std::string ssh_config;  // optional
};

// Parses `text`. `source` names it in errors (usually the path); relative
// paths are resolved against `base_dir` (empty: left as they are).
Result<NodesFile> ParseNodesFile(std::string_view text, const std::string& source,
                                 const std::string& base_dir);
// Reads and parses the file at `path`.
Result<NodesFile> ReadNodesFile(const std::string& path);

// The JSON text of `file` (every field written out), ending in a newline.
std::string FormatNodesFile(const NodesFile& file);
// Writes FormatNodesFile(file) to `path` atomically (temp file + rename).
Status WriteNodesFile(const std::string& path, const NodesFile& file);

SshOptions SshOptionsFor(const NodeSpec& node);

// The Remote for one node: an SshRemote (connecting lazily, on first use)
// wrapped in a RetryingRemote with the default policy. InvalidArgument when
// the spec is unusable (no host, key file unreadable).
Result<std::shared_ptr<Remote>> ConnectNode(const NodeSpec& node);

}  // namespace faultline
