// The generators a workload or a nemesis schedule is built from, and the ways
// to combine them (Jepsen's gen/* functions, in C++).
//
// Every function returns a new immutable generator (see generator.h); none of
// them fails. Bad parameters (a negative limit, a null child, ...) give a
// generator whose first Next answers kError naming the function and the
// parameter, so the mistake surfaces as a clear error when the test starts.
//
// Ops given as templates (Once, Repeat, Ops, FromFn) contribute f, value and
// key; the generator fills in type (invoke), process (of the first free thread
// of its view: clients ascending, then the nemesis) and time.
//
// Example: a register workload against 10 clients, 2 threads per key and 100
// ops per key, with a partition every 10 s, for 60 s, then a final heal and
// one read per client:
//
//   auto ops = Mix({Repeat(MakeOp("read")), FromFn(write_fn), FromFn(cas_fn)});
//   auto main = TimeLimit(60s, Any({
//       Clients(Independent({.threads_per_key = 2, .ops_per_key = 100}, Stagger(10ms, ops))),
//       Nemesis(StartStopCycle(10s, MakeOp("start-partition"), MakeOp("stop-partition")))}));
//   auto test = Phases({main, Nemesis(Once(MakeOp("heal"))), Log("final reads"),
//                       Clients(EachThread(UntilOk(Repeat(MakeOp("read")))))});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/base/status.h"
#include "harness/generator/context.h"
#include "harness/generator/generator.h"
#include "harness/generator/rng.h"
#include "harness/history/op.h"

namespace faultline::gen {

using Duration = std::chrono::nanoseconds;

// An op template: {f, value, key}.
Op MakeOp(std::string_view f, Json value = nullptr, Json key = nullptr);

// ---- Leaves ----------------------------------------------------------------

// Done at once.
GenPtr Empty();
// A generator whose first answer is kError with `status` (for factories of
// other generators that found their own parameters wrong).
GenPtr Invalid(Status status);
// `op` once.
GenPtr Once(Op op);
// `op` forever.
GenPtr Repeat(Op op);
// Each of `ops` once, in order.
GenPtr Ops(std::vector<Op> ops);

// fn(rng, i) gives the template of the i-th op (i = 0, 1, ...), or nullopt to
// end. `rng` belongs to this generator's state: draw values from it (never
// from a global source) so that the ops are reproducible. fn must be a pure
// function of its arguments (it may be called again for the same i when a step
// is asked for twice); an exception from it becomes a kError step.
using OpFn = std::function<std::optional<Op>(Rng& rng, int64_t index)>;
GenPtr FromFn(OpFn fn);

// One sleep step: the thread it lands on idles for `dt` (see Step::kSleep).
// As in Jepsen it occupies one thread only: in Seq({Sleep(dt), x}) on several
// threads, x starts at once on another one. It pauses a sequence on a single
// thread (the nemesis, or inside EachThread) or between Phases.
GenPtr Sleep(Duration dt);
// One log step (see Step::kLog).
GenPtr Log(std::string message);

// ---- Sequencing --------------------------------------------------------------

// All ops of gens[0], then of gens[1], ... No waiting between them: gens[1]
// may start while ops of gens[0] are still running.
GenPtr Seq(std::vector<GenPtr> gens);
// `gen` again and again, each round a fresh copy (reseeded per round); done if
// a round is empty.
GenPtr Repeat(GenPtr gen);
// `gen` `times` times (times >= 0).
GenPtr Repeat(int64_t times, GenPtr gen);
// Waits until every thread of its view is free, then behaves as `gen`.
GenPtr Synchronize(GenPtr gen);
// Seq of Synchronize(gen) for each: phase i+1 starts only once phase i is done
// and all of its operations (indeed all operations of the view) completed.
GenPtr Phases(std::vector<GenPtr> gens);
// first, then (once all threads are free) second.
GenPtr Then(GenPtr first, GenPtr second);

// ---- Choice and concurrency ------------------------------------------------------

// Each op from one of `gens`, chosen uniformly at random (Jepsen's mix: the
// choice is made after each op; an exhausted child is dropped; pending while
// the chosen child is pending). Events are passed to every child.
GenPtr Mix(std::vector<GenPtr> gens);
// Ops from all of `gens` at once: the one that can go soonest wins (ties: the
// first in the list). Done when all are done. Events go to every child.
GenPtr Any(std::vector<GenPtr> gens);
// `gen` sees only `threads` (within what its parent gives it), and only the
// events of those threads.
GenPtr OnThreads(ThreadSet threads, GenPtr gen);
// `gen` runs on client threads only.
GenPtr Clients(GenPtr gen);
// `gen` runs on the nemesis thread only.
GenPtr Nemesis(GenPtr gen);
// Any({Clients(clients), Nemesis(nemesis)}).
GenPtr ClientsAndNemesis(GenPtr clients, GenPtr nemesis);
// A separate copy of `gen` for every thread of its view (each seeded for its
// thread), seeing only that thread and its events. Done when all copies are
// done and all threads are free.
GenPtr EachThread(GenPtr gen);

struct IndependentOptions {
  int threads_per_key = 1;  // n: each key is used by at most n threads
  int64_t ops_per_key = 0;  // k: a group moves on after k ops; 0: when its copy is done
  int64_t key_count = -1;   // keys 0..key_count-1; -1: unbounded
};
// Independent keys (Jepsen's concurrent-generator with sequential keys): the
// client threads of the view are split into groups of n consecutive threads
// (the last group may be smaller). Each group takes the next unused key
// (0, 1, 2, ...) and runs a fresh copy of `per_key` (seeded for that key,
// limited to k ops) on it, setting Op::key on every op; when that copy is
// done the group takes the next key. Done when keys run out and every group's
// copy is done. A copy is told only of events of its group with its key, and
// is not asked for ops while all of its group's threads are busy.
GenPtr Independent(IndependentOptions options, GenPtr per_key);

// ---- Limits and timing -----------------------------------------------------------

// At most n invocations of `gen` (n >= 0). Sleep and log steps do not count.
GenPtr Limit(int64_t n, GenPtr gen);
// Steps of `gen` whose time is less than dt after its first step's time; then
// done. A sleep is cut short at that cutoff.
GenPtr TimeLimit(Duration dt, GenPtr gen);
// Invocations at least dt apart: each is due no earlier than the previous
// one's due time + dt (a target rate of 1/dt; if `gen` is slower, it sets the
// pace). The first is not delayed.
GenPtr Delay(Duration dt, GenPtr gen);
// Delay(1 s / ops_per_second); ops_per_second > 0.
GenPtr Rate(double ops_per_second, GenPtr gen);
// Like Delay, but each gap is drawn uniformly from [0, 2 dt): on average one
// op per dt over all threads, at random instants. Stagger(0, gen) is gen.
GenPtr Stagger(Duration dt, GenPtr gen);

// ---- Reacting to outcomes ---------------------------------------------------------

// Ops of `gen` until one of them completes ok; then done.
GenPtr UntilOk(GenPtr gen);
// `gen` with fn applied to every invocation it emits (fn may change f, value
// and key; it must leave process and time alone). An exception from fn
// becomes a kError step.
GenPtr Map(std::function<void(Op&)> fn, GenPtr gen);

// ---- Nemesis schedules -------------------------------------------------------------

// Forever: sleep `interval`, `start`, sleep `interval`, `stop`. Put it on the
// nemesis thread: Nemesis(StartStopCycle(...)).
GenPtr StartStopCycle(Duration interval, Op start, Op stop);

}  // namespace faultline::gen
