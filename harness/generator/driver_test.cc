#include "harness/generator/driver.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/generator/combinators.h"

namespace faultline::gen {
namespace {

using namespace std::chrono_literals;
using Kind = Driver::Decision::Kind;

Driver::Decision MustNext(Driver& driver, int64_t now) {
  Result<Driver::Decision> d = driver.Next(now);
  if (!d.ok()) {
    ADD_FAILURE() << "Next(" << now << ") failed: " << d.status().ToString();
    return {};
  }
  return std::move(d).value();
}

Op Completion(const Op& invocation, OpType type, int64_t time) {
  Op op = invocation;
  op.type = type;
  op.time = time;
  return op;
}

TEST(DriverTest, HandsOutOpsToFreeThreadsAndWaitsForCompletions) {
  Driver driver(Limit(3, Clients(Repeat(MakeOp("read")))), {.client_count = 2});
  const Driver::Decision a = MustNext(driver, 0);
  ASSERT_EQ(a.kind, Kind::kInvoke);
  EXPECT_EQ(a.thread, 0);
  EXPECT_EQ(a.op.process, 0);
  EXPECT_EQ(a.op.time, 0);
  EXPECT_EQ(a.op.type, OpType::kInvoke);
  const Driver::Decision b = MustNext(driver, 1);
  ASSERT_EQ(b.kind, Kind::kInvoke);
  EXPECT_EQ(b.thread, 1);
  EXPECT_EQ(b.op.time, 1);  // invoked when asked, not when proposed
  EXPECT_EQ(driver.in_flight(), 2);

  const Driver::Decision wait = MustNext(driver, 2);
  EXPECT_EQ(wait.kind, Kind::kWait);
  EXPECT_EQ(wait.wake_time, kNever);

  ASSERT_TRUE(driver.Complete(Completion(b.op, OpType::kOk, 5)).ok());
  const Driver::Decision c = MustNext(driver, 5);
  ASSERT_EQ(c.kind, Kind::kInvoke);
  EXPECT_EQ(c.thread, 1);
  EXPECT_EQ(MustNext(driver, 6).kind, Kind::kDone);
  EXPECT_TRUE(driver.done());
  EXPECT_EQ(driver.in_flight(), 2);
  EXPECT_TRUE(driver.Complete(Completion(a.op, OpType::kOk, 7)).ok());
  EXPECT_TRUE(driver.Complete(Completion(c.op, OpType::kFail, 7)).ok());
  EXPECT_EQ(driver.in_flight(), 0);
}

TEST(DriverTest, InfoMovesTheThreadToANewProcess) {
  Driver driver(Clients(Repeat(MakeOp("read"))), {.client_count = 3});
  Driver::Decision first = MustNext(driver, 0);
  ASSERT_EQ(first.op.process, 0);
  MustNext(driver, 0);
  MustNext(driver, 0);
  ASSERT_TRUE(driver.Complete(Completion(first.op, OpType::kInfo, 1)).ok());
  EXPECT_EQ(driver.workers().ProcessOf(0), 3);
  Driver::Decision next = MustNext(driver, 1);
  EXPECT_EQ(next.thread, 0);
  EXPECT_EQ(next.op.process, 3);
  // The old process is gone: a late completion for it is refused.
  EXPECT_FALSE(driver.Complete(Completion(first.op, OpType::kOk, 2)).ok());
}

TEST(DriverTest, RefusesCompletionsThatEndNothing) {
  Driver driver(Clients(Repeat(MakeOp("read"))), {.client_count = 1});
  Driver::Decision a = MustNext(driver, 0);
  Status invoke = driver.Complete(a.op);
  EXPECT_EQ(invoke.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(invoke.message().find("is an invocation"), std::string::npos);
  Op stranger = Completion(a.op, OpType::kOk, 1);
  stranger.process = 9;
  EXPECT_FALSE(driver.Complete(stranger).ok());
  stranger.process = 1234;  // thread 0 modulo 1, but not its current process
  EXPECT_FALSE(driver.Complete(stranger).ok());
  ASSERT_TRUE(driver.Complete(Completion(a.op, OpType::kOk, 1)).ok());
  Status twice = driver.Complete(Completion(a.op, OpType::kOk, 1));
  EXPECT_NE(twice.message().find("no operation in flight"), std::string::npos);
  EXPECT_EQ(driver.in_flight(), 0);
}

TEST(DriverTest, TimeMustNotGoBackwards) {
  Driver driver(Clients(Repeat(MakeOp("read"))), {.client_count = 1});
  MustNext(driver, 100);
  Result<Driver::Decision> d = driver.Next(99);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("time went backwards"), std::string::npos);
}

TEST(DriverTest, WaitsForOpsDueLater) {
  Driver driver(Limit(2, Delay(10ms, Clients(Repeat(MakeOp("read"))))), {.client_count = 4});
  EXPECT_EQ(MustNext(driver, 0).kind, Kind::kInvoke);
  const Driver::Decision wait = MustNext(driver, 0);
  ASSERT_EQ(wait.kind, Kind::kWait);
  EXPECT_EQ(wait.wake_time, 10'000'000);
  EXPECT_EQ(MustNext(driver, 4'000'000).kind, Kind::kWait);
  const Driver::Decision b = MustNext(driver, 10'000'000);
  ASSERT_EQ(b.kind, Kind::kInvoke);
  EXPECT_EQ(b.op.time, 10'000'000);
}

TEST(DriverTest, SleepsOccupyTheThreadAndNeverReachTheRunner) {
  Driver driver(Nemesis(Seq({Sleep(5s), Once(MakeOp("kill"))})), {.client_count = 2});
  const Driver::Decision wait = MustNext(driver, 0);
  ASSERT_EQ(wait.kind, Kind::kWait);
  EXPECT_EQ(wait.wake_time, 5'000'000'000);
  EXPECT_FALSE(driver.workers().IsFree(kNemesisThread));
  EXPECT_EQ(driver.in_flight(), 0);
  const Driver::Decision kill = MustNext(driver, 5'000'000'000);
  ASSERT_EQ(kill.kind, Kind::kInvoke);
  EXPECT_EQ(kill.op.f, "kill");
  EXPECT_EQ(kill.thread, kNemesisThread);
  EXPECT_EQ(kill.op.process, kNemesisProcess);
}

TEST(DriverTest, LogsComeBackAsDecisions) {
  Driver driver(Seq({Log("starting"), Once(MakeOp("read"))}), {.client_count = 1});
  const Driver::Decision log = MustNext(driver, 3);
  ASSERT_EQ(log.kind, Kind::kLog);
  EXPECT_EQ(log.op.value, "starting");
  EXPECT_EQ(MustNext(driver, 3).kind, Kind::kInvoke);
}

TEST(DriverTest, ErrorsStick) {
  Driver driver(Limit(-2, Repeat(MakeOp("read"))), {.client_count = 1});
  Result<Driver::Decision> d = driver.Next(0);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("Limit"), std::string::npos);
  EXPECT_FALSE(driver.Next(1).ok());
}

TEST(DriverTest, StuckGeneratorIsAnError) {
  Driver driver(Synchronize(Clients(Repeat(MakeOp("read")))), {.client_count = 0});
  Result<Driver::Decision> d = driver.Next(0);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("never make progress"), std::string::npos);
}

// Emits "op" for process 0 whether or not its thread is free.
class CarelessGen final : public Generator {
 public:
  Step Next(const Context& ctx) const override {
    Step step;
    step.kind = Step::Kind::kInvoke;
    step.op = MakeOp("op");
    step.op.process = 0;
    step.op.time = ctx.time();
    step.next = self();
    return step;
  }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t) const override { return self(); }
};

TEST(DriverTest, OpForABusyThreadIsAGeneratorBug) {
  Driver driver(std::make_shared<CarelessGen>(), {.client_count = 2});
  EXPECT_EQ(MustNext(driver, 0).kind, Kind::kInvoke);
  Result<Driver::Decision> d = driver.Next(0);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kInternal);
  EXPECT_NE(d.status().message().find("client thread 0 is not free"), std::string::npos)
      << d.status().ToString();
}

// Records the events it is told of, and whether the event's thread was free
// in the context it came with.
struct EventLog {
  std::vector<Op> events;
  std::vector<bool> thread_free;
};

class RecordingGen final : public Generator {
 public:
  RecordingGen(GenPtr gen, std::shared_ptr<EventLog> log)
      : gen_(std::move(gen)), log_(std::move(log)) {}
  Step Next(const Context& ctx) const override {
    Step step = gen_->Next(ctx);
    if (step.has_op()) step.next = std::make_shared<RecordingGen>(step.next, log_);
    return step;
  }
  GenPtr Update(const Context& ctx, const Op& event) const override {
    log_->events.push_back(event);
    log_->thread_free.push_back(ctx.workers().IsFree(ctx.ThreadOf(event.process)));
    return std::make_shared<RecordingGen>(gen_->Update(ctx, event), log_);
  }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<RecordingGen>(gen_->WithSeed(seed), log_);
  }

 private:
  GenPtr gen_;
  std::shared_ptr<EventLog> log_;
};

TEST(DriverTest, TellsTheGeneratorOfEveryInvocationAndCompletion) {
  auto log = std::make_shared<EventLog>();
  Driver driver(std::make_shared<RecordingGen>(Seq({Sleep(1s), Once(MakeOp("read"))}), log),
                {.client_count = 1, .nemesis = false});
  EXPECT_EQ(MustNext(driver, 0).kind, Kind::kWait);
  EXPECT_TRUE(log->events.empty()) << "sleeps are not events";
  const Driver::Decision read = MustNext(driver, 1'000'000'000);
  ASSERT_EQ(read.kind, Kind::kInvoke);
  ASSERT_TRUE(driver.Complete(Completion(read.op, OpType::kOk, 1'000'000'007)).ok());
  ASSERT_EQ(log->events.size(), 2u);
  EXPECT_EQ(log->events[0].type, OpType::kInvoke);
  EXPECT_EQ(log->events[0].time, 1'000'000'000);
  EXPECT_TRUE(log->thread_free[0]) << "an invocation's context is from just before it";
  EXPECT_EQ(log->events[1].type, OpType::kOk);
  EXPECT_EQ(log->events[1].time, 1'000'000'007);
  EXPECT_FALSE(log->thread_free[1]) << "a completion's context is from just before it";
}

}  // namespace
}  // namespace faultline::gen
