// The zookeeper target: Debian's zookeeper (3.8) as one ensemble over all
// nodes of the test, with register, set and lock clients over Debian's C
// client library (zookeeper_client.h).
//
// On each node everything lives in <node data dir>/<dir_name> (default
// /var/lib/faultline/node/zookeeper): zoo.cfg, data/ (dataDir, with myid),
// zookeeper.log (the JVM's stdout and stderr: ZooKeeper logs through
// slf4j-simple to stderr) and zookeeper.pid. The server runs as a detached
// daemon (node_util.h):
//   java -Xmx<heap>m ... -cp <classpath> ...QuorumPeerMain <dir>/zoo.cfg
// Node i of the test (1-based, in the cluster's order) has myid i; zoo.cfg
// lists server.i=<host>:<quorum port>:<election port> for every node, the
// tick time and init/sync limits, and enables the four-letter words ruok,
// srvr, stat and mntr, which the controller uses to watch it. Ports default
// to 2181 / 2888 / 3888 and may differ per node, so that several members can
// share one host (loopback tests).
//
//   Setup     installs the zookeeper package if missing, stops a leftover
//             server, wipes the directory, writes zoo.cfg and myid, starts
//             the JVM, and waits until `srvr` (sent from the controller to
//             the client port) names a mode (leader or follower): the node is
//             then part of a quorum that has a leader. Setup must run on all
//             nodes at once (SetupAll).
//   Teardown  SIGKILL (the data goes anyway), and wipes the directory.
//   Kill      SIGKILL. Start: starts again on the same data and waits until
//             `ruok` answers "imok" (up, maybe without a quorum).
//   Pause     SIGSTOP; Resume: SIGCONT.
//   LogFiles  zookeeper.log and zoo.cfg. Primaries: nodes whose `srvr`
//             says "Mode: leader" (or "standalone").
//
// Thread-safety: as Target.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "targets/target.h"
#include "targets/zookeeper_client.h"

namespace faultline {

struct ZooKeeperPorts {
  int client = 2181;
  int quorum = 2888;
  int election = 3888;
};

// Sends a four-letter word to host:port and returns everything the server
// wrote back before closing. Unreachable when nothing listens, Timeout when
// it does not answer within `timeout`.
using FourLetterFn = std::function<Result<std::string>(const std::string& host, int port,
                                                       const std::string& word,
                                                       std::chrono::milliseconds timeout)>;

struct ZooKeeperOptions {
  std::string java = "java";  // on the node's PATH, or absolute
  // The Debian package Setup installs when missing (EnsurePackages); empty:
  // install nothing.
  std::string package = "zookeeper";
  // Debian's zookeeper.jar names its dependencies in its manifest; slf4j-simple
  // makes the server log to stderr (Debian ships no slf4j binding with it).
  std::string classpath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";
  std::string dir_name = "zookeeper";  // a plain name: the subdirectory of the node's data dir
  ZooKeeperPorts ports;                // every node's, unless overridden below
  std::map<std::string, ZooKeeperPorts> node_ports;  // by node name
  int tick_time_ms = 500;  // sessions may last 2 to 20 ticks
  int init_limit = 10;     // ticks a follower may take to connect and sync to a leader
  int sync_limit = 5;      // ticks a follower may lag behind before it is dropped
  int heap_mb = 256;       // -Xmx
  std::vector<std::string> jvm_args;      // appended to the JVM's options
  std::vector<std::string> extra_config;  // "key=value" lines appended to zoo.cfg
  // Setup: how long the ensemble may take to form.
  std::chrono::milliseconds setup_deadline{std::chrono::seconds(60)};
  // Start: how long a restarted server may take to answer ruok.
  std::chrono::milliseconds start_deadline{std::chrono::seconds(20)};
  ZooKeeperClientOptions client;  // endpoint is filled in by the target
  // How the controller sends four-letter words; null: a TCP connection.
  FourLetterFn four_letter;
};

// InvalidArgument naming the option when the options are unusable.
Result<std::unique_ptr<Target>> MakeZooKeeperTarget(ZooKeeperOptions options = {});

// Paths, configuration and command line of the server on one node, as Setup
// and Start use them.
struct ZooKeeperMember {
  int id = 0;       // myid: 1-based position in the cluster
  std::string dir;  // <node data dir>/<dir_name>
  std::string data_dir;
  std::string config_file;
  std::string myid_file;
  std::string log_file;
  std::string pid_file;
  std::string host;
  int client_port = 0;
  std::string config;  // zoo.cfg's text
  std::vector<std::string> argv;
};
// InvalidArgument when the node's data dir is not absolute, a node has no
// name or host, or the node is not one of node.cluster.nodes.
Result<ZooKeeperMember> DescribeZooKeeperMember(const ZooKeeperOptions& options,
                                                const NodeContext& node);

// The "Mode: " of a `srvr` answer ("leader", "follower", "standalone", ...);
// empty when the server does not serve (no quorum) or the text has no mode.
std::string ZooKeeperMode(const std::string& srvr_answer);

// A four-letter word over TCP from this machine (FourLetterFn).
Result<std::string> SendFourLetterWord(const std::string& host, int port, const std::string& word,
                                       std::chrono::milliseconds timeout);

}  // namespace faultline
