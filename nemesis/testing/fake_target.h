// FakeTarget: a Target for nemesis tests that records every Kill / Start /
// Pause / Resume per node, keeps each node's state (running, killed,
// paused), and answers with scripted errors. Capabilities can be switched off.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "targets/target.h"

namespace faultline::testing {

class FakeTarget final : public Target, public Killable, public Pausable {
 public:
  enum class State { kRunning, kKilled, kPaused };

  FakeTarget(bool killable = true, bool pausable = true, std::string name = "fake")
      : killable_(killable), pausable_(pausable), name_(std::move(name)) {}

  std::string name() const override { return name_; }
  Status Setup(const NodeContext&) override { return Status::Ok(); }
  Status Teardown(const NodeContext&) override { return Status::Ok(); }
  Killable* killable() override { return killable_ ? this : nullptr; }
  Pausable* pausable() override { return pausable_ ? this : nullptr; }

  Status Kill(const NodeContext& node) override {
    return Act("kill", node, [&](State& s) {
      s = State::kKilled;
      return Status::Ok();
    });
  }
  Status Start(const NodeContext& node) override {
    return Act("start", node, [&](State& s) {
      s = State::kRunning;
      return Status::Ok();
    });
  }
  Status Pause(const NodeContext& node) override {
    return Act("pause", node, [&](State& s) {
      if (s == State::kKilled) return Status::NotFound("not running");
      s = State::kPaused;
      return Status::Ok();
    });
  }
  Status Resume(const NodeContext& node) override {
    return Act("resume", node, [&](State& s) {
      if (s == State::kKilled) return Status::NotFound("not running");
      s = State::kRunning;
      return Status::Ok();
    });
  }

  // The next `times` calls of `action` on `node` fail with `status` (and
  // change nothing).
  void FailNext(const std::string& action, const std::string& node, Status status, int times = 1) {
    std::lock_guard lock(mu_);
    failures_[{action, node}] = {std::move(status), times};
  }

  State StateOf(const std::string& node) {
    std::lock_guard lock(mu_);
    return states_[node];
  }
  // "kill n1", "start n2", ... in call order.
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void ClearCalls() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }

 private:
  template <typename F>
  Status Act(const std::string& action, const NodeContext& node, F apply) {
    std::lock_guard lock(mu_);
    calls_.push_back(action + " " + node.node.name);
    auto it = failures_.find({action, node.node.name});
    if (it != failures_.end() && it->second.second > 0) {
      --it->second.second;
      return it->second.first;
    }
    return apply(states_[node.node.name]);
  }

  const bool killable_;
  const bool pausable_;
  const std::string name_;
  std::mutex mu_;
  std::map<std::string, State> states_;  // absent: running
  std::map<std::pair<std::string, std::string>, std::pair<Status, int>> failures_;
  std::vector<std::string> calls_;
};

}  // namespace faultline::testing
