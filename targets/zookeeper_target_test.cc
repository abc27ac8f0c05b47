#include "targets/zookeeper_target.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "harness/control/fake_remote.h"
#include "targets/client.h"
#include "targets/registry.h"
#include "targets/testing/recorder.h"
#include "targets/zookeeper_client.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

CommandResult Exit(int status, std::string out = "", std::string err = "") {
  return CommandResult{status, std::move(out), std::move(err)};
}

constexpr char kFollower[] =
    "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\n"
    "Connections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: follower\nNode count: 5\n";
constexpr char kNotServing[] = "This ZooKeeper instance is not currently serving requests\n";

// Four-letter words answered from a script, recorded.
class FakeFourLetter {
 public:
  struct Sent {
    std::string host;
    int port;
    std::string word;
  };
  FourLetterFn fn() {
    return [this](const std::string& host, int port, const std::string& word,
                  milliseconds) -> Result<std::string> {
      std::lock_guard lock(mu_);
      sent_.push_back({host, port, word});
      if (answer_) return answer_(host, port, word);
      return Status::Unreachable("refused");
    };
  }
  void Answer(std::function<Result<std::string>(const std::string&, int, const std::string&)> a) {
    std::lock_guard lock(mu_);
    answer_ = std::move(a);
  }
  std::vector<Sent> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::function<Result<std::string>(const std::string&, int, const std::string&)> answer_;
  std::vector<Sent> sent_;
};

class ZooKeeperTargetTest : public ::testing::Test {
 protected:
  ZooKeeperTargetTest() {
    options_.four_letter = four_.fn();
    remote_.OnSubstring("echo not-running", Exit(0, "not-running\n"));
    remote_.OnSubstring("setsid env", Exit(0, "4321 started\n"));
    remote_.OnSubstring("then echo running", Exit(0, "running\n"));
  }

  std::unique_ptr<Target> MakeTarget() {
    auto target = MakeZooKeeperTarget(options_);
    EXPECT_TRUE(target.ok()) << target.status().ToString();
    return std::move(*target);
  }

  NodeContext Ctx(size_t i) { return NodeContext{remote_, cluster_.nodes.at(i), cluster_}; }

  std::vector<std::string> StartedArgv() {
    for (const auto& recorded : remote_.commands()) {
      const auto& argv = recorded.command.argv;
      auto dashes = std::find(argv.begin(), argv.end(), "--");
      if (recorded.rendered.find("setsid env") != std::string::npos && dashes != argv.end()) {
        return std::vector<std::string>(dashes + 1, argv.end());
      }
    }
    return {};
  }

  // The stdin of the first recorded command mentioning `part`.
  std::string StdinOf(const std::string& part) {
    for (const auto& recorded : remote_.commands()) {
      if (recorded.rendered.find(part) != std::string::npos) return recorded.command.stdin_data;
    }
    return "<none>";
  }

  ZooKeeperOptions options_;
  FakeFourLetter four_;
  FakeRemote remote_{"n2"};
  ClusterInfo cluster_{{{"n1", "10.0.0.1", ""}, {"n2", "10.0.0.2", ""}, {"n3", "10.0.0.3", ""}},
                       "/var/lib/faultline/node",
                       false};
};

TEST_F(ZooKeeperTargetTest, DescribesAMemberOfTheWholeEnsemble) {
  auto m = DescribeZooKeeperMember(options_, Ctx(1));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, 2);
  EXPECT_EQ(m->dir, "/var/lib/faultline/node/zookeeper");
  EXPECT_EQ(m->data_dir, "/var/lib/faultline/node/zookeeper/data");
  EXPECT_EQ(m->config_file, "/var/lib/faultline/node/zookeeper/zoo.cfg");
  EXPECT_EQ(m->myid_file, "/var/lib/faultline/node/zookeeper/data/myid");
  EXPECT_EQ(m->log_file, "/var/lib/faultline/node/zookeeper/zookeeper.log");
  EXPECT_EQ(m->pid_file, "/var/lib/faultline/node/zookeeper/zookeeper.pid");
  EXPECT_EQ(m->host, "10.0.0.2");
  EXPECT_EQ(m->client_port, 2181);
  for (const char* line :
       {"\ntickTime=500\n", "\ninitLimit=10\n", "\nsyncLimit=5\n",
        "\ndataDir=/var/lib/faultline/node/zookeeper/data\n", "\nclientPort=2181\n",
        "\n4lw.commands.whitelist=ruok,srvr,stat,mntr\n", "\nsnapshot.trust.empty=true\n",
        "\nserver.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888\n"}) {
    EXPECT_NE(m->config.find(line), std::string::npos) << line << " missing from\n" << m->config;
  }
  const auto& argv = m->argv;
  EXPECT_EQ(argv.front(), "java");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-Xmx256m"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-Dzookeeper.snapshot.trust.empty=true"),
            argv.end());
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(argv[argv.size() - 4], "-cp");
  EXPECT_EQ(argv[argv.size() - 2], "org.apache.zookeeper.server.quorum.QuorumPeerMain");
  EXPECT_EQ(argv.back(), m->config_file);
}

TEST_F(ZooKeeperTargetTest, PerNodePortsDataDirsAndOptionsReachTheConfig) {
  for (auto& node : cluster_.nodes) node.host = "127.0.0.1";
  cluster_.nodes[0].data_dir = "/tmp/t/n1/";
  options_.node_ports = {{"n1", {12181, 12888, 13888}}, {"n3", {32181, 32888, 33888}}};
  options_.ports = {22181, 22888, 23888};
  options_.tick_time_ms = 200;
  options_.heap_mb = 64;
  options_.jvm_args = {"-Dx=y"};
  options_.extra_config = {"globalOutstandingLimit=100"};
  auto m = DescribeZooKeeperMember(options_, Ctx(0));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->id, 1);
  EXPECT_EQ(m->dir, "/tmp/t/n1/zookeeper");
  EXPECT_EQ(m->client_port, 12181);
  EXPECT_NE(m->config.find("server.1=127.0.0.1:12888:13888\nserver.2=127.0.0.1:22888:23888\n"
                           "server.3=127.0.0.1:32888:33888\n"),
            std::string::npos)
      << m->config;
  EXPECT_NE(m->config.find("\ntickTime=200\n"), std::string::npos);
  EXPECT_NE(m->config.find("\nglobalOutstandingLimit=100\n"), std::string::npos);
  EXPECT_NE(std::find(m->argv.begin(), m->argv.end(), "-Xmx64m"), m->argv.end());
  EXPECT_NE(std::find(m->argv.begin(), m->argv.end(), "-Dx=y"), m->argv.end());
  EXPECT_EQ(DescribeZooKeeperMember(options_, Ctx(1))->dir, "/var/lib/faultline/node/zookeeper");
}

TEST_F(ZooKeeperTargetTest, RejectsBadNodesAndOptions) {
  NodeInfo stranger{"n9", "10.0.0.9", ""};
  auto outside = DescribeZooKeeperMember(options_, NodeContext{remote_, stranger, cluster_});
  EXPECT_EQ(outside.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outside.status().message().find("n9"), std::string::npos);
  cluster_.data_dir = "relative";
  EXPECT_EQ(DescribeZooKeeperMember(options_, Ctx(0)).status().code(),
            Status::Code::kInvalidArgument);

  auto message = [](ZooKeeperOptions o) { return MakeZooKeeperTarget(o).status().message(); };
  ZooKeeperOptions o;
  o.node_ports["n2"] = {2181, 0, 3888};
  EXPECT_NE(message(o).find("node_ports.n2.quorum"), std::string::npos) << message(o);
  o = {};
  o.dir_name = "..";
  EXPECT_NE(message(o).find("dir_name"), std::string::npos);
  o = {};
  o.extra_config = {"no equals sign"};
  EXPECT_NE(message(o).find("extra_config"), std::string::npos);
  o = {};
  o.client.root = "faultline/";
  EXPECT_NE(message(o).find("root"), std::string::npos);
  o = {};
  o.tick_time_ms = 0;
  EXPECT_NE(message(o).find("tick_time_ms"), std::string::npos);
}

TEST_F(ZooKeeperTargetTest, ModeComesFromSrvr) {
  EXPECT_EQ(ZooKeeperMode(kFollower), "follower");
  EXPECT_EQ(ZooKeeperMode("Zxid: 0x1\nMode: leader\r\nNode count: 4\n"), "leader");
  EXPECT_EQ(ZooKeeperMode("Mode: standalone"), "standalone");
  EXPECT_EQ(ZooKeeperMode(kNotServing), "");
  EXPECT_EQ(ZooKeeperMode(""), "");
}

TEST_F(ZooKeeperTargetTest, SetupWritesConfigAndMyidThenWaitsForAQuorum) {
  int probes = 0;
  four_.Answer([&probes](const std::string&, int, const std::string&) -> Result<std::string> {
    ++probes;
    if (probes == 1) return Status::Unreachable("refused");
    if (probes == 2) return std::string(kNotServing);
    return std::string(kFollower);
  });
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(1));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(probes, 3);

  std::vector<std::string> rendered = remote_.rendered();
  auto index_of = [&](const std::string& part) {
    for (size_t i = 0; i < rendered.size(); ++i) {
      if (rendered[i].find(part) != std::string::npos) return static_cast<int>(i);
    }
    return -1;
  };
  const int install = index_of("dpkg-query");
  const int stop = index_of("echo not-running");
  const int wipe = index_of("rm -rf -- /var/lib/faultline/node/zookeeper");
  const int mkdir = index_of("mkdir -p -- /var/lib/faultline/node/zookeeper/data");
  const int config = index_of("zoo.cfg");
  const int myid = index_of("data/myid");
  const int start = index_of("setsid env");
  ASSERT_GE(install, 0);
  EXPECT_NE(rendered[install].find("zookeeper"), std::string::npos);
  EXPECT_LT(install, stop);
  EXPECT_LT(stop, wipe);
  EXPECT_LT(wipe, mkdir);
  EXPECT_LT(mkdir, config);
  EXPECT_LT(config, start);
  EXPECT_LT(myid, start);
  EXPECT_EQ(StdinOf("data/myid"), "2\n");
  EXPECT_NE(StdinOf("zoo.cfg").find("server.2=10.0.0.2:2888:3888"), std::string::npos);
  EXPECT_NE(rendered[start].find("/var/lib/faultline/node/zookeeper/zookeeper.pid"),
            std::string::npos);
  std::vector<std::string> argv = StartedArgv();
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.back(), "/var/lib/faultline/node/zookeeper/zoo.cfg");

  for (const auto& sent : four_.sent()) {
    EXPECT_EQ(sent.host, "10.0.0.2");
    EXPECT_EQ(sent.port, 2181);
    EXPECT_EQ(sent.word, "srvr");
  }
}

TEST_F(ZooKeeperTargetTest, SetupReportsADeadJvmWithTheEndOfItsLog) {
  remote_.OnSubstring("then echo running", Exit(0, "stopped\n"));
  remote_.OnSubstring("tail -n 15", Exit(0, "java.net.BindException: Address already in use\n"));
  options_.setup_deadline = milliseconds(5000);
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(0));
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("zookeeper on n1 exited"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Address already in use"), std::string::npos) << st.message();
}

TEST_F(ZooKeeperTargetTest, SetupTimesOutNamingTheNodeAndTheLastAnswer) {
  four_.Answer([](const std::string&, int, const std::string&) -> Result<std::string> {
    return std::string(kNotServing);
  });
  remote_.OnSubstring("tail -n 15", Exit(0, "Cannot open channel to 1\n"));
  options_.setup_deadline = milliseconds(500);
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(2));
  EXPECT_EQ(st.code(), Status::Code::kTimeout);
  EXPECT_NE(st.message().find("zookeeper on n3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("not currently serving"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Cannot open channel"), std::string::npos) << st.message();
}

TEST_F(ZooKeeperTargetTest, KillStartTeardownPauseAndLogs) {
  four_.Answer([](const std::string&, int, const std::string& word) -> Result<std::string> {
    return std::string(word == "ruok" ? "imok" : kNotServing);  // up, no quorum
  });
  auto target = MakeTarget();
  ASSERT_TRUE(target->killable()->Kill(Ctx(0)).ok());
  const auto kill_argv = remote_.commands().at(0).command.argv;
  EXPECT_NE(std::find(kill_argv.begin(), kill_argv.end(), "KILL"), kill_argv.end());

  remote_.ClearRecorded();
  ASSERT_TRUE(target->killable()->Start(Ctx(0)).ok());
  EXPECT_EQ(remote_.CountContaining("rm -rf"), 0) << "start keeps the data";
  EXPECT_EQ(remote_.CountContaining("zoo.cfg"), 1) << "only the daemon's command line";
  EXPECT_EQ(four_.sent().back().word, "ruok");

  remote_.ClearRecorded();
  ASSERT_TRUE(target->pausable()->Pause(Ctx(0)).ok());
  ASSERT_TRUE(target->pausable()->Resume(Ctx(0)).ok());
  EXPECT_EQ(remote_.CountContaining("STOP"), 1);
  EXPECT_EQ(remote_.CountContaining("CONT"), 1);

  remote_.ClearRecorded();
  ASSERT_TRUE(target->Teardown(Ctx(0)).ok());
  EXPECT_EQ(remote_.rendered().back(), "rm -rf -- /var/lib/faultline/node/zookeeper");

  auto logs = target->log_files()->LogFiles(Ctx(0));
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(*logs, (std::vector<std::string>{"/var/lib/faultline/node/zookeeper/zookeeper.log",
                                             "/var/lib/faultline/node/zookeeper/zoo.cfg"}));
}

TEST_F(ZooKeeperTargetTest, UnderTheClockShimTheJvmItselfGetsItsEnvironment) {
  four_.Answer([](const std::string&, int, const std::string& word) -> Result<std::string> {
    return std::string(word == "ruok" ? "imok" : kNotServing);
  });
  auto target = MakeTarget();
  ASSERT_NE(target->clock_shim(), nullptr);
  ASSERT_TRUE(target->killable()->Start(Ctx(0)).ok());
  EXPECT_EQ(remote_.CountContaining("LD_PRELOAD"), 0) << "not before EnableClockShim";

  target->clock_shim()->EnableClockShim();
  remote_.ClearRecorded();
  ASSERT_TRUE(target->killable()->Start(Ctx(0)).ok());
  std::string start;
  for (const std::string& r : remote_.rendered()) {
    if (r.find("setsid env") != std::string::npos) start = r;
  }
  EXPECT_NE(start.find("LD_PRELOAD="), std::string::npos) << start;
  EXPECT_NE(start.find("FAULTLINE_CLOCK_FILE=/var/lib/faultline/node/faultline-clock/offset"),
            std::string::npos)
      << start;
  std::vector<std::string> argv = StartedArgv();
  ASSERT_FALSE(argv.empty());
  // env's assignments, then the JVM itself: no wrapper script in between.
  auto program = std::find_if(argv.begin(), argv.end(),
                              [](const std::string& a) { return a.find('=') == std::string::npos; });
  ASSERT_NE(program, argv.end());
  EXPECT_EQ(*program, "java");
  EXPECT_EQ(program - argv.begin(), 2) << "LD_PRELOAD and FAULTLINE_CLOCK_FILE";
  // Teardown leaves the clock files alone (the nemesis owns them).
  remote_.ClearRecorded();
  ASSERT_TRUE(target->Teardown(Ctx(0)).ok());
  EXPECT_EQ(remote_.CountContaining("faultline-clock"), 0);
}

TEST_F(ZooKeeperTargetTest, PrimariesAreTheNodesWhoseSrvrSaysLeader) {
  four_.Answer([](const std::string& host, int, const std::string&) -> Result<std::string> {
    if (host == "10.0.0.1") return Status::Unreachable("refused");
    if (host == "10.0.0.3") return std::string("Mode: leader\n");
    return std::string(kFollower);
  });
  auto target = MakeTarget();
  auto leaders = target->primaries()->Primaries({Ctx(0), Ctx(1), Ctx(2)});
  ASSERT_TRUE(leaders.ok()) << leaders.status().ToString();
  EXPECT_EQ(*leaders, std::vector<std::string>{"n3"});

  four_.Answer([](const std::string&, int, const std::string&) -> Result<std::string> {
    return Status::Unreachable("refused");
  });
  EXPECT_EQ(target->primaries()->Primaries({Ctx(0), Ctx(1)}).status().code(),
            Status::Code::kUnreachable);
}

TEST(ZooKeeperRegistryTest, OptionsAreParsedAndCheckedByName) {
  auto made = MakeTarget("zookeeper", Json::parse(R"({
      "tick_time_ms": 200, "zk_sync_reads": false, "session_timeout_ms": 4000,
      "node_ports": {"n1": {"client": 12181, "quorum": 12888, "election": 13888}},
      "jvm_args": ["-Dfoo=1"], "extra_config": ["a=b"], "package": "", "lock_ttl_s": 3})"));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ((*made)->name(), "zookeeper");
  EXPECT_NE((*made)->register_clients(), nullptr);
  EXPECT_NE((*made)->set_clients(), nullptr);
  EXPECT_NE((*made)->lock_clients(), nullptr);

  auto bad = MakeTarget("zookeeper", Json::parse(R"({"zk_sync_reads": "yes"})"));
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("zk_sync_reads: expected true or false"),
            std::string::npos)
      << bad.status().message();
  auto typo = MakeTarget("zookeeper", Json::parse(R"({"tick_time": 200})"));
  EXPECT_NE(typo.status().message().find("unknown option 'tick_time'"), std::string::npos)
      << typo.status().message();
  auto port = MakeTarget("zookeeper", Json::parse(R"({"node_ports": {"n2": {"client": 0}}})"));
  EXPECT_NE(port.status().message().find("node_ports.n2.client"), std::string::npos)
      << port.status().message();
}

TEST(ZooKeeperClientTest, KeysBecomeSafeZnodeNames) {
  EXPECT_EQ(ZnodeName(Json(7)), "7");
  EXPECT_EQ(ZnodeName(Json("a/b")), "a%2Fb");
  EXPECT_EQ(ZnodeName(Json("..")), "%2E%2E");
  EXPECT_EQ(ZnodeName(Json("")), "%");
  EXPECT_EQ(ZnodeName(Json()), "null");
  EXPECT_EQ(ZnodeName(Json("x-1_y")), "x-1_y");
}

TEST(ZooKeeperClientTest, SetChildNamesHoldTheirElements) {
  EXPECT_EQ(*SetElementOfChild("e12-0000000003"), 12);
  EXPECT_EQ(*SetElementOfChild("e-12-0000000003"), -12);
  EXPECT_EQ(*SetElementOfChild("e0-0000000000"), 0);
  EXPECT_FALSE(SetElementOfChild("lock-0000000001").ok());
  EXPECT_FALSE(SetElementOfChild("e-0000000001").ok());
  EXPECT_FALSE(SetElementOfChild("ex-0000000001").ok());
}

// A port on 127.0.0.1 where nothing listens.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(ZooKeeperClientTest, NothingListeningMeansFailUnsentForEveryClient) {
  ZooKeeperClientOptions o;
  o.connect_timeout = milliseconds(300);
  const int port = ClosedPort();
  o.endpoint = [port](const NodeInfo&) { return "127.0.0.1:" + std::to_string(port); };
  const NodeInfo node{"n1", "127.0.0.1", ""};
  struct Case {
    std::unique_ptr<Client> client;
    Op op;
  };
  std::vector<Case> cases;
  cases.push_back({MakeZooKeeperRegisterClient(o), MakeOp(0, "write", 1, 1)});
  cases.push_back({MakeZooKeeperRegisterClient(o), MakeOp(0, "cas", Json::array({1, 2}), 1)});
  cases.push_back({MakeZooKeeperSetClient(o), MakeOp(0, "add", 3, 1)});
  cases.push_back({MakeZooKeeperLockClient(o), MakeOp(0, "acquire", Json(), 1)});
  for (Case& c : cases) {
    ASSERT_TRUE(c.client->Open(node).ok());
    Op done = c.client->Invoke(c.op);
    EXPECT_EQ(done.type, OpType::kFail) << c.op.f << ": " << done.error.dump();
    EXPECT_EQ(done.error.get<std::string>().rfind("unreachable", 0), 0u) << done.error.dump();
    EXPECT_EQ(done.node, "n1");
    c.client->Close();
  }
  auto lock = MakeZooKeeperLockClient(o);
  ASSERT_TRUE(lock->Open(node).ok());
  Op release = lock->Invoke(MakeOp(0, "release", Json(), 1));
  EXPECT_EQ(release.type, OpType::kFail);
  EXPECT_EQ(release.error.get<std::string>().rfind("not-held", 0), 0u) << release.error.dump();
  Op unknown = lock->Invoke(MakeOp(0, "frobnicate", Json(), 1));
  EXPECT_EQ(unknown.type, OpType::kFail);
}

}  // namespace
}  // namespace faultline
