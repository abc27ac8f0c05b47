#include "targets/target.h"

#include <functional>

#include "harness/base/parallel.h"
#include "harness/control/remote.h"

namespace faultline {
namespace {

using NodeAction = std::function<Status(const NodeContext&)>;

Status OnAllNodes(const std::string& what, const std::vector<std::shared_ptr<Remote>>& remotes,
                  const ClusterInfo& cluster, const NodeAction& action) {
  if (remotes.size() != cluster.nodes.size()) {
    return Status::InvalidArgument(what + ": " + std::to_string(remotes.size()) + " remotes for " +
                                   std::to_string(cluster.nodes.size()) +
                                   " nodes; expected one remote per node");
  }
  std::vector<std::string> names;
  for (const NodeInfo& node : cluster.nodes) names.push_back(node.name);
  return OnEach(what, names, [&](size_t i) {
    if (remotes[i] == nullptr) return Status::InvalidArgument("no remote");
    return action(NodeContext{*remotes[i], cluster.nodes[i], cluster});
  });
}

}  // namespace

Status SetupAll(Target& target, const std::vector<std::shared_ptr<Remote>>& remotes,
                const ClusterInfo& cluster) {
  return OnAllNodes(target.name() + " setup", remotes, cluster,
                    [&target](const NodeContext& node) { return target.Setup(node); });
}

Status TeardownAll(Target& target, const std::vector<std::shared_ptr<Remote>>& remotes,
                   const ClusterInfo& cluster) {
  return OnAllNodes(target.name() + " teardown", remotes, cluster,
                    [&target](const NodeContext& node) { return target.Teardown(node); });
}

}  // namespace faultline
