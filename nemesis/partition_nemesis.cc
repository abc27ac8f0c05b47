#include "nemesis/partition_nemesis.h"

#include <mutex>
#include <optional>

#include "harness/control/net.h"
#include "harness/generator/rng.h"
#include "nemesis/grudge.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

// Each kind of nemesis draws from its own stream of the test's seed, so that
// combining nemeses does not change any one's choices.
constexpr uint64_t kPartitionRngStream = 0x7061727469746e;  // "partitn"

class PartitionNemesis final : public Nemesis {
 public:
  std::string name() const override { return "partition"; }
  std::vector<std::string> fs() const override { return {kStartPartition, kStopPartition}; }

  Status Setup(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kPartitionRngStream));
    if (Status st = CheckContext(ctx); !st.ok()) return st;
    return ctx.cluster.net->Heal();
  }

  Op Invoke(const NemesisContext& ctx, const Op& op) override {
    std::lock_guard lock(mu_);
    if (Status st = CheckContext(ctx); !st.ok()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr, st.ToString());
    }
    if (op.f == kStartPartition) return Start(ctx, op);
    if (op.f == kStopPartition) {
      Status st = ctx.cluster.net->Heal();
      Json healed = ctx.NodeNames();
      if (!st.ok()) return CompleteNemesisOp(op, OpType::kInfo, nullptr, st.ToString());
      ctx.Log("nemesis: healed the network on " + nemesis_internal::Join(ctx.NodeNames()));
      return CompleteNemesisOp(op, OpType::kOk, Json{{"healed", healed}});
    }
    return CompleteNemesisOp(op, OpType::kFail, nullptr,
                             "unsupported: the partition nemesis has no op \"" + op.f + "\"");
  }

  // Both work on a Net that cannot partition (it does nothing there), and
  // without a Net (no partition can have been made).
  Status Heal(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (!ctx.cluster.net) return Status::Ok();
    return ctx.cluster.net->Heal();
  }

  Status Teardown(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (!ctx.cluster.net) return Status::Ok();
    return ctx.cluster.net->Teardown();
  }

 private:
  static Status CheckContext(const NemesisContext& ctx) {
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (!ctx.cluster.net) {
      return Status::InvalidArgument("partitions: the test has no network capability (Net)");
    }
    return ctx.cluster.net->Usable();
  }

  gen::Rng& RngFor(const NemesisContext& ctx) {
    if (!rng_) rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kPartitionRngStream));
    return *rng_;
  }

  Op Start(const NemesisContext& ctx, const Op& op) {
    const std::vector<std::string> nodes = ctx.NodeNames();
    std::string shape;
    Result<Grudge> grudge = Status::InvalidArgument("no grudge");
    Json primary;
    if (op.value == kIsolatePrimary) {
      shape = kIsolatePrimary;
      Result<std::string> chosen = CurrentPrimary(ctx);
      if (!chosen.ok()) {
        return CompleteNemesisOp(op, OpType::kFail, nullptr, chosen.status().ToString());
      }
      primary = *chosen;
      grudge = IsolateNodeGrudge(nodes, *chosen);
    } else if (op.value.is_null() || op.value.is_string()) {
      shape = op.value.is_null() ? kRandomHalves : op.value.get<std::string>();
      grudge = GrudgeForShape(shape, nodes, RngFor(ctx));
    } else if (op.value.is_object() && op.value.contains("grudge")) {
      shape = "grudge";
      grudge = GrudgeFromJson(op.value["grudge"], nodes);
    } else {
      grudge = Status::InvalidArgument(
          "start-partition: value " + op.value.dump() +
          ": expected a shape (\"random-halves\", \"isolate-one\", \"majorities-ring\", "
          "\"isolate-primary\") or "
          "{\"grudge\": {node: [nodes it must not hear from]}}");
    }
    if (!grudge.ok()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr, grudge.status().ToString());
    }
    Json value = {{"shape", shape}, {"grudge", GrudgeToJson(*grudge)}};
    if (!primary.is_null()) value["primary"] = primary;
    Status applied = ctx.cluster.net->Drop(*grudge);
    if (!applied.ok()) {
      return CompleteNemesisOp(op, OpType::kInfo, std::move(value), applied.ToString());
    }
    ctx.Log("nemesis: partitioned (" + shape + "): " + value["grudge"].dump());
    return CompleteNemesisOp(op, OpType::kOk, std::move(value));
  }

  // The node the target names first as its primary (for a Sentinel target:
  // the one most Sentinels name). Unsupported when the target cannot tell;
  // NotFound when it names none.
  static Result<std::string> CurrentPrimary(const NemesisContext& ctx) {
    HasPrimaries* primaries = ctx.target == nullptr ? nullptr : ctx.target->primaries();
    if (primaries == nullptr) {
      return Status::Unsupported(std::string("isolate-primary: target ") +
                                 (ctx.target ? ctx.target->name() : "(none)") +
                                 " cannot name its primary");
    }
    std::vector<NodeContext> nodes;
    for (size_t i = 0; i < ctx.cluster.nodes.size(); ++i) {
      nodes.push_back(NodeContext{*ctx.remotes[i], ctx.cluster.nodes[i], ctx.cluster});
    }
    Result<std::vector<std::string>> named = primaries->Primaries(nodes);
    if (!named.ok()) return named.status();
    if (named->empty()) return Status::NotFound("isolate-primary: the target names no primary");
    return named->front();
  }

  std::mutex mu_;
  std::optional<gen::Rng> rng_;  // seeded from the context on first use
};

}  // namespace

std::unique_ptr<Nemesis> MakePartitionNemesis() { return std::make_unique<PartitionNemesis>(); }

}  // namespace faultline
