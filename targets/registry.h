// Targets by name, for the CLI and test configurations.
//
//   memory, memory-unsafe   options: max_latency_us, timeout_ms,
//                           replication_delay_ms (memory-unsafe), seed
//   etcd                    options: binary, package, dir_name, client_port, peer_port,
//                           node_ports {"n1": {"client": P, "peer": P}, ...},
//                           cluster_token, extra_args [...], setup_timeout_ms,
//                           start_timeout_ms, connect_timeout_ms,
//                           request_timeout_ms, key_prefix
//   zookeeper               options: java, package, classpath, dir_name, client_port,
//                           quorum_port, election_port,
//                           node_ports {"n1": {"client": P, "quorum": P, "election": P}},
//                           tick_time_ms, init_limit, sync_limit, heap_mb, jvm_args [...],
//                           extra_config ["key=value", ...], setup_timeout_ms,
//                           start_timeout_ms, session_timeout_ms, connect_timeout_ms,
//                           acquire_timeout_ms, root, zk_sync_reads (true/false)
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
