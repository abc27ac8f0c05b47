#include "nemesis/process_nemesis.h"

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/generator/rng.h"
#include "nemesis/node_selection.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

using nemesis_internal::Join;
using nemesis_internal::Outcomes;
using nemesis_internal::ParallelFor;
using nemesis_internal::Summarize;

using NodeAction = std::function<Status(Target& target, const NodeContext& node)>;

// What distinguishes killing from pausing.
struct FaultKind {
  std::string name;           // "kill"
  std::string fault_f;        // "kill"
  std::string recover_f;      // "start"
  std::string faulted_key;    // "killed"
  std::string recovered_key;  // "started"
  std::string capability;     // "kill": as in "target X cannot kill"
  uint64_t rng_stream;
  std::function<bool(Target&)> capable;
  NodeAction fault;
  NodeAction recover;
  // Recovery answering NotFound means the process is not running, so it is
  // no longer faulted (pause: a paused node that was killed since).
  bool not_running_is_recovered;
};

FaultKind KillKind() {
  return FaultKind{
      "kill",
      kKill,
      kStart,
      "killed",
      "started",
      "kill",
      0x6b696c6c,  // "kill"
      [](Target& t) { return t.killable() != nullptr; },
      [](Target& t, const NodeContext& n) { return t.killable()->Kill(n); },
      [](Target& t, const NodeContext& n) { return t.killable()->Start(n); },
      false,
  };
}

FaultKind PauseKind() {
  return FaultKind{
      "pause",
      kPause,
      kResume,
      "paused",
      "resumed",
      "pause",
      0x7061757365,  // "pause"
      [](Target& t) { return t.pausable() != nullptr; },
      [](Target& t, const NodeContext& n) { return t.pausable()->Pause(n); },
      [](Target& t, const NodeContext& n) { return t.pausable()->Resume(n); },
      true,
  };
}

class ProcessNemesis final : public Nemesis {
 public:
  explicit ProcessNemesis(FaultKind kind) : kind_(std::move(kind)) {}

  std::string name() const override { return kind_.name; }
  std::vector<std::string> fs() const override { return {kind_.fault_f, kind_.recover_f}; }

  Status Setup(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kind_.rng_stream));
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (Status st = Capable(ctx); !st.ok()) return st;
    return Status::Ok();
  }

  Op Invoke(const NemesisContext& ctx, const Op& op) override {
    std::lock_guard lock(mu_);
    if (op.f != kind_.fault_f && op.f != kind_.recover_f) {
      return CompleteNemesisOp(
          op, OpType::kFail, nullptr,
          "unsupported: the " + kind_.name + " nemesis has no op \"" + op.f + "\"");
    }
    Status usable = ctx.Validate();
    if (usable.ok()) usable = Capable(ctx);
    if (!usable.ok()) return CompleteNemesisOp(op, OpType::kFail, nullptr, usable.ToString());
    return op.f == kind_.fault_f ? Fault(ctx, op) : Recover(ctx, op);
  }

  Status Heal(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    if (faulted_.empty()) return Status::Ok();
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (Status st = Capable(ctx); !st.ok()) {
      return StatusWithCode(st.code(), st.message() + "; nodes left " + kind_.faulted_key + ": " +
                                           Join({faulted_.begin(), faulted_.end()}));
    }
    std::vector<size_t> indices;
    Outcomes outcomes;
    for (const std::string& node : faulted_) {
      int i = ctx.IndexOf(node);
      if (i < 0) {
        outcomes.emplace_back(node, Status::NotFound("the node is no longer in the test"));
      } else {
        indices.push_back(static_cast<size_t>(i));
      }
    }
    RecoverResult result = RecoverNodes(ctx, indices);
    outcomes.insert(outcomes.end(), result.failures.begin(), result.failures.end());
    if (!result.recovered.empty()) {
      ctx.Log("nemesis: heal: " + kind_.recovered_key + " " + Join(result.recovered));
    }
    return Summarize("healing (" + kind_.recover_f + ")", outcomes);
  }

  Status Teardown(const NemesisContext& ctx) override { return Heal(ctx); }

 private:
  struct RecoverResult {
    std::vector<std::string> recovered;
    std::vector<std::string> not_running;
    Outcomes failures;
  };

  Status Capable(const NemesisContext& ctx) const {
    if (ctx.target == nullptr) {
      return Status::Unsupported("the " + kind_.name + " nemesis has no target to " +
                                 kind_.capability);
    }
    if (!kind_.capable(*ctx.target)) {
      return Status::Unsupported("target " + ctx.target->name() + " cannot " + kind_.capability);
    }
    return Status::Ok();
  }

  gen::Rng& RngFor(const NemesisContext& ctx) {
    if (!rng_) rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kind_.rng_stream));
    return *rng_;
  }

  std::vector<size_t> IndicesOf(const NemesisContext& ctx, const std::vector<std::string>& nodes) {
    std::vector<size_t> out;
    for (const std::string& node : nodes) out.push_back(static_cast<size_t>(ctx.IndexOf(node)));
    return out;
  }

  std::vector<Status> ForNodes(const NemesisContext& ctx, const std::vector<size_t>& indices,
                               const NodeAction& action) {
    return ParallelFor(indices, [&](size_t i) {
      return action(*ctx.target, NodeContext{*ctx.remotes[i], ctx.cluster.nodes[i], ctx.cluster});
    });
  }

  Op Fault(const NemesisContext& ctx, const Op& op) {
    const Json spec = op.value.is_null() ? Json("one") : op.value;
    Result<std::vector<std::string>> selected = SelectNodes(spec, ctx.NodeNames(), RngFor(ctx));
    if (!selected.ok()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr,
                               op.f + ": " + selected.status().ToString());
    }
    const std::vector<size_t> indices = IndicesOf(ctx, *selected);
    std::vector<Status> results = ForNodes(ctx, indices, kind_.fault);
    std::vector<std::string> done;
    Outcomes failures;
    for (size_t k = 0; k < indices.size(); ++k) {
      const std::string& node = ctx.cluster.nodes[indices[k]].name;
      // Even a failed attempt may have taken effect: remember it for Heal.
      faulted_.insert(node);
      if (results[k].ok()) {
        done.push_back(node);
      } else {
        failures.emplace_back(node, results[k]);
      }
    }
    Json value = {{kind_.faulted_key, done}};
    if (!done.empty()) ctx.Log("nemesis: " + kind_.faulted_key + " " + Join(done));
    if (!failures.empty()) {
      return CompleteNemesisOp(op, OpType::kInfo, std::move(value),
                               Summarize(op.f, failures).ToString());
    }
    return CompleteNemesisOp(op, OpType::kOk, std::move(value));
  }

  Op Recover(const NemesisContext& ctx, const Op& op) {
    std::vector<size_t> indices;
    if (op.value.is_null()) {
      for (size_t i = 0; i < ctx.cluster.nodes.size(); ++i) {
        if (faulted_.count(ctx.cluster.nodes[i].name)) indices.push_back(i);
      }
    } else {
      Result<std::vector<std::string>> selected =
          SelectNodes(op.value, ctx.NodeNames(), RngFor(ctx));
      if (!selected.ok()) {
        return CompleteNemesisOp(op, OpType::kFail, nullptr,
                                 op.f + ": " + selected.status().ToString());
      }
      indices = IndicesOf(ctx, *selected);
    }
    RecoverResult result = RecoverNodes(ctx, indices);
    Json value = {{kind_.recovered_key, result.recovered}};
    if (kind_.not_running_is_recovered) value["not-running"] = result.not_running;
    if (!result.recovered.empty()) {
      ctx.Log("nemesis: " + kind_.recovered_key + " " + Join(result.recovered));
    }
    if (!result.failures.empty()) {
      return CompleteNemesisOp(op, OpType::kInfo, std::move(value),
                               Summarize(op.f, result.failures).ToString());
    }
    return CompleteNemesisOp(op, OpType::kOk, std::move(value));
  }

  // Recovers the nodes at `indices` in parallel and forgets those recovered.
  RecoverResult RecoverNodes(const NemesisContext& ctx, const std::vector<size_t>& indices) {
    std::vector<Status> results = ForNodes(ctx, indices, kind_.recover);
    RecoverResult out;
    for (size_t k = 0; k < indices.size(); ++k) {
      const std::string& node = ctx.cluster.nodes[indices[k]].name;
      const Status& st = results[k];
      if (st.ok()) {
        out.recovered.push_back(node);
        faulted_.erase(node);
      } else if (kind_.not_running_is_recovered && st.code() == Status::Code::kNotFound) {
        out.not_running.push_back(node);
        faulted_.erase(node);
      } else {
        out.failures.emplace_back(node, st);
      }
    }
    return out;
  }

  const FaultKind kind_;
  std::mutex mu_;
  std::optional<gen::Rng> rng_;    // seeded from the context on first use
  std::set<std::string> faulted_;  // nodes that may still be killed / paused
};

Result<std::unique_ptr<Nemesis>> MakeProcessNemesis(FaultKind kind, Target& target) {
  if (!kind.capable(target)) {
    return Status::InvalidArgument("nemesis " + kind.name + ": target " + target.name() +
                                   " cannot " + kind.capability + " nodes; leave \"" + kind.name +
                                   "\" out of the nemesis list for this target");
  }
  return std::unique_ptr<Nemesis>(std::make_unique<ProcessNemesis>(std::move(kind)));
}

}  // namespace

Result<std::unique_ptr<Nemesis>> MakeKillNemesis(Target& target) {
  return MakeProcessNemesis(KillKind(), target);
}

Result<std::unique_ptr<Nemesis>> MakePauseNemesis(Target& target) {
  return MakeProcessNemesis(PauseKind(), target);
}

}  // namespace faultline
