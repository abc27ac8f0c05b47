#include "nemesis/packet_loss_nemesis.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

#include "harness/control/net.h"
#include "harness/generator/rng.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

// Its own stream of the test's seed (see partition_nemesis.cc).
constexpr uint64_t kLossRngStream = 0x6c6f7373;  // "loss"

constexpr double kMinRate = 0.1;
constexpr double kMaxRate = 0.5;

class PacketLossNemesis final : public Nemesis {
 public:
  std::string name() const override { return "packet-loss"; }
  std::vector<std::string> fs() const override { return {kStartPacketLoss, kStopPacketLoss}; }

  Status Setup(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kLossRngStream));
    if (Status st = CheckContext(ctx); !st.ok()) return st;
    return ctx.cluster.net->Heal();
  }

  Op Invoke(const NemesisContext& ctx, const Op& op) override {
    std::lock_guard lock(mu_);
    if (Status st = CheckContext(ctx); !st.ok()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr, st.ToString());
    }
    if (op.f == kStartPacketLoss) return Start(ctx, op);
    if (op.f == kStopPacketLoss) {
      // Only the loss: a partition another nemesis made stays.
      Status st = ctx.cluster.net->Lose(LossPlan{});
      if (!st.ok()) return CompleteNemesisOp(op, OpType::kInfo, nullptr, st.ToString());
      ctx.Log("nemesis: stopped packet loss on " + nemesis_internal::Join(ctx.NodeNames()));
      return CompleteNemesisOp(op, OpType::kOk, Json{{"healed", ctx.NodeNames()}});
    }
    return CompleteNemesisOp(op, OpType::kFail, nullptr,
                             "unsupported: the packet-loss nemesis has no op \"" + op.f + "\"");
  }

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
      return Status::InvalidArgument("packet loss: the test has no network capability (Net)");
    }
    return ctx.cluster.net->Usable();
  }

  gen::Rng& RngFor(const NemesisContext& ctx) {
    if (!rng_) rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kLossRngStream));
    return *rng_;
  }

  // A random rate; one random node's links both ways, or every link.
  LossPlan RandomPlan(const std::vector<std::string>& nodes, gen::Rng& rng) {
    const double rate =
        std::round((kMinRate + (kMaxRate - kMinRate) * rng.Uniform()) * 100) / 100;
    LossPlan plan;
    if (rng.Below(2) == 0) {
      const std::string& chosen = nodes[rng.Below(nodes.size())];
      for (const std::string& peer : nodes) {
        if (peer == chosen) continue;
        plan[chosen].from.insert(peer);
        plan[peer].from.insert(chosen);
      }
    } else {
      for (const std::string& node : nodes) {
        for (const std::string& peer : nodes) {
          if (peer != node) plan[node].from.insert(peer);
        }
      }
    }
    for (auto& entry : plan) entry.second.rate = rate;
    return plan;
  }

  Op Start(const NemesisContext& ctx, const Op& op) {
    const std::vector<std::string> nodes = ctx.NodeNames();
    Result<LossPlan> plan = Status::InvalidArgument("no plan");
    if (op.value.is_null()) {
      if (nodes.size() < 2) {
        return CompleteNemesisOp(op, OpType::kFail, nullptr,
                                 "start-packet-loss: needs at least 2 nodes");
      }
      plan = RandomPlan(nodes, RngFor(ctx));
    } else {
      plan = LossPlanFromJson(op.value, nodes);
    }
    if (!plan.ok()) return CompleteNemesisOp(op, OpType::kFail, nullptr, plan.status().ToString());
    Json value = LossPlanToJson(*plan);
    Status applied = ctx.cluster.net->Lose(*plan);
    if (!applied.ok()) {
      return CompleteNemesisOp(op, OpType::kInfo, std::move(value), applied.ToString());
    }
    ctx.Log("nemesis: packet loss: " + value.dump());
    return CompleteNemesisOp(op, OpType::kOk, std::move(value));
  }

  std::mutex mu_;
  std::optional<gen::Rng> rng_;
};

}  // namespace

std::unique_ptr<Nemesis> MakePacketLossNemesis() { return std::make_unique<PacketLossNemesis>(); }

Json LossPlanToJson(const LossPlan& plan) {
  double rate = 0;
  Json links = Json::object();
  for (const auto& [node, loss] : plan) {
    if (loss.from.empty()) continue;
    rate = loss.rate;
    links[node] = Json(std::vector<std::string>(loss.from.begin(), loss.from.end()));
  }
  return Json{{"rate", rate}, {"links", links}};
}

Result<LossPlan> LossPlanFromJson(const Json& json, const std::vector<std::string>& nodes) {
  const std::string expected =
      "expected {\"rate\": a share between 0 and 1, \"links\": {node: [nodes it loses "
      "packets from]}}";
  if (!json.is_object() || !json.contains("rate") || !json.contains("links")) {
    return Status::InvalidArgument("start-packet-loss: value " + json.dump() + ": " + expected);
  }
  const Json& rate = json["rate"];
  if (!rate.is_number() || !(rate.get<double>() >= 0 && rate.get<double>() <= 1)) {
    return Status::InvalidArgument("start-packet-loss: rate " + rate.dump() +
                                   " is not a share between 0 and 1");
  }
  const Json& links = json["links"];
  if (!links.is_object()) {
    return Status::InvalidArgument("start-packet-loss: links " + links.dump() + ": " + expected);
  }
  auto known = [&](const std::string& n) {
    return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
  };
  LossPlan plan;
  for (const auto& [node, peers] : links.items()) {
    if (!known(node)) {
      return Status::InvalidArgument("start-packet-loss: links names node " + node +
                                     ", which is not in the test");
    }
    if (!peers.is_array()) {
      return Status::InvalidArgument("start-packet-loss: links." + node + " is " + peers.dump() +
                                     "; expected an array of node names");
    }
    Loss& loss = plan[node];
    loss.rate = rate.get<double>();
    for (const Json& peer : peers) {
      if (!peer.is_string() || !known(peer.get<std::string>())) {
        return Status::InvalidArgument("start-packet-loss: links." + node + " names " +
                                       peer.dump() + ", which is not a node of the test");
      }
      if (peer.get<std::string>() == node) {
        return Status::InvalidArgument("start-packet-loss: links." + node +
                                       " makes the node lose packets from itself");
      }
      loss.from.insert(peer.get<std::string>());
    }
  }
  return plan;
}

}  // namespace faultline
