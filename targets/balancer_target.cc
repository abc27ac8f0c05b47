#include "targets/balancer_target.h"
#include "targets/target_util.h"

#include <arpa/inet.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "harness/control/node_util.h"
#include "targets/client.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kProbeInterval{200};
constexpr HttpTimeouts kProbeTimeouts{milliseconds(1000), milliseconds(2000)};
constexpr HttpTimeouts kVipTimeouts{milliseconds(300), milliseconds(500)};

std::string Url(const std::string& host, int port, const std::string& path) {
  return "http://" + host + ":" + std::to_string(port) + path;
}

// Percent-encodes a query parameter value.
std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// What clients need to know of the test, learned by Setup.
struct Layout {
  std::string balancer;       // node name
  std::string balancer_host;
  std::vector<BalancerBackend> backends;
  // VRRP: the two balancer nodes (balancer first) and the virtual address
  // requests go to; empty without vrrp.
  std::vector<BalancerBackend> vrrp_nodes;
  std::string vip;
  // Where requests go: the virtual address, else the balancer node.
  const std::string& request_host() const { return vip.empty() ? balancer_host : vip; }
};

struct Paths {
  std::string dir, backend_conf, backend_pid, backend_log, applied_log;
  std::string balancer_conf, balancer_pid, balancer_log;
  // VRRP.
  std::string ka_conf, ka_pid, ka_own_pid, ka_vrrp_pid, ka_log, notify, transitions;
  std::string watch_script, watch_pid, watch_log, vip_file;
  std::string observer_conf, observer_pid, observer_log;
};

// Wall clock in ns since the epoch (the watcher's `date +%s%N` is too).
int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The watcher's file: "<ns since epoch>\n" then `ip -o -4 addr show` lines.
struct VipReading {
  int64_t stamp_ns = 0;
  bool holds = false;
};
Result<VipReading> ParseVipFile(const std::string& text, const std::string& vip) {
  const size_t nl = text.find('\n');
  const std::string first = text.substr(0, nl);
  char* end = nullptr;
  const long long stamp = std::strtoll(first.c_str(), &end, 10);
  if (first.empty() || end == first.c_str() || *end != '\0' || stamp <= 0) {
    return Status::InvalidArgument("vip file: first line is not a time in ns: \"" +
                                   first.substr(0, 40) + "\"");
  }
  return VipReading{stamp, HoldsAddress(nl == std::string::npos ? "" : text.substr(nl + 1), vip)};
}

class BalancerTarget;

// How long after a backend recovers the balancer may still keep it out of
// the pool: HAProxy until `rise` checks passed; nginx until fail_timeout
// since its last failure ended.
int64_t SettleMs(const BalancerOptions& o) {
  if (o.kind == BalancerKind::kNginx) return o.fail_timeout_s * 1000LL + o.margin_ms;
  const int64_t check_timeout = o.check_timeout_ms > 0 ? o.check_timeout_ms : o.inter_ms;
  return o.rise * (o.inter_ms + check_timeout) + o.margin_ms;
}

class BalanceClient final : public Client {
 public:
  BalanceClient(const BalancerOptions& options, std::shared_ptr<const Layout> layout)
      : options_(options), layout_(std::move(layout)) {}

  Status Open(const NodeInfo& node) override {
    if (!layout_) {
      return Status::InvalidArgument("balancer target was not set up (no node knows the "
                                     "balancer yet); open clients after Setup");
    }
    node_ = node.name;
    transport_ = MakeTransport(options_.client_timeouts);
    return Status::Ok();
  }

  Op Invoke(const Op& op) override {
    if (!transport_) return CompleteFail(op, node_, "client: not open");
    if (op.f == "request") return Request(op);
    if (op.f == "backends") return Backends(op);
    if (op.f == "applied") return Applied(op);
    if (op.f == "vip") return Vip(op);
    return CompleteFail(op, node_,
                        "unknown-f: balance clients know request, backends, applied, vip");
  }

  void Close() override {
    transport_.reset();
    probe_.reset();
  }

 private:
  std::unique_ptr<HttpTransport> MakeTransport(const HttpTimeouts& t) const {
    return options_.make_transport ? options_.make_transport(t) : MakeCurlTransport(t);
  }

  Op Request(const Op& op) {
    if (!op.value.is_object() || !op.value.contains("id") || !op.value["id"].is_number_integer()) {
      return CompleteFail(op, node_, "bad-request: value must be {\"id\": integer}");
    }
    const int64_t id = op.value["id"].get<int64_t>();
    std::string key = op.key.is_string() ? op.key.get<std::string>() : op.key.dump();
    const std::string url = Url(layout_->request_host(), options_.port,
                                "/req?id=" + std::to_string(id) + "&key=" + Escape(key));
    Result<HttpResponse> r = transport_->Post(url, "");
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kUnreachable) {
        return CompleteFail(op, node_, "unreachable: " + r.status().message());
      }
      return CompleteInfo(op, node_,
                          (r.status().code() == Status::Code::kTimeout ? "timeout: " : "io: ") +
                              r.status().message());
    }
    if (r->status != 200) {
      // The balancer's own error page (502, 503, 504): a backend may have
      // received the request before the balancer gave up on it.
      return CompleteInfo(op, node_, "http-" + std::to_string(r->status));
    }
    return CompleteOk(op, node_, Json{{"id", id}, {"node", Trim(r->body)}});
  }

  Op Backends(const Op& op) {
    Json out = {{"balancer", layout_->balancer},
                {"kind", BalancerKindName(options_.kind)},
                {"algorithm", options_.algorithm},
                {"hash_type", options_.algorithm == "hash" ? Json(options_.hash_type) : Json()},
                {"bound_ms", FailoverBoundMs(options_) < 0 ? Json() : Json(FailoverBoundMs(options_))},
                {"settle_ms", SettleMs(options_)},
                {"inter_ms", options_.inter_ms},
                {"fall", options_.fall},
                {"rise", options_.rise}};
    if (options_.kind == BalancerKind::kHaproxy) {
      Result<HttpResponse> r =
          transport_->Get(Url(layout_->balancer_host, options_.stats_port, "/stats;csv"));
      if (!r.ok()) return CompleteFail(op, node_, "stats: " + r.status().ToString());
      if (r->status != 200) return CompleteFail(op, node_, "stats: http " + std::to_string(r->status));
      Result<std::vector<ServerStat>> stats = ParseHaproxyStats(r->body);
      if (!stats.ok()) return CompleteFail(op, node_, "stats: " + stats.status().message());
      Json health = Json::object(), sessions = Json::object();
      for (const ServerStat& s : *stats) {
        health[s.name] = s.status;
        sessions[s.name] = s.sessions;
      }
      out["health"] = health;
      out["sessions"] = sessions;
    }
    return CompleteOk(op, node_, out);
  }

  // Who holds the virtual address: each balancer node's watcher file, read
  // through its nginx. ok when at least one node was read; a node that was
  // not is listed under "unread" (its state then is unknown, not "not held").
  Op Vip(const Op& op) {
    if (layout_->vip.empty()) return CompleteFail(op, node_, "not-applicable: the target runs without vrrp");
    if (!probe_) probe_ = MakeTransport(kVipTimeouts);
    Json nodes = Json::object(), unread = Json::object(), holders = Json::array();
    for (const BalancerBackend& b : layout_->vrrp_nodes) {
      Result<HttpResponse> r = probe_->Get(Url(b.host, options_.vip_port, "/vip"));
      const int64_t now = WallNs();
      if (!r.ok()) {
        unread[b.name] = r.status().ToString();
        continue;
      }
      if (r->status != 200) {
        unread[b.name] = "http " + std::to_string(r->status);
        continue;
      }
      Result<VipReading> reading = ParseVipFile(r->body, layout_->vip);
      if (!reading.ok()) {
        unread[b.name] = reading.status().message();
        continue;
      }
      // How long before this op's completion the address was read (the
      // watcher's period plus the fetch); the checker dates the reading by it.
      const double age_ms = static_cast<double>(std::max<int64_t>(0, now - reading->stamp_ns)) / 1e6;
      nodes[b.name] = {{"holds", reading->holds}, {"age_ms", age_ms}};
      if (reading->holds) holders.push_back(b.name);
    }
    Json value = {{"vip", layout_->vip},
                  {"holders", holders},
                  {"nodes", nodes},
                  {"advert_int_ms", options_.advert_int_s * 1000},
                  {"bound_ms", VrrpBoundMs(options_)},
                  {"priorities",
                   {{layout_->vrrp_nodes[0].name, kVrrpPrimaryPriority},
                    {layout_->vrrp_nodes[1].name, kVrrpBackupPriority}}}};
    if (!unread.empty()) value["unread"] = unread;
    if (nodes.empty()) return CompleteFail(op, node_, "vip: no balancer node could be read: " + unread.dump());
    return CompleteOk(op, node_, value);
  }

  Op Applied(const Op& op) {
    Json out = Json::object();
    for (const BalancerBackend& b : layout_->backends) {
      Result<HttpResponse> r = transport_->Get(Url(b.host, b.port, "/applied"));
      if (!r.ok()) return CompleteFail(op, node_, "applied " + b.name + ": " + r.status().ToString());
      // 404: the backend has applied nothing yet (nginx creates the log lazily).
      if (r->status == 404) {
        out[b.name] = Json::array();
        continue;
      }
      if (r->status != 200) {
        return CompleteFail(op, node_, "applied " + b.name + ": http " + std::to_string(r->status));
      }
      out[b.name] = ParseAppliedLog(r->body);
    }
    return CompleteOk(op, node_, out);
  }

  const BalancerOptions options_;
  const std::shared_ptr<const Layout> layout_;
  std::string node_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<HttpTransport> probe_;  // vip reads: short timeouts
};

// Runs `script` under sh with `args` as $1..; the node's stdout, or an
// error naming `what`.
Result<std::string> RunScript(const NodeContext& ctx, const std::string& what,
                              const std::string& script, std::vector<std::string> args,
                              bool idempotent = true) {
  std::vector<std::string> argv = {"sh", "-c", script, "sh"};
  for (std::string& a : args) argv.push_back(std::move(a));
  Command c = Command::Argv(std::move(argv));
  c.sudo = ctx.cluster.sudo;
  c.idempotent = idempotent;
  c.timeout = milliseconds(15000);
  Result<CommandResult> r = ctx.remote.Run(c);
  if (!r.ok()) return StatusWithCode(r.status().code(), what + " on " + ctx.node.name + ": " + r.status().message());
  if (!r->ok()) {
    return Status::IoError(what + " on " + ctx.node.name + ": exit " + std::to_string(r->exit_status) +
                           ": " + Trim(r->err));
  }
  return r->out;
}

// The start of every nginx config here (backend, balancer, address watcher):
// foreground, one worker, its pid and temporary files under `tmp`, errors to
// `error_log`, no access log; the caller adds the http block's rest and "}".
static std::string NginxHead(const std::string& title, const std::string& tmp,
                             const std::string& error_log, int connections) {
  std::string c = "# faultline balance: " + title + "\n" +
                  "daemon off;\nmaster_process on;\nworker_processes 1;\nuser root;\n" +
                  "pid " + tmp + "/nginx.pid;\n" + "error_log " + error_log + " warn;\n" +
                  "events { worker_connections " + std::to_string(connections) + "; }\n" +
                  "http {\n  access_log off;\n";
  for (const char* what : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    c += std::string("  ") + what + "_temp_path " + tmp + "/" + what + ";\n";
  }
  return c;
}

// The watcher's nginx: serves its file, never cached.
std::string ObserverConfig(const std::string& host, int port, const std::string& dir) {
  std::ostringstream c;
  c << NginxHead("the address watcher's file", dir + "/observer-tmp", dir + "/observer.log", 64)
    << "  server {\n"
    << "    listen " << host << ":" << port << ";\n"
    << "    location = /vip { default_type text/plain; add_header Cache-Control no-store; alias "
    << dir << "/vip.txt; }\n"
    << "  }\n}\n";
  return c.str();
}

// The watcher: the node's view of its interface's IPv4 addresses, every
// 100 ms, replaced atomically. $1 file, $2 interface.
constexpr const char* kWatchScript =
    "#!/bin/sh\n"
    "# faultline: who holds the virtual address, as the kernel says\n"
    "while :; do\n"
    "  { date +%s%N; ip -o -4 addr show dev \"$2\"; } > \"$1.tmp\" && mv -f \"$1.tmp\" \"$1\"\n"
    "  sleep 0.1\n"
    "done\n";

class BalancerTarget final : public Target,
                             public Killable,
                             public Pausable,
                             public HasLogFiles,
                             public HasPrimaries,
                             public BalanceClientFactory {
 public:
  explicit BalancerTarget(BalancerOptions options) : options_(std::move(options)) {}

  std::string name() const override { return BalancerKindName(options_.kind); }
  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }
  HasLogFiles* log_files() override { return this; }
  HasPrimaries* primaries() override { return options_.vrrp ? this : nullptr; }
  BalanceClientFactory* balance_clients() override { return this; }
  bool ObservesVip() const override { return options_.vrrp; }

  Status CheckNodes(const std::vector<NodeInfo>& nodes) const override {
    Result<std::shared_ptr<Layout>> layout = Plan(nodes);
    if (!layout.ok()) return layout.status();
    if (!options_.vrrp) return Status::Ok();
    const std::string who = std::string("target ") + name() + " with vrrp: ";
    std::vector<std::string> hosts;
    for (const NodeInfo& n : nodes) hosts.push_back(n.host);
    for (const NodeInfo& n : nodes) {
      in_addr a{};
      if (inet_pton(AF_INET, n.host.c_str(), &a) != 1) {
        return Status::InvalidArgument(who + "node " + n.name + " has host \"" + n.host +
                                       "\"; VRRP needs the nodes' IPv4 addresses, not names");
      }
    }
    if (!options_.vip.empty()) {
      // The subnet is learned on the node; here what needs no node.
      Result<std::string> v = ChooseVip((*layout)->balancer_host, 0, hosts, options_.vip);
      if (!v.ok()) return v.status();
    }
    return Status::Ok();
  }

  Status Setup(const NodeContext& ctx) override {
    Result<std::shared_ptr<const Layout>> layout = Learn(ctx.cluster);
    if (!layout.ok()) return layout.status();
    const bool primary = ctx.node.name == (*layout)->balancer;
    const bool vrrp = IsVrrpNode(**layout, ctx.node.name);
    // The primary publishes the virtual address (or why there is none) on
    // every path, so that the backup never waits for nothing.
    struct Publish {
      BalancerTarget* self;
      bool armed;
      ~Publish() {
        if (armed) self->PublishVip(Status::IoError("setup on the primary balancer failed"));
      }
    } publish{this, options_.vrrp && primary};
    const bool balancer = primary || vrrp;
    std::vector<std::string> packages = {"nginx"};
    if (balancer && options_.kind == BalancerKind::kHaproxy) packages.push_back("haproxy");
    if (vrrp) packages.push_back("keepalived");
    Result<std::vector<std::string>> installed = EnsurePackages(ctx.remote, packages);
    if (!installed.ok()) return OnNode(ctx, "installing packages", installed.status());
    const Paths p = PathsOf(ctx);
    // VRRP: where the address lives on this node, and which it is (each
    // balancer node works it out alike; the backup checks it agrees).
    Vrrp v;
    if (vrrp) {
      Result<Vrrp> got = LearnVrrp(ctx, **layout);
      if (!got.ok()) return got.status();
      v = *got;
      std::lock_guard lock(mu_);
      vrrp_[ctx.node.name] = v;
    }
    if (Status st = StopAndWipe(ctx, p); !st.ok()) return st;
    for (const std::string& d : {p.dir + "/tmp", p.dir + "/balancer-tmp", p.dir + "/observer-tmp"}) {
      if (Status st = MakeDirs(ctx.remote, d, ctx.cluster.sudo); !st.ok()) return st;
    }
    if (Status st = WriteFileAtomic(ctx.remote, p.backend_conf,
                                    BackendConfig(ctx.node.name, ctx.node.host,
                                                  options_.backend_port, p.dir),
                                    0644, ctx.cluster.sudo);
        !st.ok())
      return OnNode(ctx, "writing the backend config", st);
    if (Status st = StartBackend(ctx, p, options_.setup_deadline); !st.ok()) return st;
    if (!balancer) return Status::Ok();

    const std::string config =
        options_.kind == BalancerKind::kHaproxy
            ? HaproxyConfig(options_, ctx.node.host, (*layout)->backends)
            : NginxBalancerConfig(options_, ctx.node.host, (*layout)->backends, p.dir);
    if (Status st = WriteFileAtomic(ctx.remote, p.balancer_conf, config, 0644, ctx.cluster.sudo);
        !st.ok())
      return OnNode(ctx, "writing the balancer config", st);
    DaemonSpec spec;
    spec.argv = options_.kind == BalancerKind::kHaproxy
                    ? std::vector<std::string>{"haproxy", "-db", "-f", p.balancer_conf}
                    : std::vector<std::string>{"nginx", "-p", p.dir + "/balancer-tmp", "-c",
                                               p.balancer_conf, "-e", p.balancer_log};
    spec.pidfile = p.balancer_pid;
    spec.logfile = p.balancer_log;
    spec.workdir = p.dir;
    spec.sudo = ctx.cluster.sudo;
    Result<int> pid = StartDaemon(ctx.remote, spec);
    if (!pid.ok()) return OnNode(ctx, std::string("starting ") + name(), pid.status());
    if (Status st = AwaitBalancer(ctx, **layout); !st.ok()) return st;
    if (!vrrp) return Status::Ok();

    if (Status st = StartWatcher(ctx, p, v); !st.ok()) return st;
    if (primary) {
      publish.armed = false;
      Status free = VipIsFree(ctx, v);
      PublishVip(free.ok() ? Status::Ok() : free);
      if (!free.ok()) return free;
    } else {
      Result<std::string> agreed = AwaitPublishedVip();
      if (!agreed.ok()) return OnNode(ctx, "waiting for the primary balancer's virtual address", agreed.status());
      if (*agreed != v.vip) {
        return Status::InvalidArgument("target " + name() + " with vrrp: the balancer nodes " +
                                       (*layout)->balancer + " and " + ctx.node.name +
                                       " are not on one subnet (virtual addresses " + *agreed +
                                       " and " + v.vip + "); give backup_node on " +
                                       (*layout)->balancer + "'s subnet");
      }
    }
    if (Status st = WriteKeepalived(ctx, p, v, primary); !st.ok()) return st;
    if (Status st = StartKeepalived(ctx, p); !st.ok()) return st;
    if (!primary) return Status::Ok();
    return AwaitSingleHolder(ctx, **layout, v.vip);
  }

  Status Teardown(const NodeContext& ctx) override { return StopAndWipe(ctx, PathsOf(ctx)); }

  Status Kill(const NodeContext& ctx) override {
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = milliseconds(5000);
    stop.sudo = ctx.cluster.sudo;
    const Paths p = PathsOf(ctx);
    Result<StopOutcome> r = StopDaemon(ctx.remote, p.backend_pid, stop);
    if (!r.ok()) return OnNode(ctx, "killing the backend", r.status());
    if (VrrpNode(ctx)) {
      // The whole process group: keepalived and its VRRP child, as a crash.
      Result<StopOutcome> k = StopDaemon(ctx.remote, p.ka_pid, stop);
      if (!k.ok()) return OnNode(ctx, "killing keepalived", k.status());
    }
    return Status::Ok();
  }

  Status Start(const NodeContext& ctx) override {
    const Paths p = PathsOf(ctx);
    if (Status st = StartBackend(ctx, p, options_.start_deadline); !st.ok()) return st;
    if (VrrpNode(ctx)) return StartKeepalived(ctx, p);
    return Status::Ok();
  }

  Status Pause(const NodeContext& ctx) override {
    const Paths p = PathsOf(ctx);
    Status st = PauseDaemon(ctx.remote, p.backend_pid, ctx.cluster.sudo);
    if (!st.ok()) return OnNode(ctx, "pausing the backend", st);
    if (VrrpNode(ctx)) {
      Status k = PauseDaemon(ctx.remote, p.ka_pid, ctx.cluster.sudo);
      if (!k.ok() && k.code() != Status::Code::kNotFound) return OnNode(ctx, "pausing keepalived", k);
    }
    return Status::Ok();
  }
  Status Resume(const NodeContext& ctx) override {
    const Paths p = PathsOf(ctx);
    if (VrrpNode(ctx)) {
      // A killed keepalived has nothing to resume; Start brings it back.
      Status k = ResumeDaemon(ctx.remote, p.ka_pid, ctx.cluster.sudo);
      if (!k.ok() && k.code() != Status::Code::kNotFound) return OnNode(ctx, "resuming keepalived", k);
    }
    Status st = ResumeDaemon(ctx.remote, p.backend_pid, ctx.cluster.sudo);
    return st.ok() ? st : OnNode(ctx, "resuming the backend", st);
  }

  // The balancer nodes whose interface carries the virtual address now.
  Result<std::vector<std::string>> Primaries(const std::vector<NodeContext>& nodes) override {
    std::shared_ptr<const Layout> layout;
    {
      std::lock_guard lock(mu_);
      layout = layout_;
    }
    if (!layout || layout->vip.empty()) {
      return Status::NotFound("target " + name() + ": the virtual address is not known yet (setup)");
    }
    std::vector<std::string> holders;
    std::string errors;
    bool answered = false;
    for (const BalancerBackend& b : layout->vrrp_nodes) {
      for (const NodeContext& ctx : nodes) {
        if (ctx.node.name != b.name) continue;
        Result<std::string> out =
            RunScript(ctx, "reading its addresses", "ip -o -4 addr show", {});
        if (!out.ok()) {
          errors += (errors.empty() ? "" : "; ") + out.status().message();
          continue;
        }
        answered = true;
        if (HoldsAddress(*out, layout->vip)) holders.push_back(b.name);
      }
    }
    if (!answered) return Status::Unreachable("no balancer node answered: " + errors);
    return holders;
  }

  Result<std::vector<std::string>> LogFiles(const NodeContext& ctx) override {
    const Paths p = PathsOf(ctx);
    std::vector<std::string> files = {p.backend_log, p.applied_log};
    std::shared_ptr<const Layout> layout;
    {
      std::lock_guard lock(mu_);
      layout = layout_;
    }
    // Balancer files exist only where a balancer ran (unknown layout: all).
    if (layout && layout->balancer != ctx.node.name && !IsVrrpNode(*layout, ctx.node.name)) {
      return files;
    }
    files.push_back(p.balancer_log);
    files.push_back(p.balancer_conf);
    if (options_.vrrp) {
      for (const std::string* f : {&p.ka_conf, &p.ka_log, &p.transitions, &p.watch_log}) {
        files.push_back(*f);
      }
    }
    return files;
  }

  std::unique_ptr<Client> NewBalanceClient() override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::make_unique<BalanceClient>(options_, layout_);
  }

 private:
  // A VRRP node's interface and the virtual address.
  struct Vrrp {
    std::string interface, vip;
    int prefix = 0;
  };


  static bool IsVrrpNode(const Layout& layout, const std::string& node) {
    for (const BalancerBackend& b : layout.vrrp_nodes) {
      if (b.name == node) return true;
    }
    return false;
  }
  bool VrrpNode(const NodeContext& ctx) {
    if (!options_.vrrp) return false;
    std::lock_guard lock(mu_);
    return layout_ && IsVrrpNode(*layout_, ctx.node.name);
  }

  Paths PathsOf(const NodeContext& ctx) const {
    std::string root = ctx.data_dir();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    Paths p;
    p.dir = root + "/" + options_.dir_name;
    p.backend_conf = p.dir + "/backend.conf";
    p.backend_pid = p.dir + "/backend.pid";
    p.backend_log = p.dir + "/backend.log";
    p.applied_log = p.dir + "/applied.log";
    p.balancer_conf = p.dir + "/balancer.conf";
    p.balancer_pid = p.dir + "/balancer.pid";
    p.balancer_log = p.dir + "/balancer.log";
    p.ka_conf = p.dir + "/keepalived.conf";
    p.ka_pid = p.dir + "/keepalived.pid";             // faultline's (the process group)
    p.ka_own_pid = p.dir + "/keepalived-main.pid";    // keepalived's own -p
    p.ka_vrrp_pid = p.dir + "/keepalived-vrrp.pid";   // and -r
    p.ka_log = p.dir + "/keepalived.log";
    p.notify = p.dir + "/notify.sh";
    p.transitions = p.dir + "/transitions.log";
    p.watch_script = p.dir + "/vipwatch.sh";
    p.watch_pid = p.dir + "/vipwatch.pid";
    p.watch_log = p.dir + "/vipwatch.log";
    p.vip_file = p.dir + "/vip.txt";
    p.observer_conf = p.dir + "/observer.conf";
    p.observer_pid = p.dir + "/observer.pid";
    p.observer_log = p.dir + "/observer.log";
    return p;
  }

  // The layout of the test from its nodes (no side effects).
  Result<std::shared_ptr<Layout>> Plan(const std::vector<NodeInfo>& nodes) const {
    if (nodes.empty()) return Status::InvalidArgument("balancer target: no nodes");
    auto layout = std::make_shared<Layout>();
    layout->balancer = options_.balancer_node.empty() ? nodes[0].name : options_.balancer_node;
    size_t at = nodes.size();
    for (size_t i = 0; i < nodes.size(); ++i) {
      const NodeInfo& n = nodes[i];
      if (n.name == layout->balancer) {
        layout->balancer_host = n.host;
        at = i;
      }
      layout->backends.push_back({n.name, n.host, options_.backend_port});
    }
    if (layout->balancer_host.empty()) {
      return Status::InvalidArgument(std::string("target ") + name() + ": option balancer_node: \"" +
                                     layout->balancer + "\" is not a node of the test");
    }
    if (!options_.vrrp) return layout;
    if (nodes.size() < 2) {
      return Status::InvalidArgument(std::string("target ") + name() +
                                     ": option vrrp: needs two balancer nodes, the test has one node");
    }
    const std::string backup =
        options_.backup_node.empty() ? nodes[(at + 1) % nodes.size()].name : options_.backup_node;
    layout->vrrp_nodes.push_back({layout->balancer, layout->balancer_host, options_.vip_port});
    for (const NodeInfo& n : nodes) {
      if (n.name == backup && backup != layout->balancer) {
        layout->vrrp_nodes.push_back({n.name, n.host, options_.vip_port});
      }
    }
    if (layout->vrrp_nodes.size() != 2) {
      return Status::InvalidArgument(std::string("target ") + name() + ": option backup_node: \"" +
                                     backup + "\" is " +
                                     (backup == layout->balancer ? "the balancer_node itself"
                                                                 : "not a node of the test") +
                                     "; expected another node");
    }
    return layout;
  }

  // The layout, remembered for clients.
  Result<std::shared_ptr<const Layout>> Learn(const ClusterInfo& cluster) {
    Result<std::shared_ptr<Layout>> planned = Plan(cluster.nodes);
    if (!planned.ok()) return planned.status();
    std::lock_guard<std::mutex> lock(mu_);
    if (!layout_) layout_ = *planned;
    return layout_;
  }

  // This node's interface carrying its address, and the virtual address.
  Result<Vrrp> LearnVrrp(const NodeContext& ctx, const Layout& layout) {
    Result<std::string> out = RunScript(ctx, "reading its addresses", "ip -o -4 addr show", {});
    if (!out.ok()) return out.status();
    Result<InterfaceAddress> itf = InterfaceOf(*out, ctx.node.host);
    if (!itf.ok()) {
      return Status::InvalidArgument("target " + name() + " with vrrp: node " + ctx.node.name +
                                     ": " + itf.status().message());
    }
    std::vector<std::string> hosts;
    for (const BalancerBackend& b : layout.backends) hosts.push_back(b.host);
    Result<std::string> vip = ChooseVip(ctx.node.host, itf->prefix, hosts, options_.vip);
    if (!vip.ok()) {
      return StatusWithCode(vip.status().code(), "target " + name() + " with vrrp on " +
                                                     ctx.node.name + " (" + ctx.node.host + "/" +
                                                     std::to_string(itf->prefix) + " on " +
                                                     itf->name + "): " + vip.status().message());
    }
    return Vrrp{itf->name, *vip, itf->prefix};
  }

  void PublishVip(const Status& st) {
    std::lock_guard lock(mu_);
    if (vip_published_) return;
    vip_published_ = true;
    vip_status_ = st;
    if (st.ok() && layout_) {
      auto with_vip = std::make_shared<Layout>(*layout_);
      auto it = vrrp_.find(layout_->balancer);
      if (it != vrrp_.end()) with_vip->vip = it->second.vip;
      layout_ = with_vip;
    }
    vip_cv_.notify_all();
  }

  Result<std::string> AwaitPublishedVip() {
    std::unique_lock lock(mu_);
    if (!vip_cv_.wait_for(lock, options_.setup_deadline, [&] { return vip_published_; })) {
      return Status::Timeout("the primary balancer did not choose a virtual address within " +
                             std::to_string(options_.setup_deadline.count()) + " ms");
    }
    if (!vip_status_.ok()) return vip_status_;
    return layout_->vip;
  }

  // Nobody else answers ARP for the address: a connection attempt makes the
  // node resolve it afresh; a neighbour entry with a link-layer address then
  // means some host answered for it. Retried: the other balancer node may still be removing the
  // address an earlier run left.
  Status VipIsFree(const NodeContext& ctx, const Vrrp& v) {
    // The cached entry is forgotten first: an earlier run's holder may
    // still be remembered (STALE, DELAY) without answering any more.
    const char* script =
        "ip neigh flush to \"$1\" dev \"$2\" >/dev/null 2>&1\n"
        "timeout 1 bash -c 'exec 3<>/dev/tcp/$0/9' \"$1\" >/dev/null 2>&1\n"
        "ip neigh show to \"$1\" dev \"$2\"\n";
    std::string last;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(milliseconds(1000));
      Result<std::string> out = RunScript(ctx, "probing the virtual address", script, {v.vip, v.interface});
      if (!out.ok()) return out.status();
      last = Trim(*out);
      const bool answered = last.find("lladdr") != std::string::npos &&
                            last.find("FAILED") == std::string::npos &&
                            last.find("INCOMPLETE") == std::string::npos;
      if (!answered) return Status::Ok();
    }
    return Status::InvalidArgument("target " + name() + " with vrrp: the virtual address " + v.vip +
                                   " is in use on " + ctx.node.name + "'s subnet (" + last +
                                   "); give a free one with --target-option vip=ADDRESS");
  }

  Status StartWatcher(const NodeContext& ctx, const Paths& p, const Vrrp& v) {
    if (Status st = WriteFileAtomic(ctx.remote, p.watch_script, kWatchScript, 0755, ctx.cluster.sudo);
        !st.ok())
      return OnNode(ctx, "writing the address watcher", st);
    DaemonSpec watch;
    watch.argv = {"sh", p.watch_script, p.vip_file, v.interface};
    watch.pidfile = p.watch_pid;
    watch.logfile = p.watch_log;
    watch.workdir = p.dir;
    watch.sudo = ctx.cluster.sudo;
    if (Result<int> pid = StartDaemon(ctx.remote, watch); !pid.ok()) {
      return OnNode(ctx, "starting the address watcher", pid.status());
    }
    if (Status st = WriteFileAtomic(ctx.remote, p.observer_conf,
                                    ObserverConfig(ctx.node.host, options_.vip_port, p.dir), 0644,
                                    ctx.cluster.sudo);
        !st.ok())
      return OnNode(ctx, "writing the watcher's nginx config", st);
    DaemonSpec obs;
    obs.argv = {"nginx", "-p", p.dir + "/observer-tmp", "-c", p.observer_conf, "-e", p.observer_log};
    obs.pidfile = p.observer_pid;
    obs.logfile = p.observer_log;
    obs.workdir = p.dir;
    obs.sudo = ctx.cluster.sudo;
    if (Result<int> pid = StartDaemon(ctx.remote, obs); !pid.ok()) {
      return OnNode(ctx, "starting the watcher's nginx", pid.status());
    }
    return AwaitHttpOk(ctx, Url(ctx.node.host, options_.vip_port, "/vip"), options_.setup_deadline,
                       "the address watcher");
  }

  Status WriteKeepalived(const NodeContext& ctx, const Paths& p, const Vrrp& v, bool primary) {
    const std::string notify = "#!/bin/sh\n# faultline: keepalived's own account of its states\n"
                               "echo \"$(date +%s.%N) $*\" >> " + p.transitions + "\n";
    if (Status st = WriteFileAtomic(ctx.remote, p.notify, notify, 0755, ctx.cluster.sudo); !st.ok()) {
      return OnNode(ctx, "writing keepalived's notify script", st);
    }
    const std::string conf =
        KeepalivedConfig(options_, ctx.node.name, v.interface, v.vip, v.prefix,
                         primary ? kVrrpPrimaryPriority : kVrrpBackupPriority, p.notify);
    if (Status st = WriteFileAtomic(ctx.remote, p.ka_conf, conf, 0644, ctx.cluster.sudo); !st.ok()) {
      return OnNode(ctx, "writing the keepalived config", st);
    }
    return Status::Ok();
  }

  Status StartKeepalived(const NodeContext& ctx, const Paths& p) {
    // keepalived refuses to start over its own pidfile when the number names
    // a live process; after a SIGKILL the file is stale.
    if (Result<bool> running = IsRunning(ctx.remote, p.ka_pid, ctx.cluster.sudo); running.ok() && *running) {
      return Status::Ok();
    }
    Command rm = Command::Argv({"rm", "-f", "--", p.ka_own_pid, p.ka_vrrp_pid});
    rm.sudo = ctx.cluster.sudo;
    rm.idempotent = true;
    if (Result<CommandResult> r = ctx.remote.Run(rm); !r.ok()) return OnNode(ctx, "removing keepalived's pidfiles", r.status());
    DaemonSpec spec;
    // -n foreground (faultline tracks the process group), -l log to stdout,
    // -G no syslog, -P VRRP only, -D detailed.
    spec.argv = {"keepalived", "-n", "-l", "-G", "-D", "-P", "-f", p.ka_conf,
                 "-p", p.ka_own_pid, "-r", p.ka_vrrp_pid};
    spec.pidfile = p.ka_pid;
    spec.logfile = p.ka_log;
    spec.workdir = p.dir;
    spec.sudo = ctx.cluster.sudo;
    Result<int> pid = StartDaemon(ctx.remote, spec);
    if (!pid.ok()) return OnNode(ctx, "starting keepalived", pid.status());
    return Status::Ok();
  }

  // The primary alone holds the address, steadily for an advert interval
  // and a half second, as both watchers say: the test then starts from one
  // holder, not from an election.
  Status AwaitSingleHolder(const NodeContext& ctx, const Layout& layout, const std::string& vip) {
    auto transport = options_.make_transport ? options_.make_transport(kVipTimeouts)
                                             : MakeCurlTransport(kVipTimeouts);
    const auto deadline = Clock::now() + options_.setup_deadline;
    const auto steady = milliseconds(options_.advert_int_s * 1000 + 500);
    bool steady_now = false;
    Clock::time_point since = Clock::now();
    std::string last;
    while (Clock::now() < deadline) {
      std::vector<std::string> holders;
      bool all_read = true;
      last.clear();
      for (const BalancerBackend& b : layout.vrrp_nodes) {
        Result<HttpResponse> r = transport->Get(Url(b.host, options_.vip_port, "/vip"));
        Result<VipReading> reading = Status::IoError("no answer");
        if (r.ok() && r->status == 200) reading = ParseVipFile(r->body, vip);
        if (!reading.ok()) {
          all_read = false;
          last += b.name + ": unread; ";
          continue;
        }
        last += b.name + (reading->holds ? ": holds; " : ": does not hold; ");
        if (reading->holds) holders.push_back(b.name);
      }
      const bool one = all_read && holders.size() == 1 && holders[0] == layout.balancer;
      if (!one) {
        steady_now = false;
      } else if (!steady_now) {
        steady_now = true;
        since = Clock::now();
      } else if (Clock::now() - since >= steady) {
        return Status::Ok();
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return Status::Timeout("keepalived on " + ctx.node.name + ": " + layout.balancer +
                           " did not hold " + vip + " alone within " +
                           std::to_string(options_.setup_deadline.count()) + " ms; last: " + last);
  }

  Status StartBackend(const NodeContext& ctx, const Paths& p, milliseconds deadline) {
    DaemonSpec spec;
    spec.argv = {"nginx", "-p", p.dir + "/tmp", "-c", p.backend_conf, "-e", p.backend_log};
    spec.pidfile = p.backend_pid;
    spec.logfile = p.backend_log;
    spec.workdir = p.dir;
    spec.sudo = ctx.cluster.sudo;
    Result<int> pid = StartDaemon(ctx.remote, spec);
    if (!pid.ok()) return OnNode(ctx, "starting the backend", pid.status());
    return AwaitHttpOk(ctx, Url(ctx.node.host, options_.backend_port, "/health"), deadline,
                       "the backend");
  }

  Status AwaitHttpOk(const NodeContext& ctx, const std::string& url, milliseconds limit,
                     const std::string& what) {
    const auto deadline = Clock::now() + limit;
    auto transport = options_.make_transport ? options_.make_transport(kProbeTimeouts)
                                             : MakeCurlTransport(kProbeTimeouts);
    std::string last;
    for (;;) {
      Result<HttpResponse> r = transport->Get(url);
      if (r.ok() && r->status == 200) return Status::Ok();
      last = r.ok() ? "http " + std::to_string(r->status) : r.status().ToString();
      if (Clock::now() + kProbeInterval >= deadline) break;
      std::this_thread::sleep_for(kProbeInterval);
    }
    return Status::Timeout(what + " on " + ctx.node.name + " (" + url + ") did not answer within " +
                           std::to_string(limit.count()) + " ms; last probe: " + last);
  }

  // The balancer answers, and (HAProxy) reports every backend UP: requests
  // then start on a whole pool.
  Status AwaitBalancer(const NodeContext& ctx, const Layout& layout) {
    if (options_.kind == BalancerKind::kNginx) {
      return AwaitHttpOk(ctx, Url(ctx.node.host, options_.port, "/req"), options_.setup_deadline,
                         "nginx");
    }
    const auto deadline = Clock::now() + options_.setup_deadline;
    auto transport = options_.make_transport ? options_.make_transport(kProbeTimeouts)
                                             : MakeCurlTransport(kProbeTimeouts);
    std::string last;
    for (;;) {
      Result<HttpResponse> r = transport->Get(Url(ctx.node.host, options_.stats_port, "/stats;csv"));
      if (!r.ok()) {
        last = r.status().ToString();
      } else {
        Result<std::vector<ServerStat>> stats = ParseHaproxyStats(r->body);
        if (!stats.ok()) {
          last = stats.status().message();
        } else {
          size_t up = 0;
          last.clear();
          for (const ServerStat& s : *stats) {
            if (s.status == "UP") ++up;
            last += s.name + "=" + s.status + " ";
          }
          if (up == layout.backends.size()) return Status::Ok();
        }
      }
      if (Clock::now() + kProbeInterval >= deadline) break;
      std::this_thread::sleep_for(kProbeInterval);
    }
    return Status::Timeout("haproxy on " + ctx.node.name + " did not report every backend UP within " +
                           std::to_string(options_.setup_deadline.count()) + " ms; last: " + last);
  }

  Status StopAndWipe(const NodeContext& ctx, const Paths& p) {
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = milliseconds(5000);
    stop.sudo = ctx.cluster.sudo;
    // keepalived first, and gently: on SIGTERM it gives the address up and
    // tells its peer (priority 0), so the peer takes over at once.
    StopOptions gentle = stop;
    gentle.signal = "TERM";
    gentle.grace = milliseconds(3000);
    Result<StopOutcome> ka = StopDaemon(ctx.remote, p.ka_pid, gentle);
    if (!ka.ok()) return OnNode(ctx, "stopping keepalived", ka.status());
    for (const std::string& pid : {p.balancer_pid, p.backend_pid, p.watch_pid, p.observer_pid}) {
      Result<StopOutcome> r = StopDaemon(ctx.remote, pid, stop);
      if (!r.ok()) return OnNode(ctx, "stopping " + pid, r.status());
    }
    // An address a killed keepalived left behind (or an earlier run's).
    std::optional<Vrrp> v;
    {
      std::lock_guard lock(mu_);
      auto it = vrrp_.find(ctx.node.name);
      if (it != vrrp_.end()) v = it->second;
    }
    if (v) {
      Result<std::string> out = RunScript(
          ctx, "removing the virtual address",
          "if ip -o -4 addr show dev \"$2\" | grep -q \" inet $1/\"; then ip addr del \"$1/$3\" dev \"$2\"; fi\n"
          "! ip -o -4 addr show dev \"$2\" | grep -q \" inet $1/\"",
          {v->vip, v->interface, std::to_string(v->prefix)});
      if (!out.ok()) return out.status();
    }
    Command wipe = Command::Argv({"rm", "-rf", "--", p.dir});
    wipe.sudo = ctx.cluster.sudo;
    wipe.idempotent = true;
    Result<CommandResult> r = ctx.remote.Run(wipe);
    if (!r.ok()) return OnNode(ctx, "deleting " + p.dir, r.status());
    if (!r->ok()) return Status::IoError("deleting " + p.dir + " on " + ctx.node.name + ": " + r->err);
    return Status::Ok();
  }

  const BalancerOptions options_;
  std::mutex mu_;
  std::condition_variable vip_cv_;
  std::shared_ptr<const Layout> layout_;
  std::map<std::string, Vrrp> vrrp_;  // node -> its interface and address (vrrp)
  bool vip_published_ = false;
  Status vip_status_;
};

}  // namespace

const char* BalancerKindName(BalancerKind kind) {
  return kind == BalancerKind::kHaproxy ? "haproxy" : "nginx";
}

int64_t FailoverBoundMs(const BalancerOptions& o) {
  if (o.kind != BalancerKind::kHaproxy) return -1;
  const int64_t check_timeout = o.check_timeout_ms > 0 ? o.check_timeout_ms : o.inter_ms;
  // HAProxy starts a check `inter` after the previous one ended, so a backend
  // whose checks time out (paused, cut off) fails `fall` checks only after
  // fall x (inter + check timeout): measured, 2 s checks of a paused backend
  // failing 4 s apart. fall x inter + check timeout would be too tight.
  return static_cast<int64_t>(o.fall) * (o.inter_ms + check_timeout) + o.margin_ms;
}

int64_t VrrpBoundMs(const BalancerOptions& o) {
  if (!o.vrrp) return -1;
  // RFC 3768's Master_Down_Interval for the backup: 3 x advert + skew.
  const int64_t advert = o.advert_int_s * 1000LL;
  return 3 * advert + (256 - kVrrpBackupPriority) * advert / 256 + o.margin_ms;
}

namespace {
bool ParseV4(const std::string& s, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}
}  // namespace

std::string KeepalivedConfig(const BalancerOptions& o, const std::string& node_name,
                             const std::string& interface, const std::string& vip, int prefix,
                             int priority, const std::string& notify_script) {
  std::ostringstream c;
  // Both start as BACKUP: the higher priority wins the first election, and
  // nobody claims the address before hearing whether a master exists.
  c << "# faultline balance: keepalived on " << node_name << "\n"
    << "global_defs {\n"
    << "  router_id " << node_name << "\n"
    << "  script_user root\n"
    << "  enable_script_security\n"
    << "}\n"
    << "vrrp_instance faultline {\n"
    << "  state BACKUP\n"
    << "  interface " << interface << "\n"
    << "  virtual_router_id " << o.virtual_router_id << "\n"
    << "  priority " << priority << "\n"
    << "  advert_int " << o.advert_int_s << "\n"
    << "  virtual_ipaddress {\n"
    << "    " << vip << "/" << prefix << " dev " << interface << "\n"
    << "  }\n"
    << "  notify " << notify_script << "\n";
  if (o.garp_refresh_s > 0) c << "  garp_master_refresh " << o.garp_refresh_s << "\n";
  c << "}\n";
  return c.str();
}

Status ValidateBalancerOptions(const BalancerOptions& o) {
  const std::string who = std::string("target ") + BalancerKindName(o.kind) + ": option ";
  if (o.algorithm != "roundrobin" && o.algorithm != "leastconn" && o.algorithm != "hash") {
    return Status::InvalidArgument(who + "algorithm: expected roundrobin, leastconn or hash, got \"" +
                                   o.algorithm + "\"");
  }
  if (o.hash_type != "consistent" && o.hash_type != "map-based") {
    return Status::InvalidArgument(who + "hash_type: expected consistent or map-based, got \"" +
                                   o.hash_type + "\"");
  }
  for (const std::string* s : {&o.retry_on, &o.next_upstream}) {
    for (char c : *s) {
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ' ')) {
        return Status::InvalidArgument(who + (s == &o.retry_on ? "retry_on" : "next_upstream") +
                                       ": expected words of letters, digits and '-', got \"" + *s +
                                       "\"");
      }
    }
  }
  if (!o.vip.empty()) {
    uint32_t v = 0;
    if (!ParseV4(o.vip, &v)) {
      return Status::InvalidArgument(who + "vip: expected an IPv4 address, got \"" + o.vip + "\"");
    }
    if (!o.vrrp) return Status::InvalidArgument(who + "vip: needs vrrp=true");
  }
  if (!o.backup_node.empty() && !o.vrrp) {
    return Status::InvalidArgument(who + "backup_node: needs vrrp=true");
  }
  if (o.advert_int_s < 1 || o.advert_int_s > 255) {
    return Status::InvalidArgument(who + "advert_int_s: expected 1 to 255 seconds, got " +
                                   std::to_string(o.advert_int_s));
  }
  if (o.virtual_router_id < 1 || o.virtual_router_id > 255) {
    return Status::InvalidArgument(who + "virtual_router_id: expected 1 to 255, got " +
                                   std::to_string(o.virtual_router_id));
  }
  const std::string& d = o.dir_name;
  if (d.empty() || d == "." || d == ".." || d.find('/') != std::string::npos) {
    return Status::InvalidArgument(who + "dir_name: expected a plain directory name, got \"" + d +
                                   "\"");
  }
  return Status::Ok();
}

std::unique_ptr<Client> MakeBalanceClient(const BalancerOptions& options,
                                          const std::string& balancer,
                                          const std::vector<BalancerBackend>& backends,
                                          const std::vector<BalancerBackend>& vrrp_nodes,
                                          const std::string& vip) {
  auto layout = std::make_shared<Layout>();
  layout->balancer = balancer;
  layout->backends = backends;
  if (vrrp_nodes.size() == 2) {
    layout->vrrp_nodes = vrrp_nodes;
    layout->vip = vip;
  }
  for (const BalancerBackend& b : backends) {
    if (b.name == balancer) layout->balancer_host = b.host;
  }
  return std::make_unique<BalanceClient>(options, layout);
}

Result<std::unique_ptr<Target>> MakeBalancerTarget(BalancerOptions options) {
  if (Status st = ValidateBalancerOptions(options); !st.ok()) return st;
  return std::unique_ptr<Target>(std::make_unique<BalancerTarget>(std::move(options)));
}

// Temp paths point into the node's own directory: the package's defaults
// (/var/lib/nginx) are shared by every node of a local cluster.
std::string BackendConfig(const std::string& node_name, const std::string& host, int port,
                          const std::string& dir) {
  std::ostringstream c;
  c << NginxHead("backend on " + node_name, dir + "/tmp", dir + "/backend.log", 1024)
    << "  log_format applied '$arg_id $msec $arg_key';\n"
    << "  server {\n"
    << "    listen " << host << ":" << port << ";\n"
    << "    default_type text/plain;\n"
    << "    location = /health { return 200 \"ok\\n\"; }\n"
    << "    location = /applied { alias " << dir << "/applied.log; }\n"
    << "    location / {\n"
    << "      access_log " << dir << "/applied.log applied if=$arg_id;\n"
    << "      return 200 \"" << node_name << "\\n\";\n"
    << "    }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

std::string HaproxyConfig(const BalancerOptions& o, const std::string& host,
                          const std::vector<BalancerBackend>& backends) {
  std::ostringstream c;
  const int check_timeout = o.check_timeout_ms > 0 ? o.check_timeout_ms : o.inter_ms;
  c << "# faultline balance: haproxy\n"
    << "global\n  maxconn 4096\n\n"
    << "defaults\n  mode http\n"
    << "  timeout connect " << o.connect_timeout_ms << "ms\n"
    << "  timeout client 30s\n"
    << "  timeout server " << o.server_timeout_ms << "ms\n"
    << "  timeout check " << check_timeout << "ms\n"
    << "  retries " << o.retries << "\n";
  if (o.redispatch) c << "  option redispatch\n";
  if (!o.retry_on.empty()) c << "  retry-on " << o.retry_on << "\n";
  // With VRRP the balancer answers on the virtual address too, which comes
  // and goes: it listens on every address.
  c << "\nfrontend fe\n  bind " << (o.vrrp ? std::string("*") : host) << ":" << o.port
    << "\n  default_backend be\n\n"
    << "frontend stats\n  bind " << host << ":" << o.stats_port
    << "\n  stats enable\n  stats uri /stats\n\n"
    << "backend be\n";
  if (o.algorithm == "hash") {
    c << "  balance url_param key\n  hash-type " << o.hash_type << "\n";
  } else {
    c << "  balance " << o.algorithm << "\n";
  }
  c << "  option httpchk GET /health\n"
    << "  default-server check inter " << o.inter_ms << " fall " << o.fall << " rise " << o.rise
    << "\n";
  for (const BalancerBackend& b : backends) {
    c << "  server " << b.name << " " << b.host << ":" << b.port << "\n";
  }
  return c.str();
}

std::string NginxBalancerConfig(const BalancerOptions& o, const std::string& host,
                                const std::vector<BalancerBackend>& backends,
                                const std::string& dir) {
  std::ostringstream c;
  c << NginxHead("nginx", dir + "/balancer-tmp", dir + "/balancer.log", 4096)
    << "  upstream be {\n";
  if (o.algorithm == "leastconn") c << "    least_conn;\n";
  if (o.algorithm == "hash") {
    c << "    hash $arg_key" << (o.hash_type == "consistent" ? " consistent" : "") << ";\n";
  }
  for (const BalancerBackend& b : backends) {
    c << "    server " << b.host << ":" << b.port << " max_fails=" << o.max_fails
      << " fail_timeout=" << o.fail_timeout_s << "s;\n";
  }
  c << "  }\n"
    << "  server {\n"
    << "    listen " << (o.vrrp ? std::string("*") : host) << ":" << o.port << ";\n"
    << "    location / {\n"
    << "      proxy_pass http://be;\n"
    << "      proxy_connect_timeout " << o.connect_timeout_ms << "ms;\n"
    << "      proxy_read_timeout " << o.server_timeout_ms << "ms;\n"
    << "      proxy_send_timeout " << o.server_timeout_ms << "ms;\n"
    << "      proxy_next_upstream " << (o.next_upstream.empty() ? "off" : o.next_upstream)
    << (o.non_idempotent ? " non_idempotent" : "") << ";\n"
    << "      proxy_next_upstream_tries " << (o.retries + 1) << ";\n"
    << "    }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

}  // namespace faultline
