// Partition shapes: pure functions from the test's nodes and a random
// generator to a Grudge (node -> the nodes it must not hear from; see
// harness/control/partition.h), so that every shape is tested without nodes.
//
//   random-halves    the nodes shuffled and cut into two sides, the first of
//                    floor(n/2) nodes (a minority when n is odd); each node
//                    hears only its own side. Needs 2 nodes.
//   isolate-one      one random node hears no one and no one hears it.
//                    Needs 2 nodes.
//   majorities-ring  the nodes shuffled into a ring; each node hears only the
//                    window of a bare majority m = floor(n/2)+1 of
//                    consecutive ring positions around itself (floor(m/2)
//                    before it, the rest after it). Every node sees a
//                    majority, but no two nodes see the same one, so a
//                    protocol that trusts "I can reach a majority" elects
//                    several leaders. Needs 3 nodes. For even m the windows
//                    are not symmetric: a may hear b while b does not hear a.
//   isolate-primary  the node the target names as its primary (HasPrimaries)
//                    hears no one and no one hears it. Not a pure shape: the
//                    partition nemesis asks the target, then uses
//                    IsolateNodeGrudge; GrudgeForShape refuses it.
//
// Thread-safety: pure functions; the Rng is the caller's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/partition.h"
#include "harness/generator/rng.h"
#include "harness/history/op.h"

namespace faultline {

inline constexpr const char* kRandomHalves = "random-halves";
inline constexpr const char* kIsolateOne = "isolate-one";
inline constexpr const char* kMajoritiesRing = "majorities-ring";
inline constexpr const char* kIsolatePrimary = "isolate-primary";

// The pure shape names above, in that order (not isolate-primary).
std::vector<std::string> PartitionShapes();
// Every shape a start-partition op may name: PartitionShapes() and
// isolate-primary.
std::vector<std::string> AllPartitionShapes();

// `nodes` in a uniformly random order (Fisher-Yates with rng.Below).
std::vector<std::string> Shuffled(std::vector<std::string> nodes, gen::Rng& rng);

// Each fails with InvalidArgument when `nodes` is too small for the shape
// or holds a name twice.
Result<Grudge> RandomHalvesGrudge(const std::vector<std::string>& nodes, gen::Rng& rng);
Result<Grudge> IsolateOneGrudge(const std::vector<std::string>& nodes, gen::Rng& rng);
// `node` cut off from every other node. InvalidArgument when `node` is not
// one of `nodes` or there are fewer than 2.
Result<Grudge> IsolateNodeGrudge(const std::vector<std::string>& nodes, const std::string& node);
Result<Grudge> MajoritiesRingGrudge(const std::vector<std::string>& nodes, gen::Rng& rng);

// The shape named `shape`; InvalidArgument listing the shapes for another name.
Result<Grudge> GrudgeForShape(std::string_view shape, const std::vector<std::string>& nodes,
                              gen::Rng& rng);

// {"n1": ["n2", "n3"], ...}: nodes with an empty set are left out.
Json GrudgeToJson(const Grudge& grudge);

// Parses GrudgeToJson's form. InvalidArgument naming the entry when it is not
// an object of arrays of strings, names a node not in `nodes`, or makes a
// node deaf to itself.
Result<Grudge> GrudgeFromJson(const Json& json, const std::vector<std::string>& nodes);

// Whether `node` hears `peer` under `grudge` (every node hears itself).
bool Hears(const Grudge& grudge, const std::string& node, const std::string& peer);

}  // namespace faultline
