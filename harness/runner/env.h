// TestEnv: what the runner is given rather than chooses (in the spirit of
// leveldb's Env passed in through options): how to reach nodes, the network
// between them, and where runs are stored. faultline itself uses
// DefaultTestEnv(); tests pass fakes (fake remotes, an in-memory Net, a store
// in a temporary directory) and so run a whole test with no cluster.
//
// Thread-safety: the connector and the Nets it makes are called from several
// threads at once (one per node); implementations must allow that.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/net.h"
#include "harness/control/nodes_file.h"
#include "harness/control/remote.h"
#include "harness/runner/store.h"

namespace faultline {

class NodeConnector {
 public:
  virtual ~NodeConnector() = default;
  // The Remote for a node of a nodes file (SSH by default). It may connect
  // lazily; the runner proves every node answers before touching any.
  virtual Result<std::shared_ptr<Remote>> Connect(const NodeSpec& node) = 0;
  // The Remote for a node of an in-process target (no nodes file). Targets
  // that run in process never run commands on it.
  virtual Result<std::shared_ptr<Remote>> ConnectInProcess(const std::string& name) = 0;
};

struct TestEnv {
  // Null: SSH for nodes files, a LocalRemote for in-process nodes.
  std::shared_ptr<NodeConnector> connector;
  // Makes the test's Net for its nodes. `in_process`: the target runs inside
  // this process (it reads the Net instead of being cut by iptables). Empty:
  // an in-memory Net for in-process targets, iptables over the remotes
  // otherwise.
  std::function<std::shared_ptr<Net>(const std::vector<NetNode>& nodes, bool in_process)> make_net;
  // Where runs go. Empty: RunStore(config.store).
  std::shared_ptr<RunStore> store;
  // The nodes file to use when the config names none and the target is not
  // in process (the CLI looks for an up local cluster). Empty: none.
  std::function<std::string()> default_nodes_file;
  // Receives what the user should hear at once (one line, no newline), e.g.
  // "setup: cleared the partition left by an earlier test on n1, n2". May be
  // empty; every notice is also in harness.log.
  std::function<void(const std::string&)> notice;
};

// SSH (ConnectNode) and LocalRemote; the Nets described above.
TestEnv DefaultTestEnv();

}  // namespace faultline
