// Real Redis servers and Sentinels on loopback (distinct ports per node, one
// data directory each under a temporary directory), driven through
// LocalRemote: setup, register and set ops, failover after the primary is
// killed, restart, pause, log files, teardown; and the lock clients on
// independent instances. Skipped when redis-server is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "harness/control/local_remote.h"
#include "targets/client.h"
#include "targets/redis_target.h"
#include "targets/testing/recorder.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::vector<int> FreePorts(int count) {
  std::vector<int> sockets, ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot find a free port";
      break;
    }
    sockets.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : sockets) close(fd);
  return ports;
}

// True when `port` on 127.0.0.1 can be bound now.
bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) close(fd);
  return free;
}

bool AnyProcessMentions(const std::string& text) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos) return true;
  }
  return false;
}

class RedisIntegrationTest : public ::testing::Test {
 protected:
  void Make(RedisMode mode, int nodes) {
    if (access("/usr/bin/redis-server", X_OK) != 0 ||
        (mode == RedisMode::kSentinel && access("/usr/bin/redis-sentinel", X_OK) != 0)) {
      GTEST_SKIP() << "redis-server / redis-sentinel not installed (scripts/install-deps.sh)";
    }
    char dir[] = "/tmp/faultline-redis-it-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::vector<int> ports;
    // Redis Cluster also listens on port + 10000 (its bus): pick ports whose
    // bus port is free too.
    for (int tries = 0; tries < 50 && ports.size() < static_cast<size_t>(2 * nodes); ++tries) {
      for (int p : FreePorts(2)) {
        if (p + 10000 <= 65535 && PortFree(p + 10000) &&
            std::find(ports.begin(), ports.end(), p) == ports.end() &&
            ports.size() < static_cast<size_t>(2 * nodes)) {
          ports.push_back(p);
        }
      }
    }
    ASSERT_EQ(ports.size(), static_cast<size_t>(2 * nodes));
    options_.mode = mode;
    options_.packages = {};
    for (int i = 0; i < nodes; ++i) {
      const std::string name = "n" + std::to_string(i + 1);
      cluster_.nodes.push_back({name, "127.0.0.1", dir_ + "/" + name});
      options_.node_ports[name] = {ports[2 * i], ports[2 * i + 1]};
      remotes_.push_back(remote_);
    }
    options_.down_after = milliseconds(1000);
    options_.failover_timeout = milliseconds(5000);
    options_.setup_deadline = std::chrono::seconds(20);
    options_.client_timeouts = {milliseconds(500), milliseconds(2000)};
    auto target = MakeRedisTarget(options_);
    ASSERT_TRUE(target.ok()) << target.status().ToString();
    target_ = std::move(*target);
  }

  void TearDown() override {
    if (target_ != nullptr) {
      Status st = TeardownAll(*target_, remotes_, cluster_);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    if (!dir_.empty()) {
      EXPECT_FALSE(AnyProcessMentions(dir_)) << "a redis of this test still runs";
      fs::remove_all(dir_);
    }
  }

  NodeContext Ctx(size_t i) { return NodeContext{*remote_, cluster_.nodes[i], cluster_}; }
  std::vector<NodeContext> All() {
    std::vector<NodeContext> all;
    for (size_t i = 0; i < cluster_.nodes.size(); ++i) all.push_back(Ctx(i));
    return all;
  }

  std::unique_ptr<Client> Open(std::unique_ptr<Client> c, size_t node) {
    EXPECT_TRUE(c->Open(cluster_.nodes[node]).ok());
    return c;
  }

  // Retries `op` with fresh register clients until ok, for at most `limit`.
  Op UntilOk(size_t node, const Op& op, milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    Op done;
    do {
      done = Open(target_->register_clients()->NewRegisterClient(), node)->Invoke(op);
      if (done.type == OpType::kOk) return done;
      std::this_thread::sleep_for(milliseconds(200));
    } while (Clock::now() < deadline);
    return done;
  }

  std::string dir_;
  std::shared_ptr<Remote> remote_ = std::make_shared<LocalRemote>("localhost");
  std::vector<std::shared_ptr<Remote>> remotes_;
  ClusterInfo cluster_;
  RedisOptions options_;
  std::unique_ptr<Target> target_;
};

TEST_F(RedisIntegrationTest, SentinelFailoverKillRestartPause) {
  Make(RedisMode::kSentinel, 3);
  const auto setup_start = Clock::now();
  Status setup = SetupAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(setup.ok()) << setup.ToString();
  std::cerr << "setup to healthy: "
            << std::chrono::duration_cast<milliseconds>(Clock::now() - setup_start).count()
            << " ms\n";

  auto reg = Open(target_->register_clients()->NewRegisterClient(), 1);
  EXPECT_EQ(reg->Invoke(MakeOp(0, "write", 1)).type, OpType::kOk);
  Op read = reg->Invoke(MakeOp(0, "read", Json()));
  EXPECT_EQ(read.value, 1);
  EXPECT_EQ(read.node, "n2");
  EXPECT_EQ(reg->Invoke(MakeOp(0, "cas", Json::array({1, 2}))).type, OpType::kOk);
  EXPECT_EQ(reg->Invoke(MakeOp(0, "cas", Json::array({1, 3}))).error, kCasMismatchError);
  EXPECT_EQ(Open(target_->register_clients()->NewRegisterClient(), 2)
                ->Invoke(MakeOp(1, "read", Json()))
                .value,
            2);
  auto set = Open(target_->set_clients()->NewSetClient(), 0);
  EXPECT_EQ(set->Invoke(MakeOp(2, "add", 5, "s")).type, OpType::kOk);
  EXPECT_EQ(set->Invoke(MakeOp(2, "add", 6, "s")).type, OpType::kOk);
  Op members = set->Invoke(MakeOp(2, "read", Json(), "s"));
  ASSERT_EQ(members.type, OpType::kOk);
  std::vector<int> got = members.value.get<std::vector<int>>();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{5, 6}));

  auto primaries = target_->primaries()->Primaries(All());
  ASSERT_TRUE(primaries.ok()) << primaries.status().ToString();
  EXPECT_EQ(*primaries, std::vector<std::string>{"n1"});

  // Kill the primary: the Sentinels fail over to a replica, the client
  // follows. A write on the kept connection to the dead primary is not ok.
  ASSERT_TRUE(target_->killable()->Kill(Ctx(0)).ok());
  Op after_kill = reg->Invoke(MakeOp(0, "write", 9));
  EXPECT_NE(after_kill.type, OpType::kOk);
  const auto killed_at = Clock::now();
  Op failed_over = UntilOk(1, MakeOp(3, "write", 10), milliseconds(20000));
  ASSERT_EQ(failed_over.type, OpType::kOk) << failed_over.error.dump();
  std::cerr << "write accepted again "
            << std::chrono::duration_cast<milliseconds>(Clock::now() - killed_at).count()
            << " ms after the primary was killed\n";
  // Every Sentinel learns the new primary (they tell each other by hello
  // messages, within a few seconds).
  const auto agree_by = Clock::now() + std::chrono::seconds(10);
  do {
    primaries = target_->primaries()->Primaries(All());
    ASSERT_TRUE(primaries.ok());
    if (primaries->size() == 1) break;
    std::this_thread::sleep_for(milliseconds(100));
  } while (Clock::now() < agree_by);
  ASSERT_EQ(primaries->size(), 1u);
  EXPECT_NE((*primaries)[0], "n1");

  // The old primary restarts on its data and is turned into a replica.
  Status started = target_->killable()->Start(Ctx(0));
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_TRUE(target_->killable()->Start(Ctx(0)).ok()) << "starting a running server is a no-op";
  Op caught_up = UntilOk(0, MakeOp(4, "read", Json()), milliseconds(10000));
  EXPECT_EQ(caught_up.value, 10);

  // Pause a replica: writes on the primary go on.
  const std::string primary = (*primaries)[0];
  size_t replica = 0;
  while (cluster_.nodes[replica].name == primary) ++replica;
  ASSERT_TRUE(target_->pausable()->Pause(Ctx(replica)).ok());
  EXPECT_EQ(UntilOk(replica, MakeOp(5, "write", 11), milliseconds(5000)).type, OpType::kOk);
  ASSERT_TRUE(target_->pausable()->Resume(Ctx(replica)).ok());

  for (size_t i = 0; i < 3; ++i) {
    auto files = target_->log_files()->LogFiles(Ctx(i));
    ASSERT_TRUE(files.ok());
    const std::string local = dir_ + "/downloaded-" + cluster_.nodes[i].name + ".log";
    ASSERT_TRUE(remote_->Download(files->front(), local).ok());
    EXPECT_GT(fs::file_size(local), 0u);
  }

  Status down = TeardownAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(down.ok()) << down.ToString();
  for (const NodeInfo& node : cluster_.nodes) EXPECT_FALSE(fs::exists(node.data_dir + "/redis"));
  EXPECT_FALSE(AnyProcessMentions(dir_ + "/n"));
}

TEST_F(RedisIntegrationTest, ClusterFollowsSlotsThroughAKill) {
  Make(RedisMode::kCluster, 3);
  const auto setup_start = Clock::now();
  Status setup = SetupAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(setup.ok()) << setup.ToString();
  std::cerr << "cluster setup to healthy: "
            << std::chrono::duration_cast<milliseconds>(Clock::now() - setup_start).count()
            << " ms\n";
  auto reg = Open(target_->register_clients()->NewRegisterClient(), 1);
  for (int k = 0; k < 30; ++k) {
    ASSERT_EQ(reg->Invoke(MakeOp(0, "write", k, k)).type, OpType::kOk) << k;
    ASSERT_EQ(reg->Invoke(MakeOp(0, "cas", Json::array({k, k + 100}), k)).type, OpType::kOk) << k;
  }
  auto other = Open(target_->register_clients()->NewRegisterClient(), 2);
  for (int k = 0; k < 30; ++k) EXPECT_EQ(other->Invoke(MakeOp(1, "read", Json(), k)).value, k + 100);
  auto set = Open(target_->set_clients()->NewSetClient(), 0);
  EXPECT_EQ(set->Invoke(MakeOp(2, "add", 1, "s")).type, OpType::kOk);
  EXPECT_EQ(set->Invoke(MakeOp(2, "read", Json(), "s")).value, Json::array({1}));
  auto primaries = target_->primaries()->Primaries(All());
  ASSERT_TRUE(primaries.ok());
  EXPECT_EQ(primaries->size(), 3u) << "no replicas with 3 nodes: every node is a primary";

  // A killed primary's slots are unavailable (no replica): its keys' writes
  // are not ok, the others' still are; after a restart on its data
  // (nodes.conf keeps its slots) they are served again.
  ASSERT_TRUE(target_->killable()->Kill(Ctx(2)).ok());
  int ok = 0, not_ok = 0;
  auto after = Open(target_->register_clients()->NewRegisterClient(), 0);
  for (int k = 0; k < 30; ++k) {
    Op done = after->Invoke(MakeOp(3, "write", 1000 + k, k));
    (done.type == OpType::kOk ? ok : not_ok)++;
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(not_ok, 0);
  ASSERT_TRUE(target_->killable()->Start(Ctx(2)).ok());
  Op back;
  const auto until = Clock::now() + std::chrono::seconds(15);
  for (int k = 0; k < 30; ++k) {
    do {
      back = Open(target_->register_clients()->NewRegisterClient(), 0)
                 ->Invoke(MakeOp(4, "write", 2000 + k, k));
    } while (back.type != OpType::kOk && Clock::now() < until &&
             (std::this_thread::sleep_for(milliseconds(200)), true));
    EXPECT_EQ(back.type, OpType::kOk) << k << " " << back.error.dump();
  }
}

TEST_F(RedisIntegrationTest, LockHeldIsRefusedWhileItsTtlRuns) {
  options_.lock_ttl = milliseconds(1500);
  Make(RedisMode::kPlain, 1);
  Status setup = SetupAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(setup.ok()) << setup.ToString();
  auto a = Open(target_->lock_clients()->NewLockClient(), 0);
  auto b = Open(target_->lock_clients()->NewLockClient(), 0);
  const auto acquired_at = Clock::now();
  ASSERT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kOk);
  Op refused = b->Invoke(MakeOp(1, "acquire", Json(), "L"));
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_EQ(refused.error, "lock-busy");
  EXPECT_EQ(b->Invoke(MakeOp(1, "release", Json(), "L")).error, "not-held");
  EXPECT_EQ(a->Invoke(MakeOp(0, "release", Json(), "L")).type, OpType::kOk);
  EXPECT_EQ(b->Invoke(MakeOp(1, "acquire", Json(), "L")).type, OpType::kOk);
  // b never releases: once its TTL runs out a takes the lock, and b's late
  // release is refused as not held.
  Op busy = a->Invoke(MakeOp(0, "acquire", Json(), "L"));
  EXPECT_EQ(busy.error, "lock-busy");
  std::this_thread::sleep_for(milliseconds(1700));
  EXPECT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kOk);
  Op late = b->Invoke(MakeOp(1, "release", Json(), "L"));
  EXPECT_EQ(late.type, OpType::kFail);
  EXPECT_EQ(late.error, "not-held");
  EXPECT_LT(Clock::now() - acquired_at, std::chrono::seconds(10));

  // Kill and restart the instance: with appendonly off and no snapshot due,
  // the lock is gone after the restart.
  ASSERT_TRUE(target_->killable()->Kill(Ctx(0)).ok());
  ASSERT_TRUE(target_->killable()->Start(Ctx(0)).ok());
  auto c = Open(target_->lock_clients()->NewLockClient(), 0);
  EXPECT_EQ(c->Invoke(MakeOp(2, "acquire", Json(), "L")).type, OpType::kOk)
      << "a kill lost the lock held by a (appendonly no)";
}

TEST_F(RedisIntegrationTest, RedlockOnThreeInstances) {
  options_.lock_mode = RedisLockMode::kRedlock;
  options_.lock_ttl = milliseconds(3000);
  Make(RedisMode::kPlain, 3);
  Status setup = SetupAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(setup.ok()) << setup.ToString();
  auto a = Open(target_->lock_clients()->NewLockClient(), 0);
  auto b = Open(target_->lock_clients()->NewLockClient(), 1);
  // One instance down: 2 of 3 is a majority.
  ASSERT_TRUE(target_->killable()->Kill(Ctx(2)).ok());
  ASSERT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kOk);
  ASSERT_TRUE(target_->killable()->Start(Ctx(2)).ok());
  Op refused = b->Invoke(MakeOp(1, "acquire", Json(), "L"));
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_EQ(refused.error, "lock-busy") << refused.error.dump();
  EXPECT_EQ(a->Invoke(MakeOp(0, "release", Json(), "L")).type, OpType::kOk);
  EXPECT_EQ(b->Invoke(MakeOp(1, "acquire", Json(), "L")).type, OpType::kOk);
  auto primaries = target_->primaries()->Primaries(All());
  ASSERT_TRUE(primaries.ok());
  EXPECT_EQ(primaries->size(), 3u) << "independent primaries";
}

}  // namespace
}  // namespace faultline
