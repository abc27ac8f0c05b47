// CompositeNemesis: several nemeses as one. Each op goes to the child whose
// fs() holds its f; an f no child handles completes as fail. Setup sets the
// children up in order and stops at the first failure; Heal and Teardown
// visit every child in order even when some fail, then report all failures
// ("partition: ...; kill: ..."). Put the network first so that restarted and
// resumed nodes come back to a connected cluster (MakeNemesis does).
//
// Thread-safety: as Nemesis. The composite holds no state of its own; each
// child serializes its own calls, so an op for one child does not wait for
// another child's op.
#pragma once

#include <memory>
#include <vector>

#include "harness/base/status.h"
#include "nemesis/nemesis.h"

namespace faultline {

// InvalidArgument when a child is null or two children handle the same f.
Result<std::unique_ptr<Nemesis>> MakeCompositeNemesis(
    std::vector<std::unique_ptr<Nemesis>> children);

}  // namespace faultline
