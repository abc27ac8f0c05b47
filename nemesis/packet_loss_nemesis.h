// PacketLossNemesis: random packet loss between the test's nodes, made
// through the test's Net (Net::Lose; harness/control/net.h). On iptables it
// is a statistic-match DROP in each receiving node's FAULTLINE chain, so a
// lossy link loses each packet independently with the plan's rate (TCP
// retransmits; requests slow down and some time out). Delay is not offered:
// it would need the netem qdisc, which the kernels we run on may lack.
//
//   f "start-packet-loss", value:
//       null                     a random rate in [0.1, 0.5] (two decimals),
//                                on one random node's links (both ways) or on
//                                every link, chosen at random
//       {"rate": r, "links": {"n1": ["n2", "n3"], ...}}
//                                exactly that: n1 loses share r of the
//                                packets it receives from n2 and n3
//     -> ok, value {"rate": r, "links": {node: [peers]}}
//     A new plan replaces the previous one; a partition in force stays.
//   f "stop-packet-loss" (value ignored)
//     -> ok, value {"healed": [every node]}   (removes the loss only)
//
// Setup heals the Net. Setup and every op refuse a test without a Net, or
// whose Net cannot make faults (Net::Usable says why). Heal heals the Net
// (partitions too); Teardown tears it down. On the memory Net the plan is
// recorded but in-memory targets do not model loss.
//
// Thread-safety: as Nemesis (calls are serialized).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/history/op.h"
#include "harness/base/status.h"
#include "harness/control/partition.h"
#include "nemesis/nemesis.h"

namespace faultline {

inline constexpr const char* kStartPacketLoss = "start-packet-loss";
inline constexpr const char* kStopPacketLoss = "stop-packet-loss";

std::unique_ptr<Nemesis> MakePacketLossNemesis();

// {"rate": r, "links": {...}} <-> a LossPlan with one rate. FromJson:
// InvalidArgument naming the field for a rate outside 0..1, a node not in
// `nodes`, or a node losing packets from itself.
Json LossPlanToJson(const LossPlan& plan);
Result<LossPlan> LossPlanFromJson(const Json& json, const std::vector<std::string>& nodes);

}  // namespace faultline
