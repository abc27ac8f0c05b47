// The etcd target: Debian's etcd-server (3.4) as one cluster over all nodes
// of the test, and register, set and lock clients over its HTTP/JSON gateway
// (etcd_client.h, etcd_set_lock.h).
//
// On each node everything lives in <node data dir>/<dir_name> (default
// /var/lib/faultline/node/etcd): data/ (etcd's --data-dir), etcd.log (its
// stdout and stderr) and etcd.pid. etcd runs as a detached daemon
// (node_util.h), named after the node, listening on the node's host:
//   --listen-client-urls http://<host>:<client port>   (also advertised)
//   --listen-peer-urls   http://<host>:<peer port>     (also advertised)
//   --initial-cluster    n1=http://<host1>:<peer1>,... (every node)
//   --initial-cluster-state new  --initial-cluster-token <token>
// Ports default to 2379 / 2380 and may differ per node, so that several
// members can share one host (loopback tests).
//
//   Setup     installs etcd-server if missing, stops a leftover member,
//             wipes the directory, starts etcd, and
//             waits until GET <client url>/health (from the controller)
//             answers {"health":"true"}. Setup must run on all nodes at once
//             (SetupAll): a member is healthy only with a quorum.
//   Teardown  SIGKILL (the data goes anyway), and wipes the directory.
//   Kill      SIGKILL. Start: starts again on the same data (etcd then
//             ignores the --initial-cluster flags, as the member exists) and
//             waits until the client port answers HTTP.
//   Pause     SIGSTOP; Resume: SIGCONT.
//   LogFiles  etcd.log.  Primaries: members whose status names themselves
//             as the leader.
//
// Thread-safety: as Target.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "targets/etcd_set_lock.h"
#include "targets/http_transport.h"
#include "targets/target.h"

namespace faultline {

struct EtcdPorts {
  int client = 2379;
  int peer = 2380;
};

struct EtcdOptions {
  std::string binary = "/usr/bin/etcd";
  // The Debian package Setup installs when missing (EnsurePackages); empty:
  // install nothing (a binary of your own).
  std::string package = "etcd-server";
  std::string dir_name = "etcd";  // a plain name: the subdirectory of the node's data dir
  EtcdPorts ports;                // every node's, unless overridden below
  std::map<std::string, EtcdPorts> node_ports;  // by node name
  std::string cluster_token = "faultline";
  std::vector<std::string> extra_args;  // appended to etcd's command line
  // Setup: how long etcd may take to become healthy.
  std::chrono::milliseconds setup_deadline{std::chrono::seconds(30)};
  // Start: how long etcd may take to answer on its client port.
  std::chrono::milliseconds start_deadline{std::chrono::seconds(10)};
  HttpTimeouts client_timeouts;  // for register clients
  std::string key_prefix = "faultline/";
  EtcdLockOptions lock;  // lock clients: lease TTL, acquire timeout
  // Makes the HTTP transports of clients and health probes; null: libcurl.
  std::function<std::unique_ptr<HttpTransport>(const HttpTimeouts&)> make_transport;
};

// InvalidArgument naming the field when the options are unusable (a port out
// of range, a dir_name with '/', an empty binary or token).
Result<std::unique_ptr<Target>> MakeEtcdTarget(EtcdOptions options = {});

// Paths and command line of the member on `node`, as Setup and Start use them.
struct EtcdMember {
  std::string dir;  // <node data dir>/<dir_name>
  std::string data_dir;
  std::string log_file;
  std::string pid_file;
  std::string client_url;  // http://host:port, also what clients use
  std::vector<std::string> argv;
};
// InvalidArgument when the node's data dir is not absolute or the node is not
// one of node.cluster.nodes.
Result<EtcdMember> DescribeEtcdMember(const EtcdOptions& options, const NodeContext& node);

}  // namespace faultline
