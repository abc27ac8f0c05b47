// The generators' Rng is the base one (harness/base/rng.h); these names keep
// generator code reading as before.
#pragma once

#include "harness/base/rng.h"

namespace faultline::gen {

using faultline::DeriveSeed;
using faultline::Rng;

}  // namespace faultline::gen
