#include "targets/memory_target.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "targets/client.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

// memory-unsafe: the share of acknowledged adds it drops, and the chance that
// an acquire of a lock another owner holds is granted anyway.
constexpr double kUnsafeDropChance = 0.05;
constexpr double kUnsafeGrantChance = 0.1;

class MemoryTarget final : public Target,
                           public Killable,
                           public Pausable,
                           public RegisterClientFactory,
                           public SetClientFactory,
                           public LockClientFactory {
 public:
  MemoryTarget(bool unsafe, const MemoryTargetOptions& options)
      : unsafe_(unsafe), options_(options), rng_(options.seed) {}

  std::string name() const override { return unsafe_ ? "memory-unsafe" : "memory"; }

  Status Setup(const NodeContext& ctx) override {
    std::lock_guard lock(mu_);
    if (nodes_.empty()) ClearData();
    Node fresh;
    fresh.incarnation = ++incarnations_;
    nodes_[ctx.node.name] = std::move(fresh);
    changed_.notify_all();
    return Status::Ok();
  }

  Status Teardown(const NodeContext& ctx) override {
    std::lock_guard lock(mu_);
    nodes_.erase(ctx.node.name);
    if (nodes_.empty()) ClearData();
    changed_.notify_all();
    return Status::Ok();
  }

  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }
  RegisterClientFactory* register_clients() override { return this; }
  SetClientFactory* set_clients() override { return this; }
  LockClientFactory* lock_clients() override { return this; }

  Status Kill(const NodeContext& ctx) override {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ctx.node.name);
    if (it == nodes_.end()) return Status::Ok();
    it->second.up = false;
    it->second.paused = false;
    it->second.incarnation = ++incarnations_;
    changed_.notify_all();
    return Status::Ok();
  }

  Status Start(const NodeContext& ctx) override {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ctx.node.name);
    if (it == nodes_.end()) return NotSetUp("start", ctx.node.name);
    it->second.up = true;
    return Status::Ok();
  }

  Status Pause(const NodeContext& ctx) override { return SetPaused(ctx.node.name, true); }
  Status Resume(const NodeContext& ctx) override { return SetPaused(ctx.node.name, false); }

  std::unique_ptr<Client> NewRegisterClient() override;
  std::unique_ptr<Client> NewSetClient() override;
  std::unique_ptr<Client> NewLockClient() override;

  // The kind of data a client works on; a lock client is also a lock owner.
  enum class Kind { kRegister, kSet, kLock };
  uint64_t NewOwner() {
    std::lock_guard lock(mu_);
    return ++owners_;
  }
  // A lock client's session ends: it holds no lock any more.
  void EndSession(uint64_t owner) {
    std::lock_guard lock(mu_);
    for (auto it = locks_.begin(); it != locks_.end();) {
      it = it->second == owner ? locks_.erase(it) : std::next(it);
    }
    changed_.notify_all();
  }

  bool Knows(const std::string& node) {
    std::lock_guard lock(mu_);
    return nodes_.count(node) > 0;
  }

  Op Invoke(const std::string& node_name, const Op& op, Kind kind = Kind::kRegister,
            uint64_t owner = 0) {
    const std::chrono::microseconds latency = NextLatency();
    if (latency.count() > 0) std::this_thread::sleep_for(latency);

    std::unique_lock lock(mu_);
    auto it = nodes_.find(node_name);
    if (it == nodes_.end()) {
      return CompleteFail(op, node_name, "unreachable: " + node_name + " is not set up");
    }
    if (!it->second.up) {
      return CompleteFail(op, node_name, "unreachable: " + node_name + " is down");
    }
    // From here on the request has reached the node: if the node dies before
    // answering, the outcome is unknown.
    const uint64_t incarnation = it->second.incarnation;
    const auto deadline = Clock::now() + options_.timeout;
    for (;;) {
      it = nodes_.find(node_name);
      if (it == nodes_.end() || it->second.incarnation != incarnation) {
        return CompleteInfo(op, node_name,
                            "connection-lost: " + node_name + " went down during the op");
      }
      if (!it->second.paused) break;
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        it = nodes_.find(node_name);
        if (it != nodes_.end() && it->second.incarnation == incarnation && !it->second.paused) {
          break;
        }
        return CompleteInfo(op, node_name, "timeout: " + node_name + " did not answer (paused)");
      }
    }
    if (kind == Kind::kSet) return ApplySet(node_name, op);
    if (kind == Kind::kLock) return ApplyLock(node_name, op, owner, lock);
    return Apply(it->first, it->second, op);
  }

 private:
  struct Replication {
    Clock::time_point at;
    std::string key;
    Json value;
  };
  struct Node {
    bool up = true;
    bool paused = false;
    uint64_t incarnation = 0;             // changes on Kill, so ops in flight notice
    std::map<std::string, Json> replica;  // memory-unsafe only
    std::deque<Replication> inbox;        // memory-unsafe only, in delivery order
  };
  using Store = std::map<std::string, Json>;

  static Status NotSetUp(const std::string& what, const std::string& node) {
    return Status::NotFound("cannot " + what + " " + node +
                            ": the in-memory target is not set up there");
  }

  Status SetPaused(const std::string& node, bool paused) {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return NotSetUp(paused ? "pause" : "resume", node);
    if (!it->second.up) {
      return Status::NotFound(std::string("cannot ") + (paused ? "pause " : "resume ") + node +
                              ": it is down (killed)");
    }
    it->second.paused = paused;
    changed_.notify_all();
    return Status::Ok();
  }

  std::chrono::microseconds NextLatency() {
    if (options_.max_latency.count() <= 0) return std::chrono::microseconds(0);
    std::lock_guard lock(mu_);
    std::uniform_int_distribution<int64_t> dist(0, options_.max_latency.count());
    return std::chrono::microseconds(dist(rng_));
  }

  static void Put(Store& store, const std::string& key, const Json& value) {
    if (value.is_null()) {
      store.erase(key);
    } else {
      store[key] = value;
    }
  }

  // Applies the replicated writes that have arrived at `node` by `now`.
  static void Deliver(Node& node, Clock::time_point now) {
    while (!node.inbox.empty() && node.inbox.front().at <= now) {
      Put(node.replica, node.inbox.front().key, node.inbox.front().value);
      node.inbox.pop_front();
    }
  }

  void Replicate(const std::string& from, const std::string& key, const Json& value,
                 Clock::time_point now) {
    for (auto& [name, node] : nodes_) {
      if (name != from) node.inbox.push_back({now + options_.replication_delay, key, value});
    }
  }

  void ClearData() {
    shared_.clear();
    sets_.clear();
    locks_.clear();
  }

  // A draw in [0, 1) from the target's own random source; mu_ held.
  double Chance() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  // Called with mu_ held. memory-unsafe acknowledges some adds it never keeps.
  Op ApplySet(const std::string& node_name, const Op& op) {
    std::set<int64_t>& set = sets_[op.key.dump()];
    if (op.f == "read") {
      Json all = Json::array();
      for (int64_t e : set) all.push_back(e);
      return CompleteOk(op, node_name, std::move(all));
    }
    if (op.f == "add") {
      if (!op.value.is_number_integer()) {
        return CompleteFail(op, node_name, "invalid: add needs an integer, got " + op.value.dump());
      }
      if (!unsafe_ || Chance() >= kUnsafeDropChance) set.insert(op.value.get<int64_t>());
      return CompleteOk(op, node_name, op.value);
    }
    return CompleteFail(op, node_name, "unsupported: f '" + op.f + "' is not one of add, read");
  }

  // Called with mu_ held through `lock`; an acquire waits (releasing it) for
  // the lock to be free, at most options_.timeout. memory-unsafe sometimes
  // grants a lock that another owner holds.
  Op ApplyLock(const std::string& node_name, const Op& op, uint64_t owner,
               std::unique_lock<std::mutex>& lock) {
    const std::string key = op.key.dump();
    if (op.f == "release") {
      auto it = locks_.find(key);
      if (it == locks_.end() || it->second != owner) return CompleteFail(op, node_name, "not-held");
      locks_.erase(it);
      changed_.notify_all();
      return CompleteOk(op, node_name, nullptr);
    }
    if (op.f != "acquire") {
      return CompleteFail(op, node_name,
                          "unsupported: f '" + op.f + "' is not one of acquire, release");
    }
    const auto deadline = Clock::now() + options_.timeout;
    for (;;) {
      auto it = locks_.find(key);
      if (it == locks_.end()) break;
      if (it->second == owner) return CompleteFail(op, node_name, "already-held");
      if (unsafe_ && Chance() < kUnsafeGrantChance) break;
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        // The wait is given up inside the store: certainly not granted.
        return CompleteFail(op, node_name, "lock-busy: still held after the timeout");
      }
    }
    locks_[key] = owner;
    return CompleteOk(op, node_name, nullptr);
  }

  // Called with mu_ held.
  Op Apply(const std::string& node_name, Node& node, const Op& op) {
    const Clock::time_point now = Clock::now();
    if (unsafe_) Deliver(node, now);
    Store& store = unsafe_ ? node.replica : shared_;
    const std::string key = op.key.dump();
    auto current = [&]() -> Json {
      auto it = store.find(key);
      return it == store.end() ? Json() : it->second;
    };

    if (op.f == "read") return CompleteOk(op, node_name, current());
    if (op.f == "write") {
      Put(store, key, op.value);
      if (unsafe_) Replicate(node_name, key, op.value, now);
      return CompleteOk(op, node_name, op.value);
    }
    if (op.f == "cas") {
      if (!op.value.is_array() || op.value.size() != 2) {
        return CompleteFail(op, node_name,
                            "invalid: cas value must be [old, new], got " + op.value.dump());
      }
      if (current() != op.value[0]) return CompleteFail(op, node_name, kCasMismatchError);
      Put(store, key, op.value[1]);
      if (unsafe_) Replicate(node_name, key, op.value[1], now);
      return CompleteOk(op, node_name, op.value);
    }
    return CompleteFail(op, node_name,
                        "unsupported: f '" + op.f + "' is not one of read, write, cas");
  }

  const bool unsafe_;
  const MemoryTargetOptions options_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Node> nodes_;
  Store shared_;  // memory only
  std::map<std::string, std::set<int64_t>> sets_;
  std::map<std::string, uint64_t> locks_;  // lock -> owner
  uint64_t owners_ = 0;
  uint64_t incarnations_ = 0;
  std::mt19937_64 rng_;
};

class MemoryClient final : public Client {
 public:
  explicit MemoryClient(MemoryTarget& target, MemoryTarget::Kind kind = MemoryTarget::Kind::kRegister)
      : target_(target), kind_(kind), owner_(kind == MemoryTarget::Kind::kLock ? target.NewOwner() : 0) {}
  ~MemoryClient() override { Close(); }

  Status Open(const NodeInfo& node) override {
    if (!target_.Knows(node.name)) {
      return Status::InvalidArgument("cannot open a client on " + node.name + ": the " +
                                     target_.name() + " target is not set up there");
    }
    node_ = node.name;
    return Status::Ok();
  }

  Op Invoke(const Op& invocation) override {
    if (node_.empty()) return CompleteFail(invocation, "", "invalid: the client is not open");
    return target_.Invoke(node_, invocation, kind_, owner_);
  }

  void Close() override {
    if (owner_ != 0 && !closed_) target_.EndSession(owner_);
    closed_ = true;
    node_.clear();
  }

 private:
  MemoryTarget& target_;
  const MemoryTarget::Kind kind_;
  const uint64_t owner_;  // lock clients: this client's session; 0 otherwise
  bool closed_ = false;
  std::string node_;  // empty while closed
};

std::unique_ptr<Client> MemoryTarget::NewRegisterClient() {
  return std::make_unique<MemoryClient>(*this);
}

std::unique_ptr<Client> MemoryTarget::NewSetClient() {
  return std::make_unique<MemoryClient>(*this, Kind::kSet);
}

std::unique_ptr<Client> MemoryTarget::NewLockClient() {
  return std::make_unique<MemoryClient>(*this, Kind::kLock);
}

}  // namespace

std::unique_ptr<Target> MakeMemoryTarget(const MemoryTargetOptions& options) {
  return std::make_unique<MemoryTarget>(false, options);
}

std::unique_ptr<Target> MakeUnsafeMemoryTarget(const MemoryTargetOptions& options) {
  return std::make_unique<MemoryTarget>(true, options);
}

}  // namespace faultline
