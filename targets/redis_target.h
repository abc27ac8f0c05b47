// The Redis targets, on Debian's redis-server (7.0) and redis-sentinel:
//
//   redis-sentinel  the first node of the test starts as the primary, every
//                   other node as its replica (replicaof); a Sentinel runs on
//                   every node and watches the primary (quorum: a majority of
//                   the nodes). Register and set clients ask the Sentinels
//                   for the current primary and follow failovers.
//   redis-cluster   Redis Cluster over all nodes (cluster-enabled; the first
//                   node's Setup runs `redis-cli --cluster create` once every
//                   node answers), cluster_replicas replicas per primary
//                   (default: 1 with 6 or more nodes, else 0: redis-cli needs
//                   3 primaries). Register and set clients follow the slots.
//   redis           independent primaries (no replication, no Sentinel), for
//                   lock clients: SET NX PX on the first node, or Redlock over
//                   every node (lock_mode).
//
// On each node everything lives in <node data dir>/<dir_name> (default
// /var/lib/faultline/node/redis): redis.conf and sentinel.conf (written by
// Setup; Redis and Sentinel rewrite them on failover, as in production),
// data/ (the RDB and AOF files), redis.log, sentinel.log, redis.pid and
// sentinel.pid. Both run as detached daemons (node_util.h) bound to the node's
// host. The Sentinels are configured with fixed ids and each other's
// addresses, so they need no discovery round before they agree.
//
//   Setup     installs the packages if missing, stops leftovers, wipes the
//             directory, writes the configs, starts redis-server (and the
//             Sentinel) and waits, from the controller, until the server
//             answers PING, a replica's link to the primary is up, and the
//             Sentinel names the primary. Must run on all nodes at once.
//   Teardown  SIGKILL both, wipe the directory.
//   Kill      SIGKILL redis-server (the Sentinel keeps running, as it would
//             on a separate machine). Start: redis-server again on the same
//             directory (what it restores depends on appendonly / save).
//   Pause     SIGSTOP redis-server; Resume: SIGCONT.
//   LogFiles  redis.log, sentinel.log (and both configs, to see failovers).
//   Primaries the nodes the Sentinels name as primary (redis-sentinel), most
//             named first; the nodes whose ROLE is master (redis-cluster);
//             every answering node (redis).
//
// Thread-safety: as Target.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/control/node_util.h"
#include "targets/redis_conn.h"
#include "targets/target.h"

namespace faultline {

enum class RedisMode { kSentinel, kPlain, kCluster };

struct RedisPorts {
  int server = 6379;
  int sentinel = 26379;
};

enum class RedisLockMode { kSingle, kRedlock };

struct RedisOptions {
  RedisMode mode = RedisMode::kSentinel;
  std::string server_binary = "/usr/bin/redis-server";
  std::string sentinel_binary = "/usr/bin/redis-sentinel";
  // Installed by Setup when missing; empty: install nothing.
  std::vector<std::string> packages = {"redis-server", "redis-sentinel"};
  // Extra environment of redis-server (e.g. LD_PRELOAD for clock faults).
  std::vector<std::pair<std::string, std::string>> server_env;
  std::string dir_name = "redis";
  RedisPorts ports;
  std::map<std::string, RedisPorts> node_ports;  // by node name
  std::string master_name = "faultline";

  // Persistence, as redis.conf's settings of the same names. A kill loses
  // what was not yet on disk: with appendonly no, everything since the last
  // RDB snapshot (`save`); with appendonly yes, up to a second of writes
  // (appendfsync everysec) or none (always).
  bool appendonly = false;
  std::string appendfsync = "everysec";  // always | everysec | no
  std::string save = "3600 1 300 100 60 10000";  // "" disables snapshots

  // Replication safety knobs, to see how much each narrows the loss.
  int min_replicas_to_write = 0;  // redis.conf min-replicas-to-write
  int min_replicas_max_lag = 10;  // seconds
  int wait_replicas = 0;          // after each write: WAIT <n> <wait_timeout>
  std::chrono::milliseconds wait_timeout{1000};

  // Sentinel.
  std::chrono::milliseconds down_after{2000};
  std::chrono::milliseconds failover_timeout{10000};

  // Redis Cluster.
  int cluster_replicas = -1;  // -1: 1 with 6 or more nodes, else 0
  std::chrono::milliseconds cluster_node_timeout{2000};

  // Locks (redis mode).
  RedisLockMode lock_mode = RedisLockMode::kSingle;
  std::chrono::milliseconds lock_ttl{5000};

  std::chrono::milliseconds setup_deadline{std::chrono::seconds(30)};
  std::chrono::milliseconds start_deadline{std::chrono::seconds(10)};
  RedisTimeouts client_timeouts;
  std::string key_prefix = "faultline:";
  // Makes connections for clients and probes; null: hiredis.
  RedisConnector connector;
};

// "redis-sentinel", "redis-cluster" or "redis".
std::string RedisTargetName(RedisMode mode);

// InvalidArgument naming the field when the options are unusable.
Result<std::unique_ptr<Target>> MakeRedisTarget(RedisOptions options);

// Paths, configs and command lines on one node, as Setup and Start use them.
struct RedisNodeFiles {
  std::string dir, data_dir, server_conf, sentinel_conf, server_log, sentinel_log, server_pid,
      sentinel_pid;
  std::string host;
  RedisPorts ports;
  bool initial_primary = false;  // the first node of the test (sentinel mode)
  bool first = false;            // the first node of the test
  std::string server_config;     // redis.conf's text
  std::string sentinel_config;   // sentinel.conf's text; empty in plain mode
};
// InvalidArgument when the node's data dir is not absolute or the node is not
// one of node.cluster.nodes.
Result<RedisNodeFiles> DescribeRedisNode(const RedisOptions& options, const NodeContext& node);

// The one place redis-server's command line and environment are made (so
// that a preload or an environment variable can be added for all starts):
// options.server_env, then extra_env (the clock shim's, when enabled).
DaemonSpec RedisServerSpec(const RedisOptions& options, const RedisNodeFiles& files, bool sudo,
                           const std::vector<std::pair<std::string, std::string>>& extra_env = {});

}  // namespace faultline
