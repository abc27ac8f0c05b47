#include "harness/generator/simulator.h"

#include <queue>
#include <string>
#include <utility>

#include "harness/generator/driver.h"

namespace faultline::gen {
namespace {

// The simulation's own random stream, apart from the generator's.
constexpr uint64_t kPolicyStream = 0x5157;

// A completion waiting for its time; the Op itself stays in a slot so that the
// heap moves only these few words.
struct Due {
  int64_t time;
  int64_t order;  // ties at one instant complete in invocation order
  size_t slot;
};

struct LaterFirst {
  bool operator()(const Due& a, const Due& b) const {
    return a.time != b.time ? a.time > b.time : a.order > b.order;
  }
};

}  // namespace

Result<SimResult> Simulate(GenPtr gen, const SimOptions& options) {
  Driver driver(
      std::move(gen),
      {.client_count = options.client_count, .nemesis = options.nemesis, .seed = options.seed});
  Rng policy_rng(DeriveSeed(options.seed, kPolicyStream));
  std::priority_queue<Due, std::vector<Due>, LaterFirst> due;
  std::vector<Op> slots;  // completions in flight, by slot
  std::vector<size_t> free_slots;
  SimResult result;
  int64_t now = 0;
  int64_t order = 0;

  auto record = [&](Op op) {
    if (!options.keep_history) return;
    op.index = static_cast<int64_t>(result.history.size());
    result.history.push_back(std::move(op));
  };
  auto complete_next = [&]() -> Status {
    const Due next = due.top();
    due.pop();
    now = std::max(now, next.time);
    Op& completion = slots[next.slot];
    Status status = driver.Complete(completion);
    record(std::move(completion));
    free_slots.push_back(next.slot);
    return status;
  };

  for (int64_t steps = 0;; ++steps) {
    if (steps >= options.max_steps || result.invocations > options.max_invocations ||
        now > options.max_time.count()) {
      return Status::ResourceExhausted(
          "Simulate: the generator was still running after " + std::to_string(result.invocations) +
          " invocations, " + std::to_string(steps) + " steps and " + std::to_string(now) +
          " simulated ns (bounds: max_invocations, max_steps, max_time); is it unbounded? "
          "Wrap it in Limit or TimeLimit");
    }
    Result<Driver::Decision> decision = driver.Next(now);
    if (!decision.ok()) return decision.status();
    switch (decision->kind) {
      case Driver::Decision::Kind::kInvoke: {
        Op& invocation = decision->op;
        SimCompletion answer;
        if (options.policy) {
          answer = options.policy(invocation, policy_rng);
        } else {
          answer.value = invocation.value;
          answer.latency = options.latency;
        }
        if (answer.type == OpType::kInvoke || answer.latency.count() < 0) {
          return Status::InvalidArgument(
              "Simulate: the completion policy answered " + DescribeOp(invocation) + " with type " +
              OpTypeName(answer.type) + " and latency " + std::to_string(answer.latency.count()) +
              " ns; expected ok, fail or info and a latency >= 0");
        }
        size_t slot;
        if (free_slots.empty()) {
          slot = slots.size();
          slots.emplace_back();
        } else {
          slot = free_slots.back();
          free_slots.pop_back();
        }
        Op& completion = slots[slot];
        completion = invocation;
        completion.type = answer.type;
        completion.value = std::move(answer.value);
        completion.error = std::move(answer.error);
        completion.time = now + answer.latency.count();
        due.push({completion.time, order++, slot});
        record(std::move(invocation));
        ++result.invocations;
        break;
      }
      case Driver::Decision::Kind::kLog:
        result.logs.push_back(decision->op.value.is_string() ? decision->op.value.get<std::string>()
                                                             : decision->op.value.dump());
        break;
      case Driver::Decision::Kind::kWait:
        if (!due.empty() && due.top().time <= decision->wake_time) {
          if (Status status = complete_next(); !status.ok()) return status;
        } else {
          now = decision->wake_time;  // the Driver never waits forever with nothing in flight
        }
        break;
      case Driver::Decision::Kind::kDone:
        while (!due.empty()) {
          if (Status status = complete_next(); !status.ok()) return status;
        }
        result.end_time = now;
        return result;
    }
  }
}

}  // namespace faultline::gen
