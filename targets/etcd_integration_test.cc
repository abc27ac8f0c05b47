// A real 3-member etcd cluster on loopback (distinct ports per member, one
// data directory each under a temporary directory), driven through
// LocalRemote: setup, register ops, kill and restart, pause and resume, log
// files, teardown. Skipped when /usr/bin/etcd is not installed.
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
#include "targets/etcd_target.h"
#include "targets/testing/recorder.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr const char* kEtcd = "/usr/bin/etcd";

// `count` distinct free TCP ports on 127.0.0.1 (held open until all are
// chosen, so none repeats).
std::vector<int> FreePorts(int count) {
  std::vector<int> sockets, ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
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

// True when some process's command line mentions `text`.
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

class EtcdIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kEtcd, X_OK) != 0)
      GTEST_SKIP() << kEtcd << " is not installed (apt install etcd-server)";
    char dir[] = "/tmp/faultline-etcd-it-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::vector<int> ports = FreePorts(6);
    ASSERT_EQ(ports.size(), 6u);
    for (int i = 0; i < 3; ++i) {
      const std::string name = "n" + std::to_string(i + 1);
      cluster_.nodes.push_back({name, "127.0.0.1", dir_ + "/" + name});
      options_.node_ports[name] = {ports[2 * i], ports[2 * i + 1]};
      remotes_.push_back(remote_);
    }
    options_.extra_args = {"--heartbeat-interval", "50", "--election-timeout", "500"};
    options_.setup_deadline = std::chrono::seconds(20);
    options_.client_timeouts = {milliseconds(500), milliseconds(2000)};
    auto target = MakeEtcdTarget(options_);
    ASSERT_TRUE(target.ok()) << target.status().ToString();
    target_ = std::move(*target);
  }

  void TearDown() override {
    if (target_ != nullptr) {
      Status st = TeardownAll(*target_, remotes_, cluster_);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    if (!dir_.empty()) {
      EXPECT_FALSE(AnyProcessMentions(dir_)) << "an etcd of this test still runs";
      fs::remove_all(dir_);
    }
  }

  NodeContext Ctx(size_t i) { return NodeContext{*remote_, cluster_.nodes[i], cluster_}; }

  std::unique_ptr<Client> OpenClient(size_t i) {
    auto client = target_->register_clients()->NewRegisterClient();
    EXPECT_TRUE(client->Open(cluster_.nodes[i]).ok());
    return client;
  }

  // Retries `op` on node i with fresh clients until it completes ok (a member
  // catching up after a restart), for at most `limit`.
  Op UntilOk(size_t i, const Op& op, milliseconds limit = milliseconds(15000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    Op done;
    do {
      done = OpenClient(i)->Invoke(op);
      if (done.type == OpType::kOk) return done;
      std::this_thread::sleep_for(milliseconds(200));
    } while (std::chrono::steady_clock::now() < deadline);
    return done;
  }

  // A node that does not lead, so that faults on it need no election.
  size_t Follower() {
    std::vector<NodeContext> all = {Ctx(0), Ctx(1), Ctx(2)};
    auto leaders = target_->primaries()->Primaries(all);
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
  EtcdOptions options_;
  std::unique_ptr<Target> target_;
};

TEST_F(EtcdIntegrationTest, RegisterOpsSurviveKillsAndPauses) {
  Status setup = SetupAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(setup.ok()) << setup.ToString();

  // Plain register semantics.
  auto c1 = OpenClient(0);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "write", 1)).type, OpType::kOk);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "read", Json())).value, 1);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "cas", Json::array({1, 2}))).type, OpType::kOk);
  Op mismatch = c1->Invoke(MakeOp(0, "cas", Json::array({1, 3})));
  EXPECT_EQ(mismatch.type, OpType::kFail);
  EXPECT_EQ(mismatch.error, kCasMismatchError);
  EXPECT_EQ(OpenClient(1)->Invoke(MakeOp(1, "read", Json())).value, 2);
  EXPECT_TRUE(c1->Invoke(MakeOp(0, "read", Json(), "other")).value.is_null());
  EXPECT_EQ(c1->Invoke(MakeOp(0, "cas", Json::array({nullptr, 1}), "other")).type, OpType::kOk);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "cas", Json::array({nullptr, 2}), "other")).error,
            kCasMismatchError);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "read", Json(), "other")).value, 1);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "write", Json(), "other")).type, OpType::kOk);
  EXPECT_TRUE(c1->Invoke(MakeOp(0, "read", Json(), "other")).value.is_null());

  std::vector<NodeContext> all = {Ctx(0), Ctx(1), Ctx(2)};
  auto leaders = target_->primaries()->Primaries(all);
  ASSERT_TRUE(leaders.ok()) << leaders.status().ToString();
  EXPECT_EQ(leaders->size(), 1u);

  // Kill a follower: its clients are refused (certainly not sent), the
  // others go on; it restarts on its data and catches up.
  const size_t victim = Follower();
  const size_t other = (victim + 1) % 3;
  auto kept_alive = OpenClient(victim);
  ASSERT_EQ(kept_alive->Invoke(MakeOp(9, "read", Json())).type, OpType::kOk);
  ASSERT_TRUE(target_->killable()->Kill(Ctx(victim)).ok());
  // Its kept-alive connection is dead: the write must not come out ok, and
  // "fail" only if it certainly was not sent.
  Op after_kill = kept_alive->Invoke(MakeOp(9, "write", 98));
  EXPECT_NE(after_kill.type, OpType::kOk);
  std::cerr << "write on a kept-alive connection to a killed member: "
            << OpTypeName(after_kill.type) << " " << after_kill.error.dump() << "\n";
  Op refused = OpenClient(victim)->Invoke(MakeOp(2, "write", 99));
  EXPECT_EQ(refused.type, OpType::kFail) << refused.error.dump();
  EXPECT_EQ(refused.error.get<std::string>().rfind("unreachable", 0), 0u) << refused.error.dump();
  auto survivor = OpenClient(other);
  EXPECT_EQ(survivor->Invoke(MakeOp(3, "write", 4)).type, OpType::kOk);
  EXPECT_EQ(survivor->Invoke(MakeOp(3, "read", Json())).value, 4);

  Status started = target_->killable()->Start(Ctx(victim));
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_TRUE(target_->killable()->Start(Ctx(victim)).ok())
      << "starting a running member is a no-op";
  Op caught_up = UntilOk(victim, MakeOp(4, "read", Json()));
  EXPECT_EQ(caught_up.type, OpType::kOk) << caught_up.error.dump();
  EXPECT_EQ(caught_up.value, 4);

  // Pause a follower: its ops time out as info, the others go on.
  const size_t frozen = Follower();
  const size_t awake = (frozen + 1) % 3;
  ASSERT_TRUE(target_->pausable()->Pause(Ctx(frozen)).ok());
  Op unknown = OpenClient(frozen)->Invoke(MakeOp(5, "write", 5));
  EXPECT_EQ(unknown.type, OpType::kInfo) << unknown.error.dump();
  EXPECT_EQ(unknown.error.get<std::string>().rfind("timeout", 0), 0u) << unknown.error.dump();
  Op unknown_read = OpenClient(frozen)->Invoke(MakeOp(6, "read", Json()));
  EXPECT_EQ(unknown_read.type, OpType::kFail) << "a read has no effect";
  auto awake_client = OpenClient(awake);
  EXPECT_EQ(awake_client->Invoke(MakeOp(7, "write", 6)).type, OpType::kOk);
  EXPECT_EQ(awake_client->Invoke(MakeOp(7, "read", Json())).value, 6);
  ASSERT_TRUE(target_->pausable()->Resume(Ctx(frozen)).ok());
  Op thawed = UntilOk(frozen, MakeOp(8, "read", Json()));
  EXPECT_EQ(thawed.type, OpType::kOk) << thawed.error.dump();

  // Logs exist and can be fetched.
  for (size_t i = 0; i < 3; ++i) {
    auto files = target_->log_files()->LogFiles(Ctx(i));
    ASSERT_TRUE(files.ok());
    ASSERT_EQ(files->size(), 1u);
    const std::string local = dir_ + "/downloaded-" + cluster_.nodes[i].name + ".log";
    ASSERT_TRUE(remote_->Download(files->front(), local).ok());
    EXPECT_GT(fs::file_size(local), 0u);
  }

  // Teardown leaves nothing behind.
  Status down = TeardownAll(*target_, remotes_, cluster_);
  ASSERT_TRUE(down.ok()) << down.ToString();
  for (const NodeInfo& node : cluster_.nodes) {
    EXPECT_FALSE(fs::exists(node.data_dir + "/etcd")) << node.name;
  }
  EXPECT_FALSE(AnyProcessMentions(dir_ + "/n"));
}

}  // namespace
}  // namespace faultline
