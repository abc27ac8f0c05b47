#include "targets/target.h"

#include <functional>
#include <optional>
#include <thread>

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
  std::vector<Status> results(remotes.size());
  std::vector<std::thread> threads;
  threads.reserve(remotes.size());
  for (size_t i = 0; i < remotes.size(); ++i) {
    threads.emplace_back([&, i] {
      if (remotes[i] == nullptr) {
        results[i] = Status::InvalidArgument("no remote");
        return;
      }
      results[i] = action(NodeContext{*remotes[i], cluster.nodes[i], cluster});
    });
  }
  for (auto& t : threads) t.join();

  std::string message;
  std::optional<Status::Code> first;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    if (!first) first = results[i].code();
    message += (message.empty() ? "" : "; ") + cluster.nodes[i].name + ": " + results[i].ToString();
  }
  if (!first) return Status::Ok();
  return StatusWithCode(*first, what + " failed on " + message);
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
