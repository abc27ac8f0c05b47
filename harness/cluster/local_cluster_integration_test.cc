// Integration tests of the local cluster: real namespaces, bridge, sshd, and
// SSH connections made by SshRemote from the nodes file `up` writes.
//
// Need root (skipped otherwise). Each test brings up its own cluster, named
// after the test so that tests may run in parallel, and always removes it: in
// TearDown, and from a watchdog should a test hang (it then exits the process).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness/cluster/cluster_plan.h"
#include "harness/cluster/host_command.h"
#include "harness/cluster/local_cluster.h"
#include "harness/control/node_util.h"
#include "harness/control/nodes_file.h"
#include "harness/control/parallel.h"
#include "harness/control/partition.h"
#include "harness/control/remote.h"

namespace faultline::cluster {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kTestDeadline = seconds(120);

// Removes the cluster and exits if the test has not finished by the deadline,
// so a hung test never leaves namespaces and processes behind.
class Watchdog {
 public:
  Watchdog(std::string cluster, std::chrono::seconds deadline)
      : thread_([this, cluster, deadline] {
          std::unique_lock<std::mutex> lock(mu_);
          if (cv_.wait_for(lock, deadline, [this] { return done_; })) return;
          std::fprintf(stderr, "watchdog: test exceeded %lld s; removing cluster %s\n",
                       static_cast<long long>(deadline.count()), cluster.c_str());
          (void)LocalCluster().Down(cluster);
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

std::string TestClusterName() {
  std::string name = "it-";
  for (char c : std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return name.substr(0, 32);
}

std::vector<std::string> ClusterNetns(const std::string& name) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/run/netns", ec)) {
    std::string netns = entry.path().filename().string();
    if (netns.rfind("faultline-" + name + "-", 0) == 0) found.push_back(netns);
  }
  return found;
}

std::vector<std::string> LinksWithAlias(const std::string& alias) {
  std::vector<std::string> found;
  auto out = CheckHostCommand({"ip", "-j", "link", "show"});
  if (!out.ok()) return {"<ip link failed: " + out.status().message() + ">"};
  for (const auto& link : nlohmann::json::parse(*out)) {
    if (link.value("ifalias", "") == alias) found.push_back(link.value("ifname", ""));
  }
  return found;
}

std::vector<std::string> MountLinesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) found.push_back(line);
  }
  return found;
}

// Host pids of every process in network namespace /run/netns/<netns>.
std::vector<pid_t> PidsInNetns(const std::string& netns) {
  std::vector<pid_t> pids;
  struct stat st;
  if (::stat(("/run/netns/" + netns).c_str(), &st) != 0) return pids;
  const std::string want = "net:[" + std::to_string(st.st_ino) + "]";
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    char link[64];
    ssize_t n = ::readlink(("/proc/" + pid + "/ns/net").c_str(), link, sizeof link - 1);
    if (n > 0 && std::string(link, static_cast<size_t>(n)) == want) pids.push_back(std::stoi(pid));
  }
  return pids;
}

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

// errno of a TCP connect from the host to address:22 within `timeout`
// (0 on success, ETIMEDOUT when nothing answered).
int ConnectErrno(const std::string& address, milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(22);
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = rc == 0 ? 0 : (errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno);
  ::close(fd);
  return err;
}

// Runs `body` in a child process and returns what it wrote to the pipe it
// was given; empty means success. For tests that must change the process
// (drop root, enter a scratch network namespace) without touching this one.
std::string InChild(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string problem = body();
    ssize_t ignored = ::write(fds[1], problem.data(), problem.size());
    (void)ignored;
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child died: " + out;
  return out;
}

class LocalClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "local cluster tests need root";
    name_ = TestClusterName();
    watchdog_ = std::make_unique<Watchdog>(name_, kTestDeadline);
  }

  void TearDown() override {
    remotes_.clear();
    if (!name_.empty()) {
      Status down = cluster_.Down(name_);
      EXPECT_TRUE(down.ok()) << down.ToString();
    }
    watchdog_.reset();
  }

  // Brings the test's cluster up and connects to every node via its nodes file.
  void Up(int nodes) {
    UpOptions options;
    options.name = name_;
    options.nodes = nodes;
    auto state = cluster_.Up(options);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = *state;
    ConnectAll();
  }

  void ConnectAll() {
    remotes_.clear();
    auto file = ReadNodesFile(cluster_.Paths(name_).nodes_file().string());
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_EQ(file->nodes.size(), state_.nodes.size());
    for (const auto& spec : file->nodes) {
      EXPECT_EQ(spec.host_key_policy, HostKeyPolicy::kStrict);
      auto remote = ConnectNode(spec);
      ASSERT_TRUE(remote.ok()) << remote.status().ToString();
      remotes_.push_back(*remote);
    }
  }

  // Runs `script` on node `k` (1-based); fails the test when it could not run.
  CommandResult Sh(int k, const std::string& script, milliseconds timeout = seconds(20)) {
    Command command = Command::Shell(script);
    command.timeout = timeout;
    auto result = remotes_.at(static_cast<size_t>(k - 1))->Run(command);
    EXPECT_TRUE(result.ok()) << "n" << k << ": " << script << ": " << result.status().ToString();
    return result.ok() ? *result : CommandResult{};
  }

  // True when node `from` (1-based) opens a TCP connection to node `to`'s sshd.
  bool TcpReachable(int from, int to) {
    const std::string& address = state_.nodes.at(static_cast<size_t>(to - 1)).address;
    return Sh(from, "timeout 2 bash -c 'exec 3<>/dev/tcp/" + address + "/22'").ok();
  }

  std::string name_;
  LocalCluster cluster_;
  ClusterState state_;
  std::vector<std::shared_ptr<Remote>> remotes_;
  std::unique_ptr<Watchdog> watchdog_;
};

TEST_F(LocalClusterTest, CommandsRunConcurrentlyOnAllNodes) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  // Eight threads per node, each running several commands over the node's
  // one SSH connection.
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int k = 1; k <= 3; ++k) {
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, k, t] {
        for (int i = 0; i < 5; ++i) {
          Command command =
              Command::Argv({"sh", "-c", "echo $(hostname) $1", "-", std::to_string(t * 100 + i)});
          command.timeout = seconds(20);
          auto result = remotes_[static_cast<size_t>(k - 1)]->Run(command);
          std::string want = "n" + std::to_string(k) + " " + std::to_string(t * 100 + i) + "\n";
          if (!result.ok() || !result->ok() || result->out != want) ++wrong;
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);

  auto results = RunOnAll(remotes_, Command::Shell("cat /proc/sys/kernel/hostname; id -un; "
                                                   "ip -4 -o addr show dev eth0"));
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].result.ok()) << results[i].result.status().ToString();
    EXPECT_THAT(results[i].result->out, HasSubstr(state_.nodes[i].name + "\nroot\n"));
    EXPECT_THAT(results[i].result->out, HasSubstr("inet " + state_.nodes[i].address + "/24"));
  }
  // Status sees every node running.
  auto status = cluster_.GetStatus(name_);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->up());
}

TEST_F(LocalClusterTest, UploadAndDownloadTenMegabytes) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  fs::path dir =
      fs::temp_directory_path() / ("faultline-" + name_ + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};
  const fs::path original = dir / "blob";
  {
    std::mt19937_64 rng(42);
    std::ofstream out(original, std::ios::binary);
    for (int i = 0; i < 10 * 1024 * 1024 / 8; ++i) {
      uint64_t word = rng();
      out.write(reinterpret_cast<const char*>(&word), sizeof word);
    }
  }
  auto host_sum = CheckHostCommand({"sha256sum", original.string()});
  ASSERT_TRUE(host_sum.ok()) << host_sum.status().ToString();
  const std::string digest = host_sum->substr(0, 64);

  const std::string remote_path = std::string(kNodeDataDir) + "/blob";
  auto uploads = ForEachNode(remotes_, [&](Remote& remote) {
    return remote.Upload(original.string(), remote_path, 0600);
  });
  for (const auto& status : uploads) ASSERT_TRUE(status.ok()) << status.ToString();
  for (int k = 1; k <= 3; ++k) {
    CommandResult sum = Sh(k, "sha256sum " + remote_path + "; stat -c %a " + remote_path);
    EXPECT_EQ(sum.out.substr(0, 64), digest) << "n" << k;
    EXPECT_THAT(sum.out, HasSubstr("\n600\n"));
    fs::path back = dir / ("back-n" + std::to_string(k));
    Status download = remotes_[static_cast<size_t>(k - 1)]->Download(remote_path, back.string());
    ASSERT_TRUE(download.ok()) << download.ToString();
    auto back_sum = CheckHostCommand({"sha256sum", back.string()});
    ASSERT_TRUE(back_sum.ok());
    EXPECT_EQ(back_sum->substr(0, 64), digest) << "n" << k;
  }
  // The node's data directory is its own directory on the host.
  EXPECT_TRUE(fs::exists(cluster_.Paths(name_).data_dir("n2") / "blob"));
}

TEST_F(LocalClusterTest, DataTmpAndHomeArePrivateToEachNode) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  const std::string marker = "marker-" + name_;
  ASSERT_TRUE(Sh(1, "echo one > /tmp/" + marker + " && echo one > " + std::string(kNodeDataDir) +
                        "/" + marker + " && echo one > ~/" + marker)
                  .ok());
  for (const std::string& where :
       {std::string("/tmp/"), std::string(kNodeDataDir) + "/", std::string("~/")}) {
    EXPECT_NE(Sh(2, "ls " + where + marker).exit_status, 0) << where;
  }
  EXPECT_FALSE(fs::exists("/tmp/" + marker));
  EXPECT_FALSE(fs::exists("/root/" + marker));
  EXPECT_TRUE(fs::exists(cluster_.Paths(name_).tmp_dir("n1") / marker));
  EXPECT_TRUE(fs::exists(cluster_.Paths(name_).data_dir("n1") / marker));
  EXPECT_TRUE(fs::exists(cluster_.Paths(name_).home_dir("n1") / marker));
  // Other clusters' state (and this cluster's private key) is hidden.
  CommandResult hidden = Sh(1, "ls /var/lib/faultline; ls /var/lib/faultline/clusters");
  EXPECT_EQ(hidden.out, "node\n");
  EXPECT_NE(hidden.exit_status, 0);
}

TEST_F(LocalClusterTest, DaemonOutlivesItsSshSessionAndStops) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  DaemonSpec spec;
  spec.argv = {"sleep", "3600"};
  spec.pidfile = std::string(kNodeDataDir) + "/sleeper/sleeper.pid";
  spec.logfile = std::string(kNodeDataDir) + "/sleeper/sleeper.log";
  auto started_at = std::chrono::steady_clock::now();
  auto pid = StartDaemon(*remotes_[0], spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started_at, seconds(5));
  // New connections (the old session is gone) still find it running, in its
  // own session, as a child of the node's first process.
  remotes_.clear();
  ASSERT_NO_FATAL_FAILURE(ConnectAll());
  auto running = IsRunning(*remotes_[0], spec.pidfile);
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  EXPECT_TRUE(*running);
  std::istringstream ps(Sh(1, "ps -o ppid=,sid= -p " + std::to_string(*pid)).out);
  int ppid = 0, sid = 0;
  ps >> ppid >> sid;
  EXPECT_EQ(ppid, 1);
  EXPECT_EQ(sid, *pid);
  EXPECT_TRUE(fs::exists(cluster_.Paths(name_).data_dir("n1") / "sleeper" / "sleeper.pid"));

  auto stopped = StopDaemon(*remotes_[0], spec.pidfile);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(*stopped, StopOutcome::kStopped);
  running = IsRunning(*remotes_[0], spec.pidfile);
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(*running);
  EXPECT_NE(Sh(1, "kill -0 " + std::to_string(*pid)).exit_status, 0);
}

TEST_F(LocalClusterTest, NodesSeeAndKillOnlyTheirOwnProcesses) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  ASSERT_TRUE(Sh(2, "setsid sleep 4242 </dev/null >/dev/null 2>&1 &").ok());
  EXPECT_THAT(Sh(2, "ps -eo args").out, HasSubstr("sleep 4242"));
  EXPECT_THAT(Sh(1, "ps -eo args").out, Not(HasSubstr("sleep 4242")));
  EXPECT_EQ(Sh(1, "cat /proc/1/comm").out, "sshd\n");
  // The host sees n2's sleeper under a host pid that n1 cannot signal.
  pid_t host_pid = 0;
  for (pid_t pid : PidsInNetns(state_.nodes[1].netns)) {
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (text == std::string("sleep\0"
                            "4242\0",
                            11))
      host_pid = pid;
  }
  ASSERT_GT(host_pid, 0);
  std::istringstream n1_ps(Sh(1, "ps -eo pid=").out);
  std::set<pid_t> n1_pids{std::istream_iterator<pid_t>(n1_ps), std::istream_iterator<pid_t>()};
  EXPECT_FALSE(n1_pids.empty());
  if (!n1_pids.count(host_pid)) {  // else n1 has a process of its own by that number
    EXPECT_NE(Sh(1, "kill -0 " + std::to_string(host_pid)).exit_status, 0);
  }
  // n1 cannot kill it by name either (pkill matches only what n1 sees).
  Sh(1, "pkill -9 -f '^sleep 4242$'; true");
  EXPECT_TRUE(Alive(host_pid));
  EXPECT_THAT(Sh(2, "ps -eo args").out, HasSubstr("sleep 4242"));
}

TEST_F(LocalClusterTest, PartitionBlocksTcpBetweenTwoNodesAndHealRestoresIt) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  std::map<std::string, std::shared_ptr<Remote>> nodes;
  std::map<std::string, std::string> addresses;
  for (size_t i = 0; i < state_.nodes.size(); ++i) {
    nodes[state_.nodes[i].name] = remotes_[i];
    addresses[state_.nodes[i].name] = state_.nodes[i].address;
  }
  ASSERT_TRUE(TcpReachable(1, 2));
  Status cut = ApplyGrudge(nodes, addresses, {{"n1", {"n2"}}, {"n2", {"n1"}}});
  ASSERT_TRUE(cut.ok()) << cut.ToString();
  EXPECT_FALSE(TcpReachable(1, 2));
  EXPECT_FALSE(TcpReachable(2, 1));
  EXPECT_TRUE(TcpReachable(3, 1));
  EXPECT_TRUE(TcpReachable(3, 2));
  EXPECT_TRUE(TcpReachable(1, 3));
  EXPECT_TRUE(TcpReachable(2, 3));
  // The rules live in n1's own network namespace, not on the host.
  EXPECT_THAT(Sh(1, "iptables -w -S " + std::string(kPartitionChain)).out,
              HasSubstr("-s " + addresses["n2"] + "/32 -j DROP"));
  auto host_rules = CheckHostCommand({"iptables", "-w", "-S"});
  ASSERT_TRUE(host_rules.ok()) << host_rules.status().ToString();
  EXPECT_THAT(*host_rules, Not(HasSubstr(addresses["n2"])));

  Status heal = HealAll(nodes);
  ASSERT_TRUE(heal.ok()) << heal.ToString();
  EXPECT_TRUE(TcpReachable(1, 2));
  EXPECT_TRUE(TcpReachable(2, 1));
}

TEST_F(LocalClusterTest, DownRemovesEveryTraceAndIsIdempotent) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  ASSERT_TRUE(Sh(1, "setsid sleep 3600 </dev/null >/dev/null 2>&1 &").ok());
  std::vector<pid_t> pids;
  for (const auto& node : state_.nodes) {
    for (pid_t pid : PidsInNetns(node.netns)) pids.push_back(pid);
  }
  EXPECT_GE(pids.size(), 4u);  // three sshds and the sleeper, at least
  EXPECT_EQ(ClusterNetns(name_).size(), 3u);
  EXPECT_EQ(LinksWithAlias(LinkAlias(name_)).size(), 4u);  // bridge + three veths
  remotes_.clear();
  // Someone ran `ip netns del` on n1: its processes live on in an unnamed
  // namespace, found only through the state file's pid of its sshd.
  const std::string n1_netns = "/run/netns/" + state_.nodes[0].netns;
  ASSERT_EQ(::umount2(n1_netns.c_str(), MNT_DETACH), 0);
  ASSERT_EQ(::unlink(n1_netns.c_str()), 0);

  Status down = cluster_.Down(name_);
  ASSERT_TRUE(down.ok()) << down.ToString();
  EXPECT_THAT(ClusterNetns(name_), ::testing::IsEmpty());
  EXPECT_THAT(LinksWithAlias(LinkAlias(name_)), ::testing::IsEmpty());
  for (pid_t pid : pids) EXPECT_FALSE(Alive(pid)) << "pid " << pid;
  EXPECT_THAT(MountLinesMentioning("faultline-" + name_ + "-"), ::testing::IsEmpty());
  EXPECT_THAT(MountLinesMentioning("/clusters/" + name_ + "/"), ::testing::IsEmpty());
  EXPECT_FALSE(fs::exists(cluster_.Paths(name_).dir));
  auto status = cluster_.GetStatus(name_);
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->exists);
  // The subnet is gone and the range is unreachable: a stray connection fails
  // at once instead of leaving the machine.
  auto started_at = std::chrono::steady_clock::now();
  int err = ConnectErrno(state_.nodes[0].address, milliseconds(3000));
  EXPECT_TRUE(err == EHOSTUNREACH || err == ENETUNREACH) << std::strerror(err);
  EXPECT_LT(std::chrono::steady_clock::now() - started_at, milliseconds(500));

  Status again = cluster_.Down(name_);
  EXPECT_TRUE(again.ok()) << again.ToString();
}

TEST_F(LocalClusterTest, UpCopesWithStaleLeftovers) {
  ASSERT_NO_FATAL_FAILURE(Up(3));
  remotes_.clear();
  // A crash that lost the state file: only the sweep by name finds the
  // namespaces, links and processes. One node's sshd died as well.
  ::kill(state_.nodes[0].init_pid, SIGKILL);
  fs::remove(cluster_.Paths(name_).state());
  ASSERT_NO_FATAL_FAILURE(Up(3));
  EXPECT_EQ(Sh(1, "hostname").out, "n1\n");
  EXPECT_EQ(ClusterNetns(name_).size(), 3u);

  // Up over a healthy cluster replaces it.
  ASSERT_NO_FATAL_FAILURE(Up(2));
  EXPECT_EQ(Sh(2, "hostname").out, "n2\n");
  EXPECT_EQ(ClusterNetns(name_).size(), 2u);
  EXPECT_EQ(LinksWithAlias(LinkAlias(name_)).size(), 3u);

  // A machine that was rebooted mid-`up`: only the directory and a state
  // file with a recycled pid (this test's own) are left. Down must not kill
  // the recycled pid.
  remotes_.clear();
  ASSERT_TRUE(cluster_.Down(name_).ok());
  ClusterState stale = PlanCluster(name_, 200, 2);
  stale.nodes[0].init_pid = ::getpid();
  fs::create_directories(cluster_.Paths(name_).data_dir("n1"));
  std::ofstream(cluster_.Paths(name_).state()) << StateToJson(stale);
  ASSERT_NO_FATAL_FAILURE(Up(3));
  EXPECT_EQ(Sh(3, "hostname").out, "n3\n");
}

TEST_F(LocalClusterTest, CancelledUpLeavesNothing) {
  std::atomic<bool> cancel{true};
  UpOptions options;
  options.name = name_;
  options.nodes = 2;
  options.cancel = &cancel;
  auto state = cluster_.Up(options);
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), Status::Code::kCancelled);
  EXPECT_THAT(ClusterNetns(name_), ::testing::IsEmpty());
  EXPECT_THAT(LinksWithAlias(LinkAlias(name_)), ::testing::IsEmpty());
  EXPECT_FALSE(fs::exists(cluster_.Paths(name_).dir));
}

TEST_F(LocalClusterTest, RefusesWhenTheAddressRangeIsInUse) {
  // In a scratch network namespace of a child process, so that the foreign
  // address does not disturb clusters of tests running in parallel.
  const std::string name = name_;
  std::string problem = InChild([&]() -> std::string {
    if (::unshare(CLONE_NEWNET) != 0) return "unshare: " + std::string(std::strerror(errno));
    for (auto argv :
         {std::vector<std::string>{"ip", "link", "set", "lo", "up"},
          std::vector<std::string>{"ip", "addr", "add", "10.77.213.5/24", "dev", "lo"}}) {
      if (auto r = CheckHostCommand(argv); !r.ok()) return r.status().ToString();
    }
    fs::path root = fs::temp_directory_path() / ("faultline-range-" + std::to_string(::getpid()));
    LocalCluster scratch(root);
    UpOptions options;
    options.name = name;
    options.nodes = 2;
    auto state = scratch.Up(options);
    std::string out;
    if (state.ok()) {
      (void)scratch.Down(name);
      out = "up succeeded";
    } else if (state.status().code() != Status::Code::kInvalidArgument ||
               state.status().message().find("address range in use") == std::string::npos ||
               state.status().message().find("10.77.213.5/24 on lo") == std::string::npos) {
      out = "wrong error: " + state.status().ToString();
    } else if (fs::exists(root / name) || !ClusterNetns(name).empty()) {
      out = "left something behind";
    }
    fs::remove_all(root);
    return out;
  });
  EXPECT_EQ(problem, "");
}

TEST_F(LocalClusterTest, RefusesWithoutRoot) {
  const std::string name = name_;
  std::string problem = InChild([&]() -> std::string {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0) {
      return "cannot drop root";
    }
    UpOptions options;
    options.name = name;
    auto state = LocalCluster().Up(options);
    if (state.ok()) return "up succeeded without root";
    if (state.status().code() != Status::Code::kInvalidArgument ||
        state.status().message().find("must run as root") == std::string::npos) {
      return "wrong error: " + state.status().ToString();
    }
    Status down = LocalCluster().Down(name);
    if (down.code() != Status::Code::kInvalidArgument) return "down: " + down.ToString();
    return "";
  });
  EXPECT_EQ(problem, "");
  EXPECT_FALSE(fs::exists(cluster_.Paths(name_).dir));
}

}  // namespace
}  // namespace faultline::cluster
