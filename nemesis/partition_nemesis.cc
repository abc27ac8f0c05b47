#include "nemesis/partition_nemesis.h"

#include <mutex>
#include <optional>

#include "harness/control/partition.h"
#include "harness/generator/rng.h"
#include "nemesis/grudge.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

using nemesis_internal::Outcomes;
using nemesis_internal::ParallelFor;
using nemesis_internal::Summarize;

// Each kind of nemesis draws from its own stream of the test's seed, so that
// combining nemeses does not change any one's choices.
constexpr uint64_t kRngStream = 0x7061727469746e;  // "partitn"

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost" ||
         address == "0.0.0.0" || address == "::";
}

std::map<std::string, std::shared_ptr<Remote>> RemotesByName(const NemesisContext& ctx) {
  std::map<std::string, std::shared_ptr<Remote>> out;
  for (size_t i = 0; i < ctx.cluster.nodes.size(); ++i)
    out[ctx.cluster.nodes[i].name] = ctx.remotes[i];
  return out;
}

std::vector<size_t> AllIndices(const NemesisContext& ctx) {
  std::vector<size_t> all(ctx.cluster.nodes.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

class PartitionNemesis final : public Nemesis {
 public:
  std::string name() const override { return "partition"; }
  std::vector<std::string> fs() const override { return {kStartPartition, kStopPartition}; }

  Status Setup(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kRngStream));
    if (Status st = CheckContext(ctx); !st.ok()) return st;
    return HealLocked(ctx);
  }

  Op Invoke(const NemesisContext& ctx, const Op& op) override {
    std::lock_guard lock(mu_);
    if (Status st = CheckContext(ctx); !st.ok()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr, st.ToString());
    }
    if (op.f == kStartPartition) return Start(ctx, op);
    if (op.f == kStopPartition) {
      Status st = HealLocked(ctx);
      Json healed = ctx.NodeNames();
      if (!st.ok()) return CompleteNemesisOp(op, OpType::kInfo, nullptr, st.ToString());
      ctx.Log("nemesis: healed the network on " + nemesis_internal::Join(ctx.NodeNames()));
      return CompleteNemesisOp(op, OpType::kOk, Json{{"healed", healed}});
    }
    return CompleteNemesisOp(op, OpType::kFail, nullptr,
                             "unsupported: the partition nemesis has no op \"" + op.f + "\"");
  }

  Status Heal(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (NeverPartitions(ctx)) return Status::Ok();
    return HealLocked(ctx);
  }

  Status Teardown(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (NeverPartitions(ctx)) return Status::Ok();
    const std::vector<size_t> all = AllIndices(ctx);
    std::vector<Status> results =
        ParallelFor(all, [&](size_t i) { return RemoveChain(*ctx.remotes[i]); });
    Outcomes outcomes;
    for (size_t k = 0; k < all.size(); ++k) {
      outcomes.emplace_back(ctx.cluster.nodes[all[k]].name, results[k]);
    }
    return Summarize("removing the partition chain", outcomes);
  }

 private:
  static Status CheckContext(const NemesisContext& ctx) {
    if (Status st = ctx.Validate(); !st.ok()) return st;
    return PartitionAddresses(ctx.cluster).status();
  }

  // Setup and every op refuse such a cluster, so nothing can be undone, and
  // touching iptables there would make a chain on the controller's own
  // machine (nodes sharing it through LocalRemote).
  static bool NeverPartitions(const NemesisContext& ctx) {
    return !PartitionAddresses(ctx.cluster).ok();
  }

  Status HealLocked(const NemesisContext& ctx) {
    const std::vector<size_t> all = AllIndices(ctx);
    std::vector<Status> results =
        ParallelFor(all, [&](size_t i) { return faultline::Heal(*ctx.remotes[i]); });
    Outcomes outcomes;
    for (size_t k = 0; k < all.size(); ++k) {
      outcomes.emplace_back(ctx.cluster.nodes[all[k]].name, results[k]);
    }
    return Summarize("healing the network", outcomes);
  }

  gen::Rng& RngFor(const NemesisContext& ctx) {
    if (!rng_) rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kRngStream));
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
    Status applied = ApplyGrudge(RemotesByName(ctx), *PartitionAddresses(ctx.cluster), *grudge);
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

Result<std::map<std::string, std::string>> PartitionAddresses(const ClusterInfo& cluster) {
  std::map<std::string, std::string> addresses;
  std::map<std::string, std::string> owner;  // address -> node
  for (const NodeInfo& node : cluster.nodes) {
    if (node.host.empty()) {
      return Status::InvalidArgument("partitions: node " + node.name + " has no address");
    }
    if (IsLoopback(node.host)) {
      return Status::InvalidArgument(
          "partitions: node " + node.name + " has the loopback address " + node.host +
          "; partitions need every node on its own network address (e.g. the local cluster)");
    }
    auto [it, fresh] = owner.emplace(node.host, node.name);
    if (!fresh) {
      return Status::InvalidArgument("partitions: nodes " + it->second + " and " + node.name +
                                     " share the address " + node.host +
                                     "; partitions need a distinct address per node");
    }
    addresses[node.name] = node.host;
  }
  return addresses;
}

std::unique_ptr<Nemesis> MakePartitionNemesis() { return std::make_unique<PartitionNemesis>(); }

}  // namespace faultline
