#include "targets/redis_client.h"

#include <cstdio>
#include <map>
#include <mutex>
#include <random>

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Compare-and-set on the JSON text of a register. ARGV: expected, new,
// expect-absent ("1": the register must be null), delete ("1": new is null).
constexpr const char* kCasScript = R"(local cur = redis.call('GET', KEYS[1])
if ARGV[3] == '1' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
if ARGV[4] == '1' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1)";

// Deletes the lock only while it still holds this owner's token.
constexpr const char* kReleaseScript = R"(if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0)";

std::string Describe(const Status& st) {
  switch (st.code()) {
    case Status::Code::kUnreachable: return "unreachable: " + st.message();
    case Status::Code::kTimeout: return "timeout: " + st.message();
    default: return "connection: " + st.message();
  }
}

// The reply a command got, or how it failed; `sent` tells whether the
// server may have acted on it.
struct Outcome {
  Result<RedisReply> reply = Status::Internal("unset");
  bool sent = false;
};

// Where a client's commands go: the Sentinels' primary, or the owner of the
// key's hash slot in a Redis Cluster.
class Link {
 public:
  virtual ~Link() = default;
  virtual void Bind(const NodeInfo& node) = 0;
  virtual void Drop() = 0;
  // Runs `argv`, which acts on `key`.
  virtual Outcome Run(const std::string& key, const std::vector<std::string>& argv) = 0;
  // A command on the connection the last Run used (no reconnect), e.g. WAIT.
  virtual Outcome RunOnSame(const std::vector<std::string>& argv) = 0;
  // A read that must see the system's settled state (a set read: the set
  // checker takes a key's last read as its final state). Run's connection
  // may be to an old primary the Sentinels have not demoted yet, e.g. just
  // after a partition heals, so this asks every Sentinel first. Default: Run.
  virtual Outcome RunOnAgreedPrimary(const std::string& key, const std::vector<std::string>& argv) {
    return Run(key, argv);
  }
};

// A connection to the current primary, found through the Sentinels.
class PrimaryLink final : public Link {
 public:
  explicit PrimaryLink(const RedisClientConfig& config) : config_(config) {}

  void Bind(const NodeInfo& node) override { node_ = node; }
  void Drop() override {
    conn_.reset();
    agreed_conn_.reset();
  }

  // Runs `argv` on the primary. Any error reply drops the connection (a
  // READONLY means the primary changed): the next command asks again.
  Outcome Run(const std::string&, const std::vector<std::string>& argv) override {
    Outcome out;
    if (conn_ == nullptr) {
      if (Status st = Connect(); !st.ok()) {
        out.reply = st;
        return out;
      }
    }
    out.sent = true;
    out.reply = conn_->Command(argv);
    if (!out.reply.ok() || out.reply->is_error()) conn_.reset();
    return out;
  }

  Outcome RunOnSame(const std::vector<std::string>& argv) override {
    Outcome out;
    if (conn_ == nullptr) {
      out.reply = Status::IoError("no connection");
      return out;
    }
    out.sent = true;
    out.reply = conn_->Command(argv);
    if (!out.reply.ok() || out.reply->is_error()) conn_.reset();
    return out;
  }

  // On the primary a majority of all the Sentinels name, over a connection of
  // its own, so that writes keep the routing Sentinel-aware libraries have.
  Outcome RunOnAgreedPrimary(const std::string&, const std::vector<std::string>& argv) override {
    Outcome out;
    Result<std::pair<std::string, int>> agreed = AgreedPrimary();
    if (!agreed.ok()) {
      out.reply = agreed.status();
      return out;
    }
    if (agreed_conn_ == nullptr || agreed_addr_ != *agreed) {
      agreed_conn_.reset();
      Result<std::unique_ptr<RedisConnection>> conn =
          ConnectToPrimary(agreed->first, agreed->second, "a majority of the sentinels");
      if (!conn.ok()) {
        out.reply = conn.status();
        return out;
      }
      agreed_conn_ = std::move(*conn);
      agreed_addr_ = *agreed;
    }
    out.sent = true;
    out.reply = agreed_conn_->Command(argv);
    if (!out.reply.ok() || out.reply->is_error()) agreed_conn_.reset();
    return out;
  }

 private:
  // The primary named by more than half of all the configured Sentinels.
  Result<std::pair<std::string, int>> AgreedPrimary() {
    const std::vector<RedisEndpoint> sentinels =
        config_.sentinels ? config_.sentinels(node_) : std::vector<RedisEndpoint>{};
    std::map<std::pair<std::string, int>, size_t> votes;
    std::string named;
    for (const RedisEndpoint& s : sentinels) {
      Result<std::pair<std::string, int>> primary =
          AskSentinelForPrimary(config_.connector, s, config_.master_name, config_.timeouts);
      named += (named.empty() ? "" : ", ") + s.node + ": " +
               (primary.ok() ? primary->first + ":" + std::to_string(primary->second)
                             : primary.status().ToString());
      if (primary.ok() && 2 * ++votes[*primary] > sentinels.size()) return *primary;
    }
    if (sentinels.empty()) return Status::Unreachable("no primary: no sentinels configured");
    return Status::Unreachable("no primary named by a majority of the " +
                               std::to_string(sentinels.size()) + " sentinels (" + named + ")");
  }

  // A connection to host:port once ROLE confirms it is a primary.
  Result<std::unique_ptr<RedisConnection>> ConnectToPrimary(const std::string& host, int port,
                                                            const std::string& named_by) {
    Result<std::unique_ptr<RedisConnection>> conn = config_.connector(host, port, config_.timeouts);
    if (!conn.ok()) return conn.status();
    // The Sentinel may name a primary that has been demoted since.
    Result<RedisReply> role = (*conn)->Command({"ROLE"});
    if (!role.ok() || role->type != RedisReply::Type::kArray || role->elements.empty() ||
        role->elements[0].str != "master") {
      return Status::Unreachable(host + ":" + std::to_string(port) + " named by " + named_by +
                                 " is not a primary (" +
                                 (role.ok() ? role->ToString() : role.status().ToString()) + ")");
    }
    return conn;
  }

  Status Connect() {
    std::string errors;
    const std::vector<RedisEndpoint> sentinels =
        config_.sentinels ? config_.sentinels(node_) : std::vector<RedisEndpoint>{};
    for (const RedisEndpoint& s : sentinels) {
      Result<std::pair<std::string, int>> primary =
          AskSentinelForPrimary(config_.connector, s, config_.master_name, config_.timeouts);
      if (!primary.ok()) {
        errors += (errors.empty() ? "" : "; ") + primary.status().ToString();
        continue;
      }
      Result<std::unique_ptr<RedisConnection>> conn =
          ConnectToPrimary(primary->first, primary->second, "the sentinel on " + s.node);
      if (!conn.ok()) {
        errors += (errors.empty() ? "" : "; ") + conn.status().ToString();
        continue;
      }
      conn_ = std::move(*conn);
      return Status::Ok();
    }
    if (sentinels.empty()) errors = "no sentinels configured";
    return Status::Unreachable("no primary: " + errors);
  }

  const RedisClientConfig& config_;
  NodeInfo node_;
  std::unique_ptr<RedisConnection> conn_;
  std::unique_ptr<RedisConnection> agreed_conn_;
  std::pair<std::string, int> agreed_addr_;
};


// Keys to hash slots, as Redis Cluster does: CRC16 (XMODEM) of the key, or of
// its hash tag (the text between the first '{' and the next '}', when not
// empty), modulo 16384.
uint16_t Crc16(const std::string& data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

// A slot map of a Redis Cluster, learnt from CLUSTER SLOTS and corrected by
// MOVED redirects; ASK redirects are followed once with ASKING.
class ClusterLink final : public Link {
 public:
  explicit ClusterLink(const RedisClientConfig& config) : config_(config) {}

  void Bind(const NodeInfo& node) override { node_ = node; }
  void Drop() override {
    conns_.clear();
    last_ = nullptr;
  }

  Outcome Run(const std::string& key, const std::vector<std::string>& argv) override {
    Outcome out;
    last_ = nullptr;
    if (slots_.empty()) {
      if (Status st = Refresh(); !st.ok()) {
        out.reply = st;
        return out;
      }
    }
    std::string address = slots_[RedisKeySlot(key)];
    bool asking = false;
    for (int hop = 0; hop < 5; ++hop) {
      if (address.empty()) {
        out.reply = Status::Unreachable("no node serves slot " + std::to_string(RedisKeySlot(key)));
        return out;
      }
      Result<RedisConnection*> conn = Connection(address);
      if (!conn.ok()) {
        slots_.clear();  // the map may be stale: learn it again next time
        out.reply = conn.status();
        out.sent = false;
        return out;
      }
      if (asking) {
        Result<RedisReply> ok = (*conn)->Command({"ASKING"});
        if (!ok.ok()) {
          conns_.erase(address);
          out.reply = ok.status();
          out.sent = false;  // the command itself was not sent
          return out;
        }
      }
      out.sent = true;
      out.reply = (*conn)->Command(argv);
      if (!out.reply.ok()) {
        conns_.erase(address);
        return out;
      }
      const std::string code = out.reply->ErrorCode();
      if (code == "MOVED" || code == "ASK") {
        // Not executed here; go there. A malformed redirect leaves the
        // address empty: Unreachable above, the command not sent.
        const std::optional<RedisRedirect> redirect = ParseRedisRedirect(*out.reply);
        const std::string target =
            redirect ? redirect->host + ":" + std::to_string(redirect->port) : "";
        if (redirect && !redirect->ask && slots_.size() == kRedisSlots) {
          slots_[static_cast<size_t>(redirect->slot)] = target;
        }
        asking = code == "ASK";
        address = target;
        out.sent = false;
        continue;
      }
      last_ = (*conn);
      return out;
    }
    return out;
  }

  Outcome RunOnSame(const std::vector<std::string>& argv) override {
    Outcome out;
    if (last_ == nullptr) {
      out.reply = Status::IoError("no connection");
      return out;
    }
    out.sent = true;
    out.reply = last_->Command(argv);
    if (!out.reply.ok()) Drop();
    return out;
  }

 private:
  Result<RedisConnection*> Connection(const std::string& address) {
    auto it = conns_.find(address);
    if (it != conns_.end()) return it->second.get();
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return Status::Unreachable("bad address " + address);
    Result<std::unique_ptr<RedisConnection>> conn = config_.connector(
        address.substr(0, colon), std::atoi(address.c_str() + colon + 1), config_.timeouts);
    if (!conn.ok()) return conn.status();
    RedisConnection* raw = conn->get();
    conns_[address] = std::move(*conn);
    return raw;
  }

  // Learns the slot map from the first node (own first) that answers.
  Status Refresh() {
    std::string errors;
    const std::vector<RedisEndpoint> seeds =
        config_.sentinels ? config_.sentinels(node_) : std::vector<RedisEndpoint>{};
    for (const RedisEndpoint& seed : seeds) {
      const std::string address = seed.host + ":" + std::to_string(seed.port);
      Result<RedisConnection*> conn = Connection(address);
      if (!conn.ok()) {
        errors += (errors.empty() ? "" : "; ") + conn.status().ToString();
        continue;
      }
      Result<RedisReply> r = (*conn)->Command({"CLUSTER", "SLOTS"});
      if (!r.ok()) conns_.erase(address);
      if (!r.ok() || r->type != RedisReply::Type::kArray) {
        errors += (errors.empty() ? "" : "; ") + address + ": " +
                  (r.ok() ? r->ToString() : r.status().ToString());
        continue;
      }
      slots_ = RedisSlotOwners(*r);
      return Status::Ok();
    }
    return Status::Unreachable("no cluster node answered CLUSTER SLOTS: " + errors);
  }

  const RedisClientConfig& config_;
  NodeInfo node_;
  std::vector<std::string> slots_;  // slot -> "host:port"; empty: unknown
  std::map<std::string, std::unique_ptr<RedisConnection>> conns_;
  RedisConnection* last_ = nullptr;
};

std::unique_ptr<Link> MakeClusterLink(const RedisClientConfig& config) {
  return std::make_unique<ClusterLink>(config);
}

// Shared shape of the register and set clients: Open binds, Invoke dispatches.
class SentinelClientBase : public Client {
 public:
  explicit SentinelClientBase(RedisClientConfig config) : config_(std::move(config)) {
    if (config_.cluster) {
      link_ = MakeClusterLink(config_);
    } else {
      link_ = std::make_unique<PrimaryLink>(config_);
    }
  }

  Status Open(const NodeInfo& node) override {
    if (!config_.connector) return Status::InvalidArgument("redis client: no connector");
    node_ = node;
    link_->Bind(node);
    return Status::Ok();
  }
  void Close() override { link_->Drop(); }

 protected:
  // Completes a write-like op from `out`; `ok_value` is the ok value.
  Op FinishWrite(const Op& op, const Outcome& out, const Json& ok_value) {
    if (!out.reply.ok()) {
      return out.sent ? CompleteInfo(op, node_.name, Describe(out.reply.status()))
                      : CompleteFail(op, node_.name, Describe(out.reply.status()));
    }
    if (out.reply->is_error()) return CompleteFail(op, node_.name, "redis: " + out.reply->str);
    if (config_.wait_replicas > 0) {
      Outcome waited = link_->RunOnSame({"WAIT", std::to_string(config_.wait_replicas),
                                        std::to_string(config_.wait_timeout.count())});
      if (!waited.reply.ok()) return CompleteInfo(op, node_.name, Describe(waited.reply.status()));
      if (waited.reply->type != RedisReply::Type::kInteger) {
        return CompleteInfo(op, node_.name, "wait: unexpected reply " + waited.reply->ToString());
      }
      if (waited.reply->integer < config_.wait_replicas) {
        return CompleteInfo(op, node_.name,
                            "wait: " + std::to_string(waited.reply->integer) + " of " +
                                std::to_string(config_.wait_replicas) + " replicas acknowledged");
      }
    }
    return CompleteOk(op, node_.name, ok_value);
  }

  // A read's failure: it had no effect, so fail either way.
  Op FailRead(const Op& op, const Outcome& out) {
    if (!out.reply.ok()) return CompleteFail(op, node_.name, Describe(out.reply.status()));
    return CompleteFail(op, node_.name, "redis: " + out.reply->str);
  }

  std::string Key(const Op& op) const { return RedisKey(config_.key_prefix, op.key); }

  RedisClientConfig config_;
  std::unique_ptr<Link> link_;
  NodeInfo node_;
};

class RegisterClient final : public SentinelClientBase {
 public:
  using SentinelClientBase::SentinelClientBase;

  Op Invoke(const Op& op) override {
    const std::string key = Key(op);
    if (op.f == "read") {
      Outcome out = link_->Run(key, {"GET", key});
      if (!out.reply.ok() || out.reply->is_error()) return FailRead(op, out);
      if (out.reply->type == RedisReply::Type::kNil) return CompleteOk(op, node_.name, nullptr);
      Json v = Json::parse(out.reply->str, nullptr, false);
      if (out.reply->type != RedisReply::Type::kString || v.is_discarded()) {
        return CompleteFail(op, node_.name, "redis: unexpected value " + out.reply->ToString());
      }
      return CompleteOk(op, node_.name, std::move(v));
    }
    if (op.f == "write") {
      Outcome out = op.value.is_null() ? link_->Run(key, {"DEL", key})
                                       : link_->Run(key, {"SET", key, op.value.dump()});
      return FinishWrite(op, out, op.value);
    }
    if (op.f == "cas") {
      if (!op.value.is_array() || op.value.size() != 2) {
        return CompleteFail(op, node_.name, "invalid: cas needs [expected, new], got " +
                                                op.value.dump());
      }
      const Json& expected = op.value[0];
      const Json& desired = op.value[1];
      Outcome out = link_->Run(key, {"EVAL", kCasScript, "1", key,
                               expected.is_null() ? "" : expected.dump(),
                               desired.is_null() ? "" : desired.dump(),
                               expected.is_null() ? "1" : "0", desired.is_null() ? "1" : "0"});
      if (out.reply.ok() && out.reply->type == RedisReply::Type::kInteger &&
          out.reply->integer == 0) {
        return CompleteFail(op, node_.name, kCasMismatchError);
      }
      return FinishWrite(op, out, op.value);
    }
    return CompleteFail(op, node_.name, "unsupported: redis register client has no f " + op.f);
  }
};

class SetClient final : public SentinelClientBase {
 public:
  using SentinelClientBase::SentinelClientBase;

  Op Invoke(const Op& op) override {
    const std::string key = Key(op);
    if (op.f == "add") {
      if (!op.value.is_number_integer()) {
        return CompleteFail(op, node_.name, "invalid: add needs an integer, got " + op.value.dump());
      }
      Outcome out = link_->Run(key, {"SADD", key, op.value.dump()});
      return FinishWrite(op, out, op.value);
    }
    if (op.f == "read") {
      Outcome out = link_->RunOnAgreedPrimary(key, {"SMEMBERS", key});
      if (!out.reply.ok() || out.reply->is_error()) return FailRead(op, out);
      if (out.reply->type != RedisReply::Type::kArray) {
        return CompleteFail(op, node_.name, "redis: unexpected reply " + out.reply->ToString());
      }
      Json elements = Json::array();
      for (const RedisReply& e : out.reply->elements) {
        Json v = Json::parse(e.str, nullptr, false);
        if (!v.is_number_integer()) {
          return CompleteFail(op, node_.name, "redis: unexpected element " + e.ToString());
        }
        elements.push_back(std::move(v));
      }
      return CompleteOk(op, node_.name, std::move(elements));
    }
    return CompleteFail(op, node_.name, "unsupported: redis set client has no f " + op.f);
  }
};

std::string NewToken() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  char text[40];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return text;
}

class LockClient final : public Client {
 public:
  explicit LockClient(RedisClientConfig config) : config_(std::move(config)) {}

  Status Open(const NodeInfo& node) override {
    if (!config_.connector) return Status::InvalidArgument("redis lock client: no connector");
    node_ = node;
    instances_ = config_.instances ? config_.instances(node) : std::vector<RedisEndpoint>{};
    if (instances_.empty()) return Status::InvalidArgument("redis lock client: no instances");
    if (!config_.redlock) instances_.resize(1);
    conns_.clear();
    conns_.resize(instances_.size());
    return Status::Ok();
  }

  void Close() override {
    conns_.clear();
    conns_.resize(instances_.size());
  }

  Op Invoke(const Op& op) override {
    if (op.f == "acquire") return Acquire(op);
    if (op.f == "release") return Release(op);
    return CompleteFail(op, node_.name, "unsupported: redis lock client has no f " + op.f);
  }

 private:
  // Runs `argv` on instance i, connecting when needed.
  Outcome Run(size_t i, const std::vector<std::string>& argv) {
    Outcome out;
    if (conns_[i] == nullptr) {
      Result<std::unique_ptr<RedisConnection>> c =
          config_.connector(instances_[i].host, instances_[i].port, config_.timeouts);
      if (!c.ok()) {
        out.reply = c.status();
        return out;
      }
      conns_[i] = std::move(*c);
    }
    out.sent = true;
    out.reply = conns_[i]->Command(argv);
    if (!out.reply.ok()) conns_[i].reset();
    return out;
  }

  size_t Majority() const { return instances_.size() / 2 + 1; }

  Op Acquire(const Op& op) {
    const std::string key = RedisKey(config_.key_prefix, op.key);
    if (tokens_.count(key) != 0) {
      return CompleteFail(op, node_.name, "invalid: this client already holds " + key);
    }
    const std::string token = NewToken();
    const std::string ttl = std::to_string(config_.lock_ttl.count());
    const auto start = Clock::now();
    size_t acquired = 0, unknown = 0, busy = 0;
    std::string errors;
    for (size_t i = 0; i < instances_.size(); ++i) {
      Outcome out = Run(i, {"SET", key, token, "NX", "PX", ttl});
      if (!out.reply.ok()) {
        if (out.sent) ++unknown;
        errors += (errors.empty() ? "" : "; ") + Describe(out.reply.status());
      } else if (out.reply->type == RedisReply::Type::kStatus && out.reply->str == "OK") {
        ++acquired;
      } else if (out.reply->type == RedisReply::Type::kNil) {
        ++busy;
      } else {
        errors += (errors.empty() ? "" : "; ") + ("redis: " + out.reply->ToString());
      }
    }
    if (!config_.redlock) {
      if (acquired == 1) {
        tokens_[key] = token;
        return CompleteOk(op, node_.name, nullptr);
      }
      if (busy == 1) return CompleteFail(op, node_.name, "lock-busy");
      if (unknown == 1) {
        // It may hold the lock: remember the token so a release can free it.
        tokens_[key] = token;
        return CompleteInfo(op, node_.name, errors);
      }
      return CompleteFail(op, node_.name, errors);
    }
    // Redlock: valid only if a majority was acquired and time is left.
    const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    const milliseconds drift = config_.lock_ttl / 100 + milliseconds(2);
    const milliseconds validity = config_.lock_ttl - elapsed - drift;
    if (acquired >= Majority() && validity.count() > 0) {
      tokens_[key] = token;
      return CompleteOk(op, node_.name, nullptr);
    }
    // Not held: release what was taken, everywhere (also where unknown).
    size_t left = 0;
    for (size_t i = 0; i < instances_.size(); ++i) {
      Outcome out = Run(i, {"EVAL", kReleaseScript, "1", key, token});
      if (!out.reply.ok() && out.sent) ++left;
    }
    (void)left;  // a leftover minority entry does not make this client a holder
    std::string why = std::to_string(acquired) + " of " + std::to_string(instances_.size()) +
                      " instances acquired (" + std::to_string(busy) + " busy, " +
                      std::to_string(unknown) + " unknown), validity " +
                      std::to_string(validity.count()) + " ms";
    if (busy > 0 && acquired + unknown < Majority()) {
      return CompleteFail(op, node_.name, "lock-busy");
    }
    return CompleteFail(op, node_.name, "not-acquired: " + why +
                                            (errors.empty() ? "" : "; " + errors));
  }

  Op Release(const Op& op) {
    const std::string key = RedisKey(config_.key_prefix, op.key);
    auto it = tokens_.find(key);
    if (it == tokens_.end()) return CompleteFail(op, node_.name, "not-held");
    const std::string token = it->second;
    size_t deleted = 0, unknown = 0, not_ours = 0;
    std::string errors;
    for (size_t i = 0; i < instances_.size(); ++i) {
      Outcome out = Run(i, {"EVAL", kReleaseScript, "1", key, token});
      if (!out.reply.ok()) {
        if (out.sent) ++unknown;
        errors += (errors.empty() ? "" : "; ") + Describe(out.reply.status());
      } else if (out.reply->type == RedisReply::Type::kInteger && out.reply->integer == 1) {
        ++deleted;
      } else if (out.reply->type == RedisReply::Type::kInteger) {
        ++not_ours;
      } else if (out.reply->is_error()) {
        errors += (errors.empty() ? "" : "; ") + ("redis: " + out.reply->str);
      }
    }
    const size_t need = config_.redlock ? Majority() : 1;
    if (deleted >= need) {
      tokens_.erase(it);
      return CompleteOk(op, node_.name, nullptr);
    }
    // Instances that said the key no longer holds this token: once too many
    // did for a quorum to be ours, the lock was not held.
    if (not_ours > instances_.size() - need) {
      tokens_.erase(it);
      return CompleteFail(op, node_.name, "not-held");
    }
    // Nothing deleted and nothing possibly deleted: refused or never sent,
    // the client still holds what it held.
    if (deleted == 0 && unknown == 0) return CompleteFail(op, node_.name, errors);
    return CompleteInfo(op, node_.name, errors.empty() ? "partly released" : errors);
  }

  RedisClientConfig config_;
  NodeInfo node_;
  std::vector<RedisEndpoint> instances_;
  std::vector<std::unique_ptr<RedisConnection>> conns_;
  std::map<std::string, std::string> tokens_;  // key -> this client's token
};

}  // namespace

int RedisKeySlot(const std::string& key) {
  const size_t open = key.find('{');
  if (open != std::string::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string::npos && close > open + 1) {
      return Crc16(key.substr(open + 1, close - open - 1)) % 16384;
    }
  }
  return Crc16(key) % 16384;
}

std::string RedisKey(const std::string& prefix, const Json& key) {
  return prefix + (key.is_string() ? key.get<std::string>() : key.dump());
}

Result<std::pair<std::string, int>> AskSentinelForPrimary(const RedisConnector& connector,
                                                          const RedisEndpoint& sentinel,
                                                          const std::string& master_name,
                                                          const RedisTimeouts& timeouts) {
  Result<std::unique_ptr<RedisConnection>> conn =
      connector(sentinel.host, sentinel.port, timeouts);
  if (!conn.ok()) return conn.status();
  Result<RedisReply> r = (*conn)->Command({"SENTINEL", "get-master-addr-by-name", master_name});
  if (!r.ok()) return r.status();
  if (r->type != RedisReply::Type::kArray || r->elements.size() != 2) {
    return Status::NotFound("the sentinel on " + sentinel.node + " names no primary: " +
                            r->ToString());
  }
  const std::string port_text = r->elements[1].str;
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 1 || port > 65535) {
    return Status::NotFound("the sentinel on " + sentinel.node + " named a bad port: " +
                            r->ToString());
  }
  return std::make_pair(r->elements[0].str, static_cast<int>(port));
}

std::unique_ptr<Client> MakeRedisSentinelRegisterClient(RedisClientConfig config) {
  return std::make_unique<RegisterClient>(std::move(config));
}
std::unique_ptr<Client> MakeRedisSentinelSetClient(RedisClientConfig config) {
  return std::make_unique<SetClient>(std::move(config));
}
std::unique_ptr<Client> MakeRedisLockClient(RedisClientConfig config) {
  return std::make_unique<LockClient>(std::move(config));
}

}  // namespace faultline
