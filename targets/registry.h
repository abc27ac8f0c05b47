// Targets by name, for the CLI and test configurations.
//
//   memory, memory-unsafe   options: max_latency_us, timeout_ms,
//                           replication_delay_ms (memory-unsafe), seed
//   etcd                    options: binary, package, dir_name, client_port, peer_port,
//                           node_ports {"n1": {"client": P, "peer": P}, ...},
//                           cluster_token, extra_args [...], setup_timeout_ms,
//                           start_timeout_ms, connect_timeout_ms,
//                           request_timeout_ms, key_prefix, lock_ttl_s (lease
//                           TTL of lock clients, default 2), lock_timeout_ms
//                           (how long an acquire may wait, default 10000)
//   zookeeper               options: java, package, classpath, dir_name, client_port,
//                           quorum_port, election_port,
//                           node_ports {"n1": {"client": P, "quorum": P, "election": P}},
//                           tick_time_ms, init_limit, sync_limit, heap_mb, jvm_args [...],
//                           extra_config ["key=value", ...], setup_timeout_ms,
//                           start_timeout_ms, session_timeout_ms, connect_timeout_ms,
//                           acquire_timeout_ms, root, zk_sync_reads (true/false)
//   redis-sentinel          options: binary, sentinel_binary, packages [...], dir_name,
//                           port, sentinel_port, node_ports {"n1": {"port": P,
//                           "sentinel_port": P}}, appendonly, appendfsync, save,
//                           master_name, min_replicas_to_write, min_replicas_max_lag,
//                           wait_replicas, wait_timeout_ms, down_after_ms,
//                           failover_timeout_ms, setup_timeout_ms, start_timeout_ms,
//                           connect_timeout_ms, request_timeout_ms, key_prefix
//   redis-cluster           options: binary, packages, dir_name, port, node_ports,
//                           appendonly, appendfsync, save, cluster_replicas,
//                           cluster_node_timeout_ms, min_replicas_to_write,
//                           wait_replicas, wait_timeout_ms, timeouts, key_prefix
//   redis                   options: binary, packages, dir_name, port, node_ports,
//                           appendonly, appendfsync, save, lock_mode ("single" |
//                           "redlock"), lock_ttl_ms, setup_timeout_ms,
//                           start_timeout_ms, connect_timeout_ms, request_timeout_ms,
//                           key_prefix
//                           request_timeout_ms, key_prefix
//   haproxy, nginx          balancer_target.h; options: balancer_node, algorithm,
//                           hash_type, inter_ms, fall, rise, check_timeout_ms,
//                           margin_ms, retries, redispatch, retry_on ("none"),
//                           next_upstream ("off"), non_idempotent, max_fails,
//                           fail_timeout_s, connect_timeout_ms, server_timeout_ms,
//                           port, stats_port, backend_port, dir_name,
//                           connect_timeout_client_ms, request_timeout_ms
//
// Thread-safety: the functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/base/status.h"
#include "harness/history/op.h"
#include "targets/target.h"

namespace faultline {

std::vector<std::string> TargetNames();

// Makes the target `name` configured by `options` (a JSON object; null or {}
// for the defaults). InvalidArgument for an unknown name (listing the known
// ones), an unknown option, or an option of the wrong type or range, naming it:
//   target etcd: option client_port: expected an integer from 1 to 65535, got "x"
Result<std::unique_ptr<Target>> MakeTarget(std::string_view name, const Json& options = Json());

}  // namespace faultline
