// SshRemote against a throwaway sshd on 127.0.0.1 (label: integration; root).
#include "harness/control/ssh_remote.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "harness/control/local_remote.h"
#include "harness/control/testing/test_ssh_server.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using testing::TestSshServer;

class SshRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestSshServer::Start();
    if (!server.ok() && server.status().code() == Status::Code::kUnsupported) {
      GTEST_SKIP() << server.status().ToString();
    }
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::unique_ptr<SshRemote> Remote(SshOptions options) {
    return std::make_unique<SshRemote>(std::move(options));
  }
  std::unique_ptr<SshRemote> Remote() { return Remote(server_->Options()); }

  std::unique_ptr<TestSshServer> server_;
};

Result<CommandResult> RunShell(faultline::Remote& remote, const std::string& script,
                               milliseconds timeout = std::chrono::seconds(30)) {
  Command c = Command::Shell(script);
  c.timeout = timeout;
  return remote.Run(c);
}

std::string Sha256(const std::string& path) {
  LocalRemote local;
  auto r = local.Run(Command::Argv({"sha256sum", path}));
  if (!r.ok() || !r->ok()) return "failed";
  return r->out.substr(0, 64);
}

TEST_F(SshRemoteTest, RunsCommandsAndReportsExitStatusAndOutput) {
  auto remote = Remote();
  ASSERT_TRUE(remote->Connect().ok());
  auto r = remote->Run(Command::Argv({"printf", "%s|", "a b", "it's", "$(x)"}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 0);
  EXPECT_EQ(r->out, "a b|it's|$(x)|");

  r = RunShell(*remote, "echo to-err >&2; exit 7");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 7);
  EXPECT_EQ(r->out, "");
  EXPECT_EQ(r->err, "to-err\n");

  r = RunShell(*remote, "kill -TERM $$");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 128 + 15);

  r = remote->Run(Command::Argv({"/nonexistent/program"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_status, 127);
}

TEST_F(SshRemoteTest, FeedsStdinAndReturnsLargeOutput) {
  auto remote = Remote();
  std::string input;
  std::mt19937 rng(7);
  for (int i = 0; i < 3 * 1024 * 1024; ++i) input += static_cast<char>('a' + rng() % 26);
  Command cat = Command::Argv({"cat"});
  cat.stdin_data = input;
  auto r = remote->Run(cat);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 0);
  EXPECT_TRUE(r->out == input) << "got " << r->out.size() << " bytes back";

  // A command that ignores its input still finishes.
  Command ignore = Command::Argv({"true"});
  ignore.stdin_data = input;
  r = remote->Run(ignore);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 0);
}

TEST_F(SshRemoteTest, TwentyConcurrentCommandsShareOneConnection) {
  auto remote = Remote();
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto r = RunShell(*remote, "sleep 0.2; echo " + std::to_string(i));
      if (r.ok() && r->exit_status == 0 && r->out == std::to_string(i) + "\n") ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 20);
  // One connection for commands: every exec came through a single sshd
  // connection process (checked from the server side).
  auto r = RunShell(*remote, "echo $PPID");
  ASSERT_TRUE(r.ok());
  auto r2 = RunShell(*remote, "echo $PPID");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r->out, r2->out);
}

TEST_F(SshRemoteTest, TimeoutKillsTheRemoteCommand) {
  auto remote = Remote();
  std::string marker = server_->dir() + "/timeout-pid";
  auto start = std::chrono::steady_clock::now();
  auto r = RunShell(*remote, "echo $$ > " + marker + "; exec sleep 30", milliseconds(500));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("sleep 30"), std::string::npos) << r.status().message();
  EXPECT_LT(took, std::chrono::seconds(5));
  std::ifstream in(marker);
  int pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    gone = !stat.good() || text.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(gone) << "the remote sleep (pid " << pid << ") survived the timeout";
  // The connection is still usable.
  auto after = RunShell(*remote, "echo ok");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->out, "ok\n");
}

TEST_F(SshRemoteTest, UploadsAndDownloadsTenMegabytes) {
  auto remote = Remote();
  std::string local = server_->dir() + "/big.bin";
  {
    std::ofstream out(local, std::ios::binary);
    std::mt19937_64 rng(42);
    for (int i = 0; i < 10 * 1024 * 1024 / 8; ++i) {
      uint64_t v = rng();
      out.write(reinterpret_cast<const char*>(&v), sizeof v);
    }
  }
  std::string remote_path = server_->dir() + "/remote dir/big copy.bin";
  ASSERT_TRUE(remote->Run(Command::Argv({"mkdir", "-p", server_->dir() + "/remote dir"}))->ok());
  Status up = remote->Upload(local, remote_path, 0600);
  ASSERT_TRUE(up.ok()) << up.ToString();
  EXPECT_EQ(Sha256(remote_path), Sha256(local));
  auto mode = remote->Run(Command::Argv({"stat", "-c", "%a", remote_path}));
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode->out, "600\n");
  // Replacing an existing file works too.
  ASSERT_TRUE(remote->Upload(local, remote_path, 0644).ok());

  std::string back = server_->dir() + "/back.bin";
  Status down = remote->Download(remote_path, back);
  ASSERT_TRUE(down.ok()) << down.ToString();
  EXPECT_EQ(Sha256(back), Sha256(local));

  Status missing = remote->Download(server_->dir() + "/no-such-file", back + "2");
  EXPECT_EQ(missing.code(), Status::Code::kIoError);
  EXPECT_NE(missing.message().find("no such file"), std::string::npos) << missing.message();
}

TEST_F(SshRemoteTest, WrongKeyIsAuthFailedNamingUserAndKey) {
  auto key = server_->MakeUnauthorizedKey();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  SshOptions o = server_->Options();
  o.private_key_file = *key;
  auto remote = Remote(o);
  Status st = remote->Connect();
  EXPECT_EQ(st.code(), Status::Code::kAuthFailed) << st.ToString();
  EXPECT_NE(st.message().find(*key), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("user root"), std::string::npos) << st.message();
  auto r = remote->Run(Command::Argv({"true"}));
  EXPECT_EQ(r.status().code(), Status::Code::kAuthFailed);
}

TEST_F(SshRemoteTest, ChangedHostKeyIsMismatchNamingFileAndLine) {
  // Record a different key for this host:port on line 2.
  auto other = server_->MakeUnauthorizedKey();
  ASSERT_TRUE(other.ok());
  std::ifstream pub(*other + ".pub");
  std::string type, blob;
  pub >> type >> blob;
  std::string known_hosts = server_->dir() + "/wrong_known_hosts";
  {
    std::ofstream out(known_hosts);
    out << "# a comment\n[127.0.0.1]:" << server_->port() << " " << type << " " << blob << "\n";
  }
  SshOptions o = server_->Options();
  o.known_hosts_file = known_hosts;
  Status st = Remote(o)->Connect();
  EXPECT_EQ(st.code(), Status::Code::kHostKeyMismatch) << st.ToString();
  EXPECT_NE(st.message().find(known_hosts + " line 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("ssh-keygen -R"), std::string::npos) << st.message();

  // Strict policy with an empty known_hosts refuses too, saying how to add it.
  o.known_hosts_file = server_->dir() + "/empty_known_hosts";
  o.host_key_policy = HostKeyPolicy::kStrict;
  st = Remote(o)->Connect();
  EXPECT_EQ(st.code(), Status::Code::kHostKeyMismatch) << st.ToString();
  EXPECT_NE(st.message().find("ssh-keyscan"), std::string::npos) << st.message();

  // accept-new records the key, and then strict accepts it.
  o.host_key_policy = HostKeyPolicy::kAcceptNew;
  ASSERT_TRUE(Remote(o)->Connect().ok());
  o.host_key_policy = HostKeyPolicy::kStrict;
  EXPECT_TRUE(Remote(o)->Connect().ok());
}

TEST_F(SshRemoteTest, ClosedPortIsUnreachableQuickly) {
  SshOptions o = server_->Options();
  server_->Stop();
  auto start = std::chrono::steady_clock::now();
  Status st = Remote(o)->Connect();
  EXPECT_EQ(st.code(), Status::Code::kUnreachable) << st.ToString();
  EXPECT_NE(st.message().find(std::to_string(o.port)), std::string::npos) << st.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(SshRemoteTest, ReconnectsAfterSshdRestart) {
  auto remote = Remote();
  auto r = RunShell(*remote, "echo before");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(server_->Restart().ok());
  r = RunShell(*remote, "echo after");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "after\n");
  // Transfers reconnect as well.
  std::string file = server_->dir() + "/small.txt";
  std::ofstream(file) << "hello\n";
  ASSERT_TRUE(remote->Upload(file, file + ".up").ok());
  ASSERT_TRUE(server_->Restart().ok());
  Status st = remote->Upload(file, file + ".up2");
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(SshRemoteTest, CommandRunningWhenTheConnectionDiesMayHaveRun) {
  auto remote = Remote();
  ASSERT_TRUE(remote->Connect().ok());
  std::thread killer([&] {
    std::this_thread::sleep_for(milliseconds(300));
    server_->Stop();
  });
  auto r = RunShell(*remote, "sleep 5");
  killer.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIoError) << r.status().ToString();
  EXPECT_NE(r.status().message().find("may or may not"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace faultline
