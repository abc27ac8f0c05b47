#include "targets/etcd_target.h"

#include <cstdio>
#include <random>
#include <thread>
#include <utility>

#include "harness/control/node_util.h"
#include "targets/client.h"
#include "targets/etcd_client.h"
#include "targets/etcd_set_lock.h"
#include "targets/target_util.h"

namespace faultline {
namespace {

EtcdOptions WithFreshToken(EtcdOptions options) {
  std::random_device random;
  char nonce[20];
  std::snprintf(nonce, sizeof nonce, "-%08x%08x", random(), random());
  options.cluster_token += nonce;
  return options;
}

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kEtcdProbeInterval{250};
constexpr milliseconds kEtcdStopGrace{5000};
// Health probes and status calls: short, the caller loops.
constexpr HttpTimeouts kEtcdProbeTimeouts{milliseconds(1000), milliseconds(2000)};

EtcdPorts PortsOf(const EtcdOptions& options, const std::string& node) {
  auto it = options.node_ports.find(node);
  return it == options.node_ports.end() ? options.ports : it->second;
}

class EtcdTarget final : public Target,
                         public Killable,
                         public Pausable,
                         public HasLogFiles,
                         public HasPrimaries,
                         public RegisterClientFactory,
                         public SetClientFactory,
                         public LockClientFactory {
 public:
  // Each target (one per test) bootstraps a cluster of its own: a member set
  // up from scratch must never join an ensemble an earlier test left running
  // (a controller killed mid-test leaves its members up; setups run on all
  // nodes at once, so a new member can start before an old peer is stopped,
  // and etcd would then refuse it as "already bootstrapped").
  explicit EtcdTarget(EtcdOptions options) : options_(WithFreshToken(std::move(options))) {}

  std::string name() const override { return "etcd"; }

  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }
  HasLogFiles* log_files() override { return this; }
  HasPrimaries* primaries() override { return this; }
  RegisterClientFactory* register_clients() override { return this; }
  SetClientFactory* set_clients() override { return this; }
  LockClientFactory* lock_clients() override { return this; }

  Status Setup(const NodeContext& ctx) override {
    Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
    if (!member.ok()) return member.status();
    if (!options_.package.empty()) {
      Result<std::vector<std::string>> installed = EnsurePackages(ctx.remote, {options_.package});
      if (!installed.ok())
        return OnNode(ctx, "installing " + options_.package, installed.status());
    }
    if (Status st = StopAndWipe(ctx, *member); !st.ok()) return st;
    if (Status st = MakeDirs(ctx.remote, member->dir, ctx.cluster.sudo); !st.ok()) return st;
    Result<int> pid = StartDaemon(ctx.remote, Spec(*member, ctx.cluster.sudo));
    if (!pid.ok()) return OnNode(ctx, "starting etcd", pid.status());
    return AwaitServing(ctx, *member, /*require_healthy=*/true, options_.setup_deadline);
  }

  Status Teardown(const NodeContext& ctx) override {
    Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
    if (!member.ok()) return member.status();
    return StopAndWipe(ctx, *member);
  }

  Status Kill(const NodeContext& ctx) override {
    Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
    if (!member.ok()) return member.status();
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = kEtcdStopGrace;
    stop.sudo = ctx.cluster.sudo;
    Result<StopOutcome> r = StopDaemon(ctx.remote, member->pid_file, stop);
    if (!r.ok()) return OnNode(ctx, "killing etcd", r.status());
    return Status::Ok();
  }

  Status Start(const NodeContext& ctx) override {
    Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
    if (!member.ok()) return member.status();
    Result<int> pid = StartDaemon(ctx.remote, Spec(*member, ctx.cluster.sudo));
    if (!pid.ok()) return OnNode(ctx, "restarting etcd", pid.status());
    return AwaitServing(ctx, *member, /*require_healthy=*/false, options_.start_deadline);
  }

  Status Pause(const NodeContext& ctx) override { return Signal(ctx, "STOP"); }
  Status Resume(const NodeContext& ctx) override { return Signal(ctx, "CONT"); }

  Result<std::vector<std::string>> LogFiles(const NodeContext& ctx) override {
    Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
    if (!member.ok()) return member.status();
    return std::vector<std::string>{member->log_file};
  }

  Result<std::vector<std::string>> Primaries(const std::vector<NodeContext>& nodes) override {
    std::vector<std::string> leaders;
    std::string errors;
    int answered = 0;
    for (const NodeContext& ctx : nodes) {
      Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
      if (!member.ok()) return member.status();
      std::unique_ptr<HttpTransport> transport = MakeTransport(kEtcdProbeTimeouts);
      Result<HttpResponse> r = transport->Post(member->client_url + "/v3/maintenance/status", "{}");
      Json body = r.ok() ? Json::parse(r->body, nullptr, false) : Json();
      if (!r.ok() || r->status != 200 || !body.is_object()) {
        errors += (errors.empty() ? "" : "; ") + ctx.node.name + ": " +
                  (r.ok() ? "status " + std::to_string(r->status) : r.status().ToString());
        continue;
      }
      ++answered;
      const Json member_id = body.contains("header") && body["header"].is_object()
                                 ? body["header"].value("member_id", Json())
                                 : Json();
      const Json leader = body.value("leader", Json());
      if (!member_id.is_null() && member_id == leader) leaders.push_back(ctx.node.name);
    }
    if (answered == 0 && !nodes.empty()) {
      return Status::Unreachable("no etcd member answered a status request: " + errors);
    }
    return leaders;
  }

  std::unique_ptr<Client> NewRegisterClient() override {
    return MakeEtcdRegisterClient(ClientOptions());
  }
  std::unique_ptr<Client> NewSetClient() override { return MakeEtcdSetClient(ClientOptions()); }
  std::unique_ptr<Client> NewLockClient() override {
    return MakeEtcdLockClient(ClientOptions(), options_.lock);
  }

  EtcdClientOptions ClientOptions() const {
    EtcdClientOptions client;
    client.key_prefix = options_.key_prefix;
    client.timeouts = options_.client_timeouts;
    client.make_transport = options_.make_transport;
    client.endpoint = [options = options_](const NodeInfo& node) {
      return HttpUrl(node.host, PortsOf(options, node.name).client);
    };
    return client;
  }

 private:

  std::unique_ptr<HttpTransport> MakeTransport(const HttpTimeouts& timeouts) const {
    return options_.make_transport ? options_.make_transport(timeouts)
                                   : MakeCurlTransport(timeouts);
  }

  static DaemonSpec Spec(const EtcdMember& member, bool sudo) {
    DaemonSpec spec;
    spec.argv = member.argv;
    spec.pidfile = member.pid_file;
    spec.logfile = member.log_file;
    spec.workdir = member.dir;
    spec.sudo = sudo;
    return spec;
  }

  // Its data is wiped right after, so a graceful stop (which can take
  // seconds while a leader tries to hand over) buys nothing.
  Status StopAndWipe(const NodeContext& ctx, const EtcdMember& member) {
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = kEtcdStopGrace;
    stop.sudo = ctx.cluster.sudo;
    Result<StopOutcome> stopped = StopDaemon(ctx.remote, member.pid_file, stop);
    if (!stopped.ok()) return OnNode(ctx, "stopping etcd", stopped.status());
    return RemoveNodeDir(ctx, member.dir);
  }

  Status Signal(const NodeContext& ctx, const std::string& signal) {
    Result<EtcdMember> member = DescribeEtcdMember(options_, ctx);
    if (!member.ok()) return member.status();
    Status st = SignalDaemon(ctx.remote, member->pid_file, signal, ctx.cluster.sudo);
    if (!st.ok()) return OnNode(ctx, "sending SIG" + signal + " to etcd", st);
    return Status::Ok();
  }

  // Polls <client url>/health from the controller until etcd answers (any
  // HTTP answer, or {"health":"true"} when `require_healthy`). Gives up early
  // when the daemon has died.
  Status AwaitServing(const NodeContext& ctx, const EtcdMember& member, bool require_healthy,
                      milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    std::unique_ptr<HttpTransport> transport = MakeTransport(kEtcdProbeTimeouts);
    std::string last;
    auto next_liveness_check = Clock::now() + milliseconds(1000);
    for (;;) {
      Result<HttpResponse> r = transport->Get(member.client_url + "/health");
      if (r.ok()) {
        if (!require_healthy) return Status::Ok();
        Json body = Json::parse(r->body, nullptr, false);
        if (r->status == 200 && body.is_object() && body.value("health", Json()) == "true") {
          return Status::Ok();
        }
        last = "status " + std::to_string(r->status) + " " + r->body;
      } else {
        last = r.status().ToString();
      }
      if (Clock::now() >= next_liveness_check) {
        Result<bool> running = IsRunning(ctx.remote, member.pid_file, ctx.cluster.sudo);
        if (running.ok() && !*running) {
          return Status::IoError("etcd on " + ctx.node.name + " exited while starting; " +
                                 NodeLogTail(ctx, member.log_file));
        }
        next_liveness_check = Clock::now() + milliseconds(2000);
      }
      if (Clock::now() + kEtcdProbeInterval >= deadline) break;
      std::this_thread::sleep_for(kEtcdProbeInterval);
    }
    return Status::Timeout("etcd on " + ctx.node.name + " (" + member.client_url + ") did not " +
                           (require_healthy ? "become healthy" : "answer") + " within " +
                           SecondsOneDecimal(limit) + "; last probe: " + last + "; " + NodeLogTail(ctx, member.log_file));
  }

  const EtcdOptions options_;
};

}  // namespace

Result<std::unique_ptr<Target>> MakeEtcdTarget(EtcdOptions options) {
  if (options.binary.empty()) return Status::InvalidArgument("etcd option binary: empty");
  if (options.cluster_token.empty()) {
    return Status::InvalidArgument("etcd option cluster_token: empty");
  }
  const std::string& d = options.dir_name;
  if (d.empty() || d == "." || d == ".." || d.find('/') != std::string::npos) {
    return Status::InvalidArgument("etcd option dir_name: expected a plain directory name, got '" +
                                   d + "'");
  }
  if (Status st = ValidPortOption("etcd", options.ports.client, "ports.client"); !st.ok()) return st;
  if (Status st = ValidPortOption("etcd", options.ports.peer, "ports.peer"); !st.ok()) return st;
  for (const auto& [node, ports] : options.node_ports) {
    if (Status st = ValidPortOption("etcd", ports.client, "node_ports." + node + ".client"); !st.ok()) return st;
    if (Status st = ValidPortOption("etcd", ports.peer, "node_ports." + node + ".peer"); !st.ok()) return st;
  }
  return std::unique_ptr<Target>(std::make_unique<EtcdTarget>(std::move(options)));
}

Result<EtcdMember> DescribeEtcdMember(const EtcdOptions& options, const NodeContext& node) {
  std::string root = node.data_dir();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root[0] != '/') {
    return Status::InvalidArgument("data directory of " + node.node.name +
                                   " must be an absolute path, got '" + node.data_dir() + "'");
  }
  bool listed = false;
  std::string initial_cluster;
  for (const NodeInfo& peer : node.cluster.nodes) {
    listed = listed || peer.name == node.node.name;
    if (peer.name.empty() || peer.host.empty()) {
      return Status::InvalidArgument(
          "every node of an etcd cluster needs a name and a host; got '" + peer.name + "' at '" +
          peer.host + "'");
    }
    initial_cluster += (initial_cluster.empty() ? "" : ",") + peer.name + "=" +
                       HttpUrl(peer.host, PortsOf(options, peer.name).peer);
  }
  if (!listed) {
    return Status::InvalidArgument("node " + node.node.name + " is not one of the cluster's nodes");
  }
  const EtcdPorts ports = PortsOf(options, node.node.name);
  EtcdMember m;
  m.dir = (root == "/" ? "" : root) + "/" + options.dir_name;
  m.data_dir = m.dir + "/data";
  m.log_file = m.dir + "/etcd.log";
  m.pid_file = m.dir + "/etcd.pid";
  m.client_url = HttpUrl(node.node.host, ports.client);
  const std::string peer_url = HttpUrl(node.node.host, ports.peer);
  const std::pair<const char*, std::string> flags[] = {
      {"--name", node.node.name},
      {"--data-dir", m.data_dir},
      {"--listen-client-urls", m.client_url},
      {"--advertise-client-urls", m.client_url},
      {"--listen-peer-urls", peer_url},
      {"--initial-advertise-peer-urls", peer_url},
      {"--initial-cluster", initial_cluster},
      {"--initial-cluster-state", "new"},
      {"--initial-cluster-token", options.cluster_token},
      {"--logger", "zap"},
      {"--log-outputs", "stderr"},  // the daemon's log file
  };
  m.argv = {options.binary};
  for (const auto& [flag, value] : flags) {
    m.argv.push_back(flag);
    m.argv.push_back(value);
  }
  m.argv.insert(m.argv.end(), options.extra_args.begin(), options.extra_args.end());
  return m;
}

}  // namespace faultline
