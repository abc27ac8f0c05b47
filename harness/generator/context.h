// Context: what a generator may look at when it is asked for an operation or
// told of an event: the time, which worker threads it may use, which of those
// are free, and which process each thread currently runs as.
//
// Threads are the test's fixed workers: client threads 0..n-1 and the nemesis
// thread (kNemesisThread). A thread runs one process at a time. Client thread t
// starts as process t; when one of its operations ends in `info` it cannot know
// whether that operation happened, so it continues as a new process, old + n
// (Jepsen's rule; process mod n is always the thread). The nemesis thread is
// always process kNemesisProcess.
//
// WorkerTable is the mutable truth, owned by whoever runs the generator (the
// Driver). Context is a cheap, read-only view of it at one instant, restricted
// to the threads one generator may use (see Context::Restrict). Contexts are
// values that point at a WorkerTable; they are only valid while it lives and is
// not modified. Thread-compatible.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "harness/history/op.h"

namespace faultline::gen {

using ThreadId = int;
inline constexpr ThreadId kNemesisThread = -1;
inline constexpr ThreadId kNoThread = -2;

// "No time": a pending generator that names no wake-up time waits for an event.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// A set of threads: a contiguous range of client threads, plus maybe the
// nemesis. Every restriction generators need (clients only, nemesis only, one
// thread, a group of clients) has this shape, so intersections stay O(1).
struct ThreadSet {
  int client_begin = 0;
  int client_end = 0;  // exclusive
  bool nemesis = false;

  static ThreadSet Clients(int begin, int end) { return {begin, end, false}; }
  static ThreadSet NemesisOnly() { return {0, 0, true}; }
  static ThreadSet Single(ThreadId thread);

  bool Contains(ThreadId thread) const;
  ThreadSet Intersect(const ThreadSet& other) const;
  int client_count() const { return client_end > client_begin ? client_end - client_begin : 0; }
  bool empty() const { return client_count() == 0 && !nemesis; }

  friend bool operator==(const ThreadSet&, const ThreadSet&) = default;
};

class WorkerTable {
 public:
  WorkerTable(int client_count, bool has_nemesis);

  int client_count() const { return client_count_; }
  bool has_nemesis() const { return has_nemesis_; }
  ThreadSet all_threads() const { return {0, client_count_, has_nemesis_}; }
  bool Exists(ThreadId thread) const { return all_threads().Contains(thread); }

  // Both require Exists(thread).
  bool IsFree(ThreadId thread) const { return busy_[Slot(thread)] == 0; }
  int64_t ProcessOf(ThreadId thread) const { return process_[Slot(thread)]; }

  // The thread that runs (or ran) `process`; kNoThread for a process no
  // thread of this table can run.
  ThreadId ThreadOf(int64_t process) const;

  // Require Exists(thread).
  void MarkBusy(ThreadId thread) { busy_[Slot(thread)] = 1; }
  void MarkFree(ThreadId thread) { busy_[Slot(thread)] = 0; }
  // The thread's process crashed (`info`): it continues as process + n.
  // The nemesis keeps its process.
  void Retire(ThreadId thread);

 private:
  size_t Slot(ThreadId thread) const {
    return thread == kNemesisThread ? static_cast<size_t>(client_count_)
                                    : static_cast<size_t>(thread);
  }

  int client_count_;
  bool has_nemesis_;
  std::vector<int64_t> process_;  // by slot: clients 0..n-1, then the nemesis
  std::vector<uint8_t> busy_;
};

class Context {
 public:
  // A view of every thread of `workers` at `time` (ns since the test started).
  Context(int64_t time, const WorkerTable& workers)
      : time_(time), workers_(&workers), threads_(workers.all_threads()) {}

  int64_t time() const { return time_; }
  const ThreadSet& threads() const { return threads_; }
  const WorkerTable& workers() const { return *workers_; }

  // The same instant, seen by a generator that may use only `threads` (and
  // only those of them this context already allows).
  Context Restrict(const ThreadSet& threads) const;

  bool Contains(ThreadId thread) const { return threads_.Contains(thread); }
  bool HasThreads() const { return !threads_.empty(); }
  // True when `thread` is in this view and not running an operation.
  bool IsFree(ThreadId thread) const;
  // True when no thread of this view is running an operation.
  bool AllFree() const;
  // The lowest free client thread of this view, else the nemesis if it is in
  // view and free, else kNoThread.
  ThreadId FirstFreeThread() const;

  // Require workers().Exists(thread).
  int64_t ProcessOf(ThreadId thread) const { return workers_->ProcessOf(thread); }
  ThreadId ThreadOf(int64_t process) const { return workers_->ThreadOf(process); }

  // Calls f(thread) for every thread of this view: clients ascending, then
  // the nemesis.
  template <typename F>
  void ForEachThread(F&& f) const {
    for (ThreadId t = threads_.client_begin; t < threads_.client_end; ++t) f(t);
    if (threads_.nemesis) f(kNemesisThread);
  }

 private:
  Context(int64_t time, const WorkerTable* workers, ThreadSet threads)
      : time_(time), workers_(workers), threads_(threads) {}

  int64_t time_;
  const WorkerTable* workers_;
  ThreadSet threads_;
};

}  // namespace faultline::gen
