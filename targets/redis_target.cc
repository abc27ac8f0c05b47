#include "targets/redis_target.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "nemesis/clock_shim/clock_support.h"
#include "targets/client.h"
#include "targets/redis_client.h"
#include "targets/target_util.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kRedisProbeInterval{100};
constexpr milliseconds kRedisStopGrace{5000};
constexpr RedisTimeouts kRedisProbeTimeouts{milliseconds(500), milliseconds(1000)};

RedisPorts PortsOf(const RedisOptions& options, const std::string& node) {
  auto it = options.node_ports.find(node);
  return it == options.node_ports.end() ? options.ports : it->second;
}

// A fixed Sentinel id per node position, so every Sentinel's config can list
// the others before any of them runs.
std::string SentinelId(size_t index) {
  char id[48];
  std::snprintf(id, sizeof id, "%040zx", index + 1);
  return id;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

class RedisTarget final : public Target,
                          public Killable,
                          public Pausable,
                          public HasLogFiles,
                          public HasPrimaries,
                          public ClockShimmable,
                          public RegisterClientFactory,
                          public SetClientFactory,
                          public LockClientFactory {
 public:
  explicit RedisTarget(RedisOptions options) : options_(std::move(options)) {
    if (!options_.connector) options_.connector = HiredisConnector();
  }

  std::string name() const override { return RedisTargetName(options_.mode); }

  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }
  HasLogFiles* log_files() override { return this; }
  HasPrimaries* primaries() override { return this; }
  // redis-server and redis-sentinel read the wall clock through libc.
  ClockShimmable* clock_shim() override { return this; }
  void EnableClockShim() override { shim_ = true; }
  RegisterClientFactory* register_clients() override { return plain() ? nullptr : this; }
  SetClientFactory* set_clients() override { return plain() ? nullptr : this; }
  LockClientFactory* lock_clients() override { return plain() ? this : nullptr; }

  Status Setup(const NodeContext& ctx) override {
    Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
    if (!files.ok()) return files.status();
    {
      std::lock_guard lock(mu_);
      nodes_ = ctx.cluster.nodes;
    }
    std::vector<std::string> packages = options_.packages;
    if (!sentinel()) {
      packages.erase(std::remove(packages.begin(), packages.end(), "redis-sentinel"),
                     packages.end());
    }
    if (!packages.empty()) {
      Result<std::vector<std::string>> installed = EnsurePackages(ctx.remote, packages);
      if (!installed.ok()) return OnNode(ctx, "installing redis", installed.status());
    }
    if (Status st = StopAndWipe(ctx, *files); !st.ok()) return st;
    const bool sudo = ctx.cluster.sudo;
    if (Status st = MakeDirs(ctx.remote, files->data_dir, sudo); !st.ok()) return st;
    if (Status st = WriteFileAtomic(ctx.remote, files->server_conf, files->server_config, 0644, sudo);
        !st.ok()) {
      return OnNode(ctx, "writing " + files->server_conf, st);
    }
    if (sentinel()) {
      if (Status st =
              WriteFileAtomic(ctx.remote, files->sentinel_conf, files->sentinel_config, 0644, sudo);
          !st.ok()) {
        return OnNode(ctx, "writing " + files->sentinel_conf, st);
      }
    }
    Result<std::vector<std::pair<std::string, std::string>>> shim_env = ShimEnv(ctx);
    if (!shim_env.ok()) return OnNode(ctx, "preparing the clock shim", shim_env.status());
    Result<int> pid = StartDaemon(ctx.remote, RedisServerSpec(options_, *files, sudo, *shim_env));
    if (!pid.ok()) return OnNode(ctx, "starting redis-server", pid.status());
    if (sentinel()) {
      Result<int> spid = StartDaemon(ctx.remote, SentinelSpec(*files, sudo, *shim_env));
      if (!spid.ok()) return OnNode(ctx, "starting redis-sentinel", spid.status());
    }
    if (cluster() && files->first) {
      if (Status st = CreateCluster(ctx); !st.ok()) return st;
    }
    return Await(ctx, *files, /*healthy=*/true, options_.setup_deadline);
  }

  Status Teardown(const NodeContext& ctx) override {
    Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
    if (!files.ok()) return files.status();
    return StopAndWipe(ctx, *files);
  }

  Status Kill(const NodeContext& ctx) override {
    Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
    if (!files.ok()) return files.status();
    Result<StopOutcome> r = StopDaemon(ctx.remote, files->server_pid, KillNow(ctx));
    if (!r.ok()) return OnNode(ctx, "killing redis-server", r.status());
    return Status::Ok();
  }

  Status Start(const NodeContext& ctx) override {
    Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
    if (!files.ok()) return files.status();
    Result<std::vector<std::pair<std::string, std::string>>> shim_env = ShimEnv(ctx);
    if (!shim_env.ok()) return OnNode(ctx, "preparing the clock shim", shim_env.status());
    Result<int> pid =
        StartDaemon(ctx.remote, RedisServerSpec(options_, *files, ctx.cluster.sudo, *shim_env));
    if (!pid.ok()) return OnNode(ctx, "restarting redis-server", pid.status());
    return Await(ctx, *files, /*healthy=*/false, options_.start_deadline);
  }

  Status Pause(const NodeContext& ctx) override { return Signal(ctx, "STOP"); }
  Status Resume(const NodeContext& ctx) override { return Signal(ctx, "CONT"); }

  Result<std::vector<std::string>> LogFiles(const NodeContext& ctx) override {
    Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
    if (!files.ok()) return files.status();
    std::vector<std::string> out = {files->server_log, files->server_conf};
    if (sentinel()) {
      out.push_back(files->sentinel_log);
      out.push_back(files->sentinel_conf);
    }
    return out;
  }

  Result<std::vector<std::string>> Primaries(const std::vector<NodeContext>& nodes) override {
    std::vector<std::pair<std::string, int>> votes;  // node, sentinels naming it
    std::string errors;
    int answered = 0;
    for (const NodeContext& ctx : nodes) {
      Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
      if (!files.ok()) return files.status();
      if (!sentinel()) {
        Status st = cluster() ? IsMaster(files->host, files->ports.server)
                              : Ping(files->host, files->ports.server);
        if (st.ok() || st.code() == Status::Code::kNotFound) {
          ++answered;
          if (st.ok()) votes.emplace_back(ctx.node.name, 1);
        } else {
          errors += (errors.empty() ? "" : "; ") + ctx.node.name + ": " + st.ToString();
        }
        continue;
      }
      RedisEndpoint s{ctx.node.name, files->host, files->ports.sentinel};
      auto primary = AskSentinelForPrimary(options_.connector, s, options_.master_name,
                                           kRedisProbeTimeouts);
      if (!primary.ok()) {
        errors += (errors.empty() ? "" : "; ") + ctx.node.name + ": " + primary.status().ToString();
        continue;
      }
      ++answered;
      const std::string named = NodeAt(ctx.cluster, primary->first, primary->second);
      if (named.empty()) continue;
      auto it = std::find_if(votes.begin(), votes.end(), [&](auto& v) { return v.first == named; });
      if (it == votes.end()) {
        votes.emplace_back(named, 1);
      } else {
        ++it->second;
      }
    }
    if (answered == 0 && !nodes.empty()) {
      return Status::Unreachable(std::string("no redis ") + (sentinel() ? "sentinel" : "server") +
                                 " answered: " + errors);
    }
    std::stable_sort(votes.begin(), votes.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> out;
    for (const auto& v : votes) out.push_back(v.first);
    return out;
  }

  std::unique_ptr<Client> NewRegisterClient() override {
    return MakeRedisSentinelRegisterClient(ClientConfig());
  }
  std::unique_ptr<Client> NewSetClient() override {
    return MakeRedisSentinelSetClient(ClientConfig());
  }
  std::unique_ptr<Client> NewLockClient() override { return MakeRedisLockClient(ClientConfig()); }

 private:
  bool sentinel() const { return options_.mode == RedisMode::kSentinel; }
  bool cluster() const { return options_.mode == RedisMode::kCluster; }
  bool plain() const { return options_.mode == RedisMode::kPlain; }

  // Ok when the server's ROLE is master; NotFound when it answers otherwise.
  Status IsMaster(const std::string& host, int port) {
    auto conn = options_.connector(host, port, kRedisProbeTimeouts);
    if (!conn.ok()) return conn.status();
    Result<RedisReply> r = (*conn)->Command({"ROLE"});
    if (!r.ok()) return r.status();
    if (r->type == RedisReply::Type::kArray && !r->elements.empty() &&
        r->elements[0].str == "master") {
      return Status::Ok();
    }
    return Status::NotFound("ROLE answered " + r->ToString());
  }

  // On the first node: once every node answers PING, joins them into one
  // cluster with redis-cli (which assigns the slots and the replicas).
  Status CreateCluster(const NodeContext& ctx) {
    const auto deadline = Clock::now() + options_.setup_deadline;
    std::vector<std::string> argv = {"redis-cli", "--cluster", "create"};
    for (const NodeInfo& n : ctx.cluster.nodes) {
      const RedisPorts p = PortsOf(options_, n.name);
      for (;;) {
        Status st = Ping(n.host, p.server);
        if (st.ok()) break;
        if (Clock::now() >= deadline) {
          return Status::Timeout("redis-cluster: " + n.name + " did not answer within " +
                                 SecondsOneDecimal(options_.setup_deadline) + ": " + st.ToString());
        }
        std::this_thread::sleep_for(kRedisProbeInterval);
      }
      argv.push_back(n.host + ":" + std::to_string(p.server));
    }
    const int replicas = options_.cluster_replicas >= 0
                             ? options_.cluster_replicas
                             : (ctx.cluster.nodes.size() >= 6 ? 1 : 0);
    argv.insert(argv.end(), {"--cluster-replicas", std::to_string(replicas), "--cluster-yes"});
    Command create = Command::Argv(argv);
    create.sudo = ctx.cluster.sudo;
    create.timeout = std::chrono::seconds(60);
    Result<CommandResult> r = ctx.remote.Run(create);
    if (!r.ok()) return OnNode(ctx, "redis-cli --cluster create", r.status());
    if (!r->ok() || r->out.find("[OK] All 16384 slots covered") == std::string::npos) {
      return Status::IoError("redis-cli --cluster create on " + ctx.node.name + " failed (exit " +
                             std::to_string(r->exit_status) + "): " + r->out.substr(
                                 r->out.size() > 1500 ? r->out.size() - 1500 : 0) + r->err);
    }
    return Status::Ok();
  }


  static StopOptions KillNow(const NodeContext& ctx) {
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = kRedisStopGrace;
    stop.sudo = ctx.cluster.sudo;
    return stop;
  }

  // The node whose server listens at host:port, or "".
  std::string NodeAt(const ClusterInfo& cluster, const std::string& host, int port) const {
    for (const NodeInfo& n : cluster.nodes) {
      if (n.host == host && PortsOf(options_, n.name).server == port) return n.name;
    }
    return "";
  }

  std::vector<NodeInfo> Nodes() {
    std::lock_guard lock(mu_);
    return nodes_;
  }

  // Endpoints of every node of the test (the one bound to `first` first).
  std::vector<RedisEndpoint> Endpoints(const NodeInfo& first, bool sentinels) {
    std::vector<NodeInfo> nodes = Nodes();
    auto endpoint = [&](const NodeInfo& n) {
      const RedisPorts p = PortsOf(options_, n.name);
      return RedisEndpoint{n.name, n.host, sentinels ? p.sentinel : p.server};
    };
    std::vector<RedisEndpoint> out = {endpoint(first)};
    for (const NodeInfo& n : nodes) {
      if (n.name != first.name) out.push_back(endpoint(n));
    }
    return out;
  }

  RedisClientConfig ClientConfig() {
    RedisClientConfig c;
    c.connector = options_.connector;
    c.timeouts = options_.client_timeouts;
    c.key_prefix = options_.key_prefix;
    c.master_name = options_.master_name;
    c.wait_replicas = options_.wait_replicas;
    c.wait_timeout = options_.wait_timeout;
    c.cluster = cluster();
    c.sentinels = [this](const NodeInfo& node) { return Endpoints(node, sentinel()); };
    // Locks: every instance in the test's order (single mode uses the first
    // node's, so that all clients contend on one instance).
    c.instances = [this](const NodeInfo& node) {
      std::vector<NodeInfo> nodes = Nodes();
      if (nodes.empty()) return Endpoints(node, false);
      std::vector<RedisEndpoint> out;
      for (const NodeInfo& n : nodes) out.push_back({n.name, n.host, PortsOf(options_, n.name).server});
      return out;
    };
    c.redlock = options_.lock_mode == RedisLockMode::kRedlock;
    c.lock_ttl = options_.lock_ttl;
    return c;
  }

  // The clock shim's environment when it is enabled, else none. Prepared on
  // every start: the offset file lives outside the redis directory (Setup's
  // wipe keeps it), and a restarted server takes up its node's current skew.
  Result<std::vector<std::pair<std::string, std::string>>> ShimEnv(const NodeContext& ctx) {
    if (!shim_) return std::vector<std::pair<std::string, std::string>>{};
    return clock::PrepareClockShim(ctx.remote, ctx.data_dir(), ctx.cluster.sudo);
  }

  // The Sentinel is a process of the node too: it runs on the node's clock.
  DaemonSpec SentinelSpec(const RedisNodeFiles& files, bool sudo,
                          const std::vector<std::pair<std::string, std::string>>& extra_env) const {
    DaemonSpec spec;
    spec.argv = {options_.sentinel_binary, files.sentinel_conf};
    spec.env = extra_env;
    spec.pidfile = files.sentinel_pid;
    spec.logfile = files.sentinel_log;
    spec.workdir = files.dir;
    spec.sudo = sudo;
    spec.min_uptime = milliseconds(100);
    return spec;
  }

  Status StopAndWipe(const NodeContext& ctx, const RedisNodeFiles& files) {
    for (const std::string* pid : {&files.sentinel_pid, &files.server_pid}) {
      Result<StopOutcome> stopped = StopDaemon(ctx.remote, *pid, KillNow(ctx));
      if (!stopped.ok()) return OnNode(ctx, "stopping redis", stopped.status());
    }
    return RemoveNodeDir(ctx, files.dir);
  }

  Status Signal(const NodeContext& ctx, const std::string& signal) {
    Result<RedisNodeFiles> files = DescribeRedisNode(options_, ctx);
    if (!files.ok()) return files.status();
    Status st = SignalDaemon(ctx.remote, files->server_pid, signal, ctx.cluster.sudo);
    if (!st.ok()) return OnNode(ctx, "sending SIG" + signal + " to redis-server", st);
    return Status::Ok();
  }

  Status Ping(const std::string& host, int port) {
    auto conn = options_.connector(host, port, kRedisProbeTimeouts);
    if (!conn.ok()) return conn.status();
    Result<RedisReply> r = (*conn)->Command({"PING"});
    if (!r.ok()) return r.status();
    if (r->str != "PONG") return Status::IoError("PING answered " + r->ToString());
    return Status::Ok();
  }

  // One health probe: "" when healthy, else what is missing.
  std::string Probe(const NodeContext& ctx, const RedisNodeFiles& files, bool healthy) {
    auto conn = options_.connector(files.host, files.ports.server, kRedisProbeTimeouts);
    if (!conn.ok()) return "redis-server: " + conn.status().ToString();
    Result<RedisReply> r = (*conn)->Command({"PING"});
    if (!r.ok()) return "redis-server: " + r.status().ToString();
    if (r->str != "PONG") return "redis-server: PING answered " + r->ToString();
    if (healthy && cluster()) {
      r = (*conn)->Command({"CLUSTER", "INFO"});
      if (!r.ok()) return "redis-server: " + r.status().ToString();
      if (r->str.find("cluster_state:ok") == std::string::npos ||
          r->str.find("cluster_known_nodes:" + std::to_string(ctx.cluster.nodes.size()) + "\r") ==
              std::string::npos) {
        return "cluster not ok yet";
      }
      return "";
    }
    if (!healthy || !sentinel()) return "";
    if (!files.initial_primary) {
      r = (*conn)->Command({"INFO", "replication"});
      if (!r.ok()) return "redis-server: " + r.status().ToString();
      if (r->str.find("master_link_status:up") == std::string::npos) {
        return "replica's link to the primary is not up yet";
      }
    }
    RedisEndpoint s{ctx.node.name, files.host, files.ports.sentinel};
    auto primary = AskSentinelForPrimary(options_.connector, s, options_.master_name,
                                         kRedisProbeTimeouts);
    if (!primary.ok()) return "sentinel: " + primary.status().ToString();
    return "";
  }

  Status Await(const NodeContext& ctx, const RedisNodeFiles& files, bool healthy,
               milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    auto next_liveness_check = Clock::now() + milliseconds(1000);
    std::string last;
    for (;;) {
      last = Probe(ctx, files, healthy);
      if (last.empty()) return Status::Ok();
      if (Clock::now() >= next_liveness_check) {
        for (const auto& [pid, log, what] :
             {std::tuple{files.server_pid, files.server_log, "redis-server"},
              std::tuple{files.sentinel_pid, files.sentinel_log, "redis-sentinel"}}) {
          if (!healthy && pid == files.sentinel_pid) continue;
          if (pid == files.sentinel_pid && !sentinel()) continue;
          Result<bool> running = IsRunning(ctx.remote, pid, ctx.cluster.sudo);
          if (running.ok() && !*running) {
            return Status::IoError(std::string(what) + " on " + ctx.node.name +
                                   " exited while starting; " + NodeLogTail(ctx, log));
          }
        }
        next_liveness_check = Clock::now() + milliseconds(2000);
      }
      if (Clock::now() + kRedisProbeInterval >= deadline) break;
      std::this_thread::sleep_for(kRedisProbeInterval);
    }
    return Status::Timeout("redis on " + ctx.node.name + " did not " +
                           (healthy ? "become healthy" : "answer") + " within " + SecondsOneDecimal(limit) +
                           "; last probe: " + last + "; " + NodeLogTail(ctx, files.server_log));
  }

  RedisOptions options_;
  std::atomic<bool> shim_{false};  // set before Setup, read by every start
  std::mutex mu_;
  std::vector<NodeInfo> nodes_;  // the test's nodes, from Setup
};

}  // namespace

std::string RedisTargetName(RedisMode mode) {
  switch (mode) {
    case RedisMode::kSentinel: return "redis-sentinel";
    case RedisMode::kCluster: return "redis-cluster";
    case RedisMode::kPlain: return "redis";
  }
  return "redis";
}

DaemonSpec RedisServerSpec(const RedisOptions& options, const RedisNodeFiles& files, bool sudo,
                           const std::vector<std::pair<std::string, std::string>>& extra_env) {
  DaemonSpec spec;
  spec.argv = {options.server_binary, files.server_conf};
  spec.pidfile = files.server_pid;
  spec.logfile = files.server_log;
  spec.workdir = files.dir;
  spec.env = options.server_env;
  spec.env.insert(spec.env.end(), extra_env.begin(), extra_env.end());
  spec.sudo = sudo;
  spec.min_uptime = milliseconds(100);
  return spec;
}

Result<std::unique_ptr<Target>> MakeRedisTarget(RedisOptions options) {
  const std::string who = RedisTargetName(options.mode);
  if (options.server_binary.empty()) return Status::InvalidArgument(who + " option binary: empty");
  if (options.sentinel_binary.empty()) {
    return Status::InvalidArgument(who + " option sentinel_binary: empty");
  }
  const std::string& d = options.dir_name;
  if (d.empty() || d == "." || d == ".." || d.find('/') != std::string::npos) {
    return Status::InvalidArgument(who + " option dir_name: expected a plain directory name, got '" +
                                   d + "'");
  }
  if (options.master_name.empty() ||
      options.master_name.find_first_of(" \t\n\"") != std::string::npos) {
    return Status::InvalidArgument(who + " option master_name: expected a name without spaces, got '" +
                                   options.master_name + "'");
  }
  if (options.appendfsync != "always" && options.appendfsync != "everysec" &&
      options.appendfsync != "no") {
    return Status::InvalidArgument(who + " option appendfsync: expected always, everysec or no, got '" +
                                   options.appendfsync + "'");
  }
  if (options.save.find_first_not_of("0123456789 ") != std::string::npos) {
    return Status::InvalidArgument(who + " option save: expected \"<seconds> <changes> ...\" or \"\", got '" +
                                   options.save + "'");
  }
  if (Status st = ValidPortOption("redis", options.ports.server, "port"); !st.ok()) return st;
  if (Status st = ValidPortOption("redis", options.ports.sentinel, "sentinel_port"); !st.ok()) return st;
  for (const auto& [node, ports] : options.node_ports) {
    if (Status st = ValidPortOption("redis", ports.server, "node_ports." + node + ".port"); !st.ok()) return st;
    if (Status st = ValidPortOption("redis", ports.sentinel, "node_ports." + node + ".sentinel_port"); !st.ok())
      return st;
  }
  if (options.lock_ttl.count() <= 0) return Status::InvalidArgument(who + " option lock_ttl_ms: must be positive");
  return std::unique_ptr<Target>(std::make_unique<RedisTarget>(std::move(options)));
}

Result<RedisNodeFiles> DescribeRedisNode(const RedisOptions& options, const NodeContext& node) {
  std::string root = node.data_dir();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root[0] != '/') {
    return Status::InvalidArgument("data directory of " + node.node.name +
                                   " must be an absolute path, got '" + node.data_dir() + "'");
  }
  int index = -1;
  for (size_t i = 0; i < node.cluster.nodes.size(); ++i) {
    const NodeInfo& peer = node.cluster.nodes[i];
    if (peer.name.empty() || peer.host.empty()) {
      return Status::InvalidArgument("every node of a redis test needs a name and a host; got '" +
                                     peer.name + "' at '" + peer.host + "'");
    }
    if (peer.name == node.node.name) index = static_cast<int>(i);
  }
  if (index < 0) {
    return Status::InvalidArgument("node " + node.node.name + " is not one of the cluster's nodes");
  }
  RedisNodeFiles f;
  f.dir = (root == "/" ? "" : root) + "/" + options.dir_name;
  f.data_dir = f.dir + "/data";
  f.server_conf = f.dir + "/redis.conf";
  f.sentinel_conf = f.dir + "/sentinel.conf";
  f.server_log = f.dir + "/redis.log";
  f.sentinel_log = f.dir + "/sentinel.log";
  f.server_pid = f.dir + "/redis.pid";
  f.sentinel_pid = f.dir + "/sentinel.pid";
  f.host = node.node.host;
  f.ports = PortsOf(options, node.node.name);
  const bool sentinel = options.mode == RedisMode::kSentinel;
  f.initial_primary = sentinel && index == 0;
  f.first = index == 0;
  const NodeInfo& first = node.cluster.nodes[0];
  const RedisPorts first_ports = PortsOf(options, first.name);

  std::string& c = f.server_config;
  c += "# written by faultline; redis rewrites it on failover\n";
  c += "bind " + f.host + "\n";
  c += "port " + std::to_string(f.ports.server) + "\n";
  c += "protected-mode no\n";
  c += "daemonize no\n";
  c += "logfile \"\"\n";  // stdout: the daemon's log file
  c += "dir " + Quote(f.data_dir) + "\n";
  c += std::string("appendonly ") + (options.appendonly ? "yes" : "no") + "\n";
  c += "appendfsync " + options.appendfsync + "\n";
  c += "save " + Quote(options.save) + "\n";
  if (sentinel) {
    // Full syncs at once instead of after Redis' 5 s default delay.
    c += "repl-diskless-sync-delay 0\n";
    c += "min-replicas-to-write " + std::to_string(options.min_replicas_to_write) + "\n";
    c += "min-replicas-max-lag " + std::to_string(options.min_replicas_max_lag) + "\n";
    if (!f.initial_primary) {
      c += "replicaof " + first.host + " " + std::to_string(first_ports.server) + "\n";
    }
  }
  if (options.mode == RedisMode::kCluster) {
    c += "cluster-enabled yes\n";
    c += "cluster-config-file nodes.conf\n";  // in dir: Redis keeps it up to date
    c += "cluster-node-timeout " + std::to_string(options.cluster_node_timeout.count()) + "\n";
    c += "repl-diskless-sync-delay 0\n";
    c += "min-replicas-to-write " + std::to_string(options.min_replicas_to_write) + "\n";
    c += "min-replicas-max-lag " + std::to_string(options.min_replicas_max_lag) + "\n";
  }
  if (!sentinel) return f;

  const size_t n = node.cluster.nodes.size();
  const std::string m = options.master_name;
  std::string& s = f.sentinel_config;
  s += "# written by faultline; the sentinel rewrites it\n";
  s += "bind " + f.host + "\n";
  s += "port " + std::to_string(f.ports.sentinel) + "\n";
  s += "daemonize no\n";
  s += "logfile \"\"\n";
  s += "dir " + Quote(f.dir) + "\n";
  s += "sentinel myid " + SentinelId(static_cast<size_t>(index)) + "\n";
  s += "sentinel monitor " + m + " " + first.host + " " + std::to_string(first_ports.server) + " " +
       std::to_string(n / 2 + 1) + "\n";
  s += "sentinel down-after-milliseconds " + m + " " + std::to_string(options.down_after.count()) +
       "\n";
  s += "sentinel failover-timeout " + m + " " + std::to_string(options.failover_timeout.count()) +
       "\n";
  s += "sentinel parallel-syncs " + m + " 1\n";
  for (size_t i = 0; i < n; ++i) {
    const NodeInfo& peer = node.cluster.nodes[i];
    const RedisPorts p = PortsOf(options, peer.name);
    if (i != 0) {
      s += "sentinel known-replica " + m + " " + peer.host + " " + std::to_string(p.server) + "\n";
    }
    if (static_cast<int>(i) != index) {
      s += "sentinel known-sentinel " + m + " " + peer.host + " " + std::to_string(p.sentinel) +
           " " + SentinelId(i) + "\n";
    }
  }
  return f;
}

}  // namespace faultline
