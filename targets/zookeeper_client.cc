#include "targets/zookeeper_client.h"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace faultline {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The C library logs through a per-handle callback; its chatter about
// reconnects would drown the harness's console during partitions, and the
// outcomes carry what matters.
void DiscardLog(const char*) {}

void QuietLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
}

std::string Ms(milliseconds d) { return std::to_string(d.count()) + " ms"; }

// "<kind>: <ZooKeeper's text>": the kind first, as client.h asks.
std::string ErrorText(int rc, const std::string& what) {
  const char* kind = "zookeeper";
  if (rc == ZCONNECTIONLOSS) kind = "connection-lost";
  if (rc == ZOPERATIONTIMEOUT) kind = "timeout";
  if (rc == ZSESSIONEXPIRED) kind = "session-expired";
  if (rc == ZSESSIONMOVED) kind = "session-moved";
  if (rc == ZINVALIDSTATE) kind = "invalid-state";
  return std::string(kind) + ": " + zerror(rc) + " (" + what + ")";
}

// Answers that mean the server refused the request, or the library never
// sent it: a write that got one certainly had no effect.
bool CertainlyUnapplied(int rc) {
  switch (rc) {
    case ZNONODE:
    case ZNODEEXISTS:
    case ZBADVERSION:
    case ZNOTEMPTY:
    case ZNOCHILDRENFOREPHEMERALS:
    case ZBADARGUMENTS:
    case ZINVALIDSTATE:  // the handle is expired or closed: nothing sent
    case ZNOAUTH:
    case ZINVALIDACL:
    case ZAUTHFAILED:
    case ZMARSHALLINGERROR:
    case ZNOTREADONLY:
    case ZCLOSING:
    case ZTHROTTLEDOP:
    case ZEPHEMERALONLOCALSESSION:
      return true;
    default:
      return false;
  }
}

bool IsExpiredState(int state) {
  return state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE;
}

// One ZooKeeper session (a zhandle_t and its two library threads). Every
// watch and session event bumps a counter that waiters sleep on.
class Session {
 public:
  static Result<std::unique_ptr<Session>> Open(const std::string& hosts, milliseconds timeout) {
    QuietLibrary();
    auto s = std::unique_ptr<Session>(new Session());
    s->zh_ = zookeeper_init2(hosts.c_str(), &Session::OnEvent, static_cast<int>(timeout.count()),
                             nullptr, s.get(), 0, &DiscardLog);
    if (s->zh_ == nullptr) {
      return Status::InvalidArgument("cannot start a ZooKeeper session to '" + hosts +
                                     "': " + std::strerror(errno));
    }
    return s;
  }

  // Blocks until the library has closed the session (at most a few seconds
  // when the server does not answer); no callback runs after it.
  ~Session() { zookeeper_close(zh_); }

  zhandle_t* zh() const { return zh_; }
  int state() const { return zoo_state(zh_); }
  bool expired() const { return IsExpiredState(state()); }

  // Waits until the session is connected. True when it is.
  bool AwaitConnected(milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    std::unique_lock lock(mu_);
    for (;;) {
      const int s = state();
      if (s == ZOO_CONNECTED_STATE) return true;
      if (IsExpiredState(s) || Clock::now() >= deadline) return false;
      // State changes come with session events; the cap is a safety net.
      const uint64_t seen = events_;
      cv_.wait_until(lock, std::min(deadline, Clock::now() + milliseconds(100)),
                     [&] { return events_ != seen; });
    }
  }

  uint64_t events() {
    std::lock_guard lock(mu_);
    return events_;
  }

  // Sleeps until an event newer than `seen` or the deadline.
  void AwaitEvent(uint64_t seen, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return events_ != seen; });
  }

  // sync() on `path` (the server catches up with the leader); the
  // completion's code, or ZOPERATIONTIMEOUT when none came within `limit`.
  int Sync(const std::string& path, milliseconds limit) {
    auto wait = std::make_shared<SyncWait>();
    auto* handed = new std::shared_ptr<SyncWait>(wait);
    const int rc = zoo_async(zh_, path.c_str(), &Session::OnSync, handed);
    if (rc != ZOK) {
      delete handed;
      return rc;
    }
    std::unique_lock lock(wait->mu);
    if (!wait->cv.wait_for(lock, limit, [&] { return wait->done; })) return ZOPERATIONTIMEOUT;
    return wait->rc;
  }

  // A watcher function for zoo_wexists & co, with this session as context.
  static void OnEvent(zhandle_t*, int, int, const char*, void* context) {
    auto* self = static_cast<Session*>(context);
    {
      std::lock_guard lock(self->mu_);
      ++self->events_;
    }
    self->cv_.notify_all();
  }

 private:
  struct SyncWait {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int rc = 0;
  };

  Session() = default;

  static void OnSync(int rc, const char*, const void* data) {
    auto* handed = static_cast<std::shared_ptr<SyncWait>*>(const_cast<void*>(data));
    {
      std::lock_guard lock((*handed)->mu);
      (*handed)->rc = rc;
      (*handed)->done = true;
    }
    (*handed)->cv.notify_all();
    delete handed;
  }

  zhandle_t* zh_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t events_ = 0;
};

// getData into `data`, growing the buffer to the znode's size.
int GetData(zhandle_t* zh, const std::string& path, std::string* data, Stat* stat) {
  std::string buffer(1024, '\0');
  for (;;) {
    int len = static_cast<int>(buffer.size());
    const int rc = zoo_get(zh, path.c_str(), 0, buffer.data(), &len, stat);
    if (rc != ZOK) return rc;
    if (stat->dataLength > static_cast<int32_t>(buffer.size())) {
      buffer.resize(static_cast<size_t>(stat->dataLength));
      continue;
    }
    data->assign(buffer.data(), len < 0 ? 0 : static_cast<size_t>(len));
    return ZOK;
  }
}

// The value a register's data holds: its JSON, or the text itself when it is
// not JSON (not written by this client; shown as is to the checker).
Json ParseValue(const std::string& data) {
  if (data.empty()) return Json();
  Json parsed = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(data) : parsed;
}

// Creates every ancestor of `path` that is missing (not `path` itself).
int CreateAncestors(zhandle_t* zh, const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string ancestor = path.substr(0, slash);
    const int rc = zoo_create(zh, ancestor.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return rc;
  }
  return ZOK;
}

std::vector<std::string> TakeStrings(String_vector* v) {
  std::vector<std::string> out;
  for (int32_t i = 0; i < v->count; ++i) out.emplace_back(v->data[i]);
  deallocate_String_vector(v);
  return out;
}

// What every ZooKeeper client shares: its node, its session, completions.
class ZooKeeperClientBase : public Client {
 public:
  explicit ZooKeeperClientBase(ZooKeeperClientOptions options) : options_(std::move(options)) {}
  ~ZooKeeperClientBase() override { session_.reset(); }

  Status Open(const NodeInfo& node) override {
    if (!options_.endpoint) {
      return Status::InvalidArgument("zookeeper client for " + node.name + ": no endpoint function");
    }
    if (node.host.empty()) {
      return Status::InvalidArgument("cannot open a zookeeper client on " + node.name +
                                     ": the node has no host");
    }
    node_ = node.name;
    hosts_ = options_.endpoint(node);
    opened_ = true;
    // Connecting is asynchronous: start now, so the first op finds it ready.
    Result<std::unique_ptr<Session>> s = Session::Open(hosts_, options_.session_timeout);
    if (!s.ok()) return s.status();
    session_ = std::move(*s);
    return Status::Ok();
  }

  void Close() override { session_.reset(); }

 protected:
  // A connected session (a new one when there is none or ZooKeeper expired
  // the last), or the error of an op that was not sent.
  Result<Session*> Connected() {
    if (!opened_) return Status::InvalidArgument("invalid: the client is not open");
    if (session_ != nullptr && session_->expired()) session_.reset();
    if (session_ == nullptr) {
      Result<std::unique_ptr<Session>> s = Session::Open(hosts_, options_.session_timeout);
      if (!s.ok()) return s.status();
      session_ = std::move(*s);
    }
    if (!session_->AwaitConnected(options_.connect_timeout)) {
      return Status::Unreachable("unreachable: no ZooKeeper session with " + hosts_ + " within " +
                                 Ms(options_.connect_timeout));
    }
    return session_.get();
  }

  // How long to wait for a sync() completion: the library itself gives up on
  // a silent server after two thirds of the session timeout.
  milliseconds SyncLimit() const { return options_.session_timeout + options_.connect_timeout; }

  std::string Path(const std::string& kind, const Json& key) const {
    return options_.root + "/" + kind + "/" + ZnodeName(key);
  }

  Op Fail(const Op& op, std::string error) { return CompleteFail(op, node_, std::move(error)); }
  Op Info(const Op& op, std::string error) { return CompleteInfo(op, node_, std::move(error)); }
  Op Ok(const Op& op, Json value) { return CompleteOk(op, node_, std::move(value)); }
  // A write's completion for a ZooKeeper error code.
  Op WriteError(const Op& op, int rc, const std::string& what) {
    return CertainlyUnapplied(rc) ? Fail(op, ErrorText(rc, what)) : Info(op, ErrorText(rc, what));
  }

  const ZooKeeperClientOptions options_;
  std::string node_;
  std::string hosts_;
  bool opened_ = false;
  std::unique_ptr<Session> session_;
};

class RegisterClient final : public ZooKeeperClientBase {
 public:
  using ZooKeeperClientBase::ZooKeeperClientBase;

  Op Invoke(const Op& op) override {
    if (op.f != "read" && op.f != "write" && op.f != "cas") {
      return Fail(op, "unsupported: f '" + op.f + "' is not one of read, write, cas");
    }
    if (op.f == "cas" && (!op.value.is_array() || op.value.size() != 2)) {
      return Fail(op, "invalid: cas value must be [old, new], got " + op.value.dump());
    }
    Result<Session*> s = Connected();
    if (!s.ok()) return Fail(op, s.status().message());
    const std::string path = Path("register", op.key);
    if (op.f == "read") return Read(op, **s, path);
    if (op.f == "write") return Write(op, **s, path);
    return Cas(op, **s, path);
  }

 private:
  Op Read(const Op& op, Session& s, const std::string& path) {
    if (options_.sync_reads) {
      const int rc = s.Sync(path, SyncLimit());
      if (rc != ZOK && rc != ZNONODE) return Fail(op, ErrorText(rc, "sync " + path));
    }
    std::string data;
    Stat stat{};
    const int rc = GetData(s.zh(), path, &data, &stat);
    if (rc == ZNONODE) return Ok(op, Json());
    if (rc != ZOK) return Fail(op, ErrorText(rc, "get " + path));
    return Ok(op, ParseValue(data));
  }

  // Creates the register's znode holding `data`, and its ancestors if needed.
  static int Create(zhandle_t* zh, const std::string& path, const std::string& data) {
    int rc = zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                        &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZNONODE) return rc;
    // Ancestors are not part of the register: creating them changes nothing
    // the checker sees, so an error here leaves the write unsent.
    if (int a = CreateAncestors(zh, path); a != ZOK) return a == ZCONNECTIONLOSS ? ZNONODE : a;
    return zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                      &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  }

  Op Write(const Op& op, Session& s, const std::string& path) {
    const std::string data = op.value.dump();
    // set, or create when absent; each refusal changed nothing, so after a
    // create raced with another (NodeExists) the set is simply tried again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      int rc = zoo_set(s.zh(), path.c_str(), data.data(), static_cast<int>(data.size()), -1);
      if (rc == ZOK) return Ok(op, op.value);
      if (rc != ZNONODE) return WriteError(op, rc, "set " + path);
      rc = Create(s.zh(), path, data);
      if (rc == ZOK) return Ok(op, op.value);
      if (rc != ZNODEEXISTS) return WriteError(op, rc, "create " + path);
    }
    return Fail(op, "contended: " + path + " was created and deleted under this write");
  }

  Op Cas(const Op& op, Session& s, const std::string& path) {
    const Json& expected = op.value[0];
    const std::string data = op.value[1].dump();
    for (int attempt = 0; attempt < kZooKeeperCasAttempts; ++attempt) {
      // The compare must see a state from within this op (see the header).
      int rc = s.Sync(path, SyncLimit());
      if (rc != ZOK && rc != ZNONODE) return Fail(op, ErrorText(rc, "sync " + path));
      std::string current;
      Stat stat{};
      rc = GetData(s.zh(), path, &current, &stat);
      if (rc != ZOK && rc != ZNONODE) return Fail(op, ErrorText(rc, "get " + path));
      const bool absent = rc == ZNONODE;
      const Json value = absent ? Json() : ParseValue(current);
      if (value != expected) return Fail(op, kCasMismatchError);
      if (absent) {
        rc = Create(s.zh(), path, data);
        if (rc == ZOK) return Ok(op, op.value);
        if (rc != ZNODEEXISTS) return WriteError(op, rc, "create " + path);
      } else {
        rc = zoo_set(s.zh(), path.c_str(), data.data(), static_cast<int>(data.size()),
                     stat.version);
        if (rc == ZOK) return Ok(op, op.value);
        if (rc != ZBADVERSION && rc != ZNONODE) return WriteError(op, rc, "set " + path);
      }
      // Changed between the read and the write: nothing was written; look again.
    }
    return Fail(op, "cas-contended: " + path + " changed under each of " +
                        std::to_string(kZooKeeperCasAttempts) + " tries; nothing written");
  }
};

class SetClient final : public ZooKeeperClientBase {
 public:
  using ZooKeeperClientBase::ZooKeeperClientBase;

  Op Invoke(const Op& op) override {
    if (op.f != "add" && op.f != "read") {
      return Fail(op, "unsupported: f '" + op.f + "' is not one of add, read");
    }
    if (op.f == "add" && !op.value.is_number_integer()) {
      return Fail(op, "invalid: add needs an integer, got " + op.value.dump());
    }
    Result<Session*> s = Connected();
    if (!s.ok()) return Fail(op, s.status().message());
    const std::string parent = Path("set", op.key);
    return op.f == "add" ? Add(op, **s, parent) : Read(op, **s, parent);
  }

 private:
  Op Add(const Op& op, Session& s, const std::string& parent) {
    const std::string element = std::to_string(op.value.get<int64_t>());
    const std::string prefix = parent + "/e" + element + "-";
    int rc = zoo_create(s.zh(), prefix.c_str(), element.data(), static_cast<int>(element.size()),
                        &ZOO_OPEN_ACL_UNSAFE, ZOO_SEQUENCE, nullptr, 0);
    if (rc == ZNONODE) {
      if (int a = CreateAncestors(s.zh(), prefix); a != ZOK) {
        // Only the set's parents were touched; the element was not sent.
        return Fail(op, ErrorText(a, "create the parents of " + prefix));
      }
      rc = zoo_create(s.zh(), prefix.c_str(), element.data(), static_cast<int>(element.size()),
                      &ZOO_OPEN_ACL_UNSAFE, ZOO_SEQUENCE, nullptr, 0);
    }
    if (rc == ZOK) return Ok(op, op.value);
    return WriteError(op, rc, "create " + prefix);
  }

  Op Read(const Op& op, Session& s, const std::string& parent) {
    if (options_.sync_reads) {
      const int rc = s.Sync(parent, SyncLimit());
      if (rc != ZOK && rc != ZNONODE) return Fail(op, ErrorText(rc, "sync " + parent));
    }
    String_vector children{};
    const int rc = zoo_get_children(s.zh(), parent.c_str(), 0, &children);
    if (rc == ZNONODE) return Ok(op, Json::array());
    if (rc != ZOK) return Fail(op, ErrorText(rc, "get children of " + parent));
    std::set<int64_t> elements;
    for (const std::string& child : TakeStrings(&children)) {
      Result<int64_t> e = SetElementOfChild(child);
      if (!e.ok()) return Fail(op, "protocol: " + parent + ": " + e.status().message());
      elements.insert(*e);
    }
    return Ok(op, Json(std::vector<int64_t>(elements.begin(), elements.end())));
  }
};

class LockClient final : public ZooKeeperClientBase {
 public:
  using ZooKeeperClientBase::ZooKeeperClientBase;

  Op Invoke(const Op& op) override {
    if (op.f == "acquire") return Acquire(op);
    if (op.f == "release") return Release(op);
    return Fail(op, "unsupported: f '" + op.f + "' is not one of acquire, release");
  }

 private:
  static constexpr char kPrefix[] = "lock-";

  // The sequence number of a child "lock-0000000012"; -1 for other names.
  static int64_t Sequence(const std::string& child) {
    const size_t n = std::strlen(kPrefix);
    if (child.compare(0, n, kPrefix) != 0 || child.size() == n) return -1;
    if (child.find_first_not_of("0123456789", n) != std::string::npos) return -1;
    return std::stoll(child.substr(n));
  }

  Op Acquire(const Op& op) {
    if (!held_.empty()) {
      return Fail(op, "invalid: this client already holds lock " + held_key_.dump() +
                          " (a client holds one lock at a time)");
    }
    Result<Session*> connected = Connected();
    if (!connected.ok()) return Fail(op, connected.status().message());
    Session& s = **connected;
    const std::string parent = Path("lock", op.key);
    const std::string prefix = parent + "/" + kPrefix;
    std::string mine(prefix.size() + 32, '\0');
    int rc = zoo_create(s.zh(), prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE,
                        ZOO_EPHEMERAL_SEQUENTIAL, mine.data(), static_cast<int>(mine.size()));
    if (rc == ZNONODE) {
      if (int a = CreateAncestors(s.zh(), prefix); a != ZOK) {
        return Fail(op, ErrorText(a, "create the parents of " + prefix));
      }
      rc = zoo_create(s.zh(), prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE,
                      ZOO_EPHEMERAL_SEQUENTIAL, mine.data(), static_cast<int>(mine.size()));
    }
    // Lost answer: the waiting child may exist and may be granted the lock
    // later; the runner then retires this client, whose session closes.
    if (rc != ZOK) return WriteError(op, rc, "create " + prefix);
    mine.resize(std::strlen(mine.c_str()));
    const std::string my_name = mine.substr(parent.size() + 1);
    const int64_t my_seq = Sequence(my_name);

    const auto deadline = Clock::now() + options_.acquire_timeout;
    std::string last_error;
    while (Clock::now() < deadline) {
      if (s.expired()) {
        return Fail(op, "session-expired: the session ended while waiting; ZooKeeper deleted " +
                            mine);
      }
      const uint64_t seen = s.events();
      String_vector children{};
      rc = zoo_get_children(s.zh(), parent.c_str(), 0, &children);
      if (rc != ZOK) {
        // Connection lost: the session (and the waiting child) may live on;
        // wait for the library to reconnect or to learn of the expiry.
        last_error = ErrorText(rc, "get children of " + parent);
        s.AwaitEvent(seen, std::min(deadline, Clock::now() + milliseconds(200)));
        continue;
      }
      std::string predecessor;
      int64_t predecessor_seq = -1;
      bool present = false;
      for (const std::string& child : TakeStrings(&children)) {
        const int64_t seq = Sequence(child);
        if (child == my_name) present = true;
        if (seq >= 0 && seq < my_seq && seq > predecessor_seq) {
          predecessor_seq = seq;
          predecessor = child;
        }
      }
      if (!present) {
        return Fail(op, "session-expired: " + mine + " is gone (the session ended while waiting)");
      }
      if (predecessor.empty()) {
        held_ = mine;
        held_key_ = op.key;
        return Ok(op, Json());
      }
      Stat stat{};
      const std::string watched = parent + "/" + predecessor;
      rc = zoo_wexists(s.zh(), watched.c_str(), &Session::OnEvent, &s, &stat);
      if (rc == ZNONODE) continue;  // gone already: look again
      if (rc != ZOK) last_error = ErrorText(rc, "watch " + watched);
      s.AwaitEvent(seen, rc == ZOK ? deadline : std::min(deadline, Clock::now() + milliseconds(200)));
    }
    // Give the place in line back, so this client certainly does not hold it.
    rc = zoo_delete(s.zh(), mine.c_str(), -1);
    const std::string waited = "timeout: lock not acquired within " +
                               Ms(options_.acquire_timeout) +
                               (last_error.empty() ? "" : "; last error: " + last_error);
    if (rc == ZOK || rc == ZNONODE || s.expired()) return Fail(op, waited);
    return Info(op, waited + "; deleting " + mine + " failed: " + ErrorText(rc, "delete"));
  }

  Op Release(const Op& op) {
    if (held_.empty() || held_key_ != op.key) {
      return Fail(op, "not-held: this client holds no lock " + op.key.dump());
    }
    if (session_ == nullptr || session_->expired()) {
      held_.clear();
      return Fail(op, "not-held: the session expired, and ZooKeeper deleted the lock node");
    }
    if (!session_->AwaitConnected(options_.connect_timeout)) {
      if (session_->expired()) {
        held_.clear();
        return Fail(op, "not-held: the session expired, and ZooKeeper deleted the lock node");
      }
      return Fail(op, "unreachable: no ZooKeeper session with " + hosts_ + " within " +
                          Ms(options_.connect_timeout) + "; the lock is still held");
    }
    const int rc = zoo_delete(session_->zh(), held_.c_str(), -1);
    if (rc == ZOK) {
      held_.clear();
      return Ok(op, Json());
    }
    if (rc == ZNONODE || rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE) {
      held_.clear();
      return Fail(op, "not-held: " + ErrorText(rc, "delete " + held_));
    }
    return WriteError(op, rc, "delete " + held_);
  }

  std::string held_;  // the path of the child holding the lock; empty: none
  Json held_key_;
};

}  // namespace

std::unique_ptr<Client> MakeZooKeeperRegisterClient(ZooKeeperClientOptions options) {
  return std::make_unique<RegisterClient>(std::move(options));
}
std::unique_ptr<Client> MakeZooKeeperSetClient(ZooKeeperClientOptions options) {
  return std::make_unique<SetClient>(std::move(options));
}
std::unique_ptr<Client> MakeZooKeeperLockClient(ZooKeeperClientOptions options) {
  return std::make_unique<LockClient>(std::move(options));
}

std::string ZnodeName(const Json& key) {
  const std::string text = key.is_string() ? key.get<std::string>() : key.dump();
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out.empty() ? "%" : out;  // "" is not a name; "%" alone is no escape
}

Result<int64_t> SetElementOfChild(const std::string& child) {
  const size_t dash = child.rfind('-');
  if (child.size() < 3 || child[0] != 'e' || dash == std::string::npos || dash < 2) {
    return Status::InvalidArgument("unexpected child '" + child + "'");
  }
  const std::string element = child.substr(1, dash - 1);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(element.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0' || element.empty()) {
    return Status::InvalidArgument("unexpected child '" + child + "'");
  }
  return static_cast<int64_t>(v);
}

Status ValidateZooKeeperClientOptions(const ZooKeeperClientOptions& o) {
  const std::string& r = o.root;
  if (r.size() < 2 || r[0] != '/' || r.back() == '/' || r.find("//") != std::string::npos) {
    return Status::InvalidArgument(
        "zookeeper option root: expected an absolute znode path without a trailing '/', got '" +
        r + "'");
  }
  if (o.session_timeout.count() <= 0 || o.connect_timeout.count() <= 0 ||
      o.acquire_timeout.count() <= 0) {
    return Status::InvalidArgument("zookeeper client timeouts must be positive");
  }
  if (o.session_timeout.count() > 0x7fffffff) {
    return Status::InvalidArgument("zookeeper option session_timeout_ms: too large");
  }
  return Status::Ok();
}

}  // namespace faultline
