// Generator: a pure, seeded source of the operations a test performs, and of
// when and on which worker thread it performs them (Jepsen's generator model).
//
// A generator is an immutable state. Asked for the next operation in a Context
// (time, free threads), it answers with a Step: an operation and the state the
// generator would be in once that operation is invoked, or "pending" (nothing
// now, maybe later), or "done" (nothing ever again). Because asking changes
// nothing, a caller may ask, decide not to invoke yet (the operation is due
// later and a completion arrived first), and ask again. It is told of every
// invocation and completion through Update, which also returns the new state.
//
// Determinism: all randomness comes from Rng values held in the state and
// seeded by WithSeed, so the same seed and the same sequence of Next / Update
// calls give the same operations. No clock, no global state, no threads.
//
// Thread-safety: generator objects are never modified after construction, so
// they may be shared freely between threads. Each state is held through a
// GenPtr; combinators share unchanged children between successive states.
//
// Composition lives in combinators.h; Driver (driver.h) is what a runner uses
// to run a generator against worker threads; Simulate (simulator.h) runs one
// against simulated time for tests.
#pragma once

#include <cstdint>
#include <memory>

#include "harness/base/status.h"
#include "harness/generator/context.h"
#include "harness/history/op.h"

namespace faultline::gen {

class Generator;
using GenPtr = std::shared_ptr<const Generator>;

// What a generator answers when asked for its next operation.
struct Step {
  enum class Kind : uint8_t {
    // `op` is an invocation for a client or the nemesis: type kInvoke, f,
    // value, key, `process` = the process of a thread that is free in the
    // context, and `time` >= the context's time: the earliest instant at which
    // it may be invoked.
    kInvoke,
    // `op.process`'s thread idles for op.value nanoseconds (an integer) from
    // the moment it is invoked, then is free again. Never recorded, never sent
    // to a client; the generator is not told of it through Update.
    kSleep,
    // op.value (a string) is written to the test's log when this step is
    // reached. Takes no thread; `op.process` means nothing. Never recorded.
    kLog,
    // Nothing now. Ask again after the next event, or at `wake_time` if that
    // comes first (kNever: only after an event).
    kPending,
    // Exhausted: every later Next answers kDone too.
    kDone,
    // The generator was built with bad parameters; `error` says which.
    kError,
  };

  Kind kind = Kind::kDone;
  Op op;                       // kInvoke, kSleep, kLog
  GenPtr next;                 // kInvoke, kSleep, kLog: the state once `op` is taken
  int64_t wake_time = kNever;  // kPending
  Status error;                // kError

  bool has_op() const { return kind <= Kind::kLog; }

  static Step Pending(int64_t wake_time = kNever) {
    Step step;
    step.kind = Kind::kPending;
    step.wake_time = wake_time;
    return step;
  }
  static Step Done() { return Step(); }
  static Step Error(Status error) {
    Step step;
    step.kind = Kind::kError;
    step.error = std::move(error);
    return step;
  }
};

class Generator : public std::enable_shared_from_this<Generator> {
 public:
  virtual ~Generator() = default;

  // The next step in `ctx`. Pure: must not change this object, and gives the
  // same Step for the same state and context. Ops must use only threads that
  // are free in `ctx` (a sub-generator sees only the threads its parent gives
  // it). A kPending wake_time must be later than ctx.time(). Errors are
  // returned as kError steps, never thrown.
  virtual Step Next(const Context& ctx) const = 0;

  // This generator once `event` has happened; `this` when it does not care.
  // `event` is an invocation (as invoked: its time is the real invocation
  // time) or a completion (ok / fail / info) of a client or nemesis operation,
  // whichever generator emitted it. `ctx` is at the event's time, with threads
  // and processes as they were just before the event (the thread of a
  // completion is still busy and still runs event.process).
  virtual GenPtr Update(const Context& ctx, const Op& event) const = 0;

  // This generator with all its randomness drawn from `seed` (composites seed
  // each child from DeriveSeed(seed, child index)). Called once on the whole
  // tree before it runs; generators without randomness return themselves.
  virtual GenPtr WithSeed(uint64_t seed) const = 0;

 protected:
  GenPtr self() const { return shared_from_this(); }
};

}  // namespace faultline::gen
