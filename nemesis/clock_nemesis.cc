#include "nemesis/clock_nemesis.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "harness/control/node_util.h"
#include "harness/generator/rng.h"
#include "nemesis/clock_shim/clock_support.h"
#include "nemesis/node_selection.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

using nemesis_internal::Join;
using nemesis_internal::Outcomes;
using nemesis_internal::ParallelFor;
using nemesis_internal::Summarize;

constexpr uint64_t kClockStream = 0x636c6f636b;  // "clock"
constexpr int64_t kNsPerMs = 1000000;

Command Sh(const std::string& script, std::vector<std::string> args, bool sudo) {
  std::vector<std::string> argv = {"sh", "-c", script, "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  Command c = Command::Argv(std::move(argv));
  c.sudo = sudo;
  c.timeout = std::chrono::seconds(30);
  return c;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// --- shim ------------------------------------------------------------------

class ShimClock final : public NodeClock {
 public:
  ShimClock(Remote& remote, std::string data_dir, bool sudo)
      : remote_(remote), data_dir_(std::move(data_dir)), sudo_(sudo),
        file_(clock::OffsetFile(data_dir_)) {}

  std::string mechanism() const override { return "shim"; }

  Status Prepare() override {
    Result<clock::ShimPaths> paths = clock::LocateOnNode(remote_, data_dir_, sudo_);
    if (!paths.ok()) return paths.status();
    paths_ = *paths;
    Result<int64_t> offset = clock::GetOffset(remote_, *paths_, file_, sudo_);
    if (offset.status().code() == Status::Code::kNotFound) {
      return Status::InvalidArgument(
          "no clock offset file " + file_ + " on " + remote_.node() +
          ": the target did not start its processes under the clock shim (its Setup must add "
          "clock::PrepareClockShim's environment once EnableClockShim was called)");
    }
    if (!offset.ok()) return offset.status();
    // A leftover of an earlier run that was not torn down.
    if (*offset != 0) return clock::SetOffset(remote_, *paths_, file_, 0, sudo_);
    return Status::Ok();
  }

  Status SetOffset(int64_t offset_ns) override {
    if (!paths_) return Status::Internal("clock shim on " + remote_.node() + ": not prepared");
    return clock::SetOffset(remote_, *paths_, file_, offset_ns, sudo_);
  }

  Status Restore() override {
    if (!paths_) return Status::Ok();
    Result<int64_t> offset = clock::GetOffset(remote_, *paths_, file_, sudo_);
    if (offset.status().code() == Status::Code::kNotFound) return Status::Ok();
    if (!offset.ok()) return offset.status();
    if (*offset != 0) return clock::SetOffset(remote_, *paths_, file_, 0, sudo_);
    return Status::Ok();
  }

 private:
  Remote& remote_;
  const std::string data_dir_;
  const bool sudo_;
  const std::string file_;
  std::optional<clock::ShimPaths> paths_;
};

// --- settime ---------------------------------------------------------------

std::string ThisBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

class SettimeClock final : public NodeClock {
 public:
  SettimeClock(Remote& remote, std::string data_dir, bool sudo)
      : remote_(remote), data_dir_(std::move(data_dir)), sudo_(sudo) {}

  std::string mechanism() const override { return "settime"; }

  Status Prepare() override {
    Result<CommandResult> boot = remote_.Run(Sh("cat /proc/sys/kernel/random/boot_id", {}, false));
    if (!boot.ok()) return boot.status();
    const std::string mine = ThisBootId();
    if (!mine.empty() && Trimmed(boot->out) == mine) {
      return Status::InvalidArgument(
          "node " + remote_.node() +
          " runs on this machine's kernel (same boot id): stepping its clock would step this "
          "machine's clock; the clock nemesis needs the clock shim there");
    }
    Result<clock::ShimPaths> paths = clock::LocateOnNode(remote_, data_dir_, sudo_);
    if (!paths.ok()) return paths.status();
    paths_ = *paths;
    Result<CommandResult> stopped = remote_.Run(Sh(
        "command -v systemctl >/dev/null 2>&1 || exit 0\n"
        "for s in chrony chronyd ntp ntpsec openntpd systemd-timesyncd; do\n"
        "  if systemctl is-active --quiet \"$s\" 2>/dev/null; then\n"
        "    systemctl stop \"$s\" || exit 1; echo \"$s\"\n"
        "  fi\n"
        "done",
        {}, sudo_));
    if (!stopped.ok()) return stopped.status();
    if (!stopped->ok()) {
      return Status::IoError("stopping NTP on " + remote_.node() + ": " + Trimmed(stopped->err));
    }
    ntp_stopped_.clear();
    std::string out = stopped->out;
    size_t start = 0;
    while (start < out.size()) {
      size_t nl = out.find('\n', start);
      std::string name = out.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (!name.empty()) ntp_stopped_.push_back(name);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return Status::Ok();
  }

  Status SetOffset(int64_t offset_ns) override {
    if (!paths_) return Status::Internal("clock stepper on " + remote_.node() + ": not prepared");
    const int64_t step = offset_ns - applied_;
    if (step == 0) return Status::Ok();
    Command c = Command::Argv({paths_->control, "step", std::to_string(step)});
    c.sudo = sudo_;
    c.timeout = std::chrono::seconds(20);
    Result<CommandResult> r = remote_.Run(c);
    if (!r.ok()) return r.status();
    if (!r->ok()) {
      return Status::IoError("faultline-clock step on " + remote_.node() + ": " + Trimmed(r->err));
    }
    applied_ = offset_ns;
    return Status::Ok();
  }

  Status Restore() override {
    if (!paths_) return Status::Ok();
    Outcomes outcomes;
    outcomes.emplace_back("step back", SetOffset(0));
    if (!ntp_stopped_.empty()) {
      Result<CommandResult> r =
          remote_.Run(Sh("for s in \"$@\"; do systemctl start \"$s\" || exit 1; done", ntp_stopped_,
                         sudo_));
      Status st = !r.ok() ? r.status()
                  : r->ok() ? Status::Ok()
                            : Status::IoError("restarting " + Join(ntp_stopped_) + ": " +
                                              Trimmed(r->err));
      if (st.ok()) ntp_stopped_.clear();
      outcomes.emplace_back("ntp", st);
    }
    if (paths_->control.rfind(clock::ClockDir(data_dir_), 0) == 0) {
      Result<CommandResult> r = remote_.Run(Sh("rm -rf \"$1\"", {clock::ClockDir(data_dir_)}, sudo_));
      outcomes.emplace_back("cleanup", r.ok() ? Status::Ok() : r.status());
    }
    Status st = Summarize("restoring the clock of " + remote_.node(), outcomes);
    if (st.ok()) paths_.reset();
    return st;
  }

 private:
  Remote& remote_;
  const std::string data_dir_;
  const bool sudo_;
  std::optional<clock::ShimPaths> paths_;
  int64_t applied_ = 0;  // how far the clock was stepped from where Prepare found it
  std::vector<std::string> ntp_stopped_;
};

// --- the nemesis -----------------------------------------------------------

class ClockNemesis final : public Nemesis {
 public:
  ClockNemesis(ClockPlan plan, ClockNemesisOptions options)
      : plan_(std::move(plan)), options_(std::move(options)) {}

  std::string name() const override { return "clock"; }
  std::vector<std::string> fs() const override { return {kBump, kStrobe, kReset}; }

  Status Setup(const NemesisContext& ctx) override {
    std::lock_guard lock(mu_);
    rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kClockStream));
    if (Status st = ctx.Validate(); !st.ok()) return st;
    clocks_.clear();
    offsets_.clear();
    for (size_t i = 0; i < ctx.cluster.nodes.size(); ++i) {
      NodeContext node{*ctx.remotes[i], ctx.cluster.nodes[i], ctx.cluster};
      clocks_.push_back(options_.make_clock(plan_.mechanism, *ctx.remotes[i], node.data_dir(),
                                            ctx.cluster.sudo));
    }
    ctx.Log("nemesis clock: mechanism " + ClockMechanismName(plan_.mechanism) + " on " +
            Join(ctx.NodeNames()) + ": " + plan_.why);
    std::vector<Status> results = ForAll(ctx, [&](size_t i) { return clocks_[i]->Prepare(); });
    Outcomes outcomes;
    for (size_t i = 0; i < results.size(); ++i) {
      outcomes.emplace_back(ctx.cluster.nodes[i].name, results[i]);
    }
    return Summarize("clock nemesis setup", outcomes);
  }

  Op Invoke(const NemesisContext& ctx, const Op& op) override {
    std::lock_guard lock(mu_);
    if (op.f != kBump && op.f != kStrobe && op.f != kReset) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr,
                               "unsupported: the clock nemesis has no op \"" + op.f + "\"");
    }
    if (Status st = ctx.Validate(); !st.ok()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr, st.ToString());
    }
    if (clocks_.size() != ctx.cluster.nodes.size()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr,
                               "the clock nemesis was not set up for these nodes");
    }
    if (op.f == kBump) return Bump(ctx, op);
    if (op.f == kStrobe) return Strobe(ctx, op);
    return Reset(ctx, op);
  }

  Status Heal(const NemesisContext& ctx) override {
    abort_strobe_.store(true);
    std::lock_guard lock(mu_);
    abort_strobe_.store(false);
    return ResetAll(ctx, "heal");
  }

  Status Teardown(const NemesisContext& ctx) override {
    abort_strobe_.store(true);
    std::lock_guard lock(mu_);
    abort_strobe_.store(false);
    Status healed = ResetAll(ctx, "teardown");
    if (clocks_.size() != ctx.remotes.size()) return healed;
    std::vector<Status> results = ForAll(ctx, [&](size_t i) { return clocks_[i]->Restore(); });
    Outcomes outcomes;
    if (!healed.ok()) outcomes.emplace_back("reset", healed);
    for (size_t i = 0; i < results.size(); ++i) {
      outcomes.emplace_back(ctx.cluster.nodes[i].name, results[i]);
    }
    return Summarize("clock nemesis teardown", outcomes);
  }

 private:
  std::vector<Status> ForAll(const NemesisContext& ctx, const std::function<Status(size_t)>& fn) {
    std::vector<size_t> all;
    for (size_t i = 0; i < ctx.cluster.nodes.size(); ++i) all.push_back(i);
    return ParallelFor(all, fn);
  }

  gen::Rng& Rng(const NemesisContext& ctx) {
    if (!rng_) rng_ = gen::Rng(gen::DeriveSeed(ctx.seed, kClockStream));
    return *rng_;
  }

  // Log-uniform in [lo, hi] ms.
  int64_t DrawLogMs(const NemesisContext& ctx, std::chrono::milliseconds lo,
                    std::chrono::milliseconds hi) {
    const double a = std::log(static_cast<double>(std::max<int64_t>(1, lo.count())));
    const double b = std::log(static_cast<double>(std::max(lo.count(), hi.count())));
    const double v = std::exp(a + (b - a) * Rng(ctx).Uniform());
    return std::clamp<int64_t>(std::llround(v), lo.count(), std::max(lo.count(), hi.count()));
  }

  int64_t DrawDeltaMs(const NemesisContext& ctx) {
    const int64_t magnitude = DrawLogMs(ctx, options_.min_delta, options_.max_delta);
    return Rng(ctx).Below(2) == 0 ? magnitude : -magnitude;
  }

  Result<std::string> DrawNode(const NemesisContext& ctx) {
    Result<std::vector<std::string>> one = SelectNodes("one", ctx.NodeNames(), Rng(ctx));
    if (!one.ok()) return one.status();
    return one->front();
  }

  int64_t OffsetOf(const std::string& node) const {
    auto it = offsets_.find(node);
    return it == offsets_.end() ? 0 : it->second;
  }

  // Sets the offsets of `targets` (node -> ns) in parallel. Every attempted
  // node is remembered as possibly skewed, even when its change failed.
  Outcomes Apply(const NemesisContext& ctx, const std::map<std::string, int64_t>& targets) {
    std::vector<size_t> indices;
    std::vector<int64_t> values;
    for (const auto& [node, ns] : targets) {
      indices.push_back(static_cast<size_t>(ctx.IndexOf(node)));
      values.push_back(ns);
    }
    std::vector<Status> results = ParallelFor(indices, [&](size_t i) {
      for (size_t k = 0; k < indices.size(); ++k) {
        if (indices[k] == i) return clocks_[i]->SetOffset(values[k]);
      }
      return Status::Internal("no such node");
    });
    Outcomes failures;
    for (size_t k = 0; k < indices.size(); ++k) {
      const std::string& node = ctx.cluster.nodes[indices[k]].name;
      if (results[k].ok()) {
        offsets_[node] = values[k];
        uncertain_.erase(node);
      } else {
        uncertain_.insert(node);
        failures.emplace_back(node, results[k]);
      }
    }
    return failures;
  }

  static Json MsMap(const std::map<std::string, int64_t>& ns) {
    Json out = Json::object();
    for (const auto& [node, v] : ns) out[node] = v / kNsPerMs;
    return out;
  }

  Op Finish(const NemesisContext& ctx, const Op& op, Json value, const Outcomes& failures) {
    if (!failures.empty()) {
      return CompleteNemesisOp(op, OpType::kInfo, std::move(value),
                               Summarize(op.f, failures).ToString());
    }
    ctx.Log("nemesis clock: " + op.f + " " + value.dump());
    return CompleteNemesisOp(op, OpType::kOk, std::move(value));
  }

  Op Bump(const NemesisContext& ctx, const Op& op) {
    std::map<std::string, int64_t> targets;  // node -> new offset, ns
    if (op.value.is_null()) {
      Result<std::string> node = DrawNode(ctx);
      if (!node.ok()) return CompleteNemesisOp(op, OpType::kFail, nullptr, node.status().ToString());
      targets[*node] = OffsetOf(*node) + DrawDeltaMs(ctx) * kNsPerMs;
    } else if (op.value.is_object() && !op.value.empty()) {
      for (const auto& [node, delta] : op.value.items()) {
        if (ctx.IndexOf(node) < 0 || !delta.is_number_integer()) {
          return CompleteNemesisOp(
              op, OpType::kFail, nullptr,
              "bump: expected null or {\"<node>\": <delta ms>, ...} with nodes of the test (" +
                  Join(ctx.NodeNames()) + ") and integer deltas; got " + op.value.dump());
        }
        targets[node] = OffsetOf(node) + delta.get<int64_t>() * kNsPerMs;
      }
    } else {
      return CompleteNemesisOp(op, OpType::kFail, nullptr,
                               "bump: expected null or {\"<node>\": <delta ms>, ...}; got " +
                                   op.value.dump());
    }
    Outcomes failures = Apply(ctx, targets);
    return Finish(ctx, op, MsMap(targets), failures);
  }

  Op Strobe(const NemesisContext& ctx, const Op& op) {
    std::string node;
    int64_t delta_ms = 0, period_ms = 0, duration_ms = 0;
    if (op.value.is_null()) {
      Result<std::string> drawn = DrawNode(ctx);
      if (!drawn.ok()) return CompleteNemesisOp(op, OpType::kFail, nullptr, drawn.status().ToString());
      node = *drawn;
      delta_ms = DrawDeltaMs(ctx);
      period_ms = DrawLogMs(ctx, options_.min_period, options_.max_period);
      duration_ms = options_.strobe_duration.count();
    } else {
      const Json& v = op.value;
      const bool good = v.is_object() && v.contains("node") && v["node"].is_string() &&
                        ctx.IndexOf(v["node"].get<std::string>()) >= 0 &&
                        v.value("delta_ms", Json()).is_number_integer() &&
                        v.value("period_ms", Json()).is_number_integer() &&
                        v.value("duration_ms", Json()).is_number_integer() &&
                        v["period_ms"].get<int64_t>() > 0 && v["duration_ms"].get<int64_t>() >= 0;
      if (!good) {
        return CompleteNemesisOp(
            op, OpType::kFail, nullptr,
            "strobe: expected null or {\"node\": one of " + Join(ctx.NodeNames()) +
                ", \"delta_ms\": int, \"period_ms\": int > 0, \"duration_ms\": int >= 0}; got " +
                op.value.dump());
      }
      node = v["node"].get<std::string>();
      delta_ms = v["delta_ms"].get<int64_t>();
      period_ms = v["period_ms"].get<int64_t>();
      duration_ms = v["duration_ms"].get<int64_t>();
    }
    const int64_t base = OffsetOf(node);
    const int64_t other = base + delta_ms * kNsPerMs;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::milliseconds(duration_ms);
    int64_t flips = 0;
    bool high = false;
    Outcomes failures;
    auto next = start;
    while (std::chrono::steady_clock::now() < end && !abort_strobe_.load()) {
      high = !high;
      failures = Apply(ctx, {{node, high ? other : base}});
      if (!failures.empty()) break;
      ++flips;
      next += std::chrono::milliseconds(period_ms);
      // Sleep in short slices so that a Heal is not kept waiting a whole period.
      while (std::chrono::steady_clock::now() < std::min(next, end) && !abort_strobe_.load()) {
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(20),
                                                          std::min(next, end) -
                                                              std::chrono::steady_clock::now()));
      }
    }
    if (failures.empty() && high) failures = Apply(ctx, {{node, base}});
    const int64_t for_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    Json value = {{node,
                   {{"strobe_ms", {base / kNsPerMs, other / kNsPerMs}},
                    {"period_ms", period_ms},
                    {"flips", flips},
                    {"for_ms", for_ms}}}};
    if (abort_strobe_.load()) value[node]["interrupted"] = true;
    return Finish(ctx, op, std::move(value), failures);
  }

  Op Reset(const NemesisContext& ctx, const Op& op) {
    std::map<std::string, int64_t> targets;
    for (const std::string& node : ctx.NodeNames()) targets[node] = 0;
    Outcomes failures = Apply(ctx, targets);
    return Finish(ctx, op, MsMap(targets), failures);
  }

  // Every node whose offset may be non-zero back to 0.
  Status ResetAll(const NemesisContext& ctx, const std::string& why) {
    std::map<std::string, int64_t> targets;
    for (const auto& [node, ns] : offsets_) {
      if (ns != 0) targets[node] = 0;
    }
    for (const std::string& node : uncertain_) targets[node] = 0;
    if (targets.empty()) return Status::Ok();
    if (Status st = ctx.Validate(); !st.ok()) return st;
    if (clocks_.size() != ctx.cluster.nodes.size()) {
      return Status::Internal("clock nemesis: clocks left skewed on nodes not set up: " +
                              MsMap(targets).dump());
    }
    for (const auto& [node, ns] : targets) {
      if (ctx.IndexOf(node) < 0) {
        return Status::NotFound("clock nemesis: node " + node + " is no longer in the test");
      }
    }
    Outcomes failures = Apply(ctx, targets);
    std::vector<std::string> reset;
    for (const auto& [node, ns] : targets) {
      if (!uncertain_.count(node)) reset.push_back(node);
    }
    if (!reset.empty()) ctx.Log("nemesis clock: " + why + ": clocks reset on " + Join(reset));
    return Summarize("resetting clocks (" + why + ")", failures);
  }

  const ClockPlan plan_;
  const ClockNemesisOptions options_;
  std::mutex mu_;
  std::atomic<bool> abort_strobe_{false};
  std::optional<gen::Rng> rng_;
  std::vector<std::unique_ptr<NodeClock>> clocks_;  // one per node, in the context's order
  std::map<std::string, int64_t> offsets_;          // node -> offset (ns) last set
  std::set<std::string> uncertain_;                 // nodes whose last change may have failed
};

}  // namespace

std::string ClockMechanismName(ClockMechanism mechanism) {
  return mechanism == ClockMechanism::kShim ? "shim" : "settime";
}

bool IsThisMachinesKernel(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) return false;
  const uint32_t ip = ntohl(addr.s_addr);
  return (ip >> 24) == 127 || (ip >> 16) == ((10u << 8) | 77u);
}

Result<ClockPlan> ChooseClockMechanism(Target& target, const std::vector<std::string>& hosts) {
  const bool shimmable = target.clock_shim() != nullptr;
  std::vector<std::string> local;
  for (const std::string& host : hosts) {
    if (IsThisMachinesKernel(host) && std::find(local.begin(), local.end(), host) == local.end()) {
      local.push_back(host);
    }
  }
  if (!local.empty()) {
    if (!shimmable) {
      return Status::InvalidArgument(
          "nemesis clock: target " + target.name() + " cannot have its clock skewed on nodes " +
          Join(local) +
          ": they share this machine's kernel, which has one wall clock for all of them, so "
          "each node's clock can only be moved inside its processes by the clock shim "
          "(LD_PRELOAD), and " + target.name() +
          " does not run under it (Go programs such as etcd read the clock through the vDSO and "
          "ignore LD_PRELOAD). Run it on your own VMs (--nodes-file), where the clock nemesis "
          "steps each VM's system clock, or leave \"clock\" out of the nemesis list");
    }
    return ClockPlan{ClockMechanism::kShim,
                     "the nodes share this machine's kernel (one wall clock), so target " +
                         target.name() +
                         " runs under the clock shim and each node's offset file is rewritten"};
  }
  if (hosts.empty() && shimmable) {
    return ClockPlan{ClockMechanism::kShim, "the nodes' hosts are not known before connecting; "
                                            "target " + target.name() +
                                                " runs under the clock shim"};
  }
  return ClockPlan{ClockMechanism::kSettime,
                   "the nodes run kernels of their own, so each node's system clock is stepped "
                   "(clock_settime through faultline-clock), with NTP stopped during the test"};
}

std::unique_ptr<NodeClock> MakeNodeClock(ClockMechanism mechanism, Remote& remote,
                                         const std::string& data_dir, bool sudo) {
  if (mechanism == ClockMechanism::kShim) return std::make_unique<ShimClock>(remote, data_dir, sudo);
  return std::make_unique<SettimeClock>(remote, data_dir, sudo);
}

Result<std::unique_ptr<Nemesis>> MakeClockNemesis(Target& target, const ClockPlan& plan,
                                                  ClockNemesisOptions options) {
  if (plan.mechanism == ClockMechanism::kShim) {
    ClockShimmable* shim = target.clock_shim();
    if (shim == nullptr) {
      return Status::InvalidArgument("nemesis clock: target " + target.name() +
                                     " does not run under the clock shim");
    }
    shim->EnableClockShim();
  }
  if (!options.make_clock) options.make_clock = MakeNodeClock;
  return std::unique_ptr<Nemesis>(std::make_unique<ClockNemesis>(plan, std::move(options)));
}

}  // namespace faultline
