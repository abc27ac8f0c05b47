#include "harness/control/net.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "harness/base/parallel.h"

namespace faultline {
namespace {

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost" ||
         address == "0.0.0.0" || address == "::";
}

// Counts the DROP rules left in FAULTLINE (both families) and empties the
// chain where it exists (it makes nothing: a node never partitioned keeps no
// trace). Prints the count.
Command ResetCommand() {
  Command c = Command::Shell(
      "n=0\n"
      "for t in iptables ip6tables; do\n"
      "  command -v $t >/dev/null 2>&1 || continue\n"
      "  $t -w -n -L FAULTLINE >/dev/null 2>&1 || continue\n"
      "  k=$($t -w -S FAULTLINE | grep -c -- '-j DROP' || true)\n"
      "  n=$((n + ${k:-0}))\n"
      "  $t -w -F FAULTLINE || exit 1\n"
      "done\n"
      "echo $n\n");
  c.sudo = true;
  c.idempotent = true;
  c.timeout = std::chrono::seconds(30);
  return c;
}

bool HearsIn(const Grudge& grudge, const std::string& node, const std::string& peer) {
  if (node == peer) return true;
  auto it = grudge.find(node);
  return it == grudge.end() || it->second.count(peer) == 0;
}

// InvalidArgument naming the node or rate that `plan` gets wrong.
Status CheckLossPlan(const std::vector<std::string>& names, const LossPlan& plan) {
  auto known = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (const auto& [node, l] : plan) {
    if (!known(node)) {
      return Status::InvalidArgument("the loss plan names node " + node +
                                     ", which is not in the test");
    }
    for (const std::string& peer : l.from) {
      if (!known(peer)) {
        return Status::InvalidArgument("the loss plan names node " + peer +
                                       ", which is not in the test");
      }
    }
    if (Status st = CheckLossRate(l.rate); !st.ok()) {
      return Status::InvalidArgument("the loss plan for node " + node + ": " + st.message());
    }
  }
  return Status::Ok();
}

class IptablesNet final : public Net {
 public:
  explicit IptablesNet(std::vector<NetNode> nodes)
      : nodes_(std::move(nodes)), usable_(CheckPartitionAddresses(nodes_)) {
    for (const NetNode& n : nodes_) {
      if (usable_.ok() && n.remote == nullptr) {
        usable_ = Status::InvalidArgument("partitions: node " + n.name + " has no remote");
      }
      names_.push_back(n.name);
    }
  }

  std::string name() const override { return "iptables"; }
  Status Usable() const override { return usable_; }

  Result<std::vector<std::string>> Reset() override {
    std::lock_guard lock(mu_);
    if (!usable_.ok()) return std::vector<std::string>{};
    std::vector<Result<CommandResult>> results =
        ParallelMap(nodes_.size(), [&](size_t i) { return nodes_[i].remote->Run(ResetCommand()); });
    std::vector<std::string> leftovers;
    LabelledStatuses outcomes;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const Result<CommandResult>& r = results[i];
      Status s;
      if (!r.ok()) {
        s = r.status();
      } else if (!r->ok()) {
        s = Status::IoError("exit " + std::to_string(r->exit_status) + ": " +
                            r->err.substr(0, r->err.find('\n')));
      } else if (std::atoi(r->out.c_str()) > 0) {
        leftovers.push_back(nodes_[i].name);
      }
      outcomes.emplace_back(nodes_[i].name, s);
    }
    grudge_.clear();
    loss_.clear();
    if (Status s = MergeErrors("healing the network (iptables)", outcomes); !s.ok()) return s;
    return leftovers;
  }

  Status Drop(const Grudge& grudge) override {
    std::lock_guard lock(mu_);
    if (!usable_.ok()) return usable_;
    std::map<std::string, std::shared_ptr<Remote>> remotes;
    std::map<std::string, std::string> addresses;
    for (const NetNode& n : nodes_) {
      remotes[n.name] = n.remote;
      addresses[n.name] = n.address;
    }
    // Recorded first: after a partial failure some nodes may drop traffic.
    grudge_ = grudge;
    return ApplyFaults(remotes, addresses, grudge_, loss_);
  }

  Status Lose(const LossPlan& plan) override {
    std::lock_guard lock(mu_);
    if (!usable_.ok()) return usable_;
    if (Status st = CheckLossPlan(names_, plan); !st.ok()) return st;
    std::map<std::string, std::shared_ptr<Remote>> remotes;
    std::map<std::string, std::string> addresses;
    for (const NetNode& n : nodes_) {
      remotes[n.name] = n.remote;
      addresses[n.name] = n.address;
    }
    loss_ = plan;
    return ApplyFaults(remotes, addresses, grudge_, loss_);
  }

  LossPlan loss() const override {
    std::lock_guard lock(mu_);
    return loss_;
  }

  Status Heal() override {
    std::lock_guard lock(mu_);
    if (!usable_.ok()) return Status::Ok();
    Status s = OnEach("healing the network", names_,
                      [&](size_t i) { return faultline::Heal(*nodes_[i].remote); });
    if (s.ok()) {
      grudge_.clear();
      loss_.clear();
    }
    return s;
  }

  Status Teardown() override {
    std::lock_guard lock(mu_);
    if (!usable_.ok()) return Status::Ok();
    Status s = OnEach("removing the partition chain", names_,
                      [&](size_t i) { return RemoveChain(*nodes_[i].remote); });
    if (s.ok()) {
      grudge_.clear();
      loss_.clear();
    }
    return s;
  }

  bool Hears(const std::string& node, const std::string& peer) const override {
    std::lock_guard lock(mu_);
    return HearsIn(grudge_, node, peer);
  }

 private:
  const std::vector<NetNode> nodes_;
  std::vector<std::string> names_;
  Status usable_;
  mutable std::mutex mu_;
  Grudge grudge_;
  LossPlan loss_;
};

class MemoryNet final : public Net {
 public:
  explicit MemoryNet(std::vector<std::string> names) : names_(names.begin(), names.end()) {}

  std::string name() const override { return "memory"; }
  Status Usable() const override { return Status::Ok(); }

  Result<std::vector<std::string>> Reset() override {
    std::lock_guard lock(mu_);
    std::vector<std::string> leftovers;
    for (const auto& [node, peers] : grudge_) {
      if (!peers.empty()) leftovers.push_back(node);
    }
    for (const auto& [node, l] : loss_) {
      if (!l.from.empty() && l.rate > 0 &&
          std::find(leftovers.begin(), leftovers.end(), node) == leftovers.end()) {
        leftovers.push_back(node);
      }
    }
    grudge_.clear();
    loss_.clear();
    return leftovers;
  }

  Status Drop(const Grudge& grudge) override {
    std::lock_guard lock(mu_);
    for (const auto& [node, peers] : grudge) {
      if (!names_.count(node)) {
        return Status::InvalidArgument("the grudge names node " + node + ", which is not in the test");
      }
      for (const std::string& peer : peers) {
        if (!names_.count(peer)) {
          return Status::InvalidArgument("the grudge names node " + peer +
                                         ", which is not in the test");
        }
      }
    }
    grudge_ = grudge;
    return Status::Ok();
  }

  Status Lose(const LossPlan& plan) override {
    std::lock_guard lock(mu_);
    if (Status st = CheckLossPlan(std::vector<std::string>(names_.begin(), names_.end()), plan);
        !st.ok()) {
      return st;
    }
    loss_ = plan;
    return Status::Ok();
  }

  LossPlan loss() const override {
    std::lock_guard lock(mu_);
    return loss_;
  }

  Status Heal() override {
    std::lock_guard lock(mu_);
    grudge_.clear();
    loss_.clear();
    return Status::Ok();
  }

  Status Teardown() override { return Heal(); }

  bool Hears(const std::string& node, const std::string& peer) const override {
    std::lock_guard lock(mu_);
    return HearsIn(grudge_, node, peer);
  }

 private:
  const std::set<std::string> names_;
  mutable std::mutex mu_;
  Grudge grudge_;
  LossPlan loss_;  // recorded only: in-memory targets do not model loss
};

}  // namespace

Status CheckPartitionAddresses(const std::vector<NetNode>& nodes) {
  std::map<std::string, std::string> owner;  // address -> node
  for (const NetNode& node : nodes) {
    if (node.address.empty()) {
      return Status::InvalidArgument("partitions: node " + node.name + " has no address");
    }
    if (IsLoopback(node.address)) {
      return Status::InvalidArgument(
          "partitions: node " + node.name + " has the loopback address " + node.address +
          "; partitions need every node on its own network address (e.g. the local cluster)");
    }
    auto [it, fresh] = owner.emplace(node.address, node.name);
    if (!fresh) {
      return Status::InvalidArgument("partitions: nodes " + it->second + " and " + node.name +
                                     " share the address " + node.address +
                                     "; partitions need a distinct address per node");
    }
  }
  return Status::Ok();
}

std::shared_ptr<Net> MakeIptablesNet(std::vector<NetNode> nodes) {
  return std::make_shared<IptablesNet>(std::move(nodes));
}

std::shared_ptr<Net> MakeMemoryNet(std::vector<std::string> node_names) {
  return std::make_shared<MemoryNet>(std::move(node_names));
}

}  // namespace faultline
