// Net: the network between a test's nodes, as a capability. The partition
// nemesis, and the runner's setup (which must start from a healed network),
// use only this; they never know whether the cut is made by iptables inside
// each node or simulated in memory.
//
// A partition is a Grudge (partition.h): node -> the peers it must not hear
// from. Two implementations:
//   iptables   DROP rules in each node's FAULTLINE chain, over the node's
//              Remote (partition.h). Needs a distinct, non-loopback address
//              per node; otherwise it is "unusable" and says why.
//   memory     records the grudge only; in-memory targets ask Hears() before
//              an op crosses from one node to another, so they honour
//              partitions as a real system would (ops across a cut time out).
//
// Packet loss (Lose; a LossPlan, partition.h) is kept beside the partition:
// each node's FAULTLINE chain holds both its partition DROPs and its random
// (statistic-match) DROPs, and Heal removes both. The memory Net records the
// plan but does not model loss: Hears() stays true across a lossy link.
//
// Lifecycle: Reset() once before the target is set up (heals whatever an
// earlier, killed controller left behind and reports where it found some);
// Drop / Heal while the test runs; Teardown() at the end. Every method but
// Drop works on an unusable Net (and does nothing there).
//
// Thread-safety: every method may be called from any thread; calls are
// serialized inside the Net.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/partition.h"
#include "harness/control/remote.h"

namespace faultline {

class Net {
 public:
  virtual ~Net() = default;

  // "iptables", "memory".
  virtual std::string name() const = 0;

  // Ok when Drop can work; otherwise the reason (InvalidArgument), e.g.
  // "partitions: nodes n1 and n2 share the address 127.0.0.1; ...".
  virtual Status Usable() const = 0;

  // Heals every node and returns the names of those on which a partition was
  // left over (nodes that still dropped traffic). Error naming each node on
  // which it could not tell or could not heal.
  virtual Result<std::vector<std::string>> Reset() = 0;

  // Replaces the partition in force with `grudge`. InvalidArgument when it
  // names a node the Net does not know or the Net is unusable; otherwise the
  // first node's error, naming it (the partition may then be partly made).
  virtual Status Drop(const Grudge& grudge) = 0;

  // Replaces the packet loss in force with `plan` (the partition stays).
  // InvalidArgument when it names an unknown node, a rate outside 0..1, or
  // the Net is unusable; otherwise the first node's error, naming it.
  virtual Status Lose(const LossPlan& plan) = 0;

  // The loss plan in force (empty after Heal).
  virtual LossPlan loss() const = 0;

  // Every node hears every other again, with no loss. Idempotent.
  virtual Status Heal() = 0;

  // Heal, and remove what the Net left on the nodes (the iptables chain).
  virtual Status Teardown() = 0;

  // Whether `node` hears from `peer` now, as far as this Net made it (a node
  // always hears itself).
  virtual bool Hears(const std::string& node, const std::string& peer) const = 0;
};

// One node as a Net sees it.
struct NetNode {
  std::string name;
  std::string address;             // what peers drop it by (iptables)
  std::shared_ptr<Remote> remote;  // iptables: where its rules go
};

// iptables over each node's Remote. Never fails to build: a cluster it cannot
// partition (shared or loopback addresses, a node without a remote) gives a
// Net whose Usable() says why and whose Reset/Heal/Teardown do nothing, so
// that nothing is ever run on the controller's own machine by mistake.
std::shared_ptr<Net> MakeIptablesNet(std::vector<NetNode> nodes);

// The in-memory network of in-memory targets (no remote is touched).
std::shared_ptr<Net> MakeMemoryNet(std::vector<std::string> node_names);

// Ok, or InvalidArgument when two nodes share an address, or one is empty or
// loopback (dropping it would cut a node off from itself, or, nodes sharing
// one machine, only the controller's own traffic).
Status CheckPartitionAddresses(const std::vector<NetNode>& nodes);

}  // namespace faultline
