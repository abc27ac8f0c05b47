// PartitionNemesis: network partitions between the test's nodes, as iptables
// DROP rules in each node's FAULTLINE chain (harness/control/partition.h).
// Peers are dropped by the address in their NodeInfo.host.
//
//   f "start-partition", value:
//       "random-halves" | "isolate-one" | "majorities-ring"   (grudge.h;
//                                     null means "random-halves")
//       {"grudge": {"n1": ["n2", "n3"], ...}}    exactly that grudge
//     -> ok, value {"shape": <shape or "grudge">, "grudge": {node: [peers]}}
//     A new partition replaces the previous one.
//   f "stop-partition" (value ignored)
//     -> ok, value {"healed": [every node]}
//
// Setup flushes (and so creates) the chain on every node. Setup and every op
// refuse a cluster in which two nodes share an address or a node's address is
// a loopback one: dropping it would cut the node off from itself, or (nodes
// sharing one machine) partition nothing but the controller's own traffic.
// Heal flushes the chain on every node; Teardown removes it. On such a
// refused cluster both do nothing (no partition can have been made).
//
// Thread-safety: as Nemesis (calls are serialized).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "harness/base/status.h"
#include "nemesis/nemesis.h"

namespace faultline {

inline constexpr const char* kStartPartition = "start-partition";
inline constexpr const char* kStopPartition = "stop-partition";

std::unique_ptr<Nemesis> MakePartitionNemesis();

// node name -> the address peers drop it by. InvalidArgument for an empty,
// shared or loopback address, naming the nodes.
Result<std::map<std::string, std::string>> PartitionAddresses(const ClusterInfo& cluster);

}  // namespace faultline
