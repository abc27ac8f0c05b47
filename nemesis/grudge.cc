#include "nemesis/grudge.h"

#include <set>
#include <utility>

namespace faultline {
namespace {

Status CheckNodes(std::string_view shape, const std::vector<std::string>& nodes, size_t min) {
  if (nodes.size() < min) {
    return Status::InvalidArgument("partition shape " + std::string(shape) + " needs at least " +
                                   std::to_string(min) + " nodes, the test has " +
                                   std::to_string(nodes.size()));
  }
  std::set<std::string> seen;
  for (const std::string& node : nodes) {
    if (!seen.insert(node).second) {
      return Status::InvalidArgument("partition shape " + std::string(shape) + ": node " + node +
                                     " is listed twice");
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> PartitionShapes() { return {kRandomHalves, kIsolateOne, kMajoritiesRing}; }

std::vector<std::string> AllPartitionShapes() {
  std::vector<std::string> all = PartitionShapes();
  all.push_back(kIsolatePrimary);
  return all;
}

std::vector<std::string> Shuffled(std::vector<std::string> nodes, gen::Rng& rng) {
  for (size_t i = nodes.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng.Below(i));
    std::swap(nodes[i - 1], nodes[j]);
  }
  return nodes;
}

Result<Grudge> RandomHalvesGrudge(const std::vector<std::string>& nodes, gen::Rng& rng) {
  if (Status st = CheckNodes(kRandomHalves, nodes, 2); !st.ok()) return st;
  std::vector<std::string> order = Shuffled(nodes, rng);
  const auto cut = order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2);
  return GrudgeFromComponents({{order.begin(), cut}, {cut, order.end()}});
}

Result<Grudge> IsolateOneGrudge(const std::vector<std::string>& nodes, gen::Rng& rng) {
  if (Status st = CheckNodes(kIsolateOne, nodes, 2); !st.ok()) return st;
  const std::string& loner = nodes[static_cast<size_t>(rng.Below(nodes.size()))];
  std::vector<std::string> rest;
  for (const std::string& node : nodes) {
    if (node != loner) rest.push_back(node);
  }
  return GrudgeFromComponents({{loner}, rest});
}

Result<Grudge> IsolateNodeGrudge(const std::vector<std::string>& nodes, const std::string& node) {
  if (Status st = CheckNodes(kIsolatePrimary, nodes, 2); !st.ok()) return st;
  std::vector<std::string> rest;
  for (const std::string& n : nodes) {
    if (n != node) rest.push_back(n);
  }
  if (rest.size() == nodes.size()) {
    return Status::InvalidArgument("cannot isolate " + node + ": not one of the test's nodes");
  }
  return GrudgeFromComponents({{node}, rest});
}

Result<Grudge> MajoritiesRingGrudge(const std::vector<std::string>& nodes, gen::Rng& rng) {
  if (Status st = CheckNodes(kMajoritiesRing, nodes, 3); !st.ok()) return st;
  const std::vector<std::string> ring = Shuffled(nodes, rng);
  const size_t n = ring.size();
  const size_t majority = n / 2 + 1;
  const size_t before = majority / 2;
  Grudge grudge;
  for (size_t i = 0; i < n; ++i) {
    std::set<size_t> window;
    // Positions i - before .. i - before + majority - 1, around the ring.
    for (size_t k = 0; k < majority; ++k) window.insert((i + n - before + k) % n);
    std::set<std::string>& deaf = grudge[ring[i]];
    for (size_t j = 0; j < n; ++j) {
      if (!window.count(j)) deaf.insert(ring[j]);
    }
  }
  return grudge;
}

Result<Grudge> GrudgeForShape(std::string_view shape, const std::vector<std::string>& nodes,
                              gen::Rng& rng) {
  if (shape == kRandomHalves) return RandomHalvesGrudge(nodes, rng);
  if (shape == kIsolateOne) return IsolateOneGrudge(nodes, rng);
  if (shape == kMajoritiesRing) return MajoritiesRingGrudge(nodes, rng);
  std::string known;
  for (const std::string& name : PartitionShapes()) known += (known.empty() ? "" : ", ") + name;
  return Status::InvalidArgument("unknown partition shape \"" + std::string(shape) +
                                 "\"; expected one of " + known);
}

Json GrudgeToJson(const Grudge& grudge) {
  Json out = Json::object();
  for (const auto& [node, deaf] : grudge) {
    if (deaf.empty()) continue;
    Json peers = Json::array();
    for (const std::string& peer : deaf) peers.push_back(peer);
    out[node] = std::move(peers);
  }
  return out;
}

Result<Grudge> GrudgeFromJson(const Json& json, const std::vector<std::string>& nodes) {
  const std::set<std::string> known(nodes.begin(), nodes.end());
  auto unknown = [&](const std::string& where, const std::string& node) {
    std::string list;
    for (const std::string& name : nodes) list += (list.empty() ? "" : ", ") + name;
    return Status::InvalidArgument("grudge" + where + ": node \"" + node +
                                   "\" is not in the test (nodes: " + list + ")");
  };
  if (!json.is_object()) {
    return Status::InvalidArgument(
        "grudge: expected an object of node -> [nodes it must not hear from], got " + json.dump());
  }
  Grudge grudge;
  for (const auto& [node, peers] : json.items()) {
    if (!known.count(node)) return unknown("", node);
    if (!peers.is_array()) {
      return Status::InvalidArgument("grudge[\"" + node +
                                     "\"]: expected an array of node names, got " + peers.dump());
    }
    std::set<std::string>& deaf = grudge[node];
    for (const Json& peer : peers) {
      if (!peer.is_string()) {
        return Status::InvalidArgument("grudge[\"" + node + "\"]: expected node names, got " +
                                       peer.dump());
      }
      const std::string name = peer.get<std::string>();
      if (!known.count(name)) return unknown("[\"" + node + "\"]", name);
      if (name == node) {
        return Status::InvalidArgument("grudge[\"" + node +
                                       "\"]: a node cannot be cut off from itself");
      }
      deaf.insert(name);
    }
  }
  return grudge;
}

bool Hears(const Grudge& grudge, const std::string& node, const std::string& peer) {
  if (node == peer) return true;
  auto it = grudge.find(node);
  return it == grudge.end() || !it->second.count(peer);
}

}  // namespace faultline
