// Driver: runs one generator against the test's worker threads, keeping the
// bookkeeping Jepsen's interpreter keeps: which threads are busy, which process
// each runs as (a new one after `info`), sleeps, and telling the generator of
// every invocation and completion. Used by the runner (real time, real worker
// threads) and by Simulate (simulated time); it owns no threads and reads no
// clock: the caller passes the time in.
//
// The caller's loop, from one coordinating thread:
//
//   Driver driver(gen, {.client_count = n, .nemesis = true, .seed = seed});
//   while (true) {
//     Result<Decision> d = driver.Next(now());     // now(): ns since the test started
//     if (!d.ok()) -> harness error (bad generator), stop dispatching, drain.
//     switch (d->kind) {
//       kInvoke: record d->op (the invocation: time = now; index -1, the recorder numbers
//                ops) and hand it to the worker of d->thread (a client thread, or
//                kNemesisThread); ask again at once.
//       kLog:    log d->op.value; ask again at once.
//       kWait:   block until a worker completes an op or the clock reaches d->wake_time
//                (kNever: only a completion). For each completion: set its time, record it,
//                then driver.Complete(op). Then ask again.
//       kDone:   stop dispatching; wait for the in_flight() ops, recording and Complete()-ing
//                each; the run is over.
//     }
//   }
//
// A completion is the invocation's op with type ok / fail / info, the same
// process and f, the result value or error, and time = when it ended. After an
// `info` the Driver moves that thread to a new process (old + client_count):
// the next invocation for the thread carries it.
//
// Thread-compatible: call it from one thread (the coordinator), not from the
// workers.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/base/status.h"
#include "harness/generator/context.h"
#include "harness/generator/generator.h"
#include "harness/history/op.h"

namespace faultline::gen {

class Driver {
 public:
  struct Options {
    int client_count = 0;  // client threads 0..client_count-1
    bool nemesis = true;   // plus the nemesis thread
    uint64_t seed = 0;     // passed to the generator's WithSeed
  };

  struct Decision {
    enum class Kind : uint8_t {
      kInvoke,  // invoke `op` on `thread` now
      kLog,     // log op.value (a string)
      kWait,    // nothing to do before a completion or wake_time
      kDone,    // the generator is exhausted
    };
    Kind kind = Kind::kDone;
    Op op;                        // kInvoke: the invocation; kLog: the message in value
    ThreadId thread = kNoThread;  // kInvoke
    int64_t wake_time = kNever;   // kWait: > the `now` asked about, or kNever
  };

  // Seeds `gen` with options.seed. A null gen behaves as Empty().
  Driver(GenPtr gen, Options options);

  // What to do at `now` (ns since the test started; never less than the last
  // `now`). kInvoke ops are committed: the thread is busy from here until its
  // completion is given to Complete. Fails (and stays failed) when the
  // generator reports a kError step, emits an op for a thread that is not free
  // (a generator bug), or can never make progress: pending with no wake-up time
  // while nothing is in flight (e.g. Clients(...) with no client threads).
  Result<Decision> Next(int64_t now);

  // `completion` ended the invocation in flight on its process's thread. Fails
  // with InvalidArgument, changing nothing, when that process has no
  // invocation in flight or the op is not a completion.
  Status Complete(const Op& completion);

  // Invocations handed out by Next and not yet given to Complete.
  int in_flight() const { return in_flight_; }
  bool done() const { return done_; }
  const WorkerTable& workers() const { return workers_; }

 private:
  // Ends the sleeps due by `now`; returns the earliest sleep still running
  // (kNever if none).
  int64_t WakeSleepers(int64_t now);
  size_t Slot(ThreadId thread) const;

  GenPtr gen_;
  WorkerTable workers_;
  std::vector<int64_t> sleep_until_;  // by slot; kNotSleeping unless the thread sleeps
  std::vector<uint8_t> running_;      // by slot: 1 while an invocation is in flight
  int in_flight_ = 0;
  int sleeping_ = 0;
  int64_t last_now_ = 0;
  bool done_ = false;
  Status failed_;
};

}  // namespace faultline::gen
