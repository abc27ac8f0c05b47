// PartitionNemesis: network partitions between the test's nodes, made
// through the test's Net (ClusterInfo::net; harness/control/net.h): iptables
// inside each node, or the in-memory network of in-memory targets.
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
// Setup heals the Net. Setup and every op refuse a test without a Net, or
// whose Net cannot partition its nodes (Net::Usable says why, e.g. two nodes
// sharing a loopback address). Heal heals the Net; Teardown tears it down;
// both do nothing without a Net.
//
// Thread-safety: as Nemesis (calls are serialized).
#pragma once

#include <memory>
#include <string>

#include "harness/base/status.h"
#include "nemesis/nemesis.h"

namespace faultline {

inline constexpr const char* kStartPartition = "start-partition";
inline constexpr const char* kStopPartition = "stop-partition";

std::unique_ptr<Nemesis> MakePartitionNemesis();

}  // namespace faultline
