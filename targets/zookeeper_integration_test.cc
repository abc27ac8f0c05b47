// A real 3-member ZooKeeper ensemble on loopback (distinct ports per member,
// one data directory each under a temporary directory), driven through
// LocalRemote with the same target code that runs over SSH: setup, register,
// set and lock clients, kill and restart on the same data, pause, teardown.
// Skipped when Debian's zookeeper package is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "harness/control/local_remote.h"
#include "targets/client.h"
#include "targets/testing/recorder.h"
#include "targets/zookeeper_target.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kJar = "/usr/share/java/zookeeper.jar";

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

std::string Error(const Op& op) { return op.error.is_string() ? op.error.get<std::string>() : ""; }

class ZooKeeperIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kJar, R_OK) != 0) {
      GTEST_SKIP() << kJar << " is missing (apt install zookeeper)";
    }
    char dir[] = "/tmp/faultline-zk-it-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::vector<int> ports = FreePorts(9);
    ASSERT_EQ(ports.size(), 9u);
    for (int i = 0; i < 3; ++i) {
      const std::string name = "n" + std::to_string(i + 1);
      cluster_.nodes.push_back({name, "127.0.0.1", dir_ + "/" + name});
      options_.node_ports[name] = {ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]};
      remotes_.push_back(remote_);
    }
    options_.package = "";  // checked above; no apt from a test
    options_.tick_time_ms = 200;
    options_.heap_mb = 128;
    options_.setup_deadline = std::chrono::seconds(40);
    options_.client.session_timeout = milliseconds(2000);
    options_.client.connect_timeout = milliseconds(2000);
    options_.client.acquire_timeout = milliseconds(1500);
    auto target = MakeZooKeeperTarget(options_);
    ASSERT_TRUE(target.ok()) << target.status().ToString();
    target_ = std::move(*target);
    const auto start = Clock::now();
    Status setup = SetupAll(*target_, remotes_, cluster_);
    ASSERT_TRUE(setup.ok()) << setup.ToString();
    std::cerr << "ensemble of 3 set up in "
              << std::chrono::duration_cast<milliseconds>(Clock::now() - start).count()
              << " ms\n";
  }

  void TearDown() override {
    if (target_ != nullptr) {
      Status st = TeardownAll(*target_, remotes_, cluster_);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    if (!dir_.empty()) {
      EXPECT_FALSE(AnyProcessMentions(dir_)) << "a zookeeper of this test still runs";
      for (const NodeInfo& node : cluster_.nodes) {
        EXPECT_FALSE(fs::exists(node.data_dir + "/zookeeper")) << node.name;
      }
      fs::remove_all(dir_);
    }
  }

  NodeContext Ctx(size_t i) { return NodeContext{*remote_, cluster_.nodes[i], cluster_}; }

  std::unique_ptr<Client> Open(size_t i, std::unique_ptr<Client> client) {
    Status st = client->Open(cluster_.nodes[i]);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return client;
  }
  std::unique_ptr<Client> Register(size_t i) {
    return Open(i, target_->register_clients()->NewRegisterClient());
  }
  std::unique_ptr<Client> Lock(size_t i) { return Open(i, target_->lock_clients()->NewLockClient()); }

  // Retries `op` on node i with fresh clients until it completes ok.
  Op UntilOk(size_t i, const Op& op, milliseconds limit = milliseconds(20000)) {
    const auto deadline = Clock::now() + limit;
    Op done;
    do {
      done = Register(i)->Invoke(op);
      if (done.type == OpType::kOk) return done;
      std::this_thread::sleep_for(milliseconds(200));
    } while (Clock::now() < deadline);
    return done;
  }

  // A node that does not lead.
  size_t Follower() {
    auto leaders = target_->primaries()->Primaries({Ctx(0), Ctx(1), Ctx(2)});
    EXPECT_TRUE(leaders.ok()) << leaders.status().ToString();
    for (size_t i = 0; i < 3; ++i) {
      if (!leaders.ok() || leaders->empty() || (*leaders)[0] != cluster_.nodes[i].name) return i;
    }
    return 0;
  }

  std::string dir_;
  std::shared_ptr<Remote> remote_ = std::make_shared<LocalRemote>("localhost");
  std::vector<std::shared_ptr<Remote>> remotes_;
  ClusterInfo cluster_;
  ZooKeeperOptions options_;
  std::unique_ptr<Target> target_;
};

TEST_F(ZooKeeperIntegrationTest, RegisterOpsAndDataSurviveKillingEveryMember) {
  auto leaders = target_->primaries()->Primaries({Ctx(0), Ctx(1), Ctx(2)});
  ASSERT_TRUE(leaders.ok()) << leaders.status().ToString();
  EXPECT_EQ(leaders->size(), 1u);

  auto c = Register(0);
  EXPECT_TRUE(c->Invoke(MakeOp(0, "read", Json(), 1)).value.is_null());
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 1, 1)).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), 1)).value, 1);
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({1, 2}), 1)).type, OpType::kOk);
  Op mismatch = c->Invoke(MakeOp(0, "cas", Json::array({1, 3}), 1));
  EXPECT_EQ(mismatch.type, OpType::kFail);
  EXPECT_EQ(mismatch.error, kCasMismatchError);
  EXPECT_EQ(Register(1)->Invoke(MakeOp(1, "read", Json(), 1)).value, 2) << "sync read elsewhere";
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({nullptr, 5}), "k/2")).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({nullptr, 6}), "k/2")).error,
            kCasMismatchError);
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), "k/2")).value, 5);
  // Writers racing to create a register: every write is ok, one value wins.
  std::vector<std::thread> racers;
  std::vector<OpType> outcomes(3);
  for (size_t i = 0; i < 3; ++i) {
    racers.emplace_back([&, i] {
      outcomes[i] = Register(i)->Invoke(MakeOp(0, "write", 10 + static_cast<int>(i), 3)).type;
    });
  }
  for (auto& t : racers) t.join();
  for (OpType t : outcomes) EXPECT_EQ(t, OpType::kOk);
  const Json raced = c->Invoke(MakeOp(0, "read", Json(), 3)).value;
  EXPECT_TRUE(raced == 10 || raced == 11 || raced == 12) << raced;

  // Kill every member (no clean shutdown), start them again on their data.
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(target_->killable()->Kill(Ctx(i)).ok());
  EXPECT_FALSE(AnyProcessMentions(dir_ + "/n1/"));
  Op refused = Register(0)->Invoke(MakeOp(2, "write", 99, 1));
  EXPECT_EQ(refused.type, OpType::kFail) << Error(refused);
  EXPECT_EQ(Error(refused).rfind("unreachable", 0), 0u) << Error(refused);
  for (size_t i = 0; i < 3; ++i) {
    Status st = target_->killable()->Start(Ctx(i));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_TRUE(target_->killable()->Start(Ctx(0)).ok()) << "starting a running member is a no-op";
  Op after = UntilOk(2, MakeOp(3, "read", Json(), 1));
  EXPECT_EQ(after.type, OpType::kOk) << Error(after);
  EXPECT_EQ(after.value, 2);
  EXPECT_EQ(UntilOk(0, MakeOp(3, "read", Json(), "k/2")).value, 5);

  // Logs exist and can be fetched.
  auto files = target_->log_files()->LogFiles(Ctx(0));
  ASSERT_TRUE(files.ok());
  const std::string local = dir_ + "/downloaded.log";
  ASSERT_TRUE(remote_->Download(files->front(), local).ok());
  EXPECT_GT(fs::file_size(local), 0u);
}

TEST_F(ZooKeeperIntegrationTest, PausedFollowerGivesUnknownWritesAndFailedReads) {
  const size_t frozen = Follower();
  const size_t awake = (frozen + 1) % 3;
  auto stuck = Register(frozen);
  ASSERT_EQ(stuck->Invoke(MakeOp(0, "write", 1, 7)).type, OpType::kOk);
  ASSERT_TRUE(target_->pausable()->Pause(Ctx(frozen)).ok());
  Op unknown = stuck->Invoke(MakeOp(0, "write", 2, 7));
  EXPECT_EQ(unknown.type, OpType::kInfo) << Error(unknown);
  Op read = Register(frozen)->Invoke(MakeOp(1, "read", Json(), 7));
  EXPECT_EQ(read.type, OpType::kFail) << "a read has no effect";
  auto other = Register(awake);
  EXPECT_EQ(other->Invoke(MakeOp(2, "write", 3, 7)).type, OpType::kOk);
  ASSERT_TRUE(target_->pausable()->Resume(Ctx(frozen)).ok());
  EXPECT_EQ(UntilOk(frozen, MakeOp(3, "read", Json(), 7)).value, 3);
}

TEST_F(ZooKeeperIntegrationTest, SetAddsAndReads) {
  auto a = Open(0, target_->set_clients()->NewSetClient());
  auto b = Open(2, target_->set_clients()->NewSetClient());
  EXPECT_EQ(a->Invoke(MakeOp(0, "read", Json(), 1)).value, Json::array());
  for (int e : {3, -1, 7}) EXPECT_EQ(a->Invoke(MakeOp(0, "add", e, 1)).type, OpType::kOk);
  EXPECT_EQ(b->Invoke(MakeOp(1, "add", 3, 1)).type, OpType::kOk) << "adding again is ok";
  EXPECT_EQ(b->Invoke(MakeOp(1, "read", Json(), 1)).value, Json::parse("[-1,3,7]"));
  EXPECT_EQ(b->Invoke(MakeOp(1, "read", Json(), 2)).value, Json::array()) << "keys are apart";
  EXPECT_EQ(b->Invoke(MakeOp(1, "add", "x", 1)).type, OpType::kFail);
}

TEST_F(ZooKeeperIntegrationTest, LockIsExclusiveAndLostWithItsSession) {
  auto a = Lock(0);
  auto b = Lock(1);
  ASSERT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kOk);
  Op refused = b->Invoke(MakeOp(1, "acquire", Json(), "L"));
  EXPECT_EQ(refused.type, OpType::kFail) << "held by a";
  EXPECT_EQ(Error(refused).rfind("timeout", 0), 0u) << Error(refused);
  EXPECT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "M")).type, OpType::kFail)
      << "one lock at a time";
  EXPECT_EQ(Lock(2)->Invoke(MakeOp(2, "acquire", Json(), "M")).type, OpType::kOk)
      << "another lock is free";

  // b waits; a's release hands the lock over.
  Op b_acquired;
  std::thread waiter([&] { b_acquired = b->Invoke(MakeOp(1, "acquire", Json(), "L")); });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(a->Invoke(MakeOp(0, "release", Json(), "L")).type, OpType::kOk);
  waiter.join();
  EXPECT_EQ(b_acquired.type, OpType::kOk) << Error(b_acquired);
  Op again = a->Invoke(MakeOp(0, "release", Json(), "L"));
  EXPECT_EQ(again.type, OpType::kFail);
  EXPECT_EQ(Error(again).rfind("not-held", 0), 0u) << Error(again);

  // b's server freezes past b's session timeout: ZooKeeper expires the
  // session and deletes b's node, so a gets the lock while b still thinks it
  // holds it; b's release then learns it did not.
  const size_t frozen = 1;
  ASSERT_TRUE(target_->pausable()->Pause(Ctx(frozen)).ok());
  // a may lose its connection while the ensemble re-elects (info): like the
  // runner, it then carries on with a fresh client.
  Op taken;
  const auto deadline = Clock::now() + milliseconds(15000);
  do {
    if (taken.type == OpType::kInfo) a = Lock(0);
    taken = a->Invoke(MakeOp(0, "acquire", Json(), "L"));
  } while (taken.type != OpType::kOk && Clock::now() < deadline);
  EXPECT_EQ(taken.type, OpType::kOk) << Error(taken);
  ASSERT_TRUE(target_->pausable()->Resume(Ctx(frozen)).ok());
  // Once b's server serves again, b's library learns of the expiry.
  EXPECT_EQ(UntilOk(frozen, MakeOp(3, "read", Json(), "x")).type, OpType::kOk);
  Op lost = b->Invoke(MakeOp(1, "release", Json(), "L"));
  EXPECT_EQ(lost.type, OpType::kFail) << Error(lost);
  EXPECT_EQ(Error(lost).rfind("not-held", 0), 0u) << Error(lost);
  EXPECT_EQ(a->Invoke(MakeOp(0, "release", Json(), "L")).type, OpType::kOk);
}

}  // namespace
}  // namespace faultline
