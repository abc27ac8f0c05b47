// Network partitions inside a node, with iptables.
//
// A node "does not hear from" a peer when packets from the peer's address are
// dropped on the node's INPUT. All rules live in one dedicated chain,
// FAULTLINE, jumped to from the top of INPUT (created on first use), so
// healing is flushing that chain and never touches the user's own rules.
// IPv6 addresses go to ip6tables the same way. The same commands serve VMs
// and the local cluster (each node has its own network namespace there).
// Every command runs with sudo and `iptables -w` (waits for the xtables
// lock), and is idempotent.
//
// Thread-safety: stateless functions.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/control/remote.h"

namespace faultline {

inline constexpr const char* kPartitionChain = "FAULTLINE";

// node -> the nodes it must not hear from. Nodes absent from the map hear
// from everyone.
using Grudge = std::map<std::string, std::set<std::string>>;

// The grudge in which each component hears only its own members
// (e.g. {{n1,n2},{n3,n4,n5}}: a majority/minority split).
Grudge GrudgeFromComponents(const std::vector<std::vector<std::string>>& components);

// Packet loss: node -> the peers it loses packets from, and the share of
// their packets it loses (0..1). A DROP rule in the same FAULTLINE chain with
// `-m statistic --mode random --probability rate`, so healing clears it too.
struct Loss {
  std::set<std::string> from;
  double rate = 0;
  bool operator==(const Loss&) const = default;
};
using LossPlan = std::map<std::string, Loss>;

// One rule of a node's FAULTLINE chain: drop packets from `address`, all of
// them (probability 1) or a random share.
struct DropRule {
  std::string address;
  double probability = 1;
};

// InvalidArgument naming the rate unless 0 <= rate <= 1 (NaN refused).
Status CheckLossRate(double rate);

// The commands, for review and tests. DropFrom replaces the chain's rules
// with one DROP per address (an empty list heals). InvalidArgument for an
// address that is not an IP, CIDR or host name.
Result<Command> DropFromCommand(const std::vector<std::string>& addresses);
// Replaces the chain's rules with `rules` (plain DROP at probability 1,
// statistic-match DROP below; probability 0 makes no rule).
Result<Command> RulesCommand(const std::vector<DropRule>& rules);
Command HealCommand();
// Removes the jump and the chain (teardown: no trace left).
Command RemoveChainCommand();

// Makes the node drop all traffic from `addresses` (replacing earlier drops).
Status DropTrafficFrom(Remote& node, const std::vector<std::string>& addresses);
// Lets all traffic in again.
Status Heal(Remote& node);
// Heal, and remove the chain and its jump.
Status RemoveChain(Remote& node);

// Applies `grudge` to every node of `nodes` at once: each gets exactly the
// drops its entry names (none when absent). `addresses` maps node names to
// the addresses peers see them at. InvalidArgument when the grudge names a
// node without an address; otherwise the first node's error, naming it.
Status ApplyGrudge(const std::map<std::string, std::shared_ptr<Remote>>& nodes,
                   const std::map<std::string, std::string>& addresses, const Grudge& grudge);
// As ApplyGrudge, and each node also loses packets as `loss` says (its
// peers' addresses, at its rate). InvalidArgument for an unknown node or a
// rate outside 0..1.
Status ApplyFaults(const std::map<std::string, std::shared_ptr<Remote>>& nodes,
                   const std::map<std::string, std::string>& addresses, const Grudge& grudge,
                   const LossPlan& loss);
// Heals every node at once.
Status HealAll(const std::map<std::string, std::shared_ptr<Remote>>& nodes);

}  // namespace faultline
