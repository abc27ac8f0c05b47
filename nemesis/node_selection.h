// Which nodes a kill or pause op acts on, from its value:
//   "one"       one random node
//   "minority"  floor((n-1)/2) random nodes: the most that leave a majority
//   "majority"  floor(n/2)+1 random nodes
//   "all"       every node
//   ["n1", ...] exactly those (each must be a node of the test, once)
// A pure function of the value, the test's nodes and the Rng, so that the
// choices are tested without nodes and reproduced from the seed.
//
// Thread-safety: pure functions; the Rng is the caller's.
#pragma once

#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/generator/rng.h"
#include "harness/history/op.h"

namespace faultline {

// The nodes `spec` names, in the order of `nodes`. InvalidArgument naming the
// value when it is none of the forms above, names an unknown node or one
// twice, or selects nothing (a minority of fewer than 3 nodes).
Result<std::vector<std::string>> SelectNodes(const Json& spec,
                                             const std::vector<std::string>& nodes, gen::Rng& rng);

// The names of the random forms: one, minority, majority, all.
std::vector<std::string> NodeSelectionNames();

}  // namespace faultline
