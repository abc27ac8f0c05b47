#include "harness/control/ssh_remote.h"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace faultline {
// Outside the anonymous namespace: SshRemote's connection classes (external
// linkage) hold a Session.
namespace ssh_detail {
struct SessionCloser {
  void operator()(ssh_session session) const {
    ssh_disconnect(session);
    ssh_free(session);
  }
};
using Session = std::unique_ptr<ssh_session_struct, SessionCloser>;
}  // namespace ssh_detail
using ssh_detail::Session;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "n1 (root@10.0.0.1:22)": how every message names the node.
std::string Where(const SshOptions& o) {
  std::string at = o.user + "@" + o.host + ":" + std::to_string(o.port);
  return o.node == o.host ? at : o.node + " (" + at + ")";
}

std::string Seconds(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g s", d.count() / 1000.0);
  return buf;
}

// The first line of a command, shortened, for messages.
std::string CommandExcerpt(const std::string& rendered) {
  constexpr size_t kMax = 80;
  std::string line = rendered.substr(0, rendered.find('\n'));
  if (line.size() > kMax) line = line.substr(0, kMax);
  if (line.size() < rendered.size()) line += "...";
  return "`" + line + "`";
}

std::string KnownHostsPath(const SshOptions& o) {
  if (!o.known_hosts_file.empty()) return o.known_hosts_file;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : "/root") + "/.ssh/known_hosts";
}

// How known_hosts spells this host: "h" on port 22, "[h]:p" otherwise.
std::string KnownHostsName(const SshOptions& o) {
  return o.port == 22 ? o.host : "[" + o.host + "]:" + std::to_string(o.port);
}

// 1-based numbers of the lines of `path` that name this host in clear text.
// Hashed entries (|1|...) cannot be matched without the HMAC; the ssh-keygen
// command in the message handles those.
std::vector<int> KnownHostsLines(const std::string& path, const std::string& name) {
  std::vector<int> lines;
  std::ifstream in(path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    size_t end = line.find_first_of(" \t", start);
    std::string hosts = line.substr(start, end - start);
    if (!hosts.empty() && hosts[0] == '@') {  // @cert-authority / @revoked marker
      start = line.find_first_not_of(" \t", end);
      if (start == std::string::npos) continue;
      end = line.find_first_of(" \t", start);
      hosts = line.substr(start, end - start);
    }
    size_t pos = 0;
    while (pos <= hosts.size()) {
      size_t comma = hosts.find(',', pos);
      if (comma == std::string::npos) comma = hosts.size();
      if (hosts.compare(pos, comma - pos, name) == 0 && comma - pos == name.size()) {
        lines.push_back(number);
        break;
      }
      pos = comma + 1;
    }
  }
  return lines;
}

std::string ServerKeyFingerprint(ssh_session session) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK) return "unknown key";
  std::string out = ssh_key_type_to_char(ssh_key_type(key));
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
    if (text != nullptr) {
      out += std::string(" ") + text;
      ssh_string_free_char(text);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return out;
}

// Several nodes may share one known_hosts file and connect at once.
std::mutex& KnownHostsMutex() {
  static std::mutex mu;
  return mu;
}

Status VerifyHostKey(ssh_session session, const SshOptions& o) {
  if (o.host_key_policy == HostKeyPolicy::kOff) return Status::Ok();
  const std::string path = KnownHostsPath(o);
  const std::string name = KnownHostsName(o);
  std::lock_guard<std::mutex> lock(KnownHostsMutex());
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return Status::Ok();
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
      std::string where = path;
      std::vector<int> lines = KnownHostsLines(path, name);
      if (!lines.empty()) {
        where += lines.size() == 1 ? " line" : " lines";
        for (size_t i = 0; i < lines.size(); ++i) {
          where += (i == 0 ? " " : ", ") + std::to_string(lines[i]);
        }
      }
      return Status::HostKeyMismatch(
          "the host key of " + Where(o) + " (" + ServerKeyFingerprint(session) +
          ") differs from the one recorded for " + name + " in " + where +
          ". If the node was re-created, remove the stale entry with: ssh-keygen -R '" + name +
          "' -f " + path + " ; otherwise something may be intercepting the connection");
    }
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (o.host_key_policy == HostKeyPolicy::kStrict) {
        return Status::HostKeyMismatch("the host key of " + Where(o) + " (" +
                                       ServerKeyFingerprint(session) + ") is not in " + path +
                                       " and host_key_policy is strict; after checking the "
                                       "fingerprint add it with: ssh-keyscan -p " +
                                       std::to_string(o.port) + " " + o.host + " >> " + path +
                                       " , or use host_key_policy accept-new");
      }
      if (ssh_session_update_known_hosts(session) != SSH_OK) {
        return Status::IoError("cannot record the host key of " + Where(o) + " in " + path + ": " +
                               ssh_get_error(session));
      }
      return Status::Ok();
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      return Status::IoError("cannot read known_hosts file " + path + " to check " + Where(o) +
                             ": " + ssh_get_error(session));
  }
}

std::string AuthMethodNames(int methods) {
  std::string out;
  auto add = [&out](const char* name) { out += (out.empty() ? "" : ", ") + std::string(name); };
  if (methods & SSH_AUTH_METHOD_PUBLICKEY) add("publickey");
  if (methods & SSH_AUTH_METHOD_PASSWORD) add("password");
  if (methods & SSH_AUTH_METHOD_INTERACTIVE) add("keyboard-interactive");
  if (methods & SSH_AUTH_METHOD_HOSTBASED) add("hostbased");
  if (methods & SSH_AUTH_METHOD_GSSAPI_MIC) add("gssapi-with-mic");
  return out.empty() ? "none" : out;
}

Status Authenticate(ssh_session session, const SshOptions& o) {
  int rc = ssh_userauth_none(session, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return Status::Ok();
  if (rc == SSH_AUTH_ERROR) {
    return Status::IoError("authentication exchange with " + Where(o) +
                           " failed: " + ssh_get_error(session));
  }
  int methods = ssh_userauth_list(session, nullptr);
  if ((methods & SSH_AUTH_METHOD_PUBLICKEY) == 0) {
    return Status::AuthFailed(Where(o) + " does not accept public-key authentication for user " +
                              o.user + " (it offers: " + AuthMethodNames(methods) +
                              "); enable PubkeyAuthentication in the node's sshd_config");
  }
  if (!o.private_key_file.empty()) {
    const std::string& path = o.private_key_file;
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      std::string why = access(path.c_str(), R_OK) != 0
                            ? std::strerror(errno)
                            : "not a private key, or protected by a passphrase (use a key "
                              "without one, or an ssh-agent)";
      return Status::AuthFailed("cannot load private key " + path + " to log in to " + Where(o) +
                                ": " + why);
    }
    rc = ssh_userauth_publickey(session, nullptr, key);
    ssh_key_free(key);
    if (rc == SSH_AUTH_SUCCESS) return Status::Ok();
    if (rc == SSH_AUTH_ERROR) {
      return Status::IoError("authentication exchange with " + Where(o) +
                             " failed: " + ssh_get_error(session));
    }
    return Status::AuthFailed(Where(o) + " refused the key " + path + " for user " + o.user +
                              "; append " + path + ".pub to ~" + o.user +
                              "/.ssh/authorized_keys on the node, or fix \"user\"/\"key\"");
  }
  const char* agent = std::getenv("SSH_AUTH_SOCK");
  if (agent == nullptr || *agent == '\0') {
    return Status::AuthFailed("no private key is configured for " + Where(o) +
                              " and no ssh-agent is running (SSH_AUTH_SOCK is unset); set "
                              "\"key\" in the nodes file or start ssh-agent and ssh-add a key");
  }
  rc = ssh_userauth_agent(session, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return Status::Ok();
  if (rc == SSH_AUTH_ERROR) {
    return Status::AuthFailed("cannot use the ssh-agent at " + std::string(agent) + " for " +
                              Where(o) + ": " + ssh_get_error(session));
  }
  return Status::AuthFailed(
      Where(o) + " accepted none of the ssh-agent's keys (SSH_AUTH_SOCK=" + agent + ") for user " +
      o.user + "; ssh-add the right key or set \"key\" in the nodes file");
}

Status ConnectError(ssh_session session, const SshOptions& o) {
  std::string why = ssh_get_error(session);
  if (why.find("resolve hostname") != std::string::npos) {
    return Status::Unreachable("cannot resolve the host name of " + Where(o) + ": " + why +
                               "; check its \"host\"");
  }
  if (why.find("kex") != std::string::npos || why.find("algo") != std::string::npos ||
      why.find("protocol") != std::string::npos) {
    return Status::IoError("SSH handshake with " + Where(o) + " failed: " + why);
  }
  if (why.find("Timeout") != std::string::npos) {
    return Status::Unreachable("no answer from " + Where(o) + " within " +
                               Seconds(o.connect_timeout) + " (" + why +
                               "); is the node up, is the address right, does a firewall drop "
                               "the traffic?");
  }
  return Status::Unreachable("cannot connect to " + Where(o) + ": " + why +
                             "; check that the node is up and sshd listens on port " +
                             std::to_string(o.port));
}

template <typename T>
Status SetOption(ssh_session session, ssh_options_e option, const T* value, const char* name,
                 const SshOptions& o) {
  if (ssh_options_set(session, option, value) != SSH_OK) {
    return Status::InvalidArgument(std::string("invalid SSH option ") + name + " for " + Where(o) +
                                   ": " + ssh_get_error(session));
  }
  return Status::Ok();
}

void SetTimeout(ssh_session session, milliseconds timeout) {
  long seconds = static_cast<long>(timeout.count() / 1000);
  long micros = static_cast<long>(timeout.count() % 1000) * 1000;
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds);
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &micros);
}

// Connects, checks the host key and authenticates, all blocking and bounded
// by o.connect_timeout.
Result<Session> OpenSession(const SshOptions& o) {
  if (o.host.empty()) return Status::InvalidArgument("node " + o.node + " has no host");
  Session session(ssh_new());
  if (!session) return Status::Internal("libssh could not allocate a session");
  ssh_session s = session.get();
  const bool no = false;
  const int one = 1;
  const unsigned int port = static_cast<unsigned int>(o.port);
  const std::string known_hosts = KnownHostsPath(o);
  Status st;
  // ~/.ssh/config could silently change host, user or key: explicit options only.
  if (st = SetOption(s, SSH_OPTIONS_PROCESS_CONFIG, &no, "process-config", o); !st.ok()) return st;
  if (st = SetOption(s, SSH_OPTIONS_HOST, o.host.c_str(), "host", o); !st.ok()) return st;
  if (st = SetOption(s, SSH_OPTIONS_PORT, &port, "port", o); !st.ok()) return st;
  if (st = SetOption(s, SSH_OPTIONS_USER, o.user.c_str(), "user", o); !st.ok()) return st;
  if (st = SetOption(s, SSH_OPTIONS_NODELAY, &one, "nodelay", o); !st.ok()) return st;
  if (o.host_key_policy != HostKeyPolicy::kOff) {
    if (st = SetOption(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str(), "known_hosts", o);
        !st.ok()) {
      return st;
    }
  }
  SetTimeout(s, o.connect_timeout);
  if (ssh_connect(s) != SSH_OK) return ConnectError(s, o);
  if (st = VerifyHostKey(s, o); !st.ok()) return st;
  if (st = Authenticate(s, o); !st.ok()) return st;
  return session;
}

// sshd sends the exit status, EOF and close of a command as separate small
// packets with Nagle's algorithm on (it sets TCP_NODELAY only for sessions
// with a pty), so each waits for our ACK of the previous one; a delayed ACK
// would add tens of milliseconds to every command. Linux clears the flag
// after it is used, so it is set again before every wait.
void QuickAck(socket_t fd) {
  if (fd < 0) return;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

bool SessionBroken(ssh_session session) {
  return (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
         !ssh_is_connected(session);
}

// Signal names as SSH reports them ("KILL"), numbered as on Linux.
int SignalNumber(const std::string& name) {
  static const std::pair<const char*, int> kSignals[] = {
      {"HUP", 1},   {"INT", 2},     {"QUIT", 3},  {"ILL", 4},     {"TRAP", 5},  {"ABRT", 6},
      {"BUS", 7},   {"FPE", 8},     {"KILL", 9},  {"USR1", 10},   {"SEGV", 11}, {"USR2", 12},
      {"PIPE", 13}, {"ALRM", 14},   {"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17}, {"CONT", 18},
      {"STOP", 19}, {"TSTP", 20},   {"TTIN", 21}, {"TTOU", 22},   {"URG", 23},  {"XCPU", 24},
      {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28},  {"IO", 29},   {"PWR", 30},
      {"SYS", 31},
  };
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (const auto& [n, number] : kSignals) {
    if (bare == n) return number;
  }
  return 127;  // unknown name: still reported as "killed by a signal" (255)
}

// Every command is sent as `export FAULTLINE_RUN=<id>; <command>`, so that
// after a timeout its processes can be found (by environment) and killed:
// sshd does not honour the `signal` request for root sessions, and closing a
// channel without a pty does not stop the processes behind it.
constexpr const char* kRunMarker = "FAULTLINE_RUN";

std::string RandomRunId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

const char* HostKeyPolicyName(HostKeyPolicy policy) {
  switch (policy) {
    case HostKeyPolicy::kStrict:
      return "strict";
    case HostKeyPolicy::kAcceptNew:
      return "accept-new";
    case HostKeyPolicy::kOff:
      return "off";
  }
  return "?";
}

Result<HostKeyPolicy> ParseHostKeyPolicy(std::string_view name) {
  if (name == "strict") return HostKeyPolicy::kStrict;
  if (name == "accept-new") return HostKeyPolicy::kAcceptNew;
  if (name == "off") return HostKeyPolicy::kOff;
  return Status::InvalidArgument("unknown host key policy '" + std::string(name) +
                                 "'; expected strict, accept-new or off");
}

// ---------------------------------------------------------------------------
// The command connection: one SSH session owned by one I/O thread, which
// multiplexes exec channels on it. Callers hand requests over a queue and an
// eventfd, then wait on a future.
class SshRemote::CommandConnection {
 public:
  explicit CommandConnection(const SshOptions& options)
      : options_(options), channel_limit_(std::max(1, options.max_channels)) {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    event_ = ssh_event_new();
    if (wake_fd_ >= 0 && event_ != nullptr) {
      ssh_event_add_fd(event_, wake_fd_, POLLIN, &CommandConnection::OnWake, this);
      thread_ = std::thread([this] { Loop(); });
    }
  }

  ~CommandConnection() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    if (event_ != nullptr) ssh_event_free(event_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  Result<CommandResult> Run(std::string rendered, const Command& command) {
    auto request = std::make_shared<Request>();
    request->run_id = RandomRunId();
    request->wire = "export " + std::string(kRunMarker) + "=" + request->run_id + "; " + rendered;
    request->rendered = std::move(rendered);
    request->sudo = command.sudo && options_.user != "root";
    request->stdin_data = command.stdin_data;
    request->timeout = command.timeout;
    request->deadline = Clock::now() + command.timeout;
    return Submit(request);
  }

  Status Connect() {
    auto request = std::make_shared<Request>();
    request->connect_only = true;
    request->timeout = options_.connect_timeout + milliseconds(1000);
    request->deadline = Clock::now() + request->timeout;
    Result<CommandResult> result = Submit(request);
    return result.ok() ? Status::Ok() : result.status();
  }

 private:
  struct Request {
    bool connect_only = false;
    std::string rendered;  // as the caller rendered it; used in messages
    std::string wire;      // what is sent: `rendered` marked with run_id
    std::string run_id;    // empty for the reaper's own commands
    bool sudo = false;
    std::string stdin_data;
    milliseconds timeout{0};
    Clock::time_point deadline;
    int reconnects = 0;
    std::promise<Result<CommandResult>> promise;
  };

  // One exec channel. `request` is null once the caller has been answered
  // (timed out) while the channel still holds a slot on the server.
  struct Channel {
    CommandConnection* owner = nullptr;
    std::shared_ptr<Request> request;
    ssh_channel channel = nullptr;
    ssh_channel_callbacks_struct callbacks{};
    enum class Phase { kOpening, kExecing, kRunning } phase = Phase::kOpening;
    bool exec_sent = false;  // from here on the command may have started
    size_t stdin_written = 0;
    bool stdin_done = false;
    std::string out;
    std::string err;
    std::optional<int> exit_status;
    std::string exit_signal;
    bool remote_closed = false;
    bool close_sent = false;
    Clock::time_point abandon_at;  // for answered channels: free even without the server's close
  };

  Result<CommandResult> Submit(const std::shared_ptr<Request>& request) {
    if (!thread_.joinable()) {
      return Status::Internal("cannot start the SSH I/O thread for " + Where(options_));
    }
    std::future<Result<CommandResult>> future = request->promise.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return Status::Cancelled("SSH connection to " + Where(options_) + " closed");
      incoming_.push_back(request);
    }
    Wake();
    return future.get();
  }

  void Wake() {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }

  static int OnWake(socket_t fd, int /*revents*/, void* /*userdata*/) {
    uint64_t count;
    while (read(fd, &count, sizeof count) > 0) {
    }
    return 0;
  }

  static int OnData(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr,
                    void* userdata) {
    auto* c = static_cast<Channel*>(userdata);
    (is_stderr ? c->err : c->out).append(static_cast<const char*>(data), len);
    c->owner->progress_ = true;
    return static_cast<int>(len);
  }
  static void OnExitStatus(ssh_session, ssh_channel, int status, void* userdata) {
    static_cast<Channel*>(userdata)->exit_status = status;
  }
  static void OnExitSignal(ssh_session, ssh_channel, const char* signal, int, const char*,
                           const char*, void* userdata) {
    static_cast<Channel*>(userdata)->exit_signal = signal != nullptr ? signal : "?";
  }
  static void OnClose(ssh_session, ssh_channel, void* userdata) {
    auto* c = static_cast<Channel*>(userdata);
    c->remote_closed = true;
    c->owner->progress_ = true;
  }

  static void Answer(const std::shared_ptr<Request>& request, Result<CommandResult> result) {
    request->promise.set_value(std::move(result));
  }

  std::string CommandName(const Request& r) const {
    return CommandExcerpt(r.rendered) + " on " + Where(options_);
  }

  // --- everything below runs on the I/O thread only ---

  void Loop() {
    for (;;) {
      progress_ = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
        while (!incoming_.empty()) {
          waiting_.push_back(std::move(incoming_.front()));
          incoming_.pop_front();
        }
      }
      ExpireWaiting(Clock::now());
      if (!session_ && !waiting_.empty()) {
        Status st = Reconnect();
        if (!st.ok()) {
          for (auto& request : waiting_) Answer(request, st);
          waiting_.clear();
          continue;
        }
      }
      if (session_) {
        StartChannels();
        for (auto& c : channels_) Step(*c);
        if (SessionBroken(session_.get())) {
          DropSession();
          continue;
        }
        ExpireChannels(Clock::now());
        ReapChannels();
      }
      int timeout_ms = progress_ ? 0 : NextWakeupMs();
      if (session_) QuickAck(ssh_get_fd(session_.get()));
      ssh_event_dopoll(event_, timeout_ms);
    }
    Status cancelled = Status::Cancelled("SSH connection to " + Where(options_) + " closed");
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : incoming_) Answer(r, cancelled);
    for (auto& r : waiting_) Answer(r, cancelled);
    for (auto& c : channels_) {
      if (c->request) Answer(c->request, cancelled);
    }
    incoming_.clear();
    waiting_.clear();
    if (session_) ssh_event_remove_session(event_, session_.get());
    session_.reset();  // frees every channel with it
    channels_.clear();
  }

  // Connects within connect_timeout, or sooner when every waiting request's
  // deadline is nearer (so that command.timeout bounds the whole call).
  Status Reconnect() {
    Clock::time_point latest = Clock::now();
    for (const auto& r : waiting_) latest = std::max(latest, r->deadline);
    SshOptions options = options_;
    options.connect_timeout =
        std::clamp(std::chrono::ceil<milliseconds>(latest - Clock::now()), milliseconds(100),
                   std::max(options_.connect_timeout, milliseconds(100)));
    Result<Session> session = OpenSession(options);
    if (!session.ok()) return session.status();
    session_ = std::move(session).value();
    ssh_set_blocking(session_.get(), 0);
    ssh_event_add_session(event_, session_.get());
    channel_limit_ = std::max(1, options_.max_channels);
    progress_ = true;
    return Status::Ok();
  }

  // The connection broke: commands that never started go back to the queue
  // (bounded by max_reconnects); the others fail, as they may have run.
  void DropSession() {
    std::string why = ssh_get_error(session_.get());
    if (why.empty()) why = "connection closed";
    std::deque<std::shared_ptr<Request>> again;
    for (auto& c : channels_) {
      if (!c->request) continue;
      Request& r = *c->request;
      if (c->exec_sent) {
        Answer(c->request,
               Status::IoError("the SSH connection broke while " + CommandName(r) +
                               " was running (" + why + "); it may or may not have taken effect"));
      } else if (++r.reconnects > options_.max_reconnects) {
        Answer(c->request,
               Status::IoError("the SSH connection to " + Where(options_) + " broke " +
                               std::to_string(r.reconnects) + " times before " +
                               CommandExcerpt(r.rendered) + " could start (" + why + ")"));
      } else {
        again.push_back(c->request);
      }
    }
    for (auto it = again.rbegin(); it != again.rend(); ++it) waiting_.push_front(*it);
    ssh_event_remove_session(event_, session_.get());
    session_.reset();
    channels_.clear();
  }

  void ExpireWaiting(Clock::time_point now) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      Request& r = **it;
      if (now < r.deadline) {
        ++it;
        continue;
      }
      if (r.connect_only) {
        Answer(*it, Status::Timeout("connecting to " + Where(options_) + " took longer than " +
                                    Seconds(r.timeout)));
      } else {
        Answer(*it, Status::Timeout(CommandName(r) + " did not start within " + Seconds(r.timeout) +
                                    ": all " + std::to_string(channel_limit_) +
                                    " channels of the connection stayed busy"));
      }
      it = waiting_.erase(it);
    }
  }

  void StartChannels() {
    while (!waiting_.empty()) {
      if (waiting_.front()->connect_only) {
        Answer(waiting_.front(), CommandResult{0, "", ""});
        waiting_.pop_front();
        continue;
      }
      if (static_cast<int>(channels_.size()) >= channel_limit_) return;
      auto c = std::make_unique<Channel>();
      c->owner = this;
      c->request = std::move(waiting_.front());
      waiting_.pop_front();
      c->channel = ssh_channel_new(session_.get());
      if (c->channel == nullptr) {
        Answer(c->request, Status::IoError("libssh could not create a channel to " +
                                           Where(options_) + ": " + ssh_get_error(session_.get())));
        continue;
      }
      c->callbacks.userdata = c.get();
      c->callbacks.channel_data_function = &OnData;
      c->callbacks.channel_exit_status_function = &OnExitStatus;
      c->callbacks.channel_exit_signal_function = &OnExitSignal;
      c->callbacks.channel_close_function = &OnClose;
      ssh_callbacks_init(&c->callbacks);
      ssh_set_channel_callbacks(c->channel, &c->callbacks);
      channels_.push_back(std::move(c));
    }
  }

  void Step(Channel& c) {
    if (c.channel == nullptr) return;
    if (!c.request) {
      // Answered already (timed out). One still opening must be closed once
      // open, or the server keeps its slot; the others only await the close.
      if (c.phase == Channel::Phase::kOpening && !c.close_sent) {
        int rc = ssh_channel_open_session(c.channel);
        if (rc == SSH_AGAIN) return;
        progress_ = true;
        if (rc == SSH_OK) {
          CloseChannel(c);
        } else if (!SessionBroken(session_.get())) {
          OpenRefused(c);
        }
      }
      return;
    }
    if (c.phase == Channel::Phase::kOpening) {
      int rc = ssh_channel_open_session(c.channel);
      if (rc == SSH_AGAIN) return;
      progress_ = true;
      if (rc != SSH_OK) {
        if (SessionBroken(session_.get())) return;  // DropSession decides
        OpenRefused(c);
        return;
      }
      c.phase = Channel::Phase::kExecing;
    }
    if (c.phase == Channel::Phase::kExecing) {
      c.exec_sent = true;
      int rc = ssh_channel_request_exec(c.channel, c.request->wire.c_str());
      if (rc == SSH_AGAIN) return;
      progress_ = true;
      if (rc != SSH_OK) {
        if (SessionBroken(session_.get())) return;
        Answer(c.request, Status::IoError("sshd on " + Where(options_) + " refused to run " +
                                          CommandExcerpt(c.request->rendered) + ": " +
                                          ssh_get_error(session_.get())));
        c.request = nullptr;
        CloseChannel(c);
        return;
      }
      c.phase = Channel::Phase::kRunning;
    }
    if (c.request) WriteStdin(c);
    if (c.remote_closed && c.request) Finish(c);
  }

  // The server would not open another channel (its MaxSessions is below
  // ours): run with fewer channels and retry, as the command never started.
  void OpenRefused(Channel& c) {
    std::string why = ssh_get_error(session_.get());
    ssh_remove_channel_callbacks(c.channel, &c.callbacks);
    ssh_channel_free(c.channel);
    c.channel = nullptr;
    if (!c.request) return;
    int others = static_cast<int>(channels_.size()) - 1;
    if (others > 0) {
      channel_limit_ = std::max(1, std::min(channel_limit_, others));
      waiting_.push_front(std::move(c.request));
      return;
    }
    Answer(c.request,
           Status::IoError(Where(options_) + " refused to open a session channel: " + why));
    c.request = nullptr;
  }

  void WriteStdin(Channel& c) {
    if (c.stdin_done || c.phase != Channel::Phase::kRunning) return;
    const std::string& data = c.request->stdin_data;
    constexpr size_t kChunk = 32 * 1024;
    while (c.stdin_written < data.size()) {
      // Let libssh's socket buffer drain before queueing more.
      if (ssh_get_status(session_.get()) & SSH_WRITE_PENDING) return;
      size_t window = ssh_channel_window_size(c.channel);
      if (window == 0) return;
      size_t n = std::min({data.size() - c.stdin_written, window, kChunk});
      int rc =
          ssh_channel_write(c.channel, data.data() + c.stdin_written, static_cast<uint32_t>(n));
      if (rc < 0) {
        // The command exited without reading all of its input; that is its
        // business, not a transport failure (SessionBroken tells those apart).
        c.stdin_done = true;
        return;
      }
      if (rc == 0) return;
      c.stdin_written += static_cast<size_t>(rc);
      progress_ = true;
    }
    ssh_channel_send_eof(c.channel);
    c.stdin_done = true;
  }

  void Finish(Channel& c) {
    CommandResult result;
    result.out = std::move(c.out);
    result.err = std::move(c.err);
    if (c.exit_status) {
      result.exit_status = *c.exit_status;
      Answer(c.request, std::move(result));
    } else if (!c.exit_signal.empty()) {
      result.exit_status = 128 + SignalNumber(c.exit_signal);
      Answer(c.request, std::move(result));
    } else {
      Answer(c.request, Status::IoError(Where(options_) + " closed the channel of " +
                                        CommandExcerpt(c.request->rendered) +
                                        " without reporting an exit status"));
    }
    c.request = nullptr;
    CloseChannel(c);
  }

  void CloseChannel(Channel& c) {
    if (!c.close_sent) {
      ssh_channel_close(c.channel);
      c.close_sent = true;
      c.abandon_at = Clock::now() + std::chrono::seconds(10);
    }
  }

  void ExpireChannels(Clock::time_point now) {
    for (auto& c : channels_) {
      if (!c->request || now < c->request->deadline) continue;
      Request& r = *c->request;
      std::string what;
      if (c->phase == Channel::Phase::kRunning) {
        // Honoured by sshd only for non-root sessions; Reap works for all.
        ssh_channel_request_send_signal(c->channel, "KILL");
      }
      if (c->exec_sent) {
        Reap(r);
        what = "; its processes on the node are being killed";
      }
      Answer(c->request, Status::Timeout(CommandName(r) + " did not finish within " +
                                         Seconds(r.timeout) + what));
      c->request = nullptr;
      progress_ = true;
      if (c->phase == Channel::Phase::kOpening) {
        c->abandon_at = now + std::chrono::seconds(10);  // Step closes it once open
      } else {
        CloseChannel(*c);
      }
    }
  }

  // Kills, on the node, every process still carrying the timed-out
  // command's marker. Nobody waits for the answer; it is best effort.
  void Reap(const Request& timed_out) {
    if (timed_out.run_id.empty()) return;
    Command kill = Command::Shell(
        "for f in $(grep -lsxz -e '" + std::string(kRunMarker) + "=" + timed_out.run_id +
        "' /proc/[0-9]*/environ); do p=${f#/proc/}; kill -KILL \"${p%/environ}\" 2>/dev/null; "
        "done; true");
    kill.sudo = timed_out.sudo;
    auto reaper = std::make_shared<Request>();
    reaper->rendered = RenderCommand(kill, !timed_out.sudo);
    reaper->wire = reaper->rendered;
    reaper->timeout = std::chrono::seconds(10);
    reaper->deadline = Clock::now() + reaper->timeout;
    waiting_.push_front(std::move(reaper));
  }

  // Frees answered channels once the server closed them too (or gave up
  // waiting), so each keeps its server slot exactly as long as it holds one.
  void ReapChannels() {
    auto now = Clock::now();
    for (auto it = channels_.begin(); it != channels_.end();) {
      Channel& c = **it;
      bool done = c.channel == nullptr || (!c.request && (c.remote_closed || now >= c.abandon_at) &&
                                           (c.close_sent || c.phase == Channel::Phase::kOpening));
      if (!done) {
        ++it;
        continue;
      }
      if (c.channel != nullptr) {
        ssh_remove_channel_callbacks(c.channel, &c.callbacks);
        ssh_channel_free(c.channel);
      }
      progress_ = true;
      it = channels_.erase(it);
    }
  }

  int NextWakeupMs() const {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point t) {
      if (!next || t < *next) next = t;
    };
    for (const auto& r : waiting_) consider(r->deadline);
    for (const auto& c : channels_) consider(c->request ? c->request->deadline : c->abandon_at);
    if (!next) return -1;
    auto delta = std::chrono::ceil<milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(delta, 0, 60'000));
  }

  const SshOptions& options_;
  int wake_fd_ = -1;
  ssh_event event_ = nullptr;
  std::thread thread_;

  std::mutex mu_;
  std::deque<std::shared_ptr<Request>> incoming_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_

  // I/O thread only.
  Session session_;
  std::deque<std::shared_ptr<Request>> waiting_;
  std::list<std::unique_ptr<Channel>> channels_;
  int channel_limit_;
  bool progress_ = false;
};

// ---------------------------------------------------------------------------
// The transfer connection: a second session carrying SFTP, used with blocking
// calls by one caller at a time.
class SshRemote::TransferConnection {
 public:
  explicit TransferConnection(const SshOptions& options) : options_(options) {}
  ~TransferConnection() { Drop(); }

  // Runs `transfer` on a live SFTP session; when the connection turns out
  // to be broken, reconnects once and runs it again (transfers only write
  // temporary files, so repeating one is harmless).
  template <typename Fn>
  Status With(Fn transfer) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int attempt = 0;; ++attempt) {
      if (Status st = EnsureConnected(); !st.ok()) return st;
      Status st = transfer(sftp_);
      if (st.ok()) return st;
      // After a failed request the SFTP stream may be out of step (a late
      // answer to a timed-out read): start the next transfer afresh.
      bool broken = SessionBroken(session_.get());
      Drop();
      if (!broken || attempt >= 1) return st;
    }
  }

  const SshOptions& options() const { return options_; }

 private:
  Status EnsureConnected() {
    if (session_ && sftp_ != nullptr && !SessionBroken(session_.get())) return Status::Ok();
    Drop();
    Result<Session> session = OpenSession(options_);
    if (!session.ok()) return session.status();
    session_ = std::move(session).value();
    SetTimeout(session_.get(), options_.transfer_stall_timeout);
    sftp_ = sftp_new(session_.get());
    if (sftp_ == nullptr || sftp_init(sftp_) != SSH_OK) {
      Status st = Status::IoError(
          "cannot start SFTP on " + Where(options_) + ": " + ssh_get_error(session_.get()) +
          "; the node's sshd_config needs a line like 'Subsystem sftp internal-sftp'");
      Drop();
      return st;
    }
    return Status::Ok();
  }

  void Drop() {
    if (sftp_ != nullptr) sftp_free(sftp_);
    sftp_ = nullptr;
    session_.reset();
  }

  const SshOptions& options_;
  std::mutex mu_;
  Session session_;
  sftp_session sftp_ = nullptr;
};

namespace {

std::string SftpError(sftp_session sftp, ssh_session session) {
  switch (sftp_get_error(sftp)) {
    case SSH_FX_NO_SUCH_FILE:
      return "no such file";
    case SSH_FX_PERMISSION_DENIED:
      return "permission denied";
    case SSH_FX_NO_SUCH_PATH:
      return "no such directory";
    case SSH_FX_FILE_ALREADY_EXISTS:
      return "file exists";
    case SSH_FX_WRITE_PROTECT:
      return "read-only file system";
    case SSH_FX_NO_MEDIA:
      return "no media";
    default:
      return ssh_get_error(session);
  }
}

Status TransferFailure(const std::string& what, sftp_session sftp, ssh_session session,
                       milliseconds stall_timeout) {
  std::string why = SftpError(sftp, session);
  if (why.find("imeout") != std::string::npos) {
    return Status::Timeout(what + ": no answer for " + Seconds(stall_timeout));
  }
  return Status::IoError(what + ": " + why);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

constexpr size_t kTransferChunk = 64 * 1024;

}  // namespace

// ---------------------------------------------------------------------------

SshRemote::SshRemote(SshOptions options) : options_(std::move(options)) {
  if (options_.node.empty()) options_.node = options_.host;
  commands_ = std::make_unique<CommandConnection>(options_);
  transfers_ = std::make_unique<TransferConnection>(options_);
}

SshRemote::~SshRemote() = default;

Status SshRemote::Connect() { return commands_->Connect(); }

const std::string& SshRemote::node() const { return options_.node; }

const SshOptions& SshRemote::options() const { return options_; }

Result<CommandResult> SshRemote::Run(const Command& command) {
  if (Status st = ValidateCommand(command); !st.ok()) return st;
  return commands_->Run(RenderCommand(command, options_.user == "root"), command);
}

Status SshRemote::Upload(const std::string& local_path, const std::string& remote_path, int mode) {
  const std::string what =
      "uploading " + local_path + " to " + remote_path + " on " + Where(options_);
  if (remote_path.empty() || remote_path.back() == '/') {
    return Status::InvalidArgument(what + ": the remote path must name a file");
  }
  const std::string temp =
      DirName(remote_path) + "/." + BaseName(remote_path) + ".faultline-" + RandomRunId();
  Status st = transfers_->With([&](sftp_session sftp) -> Status {
    std::FILE* in = std::fopen(local_path.c_str(), "rb");
    if (in == nullptr) {
      return Status::IoError(what + ": cannot read the local file: " + std::strerror(errno));
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in_closer(in, &std::fclose);
    ssh_session session = sftp->session;
    sftp_file file = sftp_open(sftp, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                               static_cast<mode_t>(mode & 07777));
    if (file == nullptr) {
      return TransferFailure(what + ": cannot create " + temp, sftp, session,
                             options_.transfer_stall_timeout);
    }
    std::vector<char> buffer(kTransferChunk);
    Status result = Status::Ok();
    for (;;) {
      size_t n = std::fread(buffer.data(), 1, buffer.size(), in);
      if (n == 0) {
        if (std::ferror(in)) result = Status::IoError(what + ": reading the local file failed");
        break;
      }
      size_t done = 0;
      while (done < n) {
        ssize_t w = sftp_write(file, buffer.data() + done, n - done);
        if (w <= 0) {
          result = TransferFailure(what + ": writing " + temp + " failed", sftp, session,
                                   options_.transfer_stall_timeout);
          break;
        }
        done += static_cast<size_t>(w);
      }
      if (!result.ok()) break;
    }
    if (sftp_close(file) != SSH_NO_ERROR && result.ok()) {
      result = TransferFailure(what + ": closing " + temp + " failed", sftp, session,
                               options_.transfer_stall_timeout);
    }
    // The server applied its umask to the mode given at creation.
    if (result.ok() && sftp_chmod(sftp, temp.c_str(), static_cast<mode_t>(mode & 07777)) < 0) {
      result = TransferFailure(what + ": setting mode of " + temp + " failed", sftp, session,
                               options_.transfer_stall_timeout);
    }
    if (!result.ok() && !SessionBroken(session)) sftp_unlink(sftp, temp.c_str());
    return result;
  });
  if (!st.ok()) return st;
  // SFTP v3 cannot replace an existing file atomically; mv -f can.
  Command mv = Command::Argv({"mv", "-f", "--", temp, remote_path});
  mv.timeout = std::chrono::seconds(60);
  Result<CommandResult> moved = Run(mv);
  if (!moved.ok() || !moved->ok()) {
    transfers_->With([&](sftp_session sftp) {
      sftp_unlink(sftp, temp.c_str());
      return Status::Ok();
    });
    if (!moved.ok()) return moved.status();
    return Status::IoError(what + ": renaming " + temp + " into place failed: " + moved->err);
  }
  return Status::Ok();
}

Status SshRemote::Download(const std::string& remote_path, const std::string& local_path) {
  const std::string what =
      "downloading " + remote_path + " from " + Where(options_) + " to " + local_path;
  const std::string temp = local_path + ".faultline-" + RandomRunId();
  Status st = transfers_->With([&](sftp_session sftp) -> Status {
    ssh_session session = sftp->session;
    sftp_file file = sftp_open(sftp, remote_path.c_str(), O_RDONLY, 0);
    if (file == nullptr) {
      return TransferFailure(what + ": cannot open the remote file", sftp, session,
                             options_.transfer_stall_timeout);
    }
    std::FILE* out = std::fopen(temp.c_str(), "wb");
    if (out == nullptr) {
      sftp_close(file);
      return Status::IoError(what + ": cannot create " + temp + ": " + std::strerror(errno));
    }
    std::vector<char> buffer(kTransferChunk);
    Status result = Status::Ok();
    for (;;) {
      ssize_t n = sftp_read(file, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) {
        result = TransferFailure(what + ": reading failed", sftp, session,
                                 options_.transfer_stall_timeout);
        break;
      }
      if (std::fwrite(buffer.data(), 1, static_cast<size_t>(n), out) != static_cast<size_t>(n)) {
        result = Status::IoError(what + ": writing " + temp + " failed: " + std::strerror(errno));
        break;
      }
    }
    sftp_close(file);
    if (std::fclose(out) != 0 && result.ok()) {
      result = Status::IoError(what + ": writing " + temp + " failed: " + std::strerror(errno));
    }
    if (!result.ok()) std::remove(temp.c_str());
    return result;
  });
  if (!st.ok()) return st;
  if (std::rename(temp.c_str(), local_path.c_str()) != 0) {
    Status failed =
        Status::IoError(what + ": cannot move " + temp + " into place: " + std::strerror(errno));
    std::remove(temp.c_str());
    return failed;
  }
  return Status::Ok();
}

}  // namespace faultline
