// Partitions and daemons for real (label: integration; root): iptables inside
// a network namespace this test creates (never the host's own rules), and a
// daemon started over SSH that outlives the session.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/control/local_remote.h"
#include "harness/control/node_util.h"
#include "harness/control/partition.h"
#include "harness/control/ssh_remote.h"
#include "harness/control/testing/test_ssh_server.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

// Runs every command inside network namespace `ns` on this machine.
class NetnsRemote final : public Remote {
 public:
  explicit NetnsRemote(std::string ns) : ns_(std::move(ns)) {}
  const std::string& node() const override { return ns_; }
  Result<CommandResult> Run(const Command& command) override {
    if (Status st = ValidateCommand(command); !st.ok()) return st;
    Command wrapped =
        Command::Argv({"ip", "netns", "exec", ns_, "sh", "-c", RenderCommand(command, true)});
    wrapped.stdin_data = command.stdin_data;
    wrapped.timeout = command.timeout;
    return local_.Run(wrapped);
  }
  Status Upload(const std::string& from, const std::string& to, int mode) override {
    return local_.Upload(from, to, mode);
  }
  Status Download(const std::string& from, const std::string& to) override {
    return local_.Download(from, to);
  }

 private:
  std::string ns_;
  LocalRemote local_;
};

// A TCP listener on 127.0.0.1 inside a network namespace, accepting and
// closing connections until destroyed.
class NetnsListener {
 public:
  NetnsListener(const std::string& ns, int port) {
    std::atomic<int> ready{0};
    thread_ = std::thread([&, ns, port] {
      int nsfd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
        ready = -1;
        return;
      }
      close(nsfd);
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 16) != 0) {
        ready = -1;
        close(fd);
        return;
      }
      ready = 1;
      while (!stop_) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) == 1) {
          int c = accept(fd, nullptr, nullptr);
          if (c >= 0) close(c);
        }
      }
      close(fd);
    });
    while (ready == 0) std::this_thread::sleep_for(milliseconds(5));
    ok_ = ready == 1;
  }
  ~NetnsListener() {
    stop_ = true;
    thread_.join();
  }
  bool ok() const { return ok_; }

 private:
  std::atomic<bool> stop_{false};
  bool ok_ = false;
  std::thread thread_;
};

class PartitionNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
    ns_ = "fl-ctl-test-" + std::to_string(getpid());
    LocalRemote local;
    auto r = local.Run(
        Command::Shell("ip netns add " + ns_ + " && ip netns exec " + ns_ + " ip link set lo up"));
    ASSERT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->err : r.status().ToString());
    created_ = true;
  }
  void TearDown() override {
    if (!created_) return;
    LocalRemote local;
    (void)local.Run(Command::Argv({"ip", "netns", "del", ns_}));
  }

  std::string Rules(Remote& node) {
    auto r = node.Run(Command::Argv({"iptables", "-w", "-S"}));
    return r.ok() ? r->out : r.status().ToString();
  }

  std::string ns_;
  bool created_ = false;
};

int Count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

TEST_F(PartitionNetnsTest, DropBlocksTcpAndHealRestoresIt) {
  NetnsRemote node(ns_);
  constexpr int kPort = 24680;
  NetnsListener listener(ns_, kPort);
  ASSERT_TRUE(listener.ok());
  const AwaitOptions quick{milliseconds(1500), milliseconds(100)};
  ASSERT_TRUE(AwaitTcpPort(node, "127.0.0.1", kPort, quick).ok());

  ASSERT_TRUE(DropTrafficFrom(node, {"127.0.0.1"}).ok()) << Rules(node);
  Status blocked = AwaitTcpPort(node, "127.0.0.1", kPort, quick);
  EXPECT_EQ(blocked.code(), Status::Code::kTimeout) << blocked.ToString() << "\n" << Rules(node);

  // Re-applying replaces the rules and keeps a single jump.
  ASSERT_TRUE(DropTrafficFrom(node, {"127.0.0.1", "10.99.0.1"}).ok());
  std::string rules = Rules(node);
  EXPECT_EQ(Count(rules, "-A INPUT -j FAULTLINE"), 1) << rules;
  EXPECT_EQ(Count(rules, "-j DROP"), 2) << rules;

  ASSERT_TRUE(Heal(node).ok());
  EXPECT_TRUE(AwaitTcpPort(node, "127.0.0.1", kPort, quick).ok()) << Rules(node);
  EXPECT_EQ(Count(Rules(node), "-j DROP"), 0);

  ASSERT_TRUE(RemoveChain(node).ok()) << Rules(node);
  EXPECT_EQ(Count(Rules(node), "FAULTLINE"), 0) << Rules(node);
  EXPECT_TRUE(Heal(node).ok()) << "healing a node never partitioned must work";
}

TEST(DaemonOverSshTest, DaemonOutlivesItsSshSession) {
  auto server = testing::TestSshServer::Start();
  if (!server.ok() && server.status().code() == Status::Code::kUnsupported) {
    GTEST_SKIP() << server.status().ToString();
  }
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  DaemonSpec spec;
  spec.argv = {"sleep", "600"};
  spec.pidfile = (*server)->dir() + "/daemon.pid";
  spec.logfile = (*server)->dir() + "/daemon.log";
  int pid = 0;
  {
    SshRemote ssh((*server)->Options());
    auto started = StartDaemon(ssh, spec);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    pid = *started;
  }  // the SSH connection closes here
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(std::filesystem::exists("/proc/" + std::to_string(pid))) << "daemon died with SSH";

  SshRemote ssh((*server)->Options());
  auto running = IsRunning(ssh, spec.pidfile);
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  EXPECT_TRUE(*running);
  auto stopped = StopDaemon(ssh, spec.pidfile);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(*stopped, StopOutcome::kStopped);
  if (stopped.ok() && *stopped == StopOutcome::kNotRunning) kill(pid, SIGKILL);
}

}  // namespace
}  // namespace faultline
