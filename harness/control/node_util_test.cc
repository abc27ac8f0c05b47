// Node utilities: their commands against FakeRemote, and their real effect on
// this machine through LocalRemote (no root needed).
#include "harness/control/node_util.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/control/fake_remote.h"
#include "harness/control/local_remote.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

CommandResult Exit(int status, std::string out = "", std::string err = "") {
  return CommandResult{status, std::move(out), std::move(err)};
}

// ---- against FakeRemote ----------------------------------------------------

TEST(NodeUtilFakeTest, StartDaemonPassesEverythingAsArguments) {
  FakeRemote fake("n1", /*user_is_root=*/false);
  fake.OnSubstring("setsid", Exit(0, "4242 started\n"));
  DaemonSpec spec;
  spec.argv = {"/usr/bin/etcd", "--name", "n1", "--data-dir", "/var/lib/fl data"};
  spec.pidfile = "/run/fl/etcd.pid";
  spec.logfile = "/var/log/fl/etcd.log";
  spec.workdir = "/var/lib";
  spec.env = {{"GOMAXPROCS", "2"}};
  spec.sudo = true;
  auto pid = StartDaemon(fake, spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(*pid, 4242);
  auto recorded = fake.commands();
  ASSERT_EQ(recorded.size(), 1u);
  const Command& c = recorded[0].command;
  EXPECT_TRUE(c.sudo);
  ASSERT_GE(c.argv.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(c.argv.begin() + 3, c.argv.end()),
            (std::vector<std::string>{"sh", "/run/fl/etcd.pid", "/var/log/fl/etcd.log", "/var/lib",
                                      "0.200", "--", "GOMAXPROCS=2", "/usr/bin/etcd", "--name",
                                      "n1", "--data-dir", "/var/lib/fl data"}));
  EXPECT_EQ(recorded[0].rendered.rfind("sudo -n -- sh -c ", 0), 0u) << recorded[0].rendered;
  for (const char* piece : {"setsid env", "</dev/null", ">>\"$log\" 2>&1 &", "unset FAULTLINE_RUN",
                            "echo \"$pid\" > \"$pidfile\""}) {
    EXPECT_NE(c.argv[2].find(piece), std::string::npos) << piece;
  }
}

TEST(NodeUtilFakeTest, StartDaemonRejectsBadSpecs) {
  FakeRemote fake;
  DaemonSpec spec;
  spec.argv = {"sleep", "1"};
  spec.pidfile = "relative.pid";
  spec.logfile = "/tmp/x.log";
  EXPECT_EQ(StartDaemon(fake, spec).status().code(), Status::Code::kInvalidArgument);
  spec.pidfile = "/tmp/x.pid";
  spec.env = {{"BAD NAME", "v"}};
  EXPECT_EQ(StartDaemon(fake, spec).status().code(), Status::Code::kInvalidArgument);
  spec.env = {};
  spec.argv = {"A=B"};
  EXPECT_EQ(StartDaemon(fake, spec).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(fake.commands().empty());
  spec.argv = {"sleep", "1"};
  fake.SetDefault(Exit(1, "", "mkdir: cannot create directory '/tmp': Permission denied\n"));
  Status st = StartDaemon(fake, spec).status();
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("Permission denied"), std::string::npos) << st.message();
}

TEST(NodeUtilFakeTest, StopDaemonReportsWhatHappened) {
  FakeRemote fake;
  fake.SetDefault(Exit(0, "not-running\n"));
  EXPECT_EQ(*StopDaemon(fake, "/run/x.pid"), StopOutcome::kNotRunning);
  fake.SetDefault(Exit(0, "stopped\n"));
  EXPECT_EQ(*StopDaemon(fake, "/run/x.pid"), StopOutcome::kStopped);
  fake.SetDefault(Exit(0, "killed\n"));
  StopOptions options;
  options.signal = "INT";
  options.grace = milliseconds(1500);
  EXPECT_EQ(*StopDaemon(fake, "/run/x.pid", options), StopOutcome::kKilled);
  const Command last = fake.commands().back().command;
  EXPECT_EQ(last.argv.back(), "15");  // grace in tenths of a second
  EXPECT_EQ(last.argv[last.argv.size() - 2], "INT");
  EXPECT_TRUE(last.idempotent);
  EXPECT_GT(last.timeout, options.grace);
  fake.SetDefault(Exit(1, "", "pid 7 survived SIGKILL\n"));
  EXPECT_EQ(StopDaemon(fake, "/run/x.pid").status().code(), Status::Code::kIoError);
  options.signal = "TERM; rm -rf /";
  EXPECT_EQ(StopDaemon(fake, "/run/x.pid", options).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(NodeUtilFakeTest, SignalAndIsRunning) {
  FakeRemote fake;
  fake.SetDefault(Exit(3));
  Status st = PauseDaemon(fake, "/run/x.pid");
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_NE(st.message().find("SIGSTOP"), std::string::npos);
  fake.SetDefault(Exit(0));
  EXPECT_TRUE(ResumeDaemon(fake, "/run/x.pid").ok());
  EXPECT_EQ(fake.commands().back().command.argv.back(), "CONT");
  fake.SetDefault(Exit(0, "running\n"));
  EXPECT_TRUE(*IsRunning(fake, "/run/x.pid"));
  fake.SetDefault(Exit(0, "stopped\n"));
  EXPECT_FALSE(*IsRunning(fake, "/run/x.pid"));
  fake.SetDefault(Status::Unreachable("down"));
  EXPECT_EQ(IsRunning(fake, "/run/x.pid").status().code(), Status::Code::kUnreachable);
}

TEST(NodeUtilFakeTest, AwaitTcpPortPollsUntilOpen) {
  FakeRemote fake;
  fake.OnSubstring("/dev/tcp", Exit(1), /*times=*/2);
  fake.SetDefault(Exit(0));
  ASSERT_TRUE(AwaitTcpPort(fake, "10.0.0.1", 2379, {milliseconds(5000), milliseconds(1)}).ok());
  EXPECT_EQ(fake.commands().size(), 3u);
  EXPECT_EQ(fake.commands()[0].command.argv.back(), "2379");
}

TEST(NodeUtilFakeTest, AwaitTcpPortTimesOutNamingTheTarget) {
  FakeRemote fake("n2");
  fake.SetDefault(Exit(124));
  Status st = AwaitTcpPort(fake, "10.0.0.1", 2379, {milliseconds(50), milliseconds(10)});
  EXPECT_EQ(st.code(), Status::Code::kTimeout);
  EXPECT_NE(st.message().find("10.0.0.1:2379 (probed from n2)"), std::string::npos) << st.message();
  EXPECT_GE(fake.commands().size(), 2u);
  fake.SetDefault(Exit(127));
  EXPECT_EQ(AwaitTcpPort(fake, "h", 1, {milliseconds(50), milliseconds(10)}).code(),
            Status::Code::kUnsupported);
  fake.SetDefault(Status::AuthFailed("key"));
  EXPECT_EQ(AwaitTcpPort(fake, "h", 1).code(), Status::Code::kAuthFailed);
  EXPECT_EQ(AwaitTcpPort(fake, "h", 0).code(), Status::Code::kInvalidArgument);
}

TEST(NodeUtilFakeTest, AwaitHttpUsesCurlAndReportsTheLastError) {
  FakeRemote fake;
  fake.SetDefault(Exit(22, "", "curl: (22) The requested URL returned error: 503\n"));
  Status st = AwaitHttp(fake, "http://10.0.0.1:2379/health", {milliseconds(30), milliseconds(10)});
  EXPECT_EQ(st.code(), Status::Code::kTimeout);
  EXPECT_NE(st.message().find("503"), std::string::npos) << st.message();
  EXPECT_EQ(fake.commands()[0].command.argv[0], "curl");
  fake.SetDefault(Exit(127));
  EXPECT_EQ(AwaitHttp(fake, "http://x/").code(), Status::Code::kUnsupported);
}

TEST(NodeUtilFakeTest, WriteFileAtomicSendsContentOnStdin) {
  FakeRemote fake;
  ASSERT_TRUE(WriteFileAtomic(fake, "/etc/fl/conf", "a 'b' $(c)\n", 0600, true).ok());
  const Command c = fake.commands()[0].command;
  EXPECT_EQ(c.stdin_data, "a 'b' $(c)\n");
  EXPECT_EQ(c.argv[c.argv.size() - 2], "/etc/fl/conf");
  EXPECT_EQ(c.argv.back(), "600");
  EXPECT_TRUE(c.sudo);
  EXPECT_NE(c.argv[2].find("mv -f"), std::string::npos);
  EXPECT_EQ(WriteFileAtomic(fake, "conf", "").code(), Status::Code::kInvalidArgument);
}

TEST(NodeUtilFakeTest, EnsurePackagesInstallsOnlyWhatIsMissing) {
  FakeRemote fake("n1", /*user_is_root=*/false);
  fake.SetDefault(Exit(0, "missing: etcd-server\n"));
  auto installed = EnsurePackages(fake, {"etcd-server", "iptables"});
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  EXPECT_EQ(*installed, (std::vector<std::string>{"etcd-server"}));
  EXPECT_EQ(fake.rendered()[0].rfind("sudo -n -- ", 0), 0u);
  EXPECT_NE(fake.rendered()[0].find("dpkg-query"), std::string::npos);
  fake.SetDefault(Exit(0, "missing:\n"));
  EXPECT_TRUE(EnsurePackages(fake, {"iptables"})->empty());
  fake.SetDefault(Exit(127));
  EXPECT_EQ(EnsurePackages(fake, {"x1"}).status().code(), Status::Code::kUnsupported);
  fake.SetDefault(Exit(100, "", "E: Unable to locate package nosuch\n"));
  Status st = EnsurePackages(fake, {"nosuch"}).status();
  EXPECT_NE(st.message().find("Unable to locate package"), std::string::npos) << st.message();
  size_t before = fake.commands().size();
  EXPECT_EQ(EnsurePackages(fake, {"etcd; reboot"}).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(fake.commands().size(), before);
}

// ---- for real, on this machine ----------------------------------------------

class NodeUtilLocalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/faultline-nodeutil-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    for (int pid : started_) kill(-pid, SIGKILL);
    std::filesystem::remove_all(dir_);
  }

  DaemonSpec Spec(std::vector<std::string> argv) {
    DaemonSpec spec;
    spec.argv = std::move(argv);
    spec.pidfile = dir_ + "/run/d.pid";
    spec.logfile = dir_ + "/log/d.log";
    spec.workdir = dir_;
    return spec;
  }

  Result<int> Start(const DaemonSpec& spec) {
    Result<int> pid = StartDaemon(local_, spec);
    if (pid.ok()) started_.push_back(*pid);
    return pid;
  }

  static std::string Stat(int pid, int field) {  // field 3 = state, 6 = session
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(in, text);
    size_t paren = text.rfind(')');
    if (paren == std::string::npos) return "";
    std::istringstream rest(text.substr(paren + 2));
    std::string value;
    for (int i = 3; i <= field; ++i) rest >> value;
    return value;
  }

  std::string dir_;
  std::vector<int> started_;
  LocalRemote local_;
};

TEST_F(NodeUtilLocalTest, DaemonLifecycle) {
  DaemonSpec spec = Spec({"sh", "-c", "echo hello from $GREETING; pwd; exec sleep 600"});
  spec.env = {{"GREETING", "it's me"}};
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();

  // Detached: its own session, stdin from /dev/null, output into the log.
  EXPECT_EQ(Stat(*pid, 6), std::to_string(*pid));
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(*pid) + "/fd/0"), "/dev/null");
  std::string log;
  for (int i = 0; i < 100 && log.find('\n', log.find('\n') + 1) == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    std::ifstream in(spec.logfile);
    log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(log, "hello from it's me\n" + dir_ + "\n");
  std::ifstream pidfile(spec.pidfile);
  int recorded = 0;
  pidfile >> recorded;
  EXPECT_EQ(recorded, *pid);
  EXPECT_TRUE(*IsRunning(local_, spec.pidfile));

  // Starting again is a no-op returning the same daemon.
  auto again = Start(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *pid);

  ASSERT_TRUE(PauseDaemon(local_, spec.pidfile).ok());
  for (int i = 0; i < 50 && Stat(*pid, 3) != "T"; ++i)
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(Stat(*pid, 3), "T");
  ASSERT_TRUE(ResumeDaemon(local_, spec.pidfile).ok());
  for (int i = 0; i < 50 && Stat(*pid, 3) == "T"; ++i)
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_NE(Stat(*pid, 3), "T");

  // Stopping a paused daemon works too (TERM is followed by CONT).
  ASSERT_TRUE(PauseDaemon(local_, spec.pidfile).ok());
  auto stopped = StopDaemon(local_, spec.pidfile);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(*stopped, StopOutcome::kStopped);
  EXPECT_FALSE(*IsRunning(local_, spec.pidfile));
  EXPECT_FALSE(std::filesystem::exists(spec.pidfile));
  EXPECT_EQ(*StopDaemon(local_, spec.pidfile), StopOutcome::kNotRunning);
  EXPECT_EQ(SignalDaemon(local_, spec.pidfile, "CONT").code(), Status::Code::kNotFound);
}

TEST_F(NodeUtilLocalTest, StopKillsADaemonThatIgnoresTermAndItsChildren) {
  std::string child_pidfile = dir_ + "/child.pid";
  DaemonSpec spec = Spec(
      {"sh", "-c",
       "trap '' TERM; sleep 600 & echo $! > " + child_pidfile + "; while :; do sleep 1; done"});
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  int child = 0;
  for (int i = 0; i < 100 && child == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    std::ifstream(child_pidfile) >> child;
  }
  ASSERT_GT(child, 0);
  StopOptions options;
  options.grace = milliseconds(300);
  auto outcome = StopDaemon(local_, spec.pidfile, options);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, StopOutcome::kKilled);
  bool child_gone = false;
  for (int i = 0; i < 100 && !child_gone; ++i) {
    std::string state = Stat(child, 3);
    child_gone = state.empty() || state == "Z";
    if (!child_gone) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(child_gone) << "the daemon's child " << child << " survived";
}

TEST_F(NodeUtilLocalTest, DaemonThatDiesAtOnceIsReportedWithItsLog) {
  auto pid = Start(Spec({"sh", "-c", "echo cannot open config >&2; exit 1"}));
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), Status::Code::kIoError);
  EXPECT_NE(pid.status().message().find("cannot open config"), std::string::npos)
      << pid.status().message();
  auto missing = Start(Spec({"/no/such/daemon"}));
  EXPECT_EQ(missing.status().code(), Status::Code::kIoError);
}

TEST_F(NodeUtilLocalTest, StaleOrZombiePidfileMeansNotRunning) {
  std::ofstream(dir_ + "/stale.pid") << "999999\n";
  EXPECT_FALSE(*IsRunning(local_, dir_ + "/stale.pid"));
  EXPECT_FALSE(*IsRunning(local_, dir_ + "/missing.pid"));
  EXPECT_EQ(*StopDaemon(local_, dir_ + "/stale.pid"), StopOutcome::kNotRunning);
}

TEST_F(NodeUtilLocalTest, FilesAndDirectories) {
  std::string sub = dir_ + "/a b/c";
  ASSERT_TRUE(MakeDirs(local_, sub).ok());
  EXPECT_TRUE(std::filesystem::is_directory(sub));
  std::string path = sub + "/conf";
  std::string content = "line 'one'\n$(not run)\n";
  ASSERT_TRUE(WriteFileAtomic(local_, path, content, 0640).ok());
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            content);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_TRUE(WriteFileAtomic(local_, path, "v2").ok());
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(sub)) entries += e.exists() ? 1 : 0;
  EXPECT_EQ(entries, 1) << "a temporary file was left behind";
  Status missing_dir = WriteFileAtomic(local_, dir_ + "/nope/conf", "x");
  EXPECT_EQ(missing_dir.code(), Status::Code::kIoError);
}

// A listener on 127.0.0.1 that answers every connection with an HTTP 200.
class TinyHttpServer {
 public:
  TinyHttpServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        char buf[1024];
        (void)!read(c, buf, sizeof buf);
        const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
        (void)!write(c, reply, sizeof reply - 1);
        close(c);
      }
    });
  }
  ~TinyHttpServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(NodeUtilLocalTest, AwaitsPortsAndHealthUrls) {
  TinyHttpServer server;
  EXPECT_TRUE(AwaitTcpPort(local_, "127.0.0.1", server.port(), {milliseconds(5000)}).ok());
  Status http = AwaitHttp(local_, "http://127.0.0.1:" + std::to_string(server.port()) + "/health",
                          {milliseconds(5000)});
  EXPECT_TRUE(http.ok()) << http.ToString();
  // A port that is bound but not listening refuses every connection.
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Status closed = AwaitTcpPort(local_, "127.0.0.1", ntohs(addr.sin_port),
                               {milliseconds(300), milliseconds(50)});
  close(fd);
  EXPECT_EQ(closed.code(), Status::Code::kTimeout) << closed.ToString();
}

}  // namespace
}  // namespace faultline
