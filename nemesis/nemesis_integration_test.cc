// Integration tests of the nemeses on a real local cluster (namespaces,
// iptables, sshd; see harness/cluster/local_cluster.h). Need root (skipped
// otherwise). Each test brings up its own 3-node cluster, named after the
// test, and always removes it: in TearDown, and from a watchdog should the
// test hang (it then exits the process).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "harness/cluster/cluster_plan.h"
#include "harness/cluster/local_cluster.h"
#include "harness/control/node_util.h"
#include "harness/control/nodes_file.h"
#include "harness/control/partition.h"
#include "nemesis/nemesis_factory.h"
#include "nemesis/packet_loss_nemesis.h"
#include "nemesis/partition_nemesis.h"
#include "nemesis/process_nemesis.h"

namespace faultline {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr auto kTestDeadline = seconds(150);

class Watchdog {
 public:
  Watchdog(std::string cluster, std::chrono::seconds deadline)
      : thread_([this, cluster, deadline] {
          std::unique_lock<std::mutex> lock(mu_);
          if (cv_.wait_for(lock, deadline, [this] { return done_; })) return;
          std::fprintf(stderr, "watchdog: test exceeded %lld s; removing cluster %s\n",
                       static_cast<long long>(deadline.count()), cluster.c_str());
          (void)cluster::LocalCluster().Down(cluster);
          std::_Exit(1);
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// A stand-in system: `sleep` as a daemon on every node, killed with SIGKILL
// and paused with SIGSTOP, as the etcd target does with etcd.
class SleeperTarget final : public Target, public Killable, public Pausable {
 public:
  std::string name() const override { return "sleeper"; }
  Status Setup(const NodeContext& node) override { return Start(node); }
  Status Teardown(const NodeContext& node) override {
    StopOptions options;
    options.grace = seconds(2);
    return StopDaemon(node.remote, Pidfile(), options).status();
  }
  Killable* killable() override { return this; }
  Pausable* pausable() override { return this; }

  Status Kill(const NodeContext& node) override {
    Status st = SignalDaemon(node.remote, Pidfile(), "KILL");
    return st.code() == Status::Code::kNotFound ? Status::Ok() : st;
  }
  Status Start(const NodeContext& node) override {
    DaemonSpec spec;
    spec.argv = {"sleep", "3600"};
    spec.pidfile = Pidfile();
    spec.logfile = std::string(cluster::kNodeDataDir) + "/sleeper/sleeper.log";
    return StartDaemon(node.remote, spec).status();
  }
  Status Pause(const NodeContext& node) override { return PauseDaemon(node.remote, Pidfile()); }
  Status Resume(const NodeContext& node) override { return ResumeDaemon(node.remote, Pidfile()); }

  static std::string Pidfile() {
    return std::string(cluster::kNodeDataDir) + "/sleeper/sleeper.pid";
  }
};

class NemesisIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "nemesis integration tests need root";
    std::string name = "it-nem-";
    for (char c : std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())) {
      name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    name_ = name.substr(0, 32);
    watchdog_ = std::make_unique<Watchdog>(name_, kTestDeadline);
    cluster::UpOptions options;
    options.name = name_;
    options.nodes = 3;
    auto state = cluster_.Up(options);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    auto file = ReadNodesFile(cluster_.Paths(name_).nodes_file().string());
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    for (const NodeSpec& spec : file->nodes) {
      auto remote = ConnectNode(spec);
      ASSERT_TRUE(remote.ok()) << remote.status().ToString();
      ctx_.remotes.push_back(*remote);
      ctx_.cluster.nodes.push_back(NodeInfo{spec.name, spec.host, ""});
    }
    ctx_.cluster.data_dir = cluster::kNodeDataDir;
    std::vector<NetNode> net_nodes;
    for (size_t i = 0; i < ctx_.remotes.size(); ++i) {
      net_nodes.push_back({ctx_.cluster.nodes[i].name, ctx_.cluster.nodes[i].host, ctx_.remotes[i]});
    }
    ctx_.cluster.net = MakeIptablesNet(std::move(net_nodes));
    ctx_.seed = 1;
    ctx_.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }

  void TearDown() override {
    ctx_.remotes.clear();
    ctx_.cluster.net = nullptr;
    if (!name_.empty()) {
      Status down = cluster_.Down(name_);
      EXPECT_TRUE(down.ok()) << down.ToString();
    }
    watchdog_.reset();
  }

  CommandResult Sh(int k, const std::string& script) {
    Command command = Command::Shell(script);
    command.timeout = seconds(20);
    auto result = ctx_.remotes.at(static_cast<size_t>(k - 1))->Run(command);
    EXPECT_TRUE(result.ok()) << "n" << k << ": " << script << ": " << result.status().ToString();
    return result.ok() ? *result : CommandResult{};
  }

  // True when node `from` (1-based) opens a TCP connection to node `to`'s sshd.
  bool TcpReachable(int from, int to) {
    const std::string& address = ctx_.cluster.nodes.at(static_cast<size_t>(to - 1)).host;
    return Sh(from, "timeout 2 bash -c 'exec 3<>/dev/tcp/" + address + "/22'").ok();
  }

  // How many of `tries` TCP connections from node `from` to node `to`'s sshd
  // open within half a second (a lost SYN is retried only after 1 s).
  int TcpConnects(int from, int to, int tries) {
    const std::string& address = ctx_.cluster.nodes.at(static_cast<size_t>(to - 1)).host;
    CommandResult r = Sh(from, "ok=0; for i in $(seq " + std::to_string(tries) +
                                   "); do timeout 0.5 bash -c 'exec 3<>/dev/tcp/" + address +
                                   "/22' 2>/dev/null && ok=$((ok+1)); done; echo $ok");
    return std::atoi(r.out.c_str());
  }

  Op Invoke(Nemesis& nemesis, const std::string& f, Json value = nullptr) {
    Op op;
    op.process = kNemesisProcess;
    op.f = f;
    op.value = std::move(value);
    return nemesis.Invoke(ctx_, op);
  }

  // The state letter of the sleeper on node k (R, S, T, ...), or "" when none runs.
  std::string SleeperState(int k) {
    return Sh(k, "p=$(cat " + SleeperTarget::Pidfile() +
                     " 2>/dev/null) && [ -n \"$p\" ] && ps -o stat= -p \"$p\" | cut -c1")
        .out;
  }

  std::string name_;
  cluster::LocalCluster cluster_;
  NemesisContext ctx_;
  std::unique_ptr<Watchdog> watchdog_;
};

TEST_F(NemesisIntegrationTest, IsolatingN1BlocksTcpAndHealRestoresIt) {
  auto nemesis = MakePartitionNemesis();
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  ASSERT_TRUE(TcpReachable(2, 1));
  Op cut = Invoke(*nemesis, kStartPartition,
                  Json::parse(R"({"grudge": {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}})"));
  ASSERT_EQ(cut.type, OpType::kOk) << cut.error.dump();
  EXPECT_FALSE(TcpReachable(2, 1));
  EXPECT_FALSE(TcpReachable(1, 3));
  EXPECT_TRUE(TcpReachable(2, 3));
  EXPECT_TRUE(TcpReachable(3, 2));

  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_TRUE(TcpReachable(2, 1));
  EXPECT_TRUE(TcpReachable(1, 3));

  // A random shape: reachability follows the grudge it reports.
  Op halves = Invoke(*nemesis, kStartPartition, "random-halves");
  ASSERT_EQ(halves.type, OpType::kOk) << halves.error.dump();
  for (int from = 1; from <= 3; ++from) {
    for (int to = 1; to <= 3; ++to) {
      if (from == to) continue;
      const Json& grudge = halves.value["grudge"];
      const std::string a = "n" + std::to_string(from), b = "n" + std::to_string(to);
      // A TCP handshake needs both directions.
      auto deaf = [&](const std::string& x, const std::string& y) {
        return grudge.contains(x) &&
               std::find(grudge[x].begin(), grudge[x].end(), y) != grudge[x].end();
      };
      EXPECT_EQ(TcpReachable(from, to), !deaf(a, b) && !deaf(b, a)) << a << " -> " << b;
    }
  }
  Op stop = Invoke(*nemesis, kStopPartition);
  ASSERT_EQ(stop.type, OpType::kOk);
  EXPECT_TRUE(TcpReachable(1, 2) && TcpReachable(2, 3) && TcpReachable(3, 1));

  ASSERT_TRUE(nemesis->Teardown(ctx_).ok());
  for (int k = 1; k <= 3; ++k) {
    EXPECT_NE(Sh(k, "iptables -w -S FAULTLINE").exit_status, 0) << "chain left on n" << k;
    EXPECT_THAT(Sh(k, "iptables -w -S INPUT").out, ::testing::Not(HasSubstr("FAULTLINE")));
  }
}

TEST_F(NemesisIntegrationTest, PacketLossLosesAShareOfConnectsAndHealEndsIt) {
  auto nemesis = MakePacketLossNemesis();
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  constexpr int kTries = 40;
  EXPECT_EQ(TcpConnects(1, 2, kTries), kTries);
  // n2 loses half of what n1 sends it: about half the SYNs, so about half
  // the connects miss the half-second deadline (binomial: 8..32 of 40 is
  // beyond 3.7 standard deviations either way).
  Op lossy = Invoke(*nemesis, kStartPacketLoss, Json::parse(R"({"rate":0.5,"links":{"n2":["n1"]}})"));
  ASSERT_EQ(lossy.type, OpType::kOk) << lossy.error.dump();
  EXPECT_THAT(Sh(2, "iptables -w -S FAULTLINE").out,
              HasSubstr("-m statistic --mode random --probability 0.5"));
  const int under_loss = TcpConnects(1, 2, kTries);
  std::fprintf(stderr, "packet loss 0.5: %d of %d connects n1 -> n2 opened\n", under_loss, kTries);
  EXPECT_GE(under_loss, 8);
  EXPECT_LE(under_loss, 32);
  EXPECT_EQ(TcpConnects(1, 3, 10), 10) << "n3 loses nothing";

  Op stop = Invoke(*nemesis, kStopPacketLoss);
  ASSERT_EQ(stop.type, OpType::kOk) << stop.error.dump();
  EXPECT_EQ(TcpConnects(1, 2, kTries), kTries);
  ASSERT_TRUE(nemesis->Teardown(ctx_).ok());
}

TEST_F(NemesisIntegrationTest, KillAndPauseRealProcessesThenHeal) {
  SleeperTarget target;
  ASSERT_TRUE(SetupAll(target, ctx_.remotes, ctx_.cluster).ok());
  ctx_.target = &target;
  auto nemesis = MakeNemesis({"kill", "pause"}, target);
  ASSERT_TRUE(nemesis.ok()) << nemesis.status().ToString();
  ASSERT_TRUE((*nemesis)->Setup(ctx_).ok());

  Op killed = Invoke(**nemesis, kKill, Json::parse(R"(["n2"])"));
  ASSERT_EQ(killed.type, OpType::kOk) << killed.error.dump();
  Op paused = Invoke(**nemesis, kPause, Json::parse(R"(["n3"])"));
  ASSERT_EQ(paused.type, OpType::kOk) << paused.error.dump();
  EXPECT_EQ(SleeperState(2), "");
  EXPECT_EQ(SleeperState(3), "T\n");
  EXPECT_NE(SleeperState(1), "");

  Status healed = (*nemesis)->Heal(ctx_);
  ASSERT_TRUE(healed.ok()) << healed.ToString();
  for (int k = 1; k <= 3; ++k) EXPECT_EQ(SleeperState(k), "S\n") << "n" << k;
  ASSERT_TRUE((*nemesis)->Teardown(ctx_).ok());
  EXPECT_TRUE(TeardownAll(target, ctx_.remotes, ctx_.cluster).ok());
}

}  // namespace
}  // namespace faultline
