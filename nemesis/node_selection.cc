#include "nemesis/node_selection.h"

#include <algorithm>
#include <set>

#include "nemesis/grudge.h"

namespace faultline {
namespace {

const char* const kExpected =
    "expected \"one\", \"minority\", \"majority\", \"all\" or an array of node names";

}  // namespace

std::vector<std::string> NodeSelectionNames() { return {"one", "minority", "majority", "all"}; }

Result<std::vector<std::string>> SelectNodes(const Json& spec,
                                             const std::vector<std::string>& nodes, gen::Rng& rng) {
  const size_t n = nodes.size();
  std::set<std::string> chosen;
  if (spec.is_array()) {
    const std::set<std::string> known(nodes.begin(), nodes.end());
    for (const Json& item : spec) {
      if (!item.is_string()) {
        return Status::InvalidArgument("node list " + spec.dump() + ": " + item.dump() +
                                       " is not a node name");
      }
      const std::string name = item.get<std::string>();
      if (!known.count(name)) {
        return Status::InvalidArgument("node list " + spec.dump() + ": node \"" + name +
                                       "\" is not in the test");
      }
      if (!chosen.insert(name).second) {
        return Status::InvalidArgument("node list " + spec.dump() + ": node \"" + name +
                                       "\" is listed twice");
      }
    }
  } else if (spec.is_string()) {
    const std::string form = spec.get<std::string>();
    size_t count;
    if (form == "one") {
      count = 1;
    } else if (form == "minority") {
      count = n == 0 ? 0 : (n - 1) / 2;
    } else if (form == "majority") {
      count = n / 2 + 1;
    } else if (form == "all") {
      count = n;
    } else {
      return Status::InvalidArgument("node selection " + spec.dump() + ": " + kExpected);
    }
    count = std::min(count, n);
    std::vector<std::string> order = Shuffled(nodes, rng);
    chosen.insert(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
  } else {
    return Status::InvalidArgument("node selection " + spec.dump() + ": " + kExpected);
  }
  if (chosen.empty()) {
    return Status::InvalidArgument("node selection " + spec.dump() + " selects no node of the " +
                                   std::to_string(n) + " in the test");
  }
  std::vector<std::string> out;
  for (const std::string& node : nodes) {
    if (chosen.count(node)) out.push_back(node);
  }
  return out;
}

}  // namespace faultline
