#include "targets/etcd_target.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "harness/control/fake_remote.h"
#include "targets/client.h"
#include "targets/testing/fake_http.h"
#include "targets/testing/recorder.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

CommandResult Exit(int status, std::string out = "", std::string err = "") {
  return CommandResult{status, std::move(out), std::move(err)};
}

// The words after `flag` in argv, or "" when absent.
std::string FlagValue(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

class EtcdTargetTest : public ::testing::Test {
 protected:
  EtcdTargetTest() {
    options_.make_transport = http_.factory();
    // node_util's scripts, answered as a node with nothing running would.
    remote_.OnSubstring("echo not-running", Exit(0, "not-running\n"));
    remote_.OnSubstring("setsid env", Exit(0, "4321 started\n"));
    remote_.OnSubstring("then echo running", Exit(0, "running\n"));
  }

  std::unique_ptr<Target> MakeTarget() {
    auto target = MakeEtcdTarget(options_);
    EXPECT_TRUE(target.ok()) << target.status().ToString();
    return std::move(*target);
  }

  NodeContext Ctx(size_t i) { return NodeContext{remote_, cluster_.nodes.at(i), cluster_}; }

  // The argv of the recorded StartDaemon command (its daemon argv follows "--").
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

  EtcdOptions options_;
  FakeHttp http_;
  FakeRemote remote_{"n2"};
  ClusterInfo cluster_{{{"n1", "10.0.0.1", ""}, {"n2", "10.0.0.2", ""}, {"n3", "10.0.0.3", ""}},
                       "/var/lib/faultline/node",
                       false};
};

TEST_F(EtcdTargetTest, DescribesAMemberOfTheWholeCluster) {
  auto member = DescribeEtcdMember(options_, Ctx(1));
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  EXPECT_EQ(member->dir, "/var/lib/faultline/node/etcd");
  EXPECT_EQ(member->data_dir, "/var/lib/faultline/node/etcd/data");
  EXPECT_EQ(member->log_file, "/var/lib/faultline/node/etcd/etcd.log");
  EXPECT_EQ(member->pid_file, "/var/lib/faultline/node/etcd/etcd.pid");
  EXPECT_EQ(member->client_url, "http://10.0.0.2:2379");
  const auto& argv = member->argv;
  EXPECT_EQ(argv.at(0), "/usr/bin/etcd");
  EXPECT_EQ(FlagValue(argv, "--name"), "n2");
  EXPECT_EQ(FlagValue(argv, "--data-dir"), "/var/lib/faultline/node/etcd/data");
  EXPECT_EQ(FlagValue(argv, "--listen-client-urls"), "http://10.0.0.2:2379");
  EXPECT_EQ(FlagValue(argv, "--advertise-client-urls"), "http://10.0.0.2:2379");
  EXPECT_EQ(FlagValue(argv, "--listen-peer-urls"), "http://10.0.0.2:2380");
  EXPECT_EQ(FlagValue(argv, "--initial-advertise-peer-urls"), "http://10.0.0.2:2380");
  EXPECT_EQ(FlagValue(argv, "--initial-cluster"),
            "n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380");
  EXPECT_EQ(FlagValue(argv, "--initial-cluster-state"), "new");
  EXPECT_EQ(FlagValue(argv, "--initial-cluster-token"), "faultline");
}

TEST_F(EtcdTargetTest, PerNodePortsAndDataDirsLetMembersShareAHost) {
  for (auto& node : cluster_.nodes) node.host = "127.0.0.1";
  cluster_.nodes[0].data_dir = "/tmp/t/n1/";
  options_.node_ports = {{"n1", {12379, 12380}}, {"n3", {32379, 32380}}};
  options_.ports = {22379, 22380};
  options_.extra_args = {"--heartbeat-interval", "50"};
  auto member = DescribeEtcdMember(options_, Ctx(0));
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->dir, "/tmp/t/n1/etcd");
  EXPECT_EQ(member->client_url, "http://127.0.0.1:12379");
  EXPECT_EQ(FlagValue(member->argv, "--initial-cluster"),
            "n1=http://127.0.0.1:12380,n2=http://127.0.0.1:22380,n3=http://127.0.0.1:32380");
  EXPECT_EQ(FlagValue(member->argv, "--heartbeat-interval"), "50");
  EXPECT_EQ(DescribeEtcdMember(options_, Ctx(1))->dir, "/var/lib/faultline/node/etcd");
}

TEST_F(EtcdTargetTest, RejectsBadNodesAndOptions) {
  NodeInfo stranger{"n9", "10.0.0.9", ""};
  auto outside = DescribeEtcdMember(options_, NodeContext{remote_, stranger, cluster_});
  EXPECT_EQ(outside.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outside.status().message().find("n9"), std::string::npos);

  cluster_.data_dir = "relative/dir";
  EXPECT_EQ(DescribeEtcdMember(options_, Ctx(0)).status().code(), Status::Code::kInvalidArgument);

  EtcdOptions bad_port;
  bad_port.node_ports["n2"] = {0, 2380};
  auto made = MakeEtcdTarget(bad_port);
  EXPECT_EQ(made.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(made.status().message().find("node_ports.n2.client"), std::string::npos);
  EtcdOptions bad_dir;
  bad_dir.dir_name = "../etc";
  EXPECT_EQ(MakeEtcdTarget(bad_dir).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(EtcdTargetTest, SetupStopsWipesStartsAndAwaitsHealth) {
  http_.AnswerAll(200, R"({"health":"true"})");
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(1));
  ASSERT_TRUE(st.ok()) << st.ToString();

  std::vector<std::string> rendered = remote_.rendered();
  auto index_of = [&](const std::string& part) {
    for (size_t i = 0; i < rendered.size(); ++i) {
      if (rendered[i].find(part) != std::string::npos) return static_cast<int>(i);
    }
    return -1;
  };
  const int install = index_of("dpkg-query");
  const int stop = index_of("echo not-running");
  const int wipe = index_of("rm -rf -- /var/lib/faultline/node/etcd");
  const int mkdir = index_of("mkdir -p -- /var/lib/faultline/node/etcd");
  const int start = index_of("setsid env");
  ASSERT_GE(install, 0);
  EXPECT_NE(rendered[install].find("etcd-server"), std::string::npos);
  EXPECT_LT(install, stop);
  EXPECT_LT(stop, wipe);
  EXPECT_LT(wipe, mkdir);
  EXPECT_LT(mkdir, start);

  std::vector<std::string> argv = StartedArgv();
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv[0], "/usr/bin/etcd");
  EXPECT_EQ(FlagValue(argv, "--name"), "n2");
  EXPECT_NE(rendered[start].find("/var/lib/faultline/node/etcd/etcd.pid"), std::string::npos);
  EXPECT_NE(rendered[start].find("/var/lib/faultline/node/etcd/etcd.log"), std::string::npos);

  auto requests = http_.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().method, "GET");
  EXPECT_EQ(requests.back().url, "http://10.0.0.2:2379/health");
}

TEST_F(EtcdTargetTest, SetupInstallsNothingForABinaryOfYourOwn) {
  http_.AnswerAll(200, R"({"health":"true"})");
  options_.binary = "/opt/etcd/bin/etcd";
  options_.package = "";
  auto target = MakeTarget();
  ASSERT_TRUE(target->Setup(Ctx(0)).ok());
  EXPECT_EQ(remote_.CountContaining("dpkg-query"), 0);
  EXPECT_EQ(StartedArgv().at(0), "/opt/etcd/bin/etcd");
}

TEST_F(EtcdTargetTest, SetupWaitsUntilHealthIsTrue) {
  int probes = 0;
  http_.SetHandler([&probes](const FakeHttp::Request&) -> Result<HttpResponse> {
    ++probes;
    if (probes == 1) return Status::Unreachable("refused");
    if (probes == 2) return HttpResponse{503, R"({"health":"false"})"};
    return HttpResponse{200, R"({"health":"true"})"};
  });
  auto target = MakeTarget();
  ASSERT_TRUE(target->Setup(Ctx(0)).ok());
  EXPECT_EQ(probes, 3);
}

TEST_F(EtcdTargetTest, SetupReportsADeadDaemonWithTheEndOfItsLog) {
  http_.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Unreachable("refused");
  });
  remote_.OnSubstring("then echo running", Exit(0, "stopped\n"));
  remote_.OnSubstring("tail -n 15",
                      Exit(0, "listen tcp 10.0.0.2:2379: bind: address already in use\n"));
  options_.setup_deadline = milliseconds(5000);
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(1));
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("n2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("exited"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("address already in use"), std::string::npos) << st.message();
}

TEST_F(EtcdTargetTest, SetupTimesOutNamingTheNodeAndTheLastProbe) {
  http_.AnswerAll(503, R"({"health":"false"})");
  remote_.OnSubstring("tail -n 15", Exit(0, "waiting for peers\n"));
  options_.setup_deadline = milliseconds(600);
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(2));
  EXPECT_EQ(st.code(), Status::Code::kTimeout);
  EXPECT_NE(st.message().find("etcd on n3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("health\":\"false"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("waiting for peers"), std::string::npos) << st.message();
}

TEST_F(EtcdTargetTest, SetupFailsWhenTheDaemonCannotStart) {
  remote_.OnSubstring("setsid env",
                      Exit(3, "", "the daemon exited at once; flag provided but not defined"));
  auto target = MakeTarget();
  Status st = target->Setup(Ctx(0));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("starting etcd on n1"), std::string::npos) << st.message();
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(EtcdTargetTest, TeardownStopsAndWipes) {
  auto target = MakeTarget();
  ASSERT_TRUE(target->Teardown(Ctx(0)).ok());
  std::vector<std::string> rendered = remote_.rendered();
  ASSERT_EQ(rendered.size(), 2u);
  const std::vector<std::string> stop_argv = remote_.commands()[0].command.argv;
  EXPECT_NE(std::find(stop_argv.begin(), stop_argv.end(), "KILL"), stop_argv.end())
      << "the data is wiped anyway: no graceful stop";
  EXPECT_NE(rendered[0].find("/var/lib/faultline/node/etcd/etcd.pid"), std::string::npos);
  EXPECT_EQ(rendered[1], "rm -rf -- /var/lib/faultline/node/etcd");
}

TEST_F(EtcdTargetTest, SudoReachesEveryCommand) {
  FakeRemote non_root("n1", /*user_is_root=*/false);
  non_root.OnSubstring("echo not-running", Exit(0, "not-running\n"));
  cluster_.sudo = true;
  auto target = MakeTarget();
  ASSERT_TRUE(target->Teardown(NodeContext{non_root, cluster_.nodes[0], cluster_}).ok());
  for (const std::string& r : non_root.rendered()) EXPECT_EQ(r.rfind("sudo -n -- ", 0), 0u) << r;
}

TEST_F(EtcdTargetTest, KillSendsSigkillAndStartRestartsOnTheSameData) {
  http_.AnswerAll(503, R"({"health":"false"})");  // up, but without a quorum
  auto target = MakeTarget();
  ASSERT_NE(target->killable(), nullptr);
  ASSERT_TRUE(target->killable()->Kill(Ctx(0)).ok());
  ASSERT_EQ(remote_.rendered().size(), 1u);
  const std::vector<std::string> kill_argv = remote_.commands()[0].command.argv;
  EXPECT_NE(std::find(kill_argv.begin(), kill_argv.end(), "KILL"), kill_argv.end());

  remote_.ClearRecorded();
  ASSERT_TRUE(target->killable()->Start(Ctx(0)).ok());
  EXPECT_EQ(remote_.CountContaining("rm -rf"), 0) << "start keeps the data";
  EXPECT_EQ(FlagValue(StartedArgv(), "--data-dir"), "/var/lib/faultline/node/etcd/data");
}

TEST_F(EtcdTargetTest, StartTimesOutWhenThePortNeverAnswers) {
  http_.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Unreachable("refused");
  });
  options_.start_deadline = milliseconds(300);
  auto target = MakeTarget();
  Status st = target->killable()->Start(Ctx(0));
  EXPECT_EQ(st.code(), Status::Code::kTimeout);
  EXPECT_NE(st.message().find("did not answer"), std::string::npos) << st.message();
}

TEST_F(EtcdTargetTest, PauseAndResumeSignalTheDaemon) {
  auto target = MakeTarget();
  ASSERT_NE(target->pausable(), nullptr);
  ASSERT_TRUE(target->pausable()->Pause(Ctx(0)).ok());
  ASSERT_TRUE(target->pausable()->Resume(Ctx(0)).ok());
  auto commands = remote_.commands();
  ASSERT_EQ(commands.size(), 2u);
  const auto& pause = commands[0].command.argv;
  const auto& resume = commands[1].command.argv;
  EXPECT_NE(std::find(pause.begin(), pause.end(), "STOP"), pause.end());
  EXPECT_NE(std::find(resume.begin(), resume.end(), "CONT"), resume.end());

  remote_.OnSubstring("exit 3", Exit(3));
  Status st = target->pausable()->Pause(Ctx(0));
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_NE(st.message().find("n1"), std::string::npos);
}

TEST_F(EtcdTargetTest, LogFilesNameTheEtcdLog) {
  auto target = MakeTarget();
  ASSERT_NE(target->log_files(), nullptr);
  auto files = target->log_files()->LogFiles(Ctx(2));
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, std::vector<std::string>{"/var/lib/faultline/node/etcd/etcd.log"});
}

TEST_F(EtcdTargetTest, PrimariesAreMembersThatLeadThemselves) {
  http_.SetHandler([](const FakeHttp::Request& r) -> Result<HttpResponse> {
    if (r.url == "http://10.0.0.1:2379/v3/maintenance/status") {
      return HttpResponse{200, R"({"header":{"member_id":"11"},"leader":"22"})"};
    }
    if (r.url == "http://10.0.0.2:2379/v3/maintenance/status") {
      return HttpResponse{200, R"({"header":{"member_id":"22"},"leader":"22"})"};
    }
    return Status::Unreachable("down");
  });
  auto target = MakeTarget();
  std::vector<NodeContext> all = {Ctx(0), Ctx(1), Ctx(2)};
  auto leaders = target->primaries()->Primaries(all);
  ASSERT_TRUE(leaders.ok()) << leaders.status().ToString();
  EXPECT_EQ(*leaders, std::vector<std::string>{"n2"});

  http_.SetHandler(
      [](const FakeHttp::Request&) -> Result<HttpResponse> { return Status::Unreachable("down"); });
  EXPECT_EQ(target->primaries()->Primaries(all).status().code(), Status::Code::kUnreachable);
}

TEST_F(EtcdTargetTest, RegisterClientsTalkToTheNodesClientPort) {
  options_.node_ports["n3"] = {32379, 32380};
  options_.key_prefix = "test/";
  options_.client_timeouts = {milliseconds(300), milliseconds(900)};
  http_.AnswerAll(200, R"({"header":{}})");
  auto target = MakeTarget();
  auto client = target->register_clients()->NewRegisterClient();
  ASSERT_TRUE(client->Open(cluster_.nodes[2]).ok());
  Op done = client->Invoke(MakeOp(0, "write", 1, "k"));
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.node, "n3");
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(http_.requests()[0].url, "http://10.0.0.3:32379/v3/kv/put");
  EXPECT_EQ(Json::parse(http_.requests()[0].body)["key"], "dGVzdC9r");  // "test/k"
  EXPECT_EQ(http_.timeouts().back().total.count(), 900);
}

}  // namespace
}  // namespace faultline
