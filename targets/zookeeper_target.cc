#include "targets/zookeeper_target.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <atomic>
#include <cstring>
#include <thread>
#include <utility>

#include "harness/control/node_util.h"
#include "nemesis/clock_shim/clock_support.h"
#include "targets/client.h"
#include "targets/target_util.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kZkProbeInterval{200};
constexpr milliseconds kProbeTimeout{1000};
constexpr milliseconds kZkStopGrace{5000};
constexpr char kMainClass[] = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

ZooKeeperPorts PortsOf(const ZooKeeperOptions& options, const std::string& node) {
  auto it = options.node_ports.find(node);
  return it == options.node_ports.end() ? options.ports : it->second;
}

std::string OneLine(std::string text, size_t limit = 200) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text.size() <= limit ? text : text.substr(0, limit) + "...";
}

class ZooKeeperTarget final : public Target,
                              public Killable,
                              public Pausable,
                              public HasLogFiles,
                              public HasPrimaries,
                              public ClockShimmable,
                              public RegisterClientFactory,
                              public SetClientFactory,
                              public LockClientFactory {
 public:
  explicit ZooKeeperTarget(ZooKeeperOptions options) : options_(std::move(options)) {
    if (!options_.four_letter) options_.four_letter = SendFourLetterWord;
    options_.client.endpoint = [options = options_](const NodeInfo& node) {
      return node.host + ":" + std::to_string(PortsOf(options, node.name).client);
    };
  }

  std::string name() const override { return "zookeeper"; }

  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }
  HasLogFiles* log_files() override { return this; }
  HasPrimaries* primaries() override { return this; }
  // The JVM reads the wall clock through libc (System.currentTimeMillis).
  ClockShimmable* clock_shim() override { return this; }
  void EnableClockShim() override { shim_ = true; }
  RegisterClientFactory* register_clients() override { return this; }
  SetClientFactory* set_clients() override { return this; }
  LockClientFactory* lock_clients() override { return this; }

  Status Setup(const NodeContext& ctx) override {
    Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
    if (!member.ok()) return member.status();
    if (!options_.package.empty()) {
      Result<std::vector<std::string>> installed = EnsurePackages(ctx.remote, {options_.package});
      if (!installed.ok()) {
        return OnNode(ctx, "installing " + options_.package, installed.status());
      }
    }
    if (Status st = StopAndWipe(ctx, *member); !st.ok()) return st;
    const bool sudo = ctx.cluster.sudo;
    if (Status st = MakeDirs(ctx.remote, member->data_dir, sudo); !st.ok()) {
      return OnNode(ctx, "creating " + member->data_dir, st);
    }
    if (Status st = WriteFileAtomic(ctx.remote, member->config_file, member->config, 0644, sudo);
        !st.ok()) {
      return OnNode(ctx, "writing " + member->config_file, st);
    }
    if (Status st = WriteFileAtomic(ctx.remote, member->myid_file,
                                    std::to_string(member->id) + "\n", 0644, sudo);
        !st.ok()) {
      return OnNode(ctx, "writing " + member->myid_file, st);
    }
    Result<DaemonSpec> spec = Spec(ctx, *member);
    if (!spec.ok()) return OnNode(ctx, "preparing the clock shim", spec.status());
    Result<int> pid = StartDaemon(ctx.remote, *spec);
    if (!pid.ok()) return OnNode(ctx, "starting zookeeper", pid.status());
    return Await(ctx, *member, /*require_quorum=*/true, options_.setup_deadline);
  }

  Status Teardown(const NodeContext& ctx) override {
    Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
    if (!member.ok()) return member.status();
    return StopAndWipe(ctx, *member);
  }

  Status Kill(const NodeContext& ctx) override {
    Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
    if (!member.ok()) return member.status();
    Result<StopOutcome> r = StopDaemon(ctx.remote, member->pid_file, KillOptions(ctx));
    if (!r.ok()) return OnNode(ctx, "killing zookeeper", r.status());
    return Status::Ok();
  }

  Status Start(const NodeContext& ctx) override {
    Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
    if (!member.ok()) return member.status();
    Result<DaemonSpec> spec = Spec(ctx, *member);
    if (!spec.ok()) return OnNode(ctx, "preparing the clock shim", spec.status());
    Result<int> pid = StartDaemon(ctx.remote, *spec);
    if (!pid.ok()) return OnNode(ctx, "restarting zookeeper", pid.status());
    return Await(ctx, *member, /*require_quorum=*/false, options_.start_deadline);
  }

  Status Pause(const NodeContext& ctx) override { return Signal(ctx, "STOP"); }
  Status Resume(const NodeContext& ctx) override { return Signal(ctx, "CONT"); }

  Result<std::vector<std::string>> LogFiles(const NodeContext& ctx) override {
    Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
    if (!member.ok()) return member.status();
    return std::vector<std::string>{member->log_file, member->config_file};
  }

  Result<std::vector<std::string>> Primaries(const std::vector<NodeContext>& nodes) override {
    std::vector<std::string> leaders;
    std::string errors;
    int answered = 0;
    for (const NodeContext& ctx : nodes) {
      Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
      if (!member.ok()) return member.status();
      Result<std::string> srvr =
          options_.four_letter(member->host, member->client_port, "srvr", kProbeTimeout);
      if (!srvr.ok()) {
        errors += (errors.empty() ? "" : "; ") + ctx.node.name + ": " + srvr.status().ToString();
        continue;
      }
      ++answered;
      const std::string mode = ZooKeeperMode(*srvr);
      if (mode == "leader" || mode == "standalone") leaders.push_back(ctx.node.name);
    }
    if (answered == 0 && !nodes.empty()) {
      return Status::Unreachable("no zookeeper server answered srvr: " + errors);
    }
    return leaders;
  }

  std::unique_ptr<Client> NewRegisterClient() override {
    return MakeZooKeeperRegisterClient(options_.client);
  }
  std::unique_ptr<Client> NewSetClient() override { return MakeZooKeeperSetClient(options_.client); }
  std::unique_ptr<Client> NewLockClient() override {
    return MakeZooKeeperLockClient(options_.client);
  }

 private:

  static StopOptions KillOptions(const NodeContext& ctx) {
    StopOptions stop;
    stop.signal = "KILL";
    stop.grace = kZkStopGrace;
    stop.sudo = ctx.cluster.sudo;
    return stop;
  }

  // The JVM is started directly (argv[0] is java, no wrapper script), so the
  // clock shim's environment, when enabled, reaches the java process itself.
  // Prepared on every start: the offset file lives outside member.dir (the
  // wipe keeps it), and a restarted server takes up its node's current skew.
  Result<DaemonSpec> Spec(const NodeContext& ctx, const ZooKeeperMember& member) {
    DaemonSpec spec;
    spec.argv = member.argv;
    spec.pidfile = member.pid_file;
    spec.logfile = member.log_file;
    spec.workdir = member.dir;
    spec.sudo = ctx.cluster.sudo;
    if (shim_) {
      auto env = clock::PrepareClockShim(ctx.remote, ctx.data_dir(), ctx.cluster.sudo);
      if (!env.ok()) return env.status();
      spec.env = *env;
    }
    return spec;
  }

  // Its data is wiped right after, so there is nothing to shut down cleanly.
  Status StopAndWipe(const NodeContext& ctx, const ZooKeeperMember& member) {
    Result<StopOutcome> stopped = StopDaemon(ctx.remote, member.pid_file, KillOptions(ctx));
    if (!stopped.ok()) return OnNode(ctx, "stopping zookeeper", stopped.status());
    return RemoveNodeDir(ctx, member.dir);
  }

  Status Signal(const NodeContext& ctx, const std::string& signal) {
    Result<ZooKeeperMember> member = DescribeZooKeeperMember(options_, ctx);
    if (!member.ok()) return member.status();
    Status st = SignalDaemon(ctx.remote, member->pid_file, signal, ctx.cluster.sudo);
    if (!st.ok()) return OnNode(ctx, "sending SIG" + signal + " to zookeeper", st);
    return Status::Ok();
  }

  // Polls the server from the controller until `srvr` names a mode (it is in
  // a quorum with a leader) or, without `require_quorum`, `ruok` answers
  // imok. Gives up early when the JVM has died.
  Status Await(const NodeContext& ctx, const ZooKeeperMember& member, bool require_quorum,
               milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    const char* word = require_quorum ? "srvr" : "ruok";
    std::string last;
    auto next_liveness_check = Clock::now() + milliseconds(1000);
    for (;;) {
      Result<std::string> r =
          options_.four_letter(member.host, member.client_port, word, kProbeTimeout);
      if (r.ok()) {
        if (require_quorum ? !ZooKeeperMode(*r).empty() : r->rfind("imok", 0) == 0) {
          return Status::Ok();
        }
        last = "'" + OneLine(*r) + "'";
      } else {
        last = r.status().ToString();
      }
      if (Clock::now() >= next_liveness_check) {
        Result<bool> running = IsRunning(ctx.remote, member.pid_file, ctx.cluster.sudo);
        if (running.ok() && !*running) {
          return Status::IoError("zookeeper on " + ctx.node.name + " exited while starting; " +
                                 NodeLogTail(ctx, member.log_file));
        }
        next_liveness_check = Clock::now() + milliseconds(2000);
      }
      if (Clock::now() + kZkProbeInterval >= deadline) break;
      std::this_thread::sleep_for(kZkProbeInterval);
    }
    return Status::Timeout("zookeeper on " + ctx.node.name + " (" + member.host + ":" +
                           std::to_string(member.client_port) + ") did not " +
                           (require_quorum ? "join a quorum with a leader" : "answer ruok") +
                           " within " + SecondsOneDecimal(limit) + "; last " + word + " answer: " + last +
                           "; " + NodeLogTail(ctx, member.log_file));
  }

  ZooKeeperOptions options_;
  std::atomic<bool> shim_{false};  // set before Setup, read by every start
};

Status ValidPorts(const ZooKeeperPorts& p, const std::string& prefix) {
  if (Status st = ValidPortOption("zookeeper", p.client, prefix + "client"); !st.ok()) return st;
  if (Status st = ValidPortOption("zookeeper", p.quorum, prefix + "quorum"); !st.ok()) return st;
  return ValidPortOption("zookeeper", p.election, prefix + "election");
}

bool PlainName(const std::string& d) {
  return !d.empty() && d != "." && d != ".." && d.find('/') == std::string::npos;
}

}  // namespace

Result<std::unique_ptr<Target>> MakeZooKeeperTarget(ZooKeeperOptions options) {
  if (options.java.empty()) return Status::InvalidArgument("zookeeper option java: empty");
  if (options.classpath.empty()) return Status::InvalidArgument("zookeeper option classpath: empty");
  if (!PlainName(options.dir_name)) {
    return Status::InvalidArgument(
        "zookeeper option dir_name: expected a plain directory name, got '" + options.dir_name +
        "'");
  }
  if (Status st = ValidPorts(options.ports, "ports."); !st.ok()) return st;
  for (const auto& [node, ports] : options.node_ports) {
    if (Status st = ValidPorts(ports, "node_ports." + node + "."); !st.ok()) return st;
  }
  if (options.tick_time_ms < 1 || options.init_limit < 1 || options.sync_limit < 1) {
    return Status::InvalidArgument(
        "zookeeper options tick_time_ms, init_limit and sync_limit must be at least 1");
  }
  if (options.heap_mb < 16) {
    return Status::InvalidArgument("zookeeper option heap_mb: expected at least 16, got " +
                                   std::to_string(options.heap_mb));
  }
  for (const std::string& line : options.extra_config) {
    if (line.find('=') == std::string::npos || line.find('\n') != std::string::npos) {
      return Status::InvalidArgument(
          "zookeeper option extra_config: expected one \"key=value\" line per item, got '" + line +
          "'");
    }
  }
  if (Status st = ValidateZooKeeperClientOptions(options.client); !st.ok()) return st;
  return std::unique_ptr<Target>(std::make_unique<ZooKeeperTarget>(std::move(options)));
}

Result<ZooKeeperMember> DescribeZooKeeperMember(const ZooKeeperOptions& options,
                                                const NodeContext& node) {
  std::string root = node.data_dir();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root[0] != '/') {
    return Status::InvalidArgument("data directory of " + node.node.name +
                                   " must be an absolute path, got '" + node.data_dir() + "'");
  }
  ZooKeeperMember m;
  std::string servers;
  for (size_t i = 0; i < node.cluster.nodes.size(); ++i) {
    const NodeInfo& peer = node.cluster.nodes[i];
    if (peer.name.empty() || peer.host.empty()) {
      return Status::InvalidArgument(
          "every node of a zookeeper ensemble needs a name and a host; got '" + peer.name +
          "' at '" + peer.host + "'");
    }
    const ZooKeeperPorts p = PortsOf(options, peer.name);
    const int id = static_cast<int>(i) + 1;
    if (peer.name == node.node.name) m.id = id;
    servers += "server." + std::to_string(id) + "=" + peer.host + ":" + std::to_string(p.quorum) +
               ":" + std::to_string(p.election) + "\n";
  }
  if (m.id == 0) {
    return Status::InvalidArgument("node " + node.node.name + " is not one of the cluster's nodes");
  }
  const ZooKeeperPorts ports = PortsOf(options, node.node.name);
  m.dir = (root == "/" ? "" : root) + "/" + options.dir_name;
  m.data_dir = m.dir + "/data";
  m.config_file = m.dir + "/zoo.cfg";
  m.myid_file = m.data_dir + "/myid";
  m.log_file = m.dir + "/zookeeper.log";
  m.pid_file = m.dir + "/zookeeper.pid";
  m.host = node.node.host;
  m.client_port = ports.client;
  m.config =
      "# written by faultline for " + node.node.name + "\n"
      "tickTime=" + std::to_string(options.tick_time_ms) + "\n"
      "initLimit=" + std::to_string(options.init_limit) + "\n"
      "syncLimit=" + std::to_string(options.sync_limit) + "\n"
      "dataDir=" + m.data_dir + "\n"
      "clientPort=" + std::to_string(ports.client) + "\n"
      // Every client is the controller: no per-address connection limit.
      "maxClientCnxns=0\n"
      "4lw.commands.whitelist=ruok,srvr,stat,mntr\n"
      // Its HTTP port (8080) would clash between members sharing a host.
      "admin.enableServer=false\n"
      // A member killed before its first snapshot must start again.
      "snapshot.trust.empty=true\n"
      // Election connections to a cut-off peer give up after 1 s, not 5 s.
      "cnxTimeout=1000\n" +
      servers;
  for (const std::string& line : options.extra_config) m.config += line + "\n";
  m.argv = {options.java,
            "-Xmx" + std::to_string(options.heap_mb) + "m",
            "-Xms32m",
            "-XX:+UseSerialGC",
            "-Djava.net.preferIPv4Stack=true",
            "-Dzookeeper.snapshot.trust.empty=true",
            // Election rounds back off up to 60 s by default, so a member cut
            // off for a while would rejoin long after the heal.
            "-Dzookeeper.fastleader.maxNotificationInterval=2000",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ"};
  m.argv.insert(m.argv.end(), options.jvm_args.begin(), options.jvm_args.end());
  m.argv.insert(m.argv.end(), {"-cp", options.classpath, kMainClass, m.config_file});
  return m;
}

Result<std::string> SendFourLetterWord(const std::string& host, int port, const std::string& word,
                                       milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto left_ms = [&]() {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(left < 0 ? 0 : left);
  };
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return Status::Unreachable("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return Status::IoError(std::string("socket: ") + std::strerror(errno));
  }
  int rc = connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  auto fail = [fd](Status st) -> Result<std::string> {
    close(fd);
    return st;
  };
  if (rc != 0 && errno != EINPROGRESS) {
    return fail(Status::Unreachable("connecting to " + where + ": " + std::strerror(errno)));
  }
  pollfd p{fd, POLLOUT, 0};
  if (rc != 0) {
    if (poll(&p, 1, left_ms()) <= 0) {
      return fail(Status::Timeout("connecting to " + where + " timed out"));
    }
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      return fail(Status::Unreachable("connecting to " + where + ": " + std::strerror(error)));
    }
  }
  if (send(fd, word.data(), word.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(word.size())) {
    return fail(Status::IoError("sending " + word + " to " + where + ": " + std::strerror(errno)));
  }
  std::string answer;
  char buffer[4096];
  for (;;) {
    p = {fd, POLLIN, 0};
    const int ready = poll(&p, 1, left_ms());
    if (ready <= 0) {
      return fail(Status::Timeout(word + " to " + where + " got no complete answer in time"));
    }
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      // A reset after the answer still leaves the answer.
      if (!answer.empty()) break;
      return fail(Status::IoError("reading " + word + " from " + where + ": " +
                                  std::strerror(errno)));
    }
    answer.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

}  // namespace faultline
