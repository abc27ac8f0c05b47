// Helpers shared by the nemeses of this folder (not part of the public API);
// thin names over harness/base/parallel.h.
//
// Thread-safety: stateless functions.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness/base/parallel.h"
#include "harness/base/status.h"

namespace faultline::nemesis_internal {

// Calls fn(i) for every i in `items` at once, each on its own thread, and
// returns the Statuses in the order of `items`. fn must not throw.
std::vector<Status> ParallelFor(const std::vector<size_t>& items,
                                const std::function<Status(size_t)>& fn);

// One (label, status) per thing attempted.
using Outcomes = LabelledStatuses;

// Ok when every outcome is ok; otherwise `what` + " failed on " and each
// failing label with its error ("n2: timeout: ...; n3: ..."), with the code of
// the first failure.
Status Summarize(const std::string& what, const Outcomes& outcomes);

// "a, b, c".
std::string Join(const std::vector<std::string>& items);

}  // namespace faultline::nemesis_internal
