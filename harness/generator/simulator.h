// Simulate: runs a generator through a Driver against simulated time and a
// fake system, with no threads and no clock, and returns the history it would
// have produced. For tests of generators (and of code that builds them) and
// for measuring the generator's own cost.
//
// The fake system answers every invocation through a CompletionPolicy (by
// default: ok after `latency`, value unchanged). Simulated time jumps from one
// event to the next, so an hour-long schedule simulates in milliseconds.
// Deterministic: the same generator, options and seed give the same history.
// Thread-compatible: each call is independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/generator/generator.h"
#include "harness/generator/rng.h"
#include "harness/history/op.h"

namespace faultline::gen {

// How the fake system ends one invocation.
struct SimCompletion {
  OpType type = OpType::kOk;            // kOk, kFail or kInfo
  Json value;                           // the completion's value
  Json error;                           // null when none
  std::chrono::nanoseconds latency{0};  // >= 0: the completion comes this long after the invocation
};

// Decides the completion of `invocation`; draw any randomness from `rng` (the
// simulation's own, seeded from the seed) so that runs stay reproducible.
using CompletionPolicy = std::function<SimCompletion(const Op& invocation, Rng& rng)>;

struct SimOptions {
  int client_count = 5;
  bool nemesis = true;
  uint64_t seed = 0;
  // The default policy: every op completes ok after `latency` with its value.
  std::chrono::nanoseconds latency{1'000'000};
  CompletionPolicy policy;  // empty: the default policy above
  // Bounds that make an unbounded generator an error instead of a hang.
  int64_t max_invocations = 10'000'000;
  std::chrono::nanoseconds max_time = std::chrono::hours(24 * 365);
  int64_t max_steps = 100'000'000;  // Driver::Next calls
  // false: count the ops but keep no history (to measure the generator alone).
  bool keep_history = true;
};

struct SimResult {
  std::vector<Op> history;        // invocations and completions, indexed, by time
  int64_t invocations = 0;        // client and nemesis invocations (also without history)
  std::vector<std::string> logs;  // Log messages, in order
  int64_t end_time = 0;           // simulated ns when the last op completed
};

// Runs `gen` to exhaustion and returns the history. Fails with the Driver's
// error for a bad generator, InvalidArgument for a policy answer that is not
// a completion or has a negative latency, and ResourceExhausted when a bound
// of `options` is passed.
Result<SimResult> Simulate(GenPtr gen, const SimOptions& options);

}  // namespace faultline::gen
