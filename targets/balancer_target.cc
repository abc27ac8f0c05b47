#include "targets/balancer_target.h"

#include <mutex>
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
};

struct Paths {
  std::string dir, backend_conf, backend_pid, backend_log, applied_log;
  std::string balancer_conf, balancer_pid, balancer_log;
};

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
    return CompleteFail(op, node_, "unknown-f: balance clients know request, backends, applied");
  }

  void Close() override { transport_.reset(); }

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
    const std::string url = Url(layout_->balancer_host, options_.port,
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
};

class BalancerTarget final : public Target,
                             public Killable,
                             public Pausable,
                             public HasLogFiles,
                             public BalanceClientFactory {
 public:
  explicit BalancerTarget(BalancerOptions options) : options_(std::move(options)) {}

  std::string name() const override { return BalancerKindName(options_.kind); }
  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }
  HasLogFiles* log_files() override { return this; }
  BalanceClientFactory* balance_clients() override { return this; }

  Status Setup(const NodeContext& ctx) override {
    Result<std::shared_ptr<const Layout>> layout = Learn(ctx.cluster);
    if (!layout.ok()) return layout.status();
    const bool balancer = ctx.node.name == (*layout)->balancer;
    std::vector<std::string> packages = {"nginx"};
    if (balancer && options_.kind == BalancerKind::kHaproxy) packages.push_back("haproxy");
    Result<std::vector<std::string>> installed = EnsurePackages(ctx.remote, packages);
    if (!installed.ok()) return Context(ctx, "installing packages", installed.status());
    const Paths p = PathsOf(ctx);
    if (Status st = StopAndWipe(ctx, p); !st.ok()) return st;
    for (const std::string& d : {p.dir + "/tmp", p.dir + "/balancer-tmp"}) {
      if (Status st = MakeDirs(ctx.remote, d, ctx.cluster.sudo); !st.ok()) return st;
    }
    if (Status st = WriteFileAtomic(ctx.remote, p.backend_conf,
                                    BackendConfig(ctx.node.name, ctx.node.host,
                                                  options_.backend_port, p.dir),
                                    0644, ctx.cluster.sudo);
        !st.ok())
      return Context(ctx, "writing the backend config", st);
    if (Status st = StartBackend(ctx, p, options_.setup_deadline); !st.ok()) return st;
    if (!balancer) return Status::Ok();

    const std::string config =
        options_.kind == BalancerKind::kHaproxy
            ? HaproxyConfig(options_, ctx.node.host, (*layout)->backends)
            : NginxBalancerConfig(options_, ctx.node.host, (*layout)->backends, p.dir);
    if (Status st = WriteFileAtomic(ctx.remote, p.balancer_conf, config, 0644, ctx.cluster.sudo);
        !st.ok())
      return Context(ctx, "writing the balancer config", st);
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
    if (!pid.ok()) return Context(ctx, std::string("starting ") + name(), pid.status());
    return AwaitBalancer(ctx, **layout);
  }

  Status Teardown(const NodeContext& ctx) override { return StopAndWipe(ctx, PathsOf(ctx)); }

  Status Kill(const NodeContext& ctx) override {
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = milliseconds(5000);
    stop.sudo = ctx.cluster.sudo;
    Result<StopOutcome> r = StopDaemon(ctx.remote, PathsOf(ctx).backend_pid, stop);
    if (!r.ok()) return Context(ctx, "killing the backend", r.status());
    return Status::Ok();
  }

  Status Start(const NodeContext& ctx) override {
    return StartBackend(ctx, PathsOf(ctx), options_.start_deadline);
  }

  Status Pause(const NodeContext& ctx) override {
    Status st = PauseDaemon(ctx.remote, PathsOf(ctx).backend_pid, ctx.cluster.sudo);
    return st.ok() ? st : Context(ctx, "pausing the backend", st);
  }
  Status Resume(const NodeContext& ctx) override {
    Status st = ResumeDaemon(ctx.remote, PathsOf(ctx).backend_pid, ctx.cluster.sudo);
    return st.ok() ? st : Context(ctx, "resuming the backend", st);
  }

  Result<std::vector<std::string>> LogFiles(const NodeContext& ctx) override {
    const Paths p = PathsOf(ctx);
    return std::vector<std::string>{p.backend_log, p.applied_log, p.balancer_log,
                                    p.balancer_conf};
  }

  std::unique_ptr<Client> NewBalanceClient() override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::make_unique<BalanceClient>(options_, layout_);
  }

 private:
  static Status Context(const NodeContext& ctx, const std::string& what, const Status& st) {
    return StatusWithCode(st.code(), what + " on " + ctx.node.name + ": " + st.message());
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
    return p;
  }

  // The layout of the test from its nodes; remembered for clients.
  Result<std::shared_ptr<const Layout>> Learn(const ClusterInfo& cluster) {
    if (cluster.nodes.empty()) return Status::InvalidArgument("balancer target: no nodes");
    auto layout = std::make_shared<Layout>();
    layout->balancer =
        options_.balancer_node.empty() ? cluster.nodes[0].name : options_.balancer_node;
    for (const NodeInfo& n : cluster.nodes) {
      if (n.name == layout->balancer) layout->balancer_host = n.host;
      layout->backends.push_back({n.name, n.host, options_.backend_port});
    }
    if (layout->balancer_host.empty()) {
      return Status::InvalidArgument(std::string("target ") + name() + ": option balancer_node: \"" +
                                     layout->balancer + "\" is not a node of the test");
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!layout_) layout_ = layout;
    return layout_;
  }

  Status StartBackend(const NodeContext& ctx, const Paths& p, milliseconds deadline) {
    DaemonSpec spec;
    spec.argv = {"nginx", "-p", p.dir + "/tmp", "-c", p.backend_conf, "-e", p.backend_log};
    spec.pidfile = p.backend_pid;
    spec.logfile = p.backend_log;
    spec.workdir = p.dir;
    spec.sudo = ctx.cluster.sudo;
    Result<int> pid = StartDaemon(ctx.remote, spec);
    if (!pid.ok()) return Context(ctx, "starting the backend", pid.status());
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
    for (const std::string& pid : {p.balancer_pid, p.backend_pid}) {
      Result<StopOutcome> r = StopDaemon(ctx.remote, pid, stop);
      if (!r.ok()) return Context(ctx, "stopping " + pid, r.status());
    }
    Command wipe = Command::Argv({"rm", "-rf", "--", p.dir});
    wipe.sudo = ctx.cluster.sudo;
    wipe.idempotent = true;
    Result<CommandResult> r = ctx.remote.Run(wipe);
    if (!r.ok()) return Context(ctx, "deleting " + p.dir, r.status());
    if (!r->ok()) return Status::IoError("deleting " + p.dir + " on " + ctx.node.name + ": " + r->err);
    return Status::Ok();
  }

  const BalancerOptions options_;
  std::mutex mu_;
  std::shared_ptr<const Layout> layout_;
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
  const std::string& d = o.dir_name;
  if (d.empty() || d == "." || d == ".." || d.find('/') != std::string::npos) {
    return Status::InvalidArgument(who + "dir_name: expected a plain directory name, got \"" + d +
                                   "\"");
  }
  return Status::Ok();
}

std::unique_ptr<Client> MakeBalanceClient(const BalancerOptions& options,
                                          const std::string& balancer,
                                          const std::vector<BalancerBackend>& backends) {
  auto layout = std::make_shared<Layout>();
  layout->balancer = balancer;
  layout->backends = backends;
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
static std::string NginxCommon(const std::string& tmp) {
  std::string c;
  for (const char* what : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    c += std::string("  ") + what + "_temp_path " + tmp + "/" + what + ";\n";
  }
  return c;
}

std::string BackendConfig(const std::string& node_name, const std::string& host, int port,
                          const std::string& dir) {
  std::ostringstream c;
  c << "# faultline balance backend on " << node_name << "\n"
    << "daemon off;\nmaster_process on;\nworker_processes 1;\nuser root;\n"
    << "pid " << dir << "/tmp/nginx.pid;\n"
    << "error_log " << dir << "/backend.log warn;\n"
    << "events { worker_connections 1024; }\n"
    << "http {\n"
    << "  access_log off;\n"
    << NginxCommon(dir + "/tmp")
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
  c << "\nfrontend fe\n  bind " << host << ":" << o.port << "\n  default_backend be\n\n"
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
  c << "# faultline balance: nginx\n"
    << "daemon off;\nmaster_process on;\nworker_processes 1;\nuser root;\n"
    << "pid " << dir << "/balancer-tmp/nginx.pid;\n"
    << "error_log " << dir << "/balancer.log warn;\n"
    << "events { worker_connections 4096; }\n"
    << "http {\n"
    << "  access_log off;\n"
    << NginxCommon(dir + "/balancer-tmp")
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
    << "    listen " << host << ":" << o.port << ";\n"
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

Result<std::vector<ServerStat>> ParseHaproxyStats(const std::string& csv) {
  auto split = [](const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : line) {
      if (ch == ',') {
        out.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    out.push_back(cur);
    return out;
  };
  std::istringstream in(csv);
  std::string line;
  std::vector<std::string> header;
  int px = -1, sv = -1, status = -1, stot = -1;
  std::vector<ServerStat> out;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("# ", 0) == 0) {
      header = split(line.substr(2));
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == "pxname") px = static_cast<int>(i);
        if (header[i] == "svname") sv = static_cast<int>(i);
        if (header[i] == "status") status = static_cast<int>(i);
        if (header[i] == "stot") stot = static_cast<int>(i);
      }
      continue;
    }
    if (line.empty()) continue;
    if (px < 0 || sv < 0 || status < 0 || stot < 0) {
      return Status::InvalidArgument("haproxy stats CSV without a header naming pxname, svname, "
                                     "status and stot");
    }
    std::vector<std::string> f = split(line);
    const size_t need = static_cast<size_t>(std::max({px, sv, status, stot}));
    if (f.size() <= need || f[px] != "be" || f[sv] == "BACKEND" || f[sv] == "FRONTEND") continue;
    ServerStat s;
    s.name = f[sv];
    s.status = f[status];
    s.sessions = std::strtoll(f[stot].c_str(), nullptr, 10);
    out.push_back(std::move(s));
  }
  if (header.empty()) return Status::InvalidArgument("haproxy stats CSV without a header line");
  return out;
}

std::vector<int64_t> ParseAppliedLog(const std::string& text) {
  std::vector<int64_t> ids;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // "id msec key"; a line cut short by a kill has no second field.
    std::istringstream fields(line);
    std::string id, msec;
    if (!(fields >> id >> msec)) continue;
    char* end = nullptr;
    const long long v = std::strtoll(id.c_str(), &end, 10);
    if (end == id.c_str() || *end != '\0') continue;
    ids.push_back(v);
  }
  return ids;
}

}  // namespace faultline
