#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "targets/etcd_set_lock.h"

namespace faultline {
namespace {

// A lease ID as etcd's JSON gives it: an int64, usually as a string.
std::string LeaseId(const Json& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  return "";
}

class EtcdLockClient final : public Client {
 public:
  EtcdLockClient(EtcdClientOptions options, EtcdLockOptions lock)
      : options_(std::move(options)), lock_(lock) {}
  ~EtcdLockClient() override { Close(); }

  Status Open(const NodeInfo& node) override {
    if (!options_.endpoint || node.host.empty()) {
      return Status::InvalidArgument("cannot open an etcd lock client on " + node.name +
                                     ": no endpoint for it");
    }
    base_url_ = options_.endpoint(node);
    node_ = node.name;
    HttpTimeouts lock_timeouts = options_.timeouts;
    lock_timeouts.total = lock_.lock_timeout;
    transport_ = MakeTransport(options_.timeouts);
    lock_transport_ = MakeTransport(lock_timeouts);
    return Status::Ok();
  }

  Op Invoke(const Op& op) override {
    if (!transport_) return CompleteFail(op, node_, "invalid: the client is not open");
    if (op.f == "acquire") return Acquire(op);
    if (op.f == "release") return Release(op);
    return CompleteFail(op, node_,
                        "unsupported: f '" + op.f + "' is not one of acquire, release");
  }

  void Close() override {
    StopKeepalive();
    if (transport_ && !lease_.empty()) {
      // Best effort: a revoked lease frees the locks at once; otherwise they
      // go when the lease expires.
      (void)EtcdCall(*transport_, base_url_ + "/v3/lease/revoke", Json{{"ID", lease_}}, true);
    }
    lease_.clear();
    lock_key_.clear();
    transport_.reset();
    lock_transport_.reset();
  }

 private:
  std::unique_ptr<HttpTransport> MakeTransport(const HttpTimeouts& t) const {
    return options_.make_transport ? options_.make_transport(t) : MakeCurlTransport(t);
  }

  Op Acquire(const Op& op) {
    if (!lock_key_.empty() && !lease_lost_.load()) return CompleteFail(op, node_, "already-held");
    lock_key_.clear();
    if (lease_.empty() || lease_lost_.load()) {
      StopKeepalive();
      lease_.clear();
      EtcdAnswer grant = EtcdCall(*transport_, base_url_ + "/v3/lease/grant",
                                  Json{{"TTL", lock_.ttl.count()}}, /*has_effect=*/false);
      if (grant.type != OpType::kOk) {
        return CompleteFail(op, node_, "lease: " + grant.error);
      }
      lease_ = LeaseId(grant.body.value("ID", Json()));
      if (lease_.empty()) {
        return CompleteFail(op, node_, "protocol: lease grant without ID: " + grant.body.dump());
      }
      lease_lost_ = false;
      StartKeepalive();
    }
    const std::string name = EtcdKey(options_.key_prefix + "lock/", op.key);
    EtcdAnswer a = EtcdCall(*lock_transport_, base_url_ + "/v3/lock/lock",
                            Json{{"name", Base64Encode(name)}, {"lease", lease_}},
                            /*has_effect=*/true);
    if (a.type != OpType::kOk) {
      return a.type == OpType::kInfo ? CompleteInfo(op, node_, a.error)
                                     : CompleteFail(op, node_, a.error);
    }
    if (!a.body.contains("key") || !a.body["key"].is_string()) {
      return CompleteInfo(op, node_, "protocol: lock answer without key: " + a.body.dump());
    }
    lock_key_ = a.body["key"].get<std::string>();  // base64, as unlock wants it
    return CompleteOk(op, node_, nullptr);
  }

  Op Release(const Op& op) {
    if (lock_key_.empty()) return CompleteFail(op, node_, "not-held");
    if (lease_lost_.load()) {
      lock_key_.clear();
      return CompleteFail(op, node_, "not-held: lease " + lease_ + " expired");
    }
    EtcdAnswer a = EtcdCall(*transport_, base_url_ + "/v3/lock/unlock",
                            Json{{"key", lock_key_}}, /*has_effect=*/true);
    if (a.type == OpType::kOk) {
      lock_key_.clear();
      return CompleteOk(op, node_, nullptr);
    }
    return a.type == OpType::kInfo ? CompleteInfo(op, node_, a.error)
                                   : CompleteFail(op, node_, a.error);
  }

  // Refreshes lease_ every ttl/3 on its own connection; marks it lost when
  // etcd answers that it has expired (TTL <= 0 or not found).
  void StartKeepalive() {
    stop_ = false;
    const std::string url = base_url_ + "/v3/lease/keepalive";
    const std::string lease = lease_;
    auto period = std::chrono::duration_cast<std::chrono::milliseconds>(lock_.ttl) / 3;
    HttpTimeouts t = options_.timeouts;
    t.total = std::max(period, std::chrono::milliseconds(100));
    t.connect = std::min(t.connect, t.total);
    keepalive_ = std::thread([this, url, lease, period, transport = MakeTransport(t)] {
      std::unique_lock<std::mutex> lk(mu_);
      while (!cv_.wait_for(lk, period, [this] { return stop_; })) {
        lk.unlock();
        EtcdAnswer a = EtcdCall(*transport, url, Json{{"ID", lease}}, false);
        if (a.type == OpType::kOk) {
          const Json& result = a.body.contains("result") ? a.body["result"] : a.body;
          const Json ttl = result.value("TTL", Json());
          const int64_t left = ttl.is_string() ? std::atoll(ttl.get<std::string>().c_str())
                                               : (ttl.is_number_integer() ? ttl.get<int64_t>() : 0);
          if (left <= 0) lease_lost_ = true;
        } else if (a.error.find("requested lease not found") != std::string::npos) {
          lease_lost_ = true;
        }
        lk.lock();
        if (lease_lost_) break;
      }
    });
  }

  void StopKeepalive() {
    if (!keepalive_.joinable()) return;
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    keepalive_.join();
  }

  const EtcdClientOptions options_;
  const EtcdLockOptions lock_;
  std::string node_;
  std::string base_url_;
  std::unique_ptr<HttpTransport> transport_;       // grants, unlocks, revokes
  std::unique_ptr<HttpTransport> lock_transport_;  // lock requests (longer timeout)
  std::string lease_;     // empty: none yet
  std::string lock_key_;  // base64 key of the lock this client holds; empty: none
  std::atomic<bool> lease_lost_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread keepalive_;
};

}  // namespace

std::unique_ptr<Client> MakeEtcdLockClient(EtcdClientOptions options, EtcdLockOptions lock) {
  return std::make_unique<EtcdLockClient>(std::move(options), lock);
}

}  // namespace faultline
