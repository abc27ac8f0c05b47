// Test helper: records invocations and completions from several threads into
// a History, the way the runner will (index in order, time since creation).
#pragma once

#include <chrono>
#include <mutex>
#include <utility>

#include "harness/history/op.h"
#include "targets/client.h"

namespace faultline {

class TestRecorder {
 public:
  // Records `invocation`, runs it on `client`, records and returns the completion.
  Op Run(Client& client, Op invocation) {
    invocation.type = OpType::kInvoke;
    Record(invocation);
    Op done = client.Invoke(invocation);
    Record(done);
    return done;
  }

  History history() {
    std::lock_guard lock(mu_);
    return history_;
  }

 private:
  void Record(Op op) {
    std::lock_guard lock(mu_);
    op.index = static_cast<int64_t>(history_.ops.size());
    op.time = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - start_)
                  .count();
    history_.ops.push_back(std::move(op));
  }

  std::mutex mu_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  History history_{"<memory>", {}};
};

inline Op MakeOp(int64_t process, std::string f, Json value, Json key = Json()) {
  Op op;
  op.process = process;
  op.f = std::move(f);
  op.value = std::move(value);
  op.key = std::move(key);
  return op;
}

}  // namespace faultline
