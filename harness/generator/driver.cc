#include "harness/generator/driver.h"

#include <algorithm>
#include <string>
#include <utility>

#include "harness/generator/combinators.h"

namespace faultline::gen {
namespace {

constexpr int64_t kNotSleeping = -1;

std::string DescribeThread(ThreadId thread) {
  return thread == kNemesisThread ? std::string("the nemesis thread")
                                  : "client thread " + std::to_string(thread);
}

}  // namespace

Driver::Driver(GenPtr gen, Options options)
    : gen_(gen ? gen->WithSeed(options.seed) : Empty()),
      workers_(options.client_count, options.nemesis),
      sleep_until_(static_cast<size_t>(workers_.client_count()) + 1, kNotSleeping),
      running_(sleep_until_.size(), 0) {}

size_t Driver::Slot(ThreadId thread) const {
  return thread == kNemesisThread ? static_cast<size_t>(workers_.client_count())
                                  : static_cast<size_t>(thread);
}

int64_t Driver::WakeSleepers(int64_t now) {
  int64_t earliest = kNever;
  if (sleeping_ == 0) return earliest;
  for (size_t slot = 0; slot < sleep_until_.size(); ++slot) {
    const int64_t until = sleep_until_[slot];
    if (until == kNotSleeping) continue;
    if (until <= now) {
      sleep_until_[slot] = kNotSleeping;
      --sleeping_;
      const ThreadId thread = slot == static_cast<size_t>(workers_.client_count())
                                  ? kNemesisThread
                                  : static_cast<ThreadId>(slot);
      workers_.MarkFree(thread);
    } else {
      earliest = std::min(earliest, until);
    }
  }
  return earliest;
}

Result<Driver::Decision> Driver::Next(int64_t now) {
  if (!failed_.ok()) return failed_;
  if (now < last_now_) {
    return Status::InvalidArgument("Driver::Next: time went backwards: asked at " +
                                   std::to_string(now) + " ns after " + std::to_string(last_now_) +
                                   " ns");
  }
  last_now_ = now;
  int64_t sleep_end = WakeSleepers(now);
  Decision decision;
  if (done_) return decision;

  while (true) {
    const Context ctx(now, workers_);
    Step step = gen_->Next(ctx);
    switch (step.kind) {
      case Step::Kind::kError:
        failed_ = Status(step.error.ok() ? Status::Internal("generator failed without a reason")
                                         : step.error);
        return failed_;
      case Step::Kind::kDone:
        done_ = true;
        return decision;
      case Step::Kind::kPending: {
        const int64_t wake = std::min(step.wake_time, sleep_end);
        if (wake == kNever && in_flight_ == 0 && sleeping_ == 0) {
          failed_ = Status::InvalidArgument(
              "generator is pending with no operation in flight and no time to wake up: it can "
              "never make progress (does it need a thread this test does not have, e.g. "
              "Clients(...) with 0 client threads or Nemesis(...) without a nemesis?)");
          return failed_;
        }
        decision.kind = Decision::Kind::kWait;
        // A generator may only wait for the future; never spin on the present.
        decision.wake_time = wake == kNever ? kNever : std::max(wake, now + 1);
        return decision;
      }
      default:
        break;
    }

    if (step.op.time > now) {
      decision.kind = Decision::Kind::kWait;
      decision.wake_time = std::max(std::min(step.op.time, sleep_end), now + 1);
      return decision;
    }
    if (step.kind == Step::Kind::kLog) {
      gen_ = std::move(step.next);
      decision.kind = Decision::Kind::kLog;
      decision.op = std::move(step.op);
      decision.op.time = now;
      return decision;
    }

    const ThreadId thread = workers_.ThreadOf(step.op.process);
    if (thread == kNoThread || !workers_.IsFree(thread) ||
        workers_.ProcessOf(thread) != step.op.process) {
      failed_ =
          Status::Internal("generator bug: it emitted " + DescribeOp(step.op) + " for process " +
                           std::to_string(step.op.process) + ", which " +
                           (thread == kNoThread ? std::string("no thread of this test runs")
                                                : DescribeThread(thread) + " is not free to run"));
      return failed_;
    }
    if (step.kind == Step::Kind::kSleep) {
      const int64_t duration =
          step.op.value.is_number_integer() ? step.op.value.get<int64_t>() : int64_t{0};
      sleep_until_[Slot(thread)] = now + std::max<int64_t>(duration, 0);
      sleep_end = std::min(sleep_end, sleep_until_[Slot(thread)]);
      ++sleeping_;
      workers_.MarkBusy(thread);
      gen_ = std::move(step.next);
      // The generator may have more for the other threads at this instant.
      continue;
    }

    step.op.time = now;
    gen_ = step.next->Update(ctx, step.op);
    workers_.MarkBusy(thread);
    running_[Slot(thread)] = 1;
    ++in_flight_;
    decision.kind = Decision::Kind::kInvoke;
    decision.op = std::move(step.op);
    decision.thread = thread;
    return decision;
  }
}

Status Driver::Complete(const Op& completion) {
  if (completion.is_invoke()) {
    return Status::InvalidArgument("Driver::Complete: " + DescribeOp(completion) +
                                   " is an invocation, not a completion");
  }
  const ThreadId thread = workers_.ThreadOf(completion.process);
  if (thread == kNoThread || !running_[Slot(thread)] ||
      workers_.ProcessOf(thread) != completion.process) {
    return Status::InvalidArgument(
        "Driver::Complete: process " + std::to_string(completion.process) +
        " has no operation in flight (completion " + DescribeOp(completion) + ")");
  }
  if (!done_ && failed_.ok()) {
    gen_ = gen_->Update(Context(completion.time, workers_), completion);
  }
  running_[Slot(thread)] = 0;
  --in_flight_;
  workers_.MarkFree(thread);
  if (completion.type == OpType::kInfo) workers_.Retire(thread);
  return Status::Ok();
}

}  // namespace faultline::gen
