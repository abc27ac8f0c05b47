// Integration test of the clock nemesis on a real local cluster: redis-server
// (Debian's, linked with jemalloc) started under the clock shim on two nodes,
// its `TIME` compared with this machine's clock while the nemesis bumps,
// strobes, heals and tears down. Needs root and redis-server (skipped
// otherwise). Brings up its own 2-node cluster "clk" and always removes it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "harness/cluster/cluster_plan.h"
#include "harness/cluster/local_cluster.h"
#include "harness/control/node_util.h"
#include "harness/control/nodes_file.h"
#include "nemesis/clock_nemesis.h"
#include "nemesis/clock_shim/clock_support.h"
#include "targets/redis_target.h"

namespace faultline {
namespace {

using std::chrono::seconds;

constexpr const char* kCluster = "clk";
constexpr int kPort = 6379;

// redis-server as a target that runs under the clock shim once enabled: the
// way a real target opts in (targets/target.h, ClockShimmable).
class ShimmedRedis final : public Target, public ClockShimmable {
 public:
  std::string name() const override { return "redis-under-shim"; }
  ClockShimmable* clock_shim() override { return this; }
  void EnableClockShim() override { shim_ = true; }

  Status Setup(const NodeContext& node) override { return Start(node); }
  Status Start(const NodeContext& node) {
    DaemonSpec spec;
    spec.argv = {"redis-server", "--bind", node.node.host, "--port", std::to_string(kPort),
                 "--save", "", "--appendonly", "no", "--protected-mode", "no"};
    spec.pidfile = Dir(node) + "/redis.pid";
    spec.logfile = Dir(node) + "/redis.log";
    if (shim_) {
      auto env = clock::PrepareClockShim(node.remote, node.data_dir(), node.cluster.sudo);
      if (!env.ok()) return env.status();
      spec.env = *env;
    }
    if (Result<int> pid = StartDaemon(node.remote, spec); !pid.ok()) return pid.status();
    return AwaitTcpPort(node.remote, node.node.host, kPort);
  }
  Status Stop(const NodeContext& node) {
    StopOptions options;
    options.grace = seconds(3);
    return StopDaemon(node.remote, Dir(node) + "/redis.pid", options).status();
  }
  Status Teardown(const NodeContext& node) override { return Stop(node); }

 private:
  static std::string Dir(const NodeContext& node) { return node.data_dir() + "/redis"; }
  bool shim_ = false;
};

class ClockIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "clock integration tests need root";
    if (std::system("command -v redis-server >/dev/null && command -v redis-cli >/dev/null") != 0) {
      GTEST_SKIP() << "needs redis-server and redis-cli";
    }
    cluster::UpOptions options;
    options.name = cluster_name_;
    options.nodes = 2;
    auto state = cluster_.Up(options);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    up_ = true;
    auto file = ReadNodesFile(cluster_.Paths(cluster_name_).nodes_file().string());
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    for (const NodeSpec& spec : file->nodes) {
      auto remote = ConnectNode(spec);
      ASSERT_TRUE(remote.ok()) << remote.status().ToString();
      ctx_.remotes.push_back(*remote);
      ctx_.cluster.nodes.push_back(NodeInfo{spec.name, spec.host, ""});
      hosts_.push_back(spec.host);
    }
    ctx_.cluster.data_dir = cluster::kNodeDataDir;
    ctx_.target = under_test_;
    ctx_.seed = 1;
    ctx_.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }

  void TearDown() override {
    if (!ctx_.remotes.empty()) (void)TeardownAll(*under_test_, ctx_.remotes, ctx_.cluster);
    ctx_.remotes.clear();
    if (up_) {
      Status down = cluster_.Down(cluster_name_);
      EXPECT_TRUE(down.ok()) << down.ToString();
    }
  }

  NodeContext Node(int k) {
    const size_t i = static_cast<size_t>(k - 1);
    return NodeContext{*ctx_.remotes[i], ctx_.cluster.nodes[i], ctx_.cluster};
  }

  // Redis's `TIME` on node k minus this machine's wall clock, in seconds.
  double Skew(int k) {
    const size_t i = static_cast<size_t>(k - 1);
    Command c = Command::Argv({"redis-cli", "-h", ctx_.cluster.nodes[i].host, "-p",
                               std::to_string(kPort), "TIME"});
    c.timeout = seconds(10);
    const auto before = std::chrono::system_clock::now();
    auto r = ctx_.remotes[i]->Run(c);
    const auto after = std::chrono::system_clock::now();
    EXPECT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->err : r.status().ToString());
    if (!r.ok() || !r->ok()) return 1e18;
    long long sec = 0, usec = 0;
    if (std::sscanf(r->out.c_str(), "%lld %lld", &sec, &usec) != 2) {
      ADD_FAILURE() << "redis TIME said: " << r->out;
      return 1e18;
    }
    const double here =
        std::chrono::duration<double>((before + (after - before) / 2).time_since_epoch()).count();
    return static_cast<double>(sec) + static_cast<double>(usec) / 1e6 - here;
  }

  Op Invoke(Nemesis& nemesis, const std::string& f, Json value = nullptr) {
    Op op;
    op.process = kNemesisProcess;
    op.f = f;
    op.value = std::move(value);
    return nemesis.Invoke(ctx_, op);
  }

  cluster::LocalCluster cluster_;
  bool up_ = false;
  ShimmedRedis target_;
  // What SetUp and TearDown drive: target_ unless a fixture below says else.
  Target* under_test_ = &target_;
  std::string cluster_name_ = kCluster;
  NemesisContext ctx_;
  std::vector<std::string> hosts_;
};

TEST_F(ClockIntegrationTest, RedisTimeFollowsBumpsStrobesAndHeals) {
  auto plan = ChooseClockMechanism(target_, hosts_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->mechanism, ClockMechanism::kShim);
  auto made = MakeClockNemesis(target_, *plan);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  Nemesis& nemesis = **made;
  ASSERT_TRUE(SetupAll(target_, ctx_.remotes, ctx_.cluster).ok());
  ASSERT_TRUE(nemesis.Setup(ctx_).ok());
  EXPECT_LT(std::abs(Skew(1)), 1.0);
  EXPECT_LT(std::abs(Skew(2)), 1.0);

  // A bump moves one node's Redis clock, live, and no other.
  Op bump = Invoke(nemesis, "bump", Json{{"n1", 120000}});
  ASSERT_EQ(bump.type, OpType::kOk) << bump.error.dump();
  EXPECT_EQ(bump.value, (Json{{"n1", 120000}}));
  EXPECT_NEAR(Skew(1), 120.0, 1.0);
  EXPECT_LT(std::abs(Skew(2)), 1.0);
  ASSERT_EQ(Invoke(nemesis, "bump", Json{{"n1", -3720000}}).type, OpType::kOk);
  EXPECT_NEAR(Skew(1), -3600.0, 1.0);

  // A restarted process takes up its node's skew (the offset file persists).
  ASSERT_TRUE(target_.Stop(Node(1)).ok());
  ASSERT_TRUE(target_.Start(Node(1)).ok());
  EXPECT_NEAR(Skew(1), -3600.0, 1.0);

  // A strobe on n2 shows both of its offsets; a Heal (what the runner does on
  // Ctrl-C or SIGTERM) cuts it short and leaves every clock true.
  auto strobe = std::async(std::launch::async, [&] {
    return Invoke(nemesis, "strobe",
                  Json{{"node", "n2"}, {"delta_ms", 60000}, {"period_ms", 100}, {"duration_ms", 30000}});
  });
  bool saw_true = false, saw_skewed = false;
  for (int i = 0; i < 40 && !(saw_true && saw_skewed); ++i) {
    const double s = Skew(2);
    saw_true |= std::abs(s) < 1.0;
    saw_skewed |= std::abs(s - 60.0) < 1.0;
    std::this_thread::sleep_for(std::chrono::milliseconds(37));
  }
  EXPECT_TRUE(saw_true);
  EXPECT_TRUE(saw_skewed);
  const auto heal_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(nemesis.Heal(ctx_).ok());
  Op strobed = strobe.get();
  EXPECT_LT(std::chrono::steady_clock::now() - heal_start, seconds(5));
  EXPECT_EQ(strobed.value["n2"]["interrupted"], true) << strobed.value.dump();
  EXPECT_LT(std::abs(Skew(1)), 1.0);
  EXPECT_LT(std::abs(Skew(2)), 1.0);

  // Teardown: no offset remains on any node.
  ASSERT_EQ(Invoke(nemesis, "bump", Json{{"n2", 5000}}).type, OpType::kOk);
  EXPECT_NEAR(Skew(2), 5.0, 1.0);
  ASSERT_TRUE(nemesis.Teardown(ctx_).ok());
  for (int k = 1; k <= 2; ++k) {
    auto paths = clock::LocateOnNode(*ctx_.remotes[static_cast<size_t>(k - 1)],
                                     cluster::kNodeDataDir, false);
    ASSERT_TRUE(paths.ok());
    auto offset = clock::GetOffset(*ctx_.remotes[static_cast<size_t>(k - 1)], *paths,
                                   clock::OffsetFile(cluster::kNodeDataDir), false);
    ASSERT_TRUE(offset.ok()) << offset.status().ToString();
    EXPECT_EQ(*offset, 0) << "n" << k;
    EXPECT_LT(std::abs(Skew(k)), 1.0) << "n" << k;
  }
}

// The real Redis target (the `redis` mode, as `faultline test --target redis
// --nemesis clock` runs it) opted in to the shim: Setup and a Start after a
// kill both run redis-server under it. Its own 2-node cluster "rc2".
class RedisTargetClockTest : public ClockIntegrationTest {
 protected:
  RedisTargetClockTest() {
    RedisOptions options;
    options.mode = RedisMode::kPlain;
    options.ports.server = kPort;
    auto made = MakeRedisTarget(options);
    if (made.ok()) redis_ = std::move(*made);
    under_test_ = redis_.get();
    cluster_name_ = "rc2";
  }
  std::unique_ptr<Target> redis_;
};

TEST_F(RedisTargetClockTest, SetupAndRestartRunUnderTheShim) {
  ASSERT_NE(redis_, nullptr);
  ASSERT_NE(redis_->clock_shim(), nullptr);
  auto plan = ChooseClockMechanism(*redis_, hosts_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->mechanism, ClockMechanism::kShim);
  auto made = MakeClockNemesis(*redis_, *plan);  // enables the shim
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  Nemesis& nemesis = **made;
  Status setup = SetupAll(*redis_, ctx_.remotes, ctx_.cluster);
  ASSERT_TRUE(setup.ok()) << setup.ToString();
  ASSERT_TRUE(nemesis.Setup(ctx_).ok());
  EXPECT_LT(std::abs(Skew(1)), 1.0);
  EXPECT_LT(std::abs(Skew(2)), 1.0);

  ASSERT_EQ(Invoke(nemesis, "bump", Json{{"n2", 90000}}).type, OpType::kOk);
  EXPECT_NEAR(Skew(2), 90.0, 1.0);
  EXPECT_LT(std::abs(Skew(1)), 1.0);

  // Kill and Start (the kill nemesis's path): the new process is under the
  // shim too, at its node's offset.
  ASSERT_NE(redis_->killable(), nullptr);
  ASSERT_TRUE(redis_->killable()->Kill(Node(2)).ok());
  Status started = redis_->killable()->Start(Node(2));
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_NEAR(Skew(2), 90.0, 1.0);

  ASSERT_TRUE(nemesis.Teardown(ctx_).ok());
  EXPECT_LT(std::abs(Skew(2)), 1.0);
}

}  // namespace
}  // namespace faultline
