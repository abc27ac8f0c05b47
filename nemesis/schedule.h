// Nemesis schedules: the generators that decide when faults happen, built
// from the generator library (harness/generator/combinators.h), for the
// kinds of nemesis_factory.h.
//
// NemesisGenerator(kinds, interval) runs on the nemesis thread, forever:
//   sleep interval, a fault, sleep interval, its recovery, ...
// each round's fault kind drawn uniformly from `kinds` (from the generator's
// seed), with
//   partition  start-partition with a shape drawn from options.partition_shapes
//              ... stop-partition
//   kill       kill options.kill_targets   ... start (null: the killed nodes)
//   pause      pause options.pause_targets ... resume (null: the paused nodes)
//   clock      bump or strobe (one drawn; the nemesis draws node and delta)
//              ... reset
// Sleeps start when the previous op completes, so a slow fault or recovery
// never shortens the time the cluster spends faulted or healed. Bound it with
// the test's TimeLimit; the time limit cuts a sleep short, and may end the
// schedule between a fault and its recovery: run FinalHealGenerator (and
// Nemesis::Heal) afterwards.
//
// Like every generator these are immutable values, safe to share.
#pragma once

#include <string>
#include <vector>

#include "harness/generator/combinators.h"
#include "harness/generator/generator.h"
#include "harness/history/op.h"

namespace faultline {

struct NemesisScheduleOptions {
  // isolate-primary needs a target with HasPrimaries (otherwise that round's
  // start-partition fails and changes nothing).
  std::vector<std::string> partition_shapes = {"random-halves", "isolate-one", "majorities-ring",
                                               "isolate-primary"};
  Json kill_targets = "one";  // a node selection (node_selection.h)
  Json pause_targets = "one";
};

// Nemesis(...) of the schedule above; Empty() when `kinds` is empty. A
// generator answering kError (generator.h) for an unknown kind or shape, an
// empty shape list, or an interval <= 0.
gen::GenPtr NemesisGenerator(const std::vector<std::string>& kinds, gen::Duration interval,
                             const NemesisScheduleOptions& options = {});

// On the nemesis thread, one recovery op per kind, in the order network,
// processes, clocks: stop-partition, resume, start, reset (value null: whatever the
// nemesis faulted). Recorded in the history, so every fault period visibly
// ends before the final reads. Empty() for no kinds; kError as above.
gen::GenPtr FinalHealGenerator(const std::vector<std::string>& kinds);

// A generator that behaves as one of `choices`, drawn uniformly when it is
// seeded (so inside Repeat each round draws again). kError when empty or a
// choice is null.
gen::GenPtr OneOf(std::vector<gen::GenPtr> choices);

}  // namespace faultline
