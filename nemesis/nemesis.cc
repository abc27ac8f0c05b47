#include "nemesis/nemesis.h"

#include <set>

#include "harness/base/parallel.h"
#include "nemesis/util.h"

namespace faultline {

std::vector<std::string> NemesisContext::NodeNames() const {
  std::vector<std::string> names;
  names.reserve(cluster.nodes.size());
  for (const NodeInfo& node : cluster.nodes) names.push_back(node.name);
  return names;
}

int NemesisContext::IndexOf(const std::string& name) const {
  for (size_t i = 0; i < cluster.nodes.size(); ++i) {
    if (cluster.nodes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status NemesisContext::Validate() const {
  if (remotes.size() != cluster.nodes.size()) {
    return Status::InvalidArgument("nemesis context: " + std::to_string(remotes.size()) +
                                   " remotes for " + std::to_string(cluster.nodes.size()) +
                                   " nodes; expected one remote per node");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < cluster.nodes.size(); ++i) {
    const std::string& name = cluster.nodes[i].name;
    if (name.empty()) {
      return Status::InvalidArgument("nemesis context: node #" + std::to_string(i) +
                                     " has no name");
    }
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("nemesis context: node name " + name + " is used twice");
    }
    if (remotes[i] == nullptr) {
      return Status::InvalidArgument("nemesis context: node " + name + " has no remote");
    }
  }
  return Status::Ok();
}

Op CompleteNemesisOp(const Op& invocation, OpType type, Json value, Json error) {
  Op done = invocation;
  done.index = -1;
  done.time = -1;
  done.type = type;
  done.value = std::move(value);
  done.error = std::move(error);
  return done;
}

namespace nemesis_internal {

std::vector<Status> ParallelFor(const std::vector<size_t>& items,
                                const std::function<Status(size_t)>& fn) {
  return ParallelMap(items.size(), [&](size_t k) { return fn(items[k]); });
}

Status Summarize(const std::string& what, const Outcomes& outcomes) {
  return MergeErrors(what, outcomes);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace nemesis_internal
}  // namespace faultline
