// The whole runner on in-memory targets: no cluster, no SSH.
#include "harness/runner/runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "harness/control/fake_remote.h"
#include "harness/history/reader.h"
#include "harness/runner/store.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = fs::temp_directory_path() /
             ("faultline-runner-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(store_);
  }
  void TearDown() override { fs::remove_all(store_); }

  TestConfig Config(const std::string& target) {
    TestConfig c;
    c.target = target;
    c.local_nodes = {"n1", "n2", "n3"};
    c.concurrency = "6";
    c.time_limit_s = 1;
    c.nemesis_interval_s = 0.2;
    c.seed = 5;
    c.store = store_.string();
    return c;
  }

  fs::path store_;
};

TEST_F(RunnerTest, MemoryTargetUnderKillsAndPausesIsValid) {
  TestConfig c = Config("memory");
  c.nemesis = {"kill", "pause"};
  int progress_calls = 0;
  auto outcome = RunTest(c, TestEnv{}, nullptr, [&](const Progress&) { ++progress_calls; });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->harness_error.ok()) << outcome->harness_error.ToString();
  EXPECT_EQ(outcome->valid, Validity::kValid) << outcome->results.ToJson().dump();
  const std::string run = outcome->run_dir;
  for (const char* f : {"test.json", "history.jsonl", "results.json", "harness.log",
                        "state.json"}) {
    EXPECT_TRUE(fs::exists(fs::path(run) / f)) << f;
  }
  EXPECT_TRUE(fs::exists(store_ / "latest" / "history.jsonl"));
  auto results = ReadJsonFile(run + "/results.json");
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)["valid"], true);
  EXPECT_EQ((*results)["checkers"]["linearizability"]["valid"], true);
  auto history = ReadHistoryFile(run + "/history.jsonl");
  ASSERT_TRUE(history.ok());
  int nemesis_ops = 0, ok_ops = 0;
  size_t last_nemesis = 0;
  for (size_t i = 0; i < history->ops.size(); ++i) {
    const Op& op = history->ops[i];
    if (op.is_nemesis()) {
      ++nemesis_ops;
      last_nemesis = i;
    } else if (op.type == OpType::kOk) {
      ++ok_ops;
    }
  }
  // The final heal is the nemesis schedule's own last ops: resume, then start.
  EXPECT_EQ(history->ops[last_nemesis].f, "start");
  EXPECT_EQ(history->ops[last_nemesis].type, OpType::kOk);
  bool ok_after_heal = false;
  for (size_t i = last_nemesis; i < history->ops.size(); ++i) {
    ok_after_heal |= history->ops[i].type == OpType::kOk && !history->ops[i].is_nemesis();
  }
  EXPECT_GT(nemesis_ops, 2);
  EXPECT_GT(ok_ops, 100);
  EXPECT_TRUE(ok_after_heal) << "final reads after the heal";
  auto test_json = ReadJsonFile(run + "/test.json");
  ASSERT_TRUE(test_json.ok());
  EXPECT_EQ((*test_json)["seed"], 5);
}

// Unthrottled, most ops are completed and dispatched from the workers' own
// threads (no coordinator in between): the history must still be what one
// recorder would write: indices in order, times never going back, and per
// process an invocation, then its completion, and a new process after info.
TEST_F(RunnerTest, HistoryIsWellFormedWhenWorkersDispatchThemselves) {
  TestConfig c = Config("memory");
  c.concurrency = "8";
  c.time_limit_s = 1.5;
  c.nemesis = {"kill"};  // infos: retired processes, fresh ones after them
  std::vector<Progress> seen;
  auto outcome = RunTest(c, TestEnv{}, nullptr, [&](const Progress& p) { seen.push_back(p); });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->harness_error.ok()) << outcome->harness_error.ToString();
  EXPECT_EQ(outcome->valid, Validity::kValid) << outcome->results.ToJson().dump();
  auto history = ReadHistoryFile(outcome->run_dir + "/history.jsonl");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  std::map<int64_t, const Op*> open;  // process -> its invocation in flight
  std::set<int64_t> ended;            // processes retired by an info
  int64_t last_time = 0, completions = 0;
  for (size_t i = 0; i < history->ops.size(); ++i) {
    const Op& op = history->ops[i];
    ASSERT_EQ(op.index, static_cast<int64_t>(i));
    ASSERT_GE(op.time, last_time) << "op " << i;
    last_time = op.time;
    ASSERT_EQ(ended.count(op.process), 0u) << "op " << i << ": process reused after info";
    if (op.is_invoke()) {
      ASSERT_EQ(open.count(op.process), 0u) << "op " << i << ": two invocations in flight";
      open[op.process] = &op;
      continue;
    }
    auto it = open.find(op.process);
    ASSERT_NE(it, open.end()) << "op " << i << ": a completion without an invocation";
    EXPECT_EQ(it->second->f, op.f) << "op " << i;
    open.erase(it);
    ++completions;
    if (op.type == OpType::kInfo && !op.is_nemesis()) ended.insert(op.process);
  }
  EXPECT_TRUE(open.empty()) << open.size() << " invocations never completed";
  EXPECT_GT(completions, 1000);
  // The coordinating thread still reports progress while workers dispatch.
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().phase, "main");
  EXPECT_GT(seen.back().ok, 0);
}

TEST_F(RunnerTest, UnsafeMemoryTargetIsCaughtWithAnExplanation) {
  TestConfig c = Config("memory-unsafe");
  c.time_limit_s = 2;
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->valid, Validity::kInvalid);
  auto results = ReadJsonFile(outcome->run_dir + "/results.json");
  ASSERT_TRUE(results.ok());
  const Json& lin = (*results)["checkers"]["linearizability"];
  EXPECT_EQ(lin["valid"], false);
  EXPECT_TRUE(lin.contains("explanation"));
  EXPECT_NE(lin["explanation_text"].get<std::string>().find("cannot be linearized"),
            std::string::npos);
  // analyze reaches the same verdict from the stored files.
  auto again = AnalyzeRun(outcome->run_dir);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->valid, Validity::kInvalid);
}

TEST_F(RunnerTest, InterruptStopsTheRunAndChecksThePartialHistory) {
  TestConfig c = Config("memory");
  c.time_limit_s = 60;
  c.nemesis = {"kill"};
  std::atomic<bool> interrupt{false};
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    interrupt = true;
  });
  auto outcome = RunTest(c, TestEnv{}, &interrupt, nullptr);
  stopper.join();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(outcome->valid, Validity::kUnknown);
  EXPECT_TRUE(outcome->harness_error.ok()) << "an interrupt is not a harness error";
  auto results = ReadJsonFile(outcome->run_dir + "/results.json");
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)["interrupted"], true);
  std::ifstream log(outcome->run_dir + "/harness.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("heal"), std::string::npos);
}

TEST_F(RunnerTest, BadConfigurationIsRejectedBeforeAnythingIsMade) {
  TestConfig c = Config("nosuchdb");
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("nosuchdb"), std::string::npos);
  EXPECT_FALSE(fs::exists(store_));
  c = Config("memory");
  c.workload = "bank";
  EXPECT_FALSE(RunTest(c, TestEnv{}, nullptr, nullptr).ok());
  c = Config("memory");
  c.local_nodes = {"n1", ".."};
  EXPECT_EQ(RunTest(c, TestEnv{}, nullptr, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  c = Config("memory");
  c.concurrency = "0n";
  EXPECT_EQ(RunTest(c, TestEnv{}, nullptr, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(store_)) << "bad input stores no run";
}


// The environment of a whole test with no real node: every remote a fake,
// the network either in memory or iptables over the fakes.
struct FakeEnv {
  std::map<std::string, std::shared_ptr<FakeRemote>> fakes;
  std::vector<std::string> notices;

  TestEnv Env(bool iptables) {
    class Connector final : public NodeConnector {
     public:
      explicit Connector(FakeEnv* env) : env_(env) {}
      Result<std::shared_ptr<Remote>> Connect(const NodeSpec& node) override {
        return ConnectInProcess(node.name);
      }
      Result<std::shared_ptr<Remote>> ConnectInProcess(const std::string& name) override {
        auto& fake = env_->fakes[name];
        if (!fake) fake = std::make_shared<FakeRemote>(name);
        return std::shared_ptr<Remote>(fake);
      }

     private:
      FakeEnv* env_;
    };
    TestEnv env;
    env.connector = std::make_shared<Connector>(this);
    env.make_net = [iptables](const std::vector<NetNode>& nodes, bool) {
      if (!iptables) {
        std::vector<std::string> names;
        for (const NetNode& n : nodes) names.push_back(n.name);
        return MakeMemoryNet(names);
      }
      // Give the nodes distinct addresses, as a real cluster would.
      std::vector<NetNode> addressed = nodes;
      for (size_t i = 0; i < addressed.size(); ++i) {
        addressed[i].address = "10.99.0." + std::to_string(i + 1);
      }
      return MakeIptablesNet(addressed);
    };
    env.notice = [this](const std::string& line) { notices.push_back(line); };
    return env;
  }
};

TEST_F(RunnerTest, MemoryTargetUnderPartitionsRecordsRealPartitions) {
  TestConfig c = Config("memory");
  c.nemesis = {"partition"};
  c.time_limit_s = 2;
  c.rate = 1e9;  // unthrottled: the in-process default rate is 10,000/s
  c.nemesis_interval_s = 0.3;
  c.target_options = {{"timeout_ms", 100}};
  FakeEnv fake;
  auto outcome = RunTest(c, fake.Env(false), nullptr, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->harness_error.ok()) << outcome->harness_error.ToString();
  EXPECT_EQ(outcome->valid, Validity::kValid) << outcome->results.ToJson().dump();
  auto history = ReadHistoryFile(outcome->run_dir + "/history.jsonl");
  ASSERT_TRUE(history.ok());
  int partitions = 0, cut_ops = 0;
  for (const Op& op : history->ops) {
    if (op.is_nemesis() && op.f == "start-partition" && op.type == OpType::kOk) {
      EXPECT_TRUE(op.value.contains("grudge"));
      ++partitions;
    }
    if (!op.is_nemesis() && op.type == OpType::kInfo && op.error.is_string() &&
        op.error.get<std::string>().find("partition") != std::string::npos) {
      ++cut_ops;
    }
  }
  EXPECT_GE(partitions, 1);
  EXPECT_GT(cut_ops, 0) << "ops on a node cut off from the majority time out";
  // In-memory nodes never get a command.
  for (auto& [name, remote] : fake.fakes) EXPECT_TRUE(remote->commands().empty()) << name;
}

TEST_F(RunnerTest, SetupClearsAPartitionLeftByAKilledControllerAndSaysSo) {
  TestConfig c = Config("memory");
  c.time_limit_s = 0.3;
  FakeEnv fake;
  TestEnv env = fake.Env(true);
  for (const char* n : {"n1", "n2", "n3"}) fake.fakes[n] = std::make_shared<FakeRemote>(n);
  // n2 still drops traffic: two rules in its FAULTLINE chain.
  fake.fakes["n2"]->OnSubstring("FAULTLINE", CommandResult{0, "2\n", ""});
  fake.fakes["n1"]->OnSubstring("FAULTLINE", CommandResult{0, "0\n", ""});
  fake.fakes["n3"]->OnSubstring("FAULTLINE", CommandResult{0, "0\n", ""});
  auto outcome = RunTest(c, env, nullptr, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->valid, Validity::kValid);
  ASSERT_EQ(fake.notices.size(), 1u);
  EXPECT_NE(fake.notices[0].find("cleared the partition"), std::string::npos) << fake.notices[0];
  EXPECT_NE(fake.notices[0].find("n2"), std::string::npos);
  EXPECT_EQ(fake.notices[0].find("n1"), std::string::npos);
  for (auto& [name, remote] : fake.fakes) {
    EXPECT_EQ(remote->CountContaining("-F FAULTLINE"), 1) << name << ": reset before setup";
  }
  std::ifstream log(outcome->run_dir + "/harness.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("cleared the partition"), std::string::npos);
  EXPECT_NE(text.find("resumed any stopped memory processes"), std::string::npos);
}

TEST_F(RunnerTest, ClientsOfADownNodeBackOff) {
  TestConfig c = Config("memory");
  c.nemesis = {"kill"};
  c.time_limit_s = 2.5;
  c.nemesis_interval_s = 1;
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  auto history = ReadHistoryFile(outcome->run_dir + "/history.jsonl");
  ASSERT_TRUE(history.ok());
  int down = 0;
  for (const Op& op : history->ops) {
    if (op.type == OpType::kFail && op.error.is_string() &&
        op.error.get<std::string>().find("is down") != std::string::npos) {
      ++down;
    }
  }
  // A node is down for about 1 s with 2 clients on it: backing off from
  // 10 ms, each fails at most ~8 times (without backoff: tens of thousands).
  EXPECT_GT(down, 0) << "the kill took a node down";
  EXPECT_LT(down, 100);
}

TEST_F(RunnerTest, AnalyzeOfARunThatNeverCompletedIsUnknownAtItsPhase) {
  TestConfig c = Config("memory");
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_TRUE(outcome.ok());
  const std::string run = outcome->run_dir;
  // As a controller killed mid-run leaves it: no results, state "run".
  fs::remove(run + "/results.json");
  ASSERT_TRUE(RunDir(run).MarkPhase("run").ok());
  auto again = AnalyzeRun(run);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->valid, Validity::kUnknown);
  EXPECT_TRUE(again->results.interrupted);
  EXPECT_EQ(again->results.interrupted_at, "run");
  EXPECT_EQ(again->results.checkers["linearizability"]["valid"], true);
  // A last line cut mid-way is left out, with a warning.
  {
    std::ofstream h(run + "/history.jsonl", std::ios::app);
    h << "{\"index\":99999,\"time\":1,\"type\":\"inv";
  }
  again = AnalyzeRun(run);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->results.warnings.size(), 2u);
  EXPECT_NE(again->results.warnings[0].find("cut mid-way"), std::string::npos);
  EXPECT_NE(again->results.warnings[1].find("never completed"), std::string::npos)
      << "an analyze does not make the run complete";
  EXPECT_FALSE(RunDir(run).ReadState().complete);
}

TEST_F(RunnerTest, LatestPointsAtARunFromItsStart) {
  RunStore store(store_.string());
  ASSERT_TRUE(store.CheckWritable().ok());
  auto run = store.Create("t");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(fs::canonical(store_ / "latest"), fs::canonical(run->path()));
  EXPECT_FALSE(run->ReadState().complete);
  EXPECT_EQ(run->ReadState().phase, "start");
  EXPECT_FALSE(run->node_dir("..").ok());
  EXPECT_FALSE(run->node_dir(".").ok());
  EXPECT_TRUE(run->node_dir("n1").ok());
}

TEST_F(RunnerTest, UnwritableStoreIsBadInput) {
  TestConfig c = Config("memory");
  c.store = "/dev/null/store";
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("/dev/null/store"), std::string::npos);
}

TEST_F(RunnerTest, UnknownTargetIsNamedBeforeTheNodesFile) {
  TestConfig c;
  c.target = "nosuchdb";
  c.nodes_file = "/nonexistent/nodes.json";
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("nosuchdb"), std::string::npos);
  c.target = "etcd";
  outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("/nonexistent/nodes.json"), std::string::npos);
}

// Options that only the nodes can refute (Target::CheckNodes) are bad input
// too: rejected before anything is stored or touched.
TEST_F(RunnerTest, TargetOptionsNamingNodesAreCheckedAgainstTheNodesFile) {
  const fs::path nodes = fs::temp_directory_path() /
                         ("faultline-runner-nodes-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(nodes);
    out << R"({"nodes": [{"name": "n1", "host": "10.0.0.1"}, {"name": "n2", "host": "10.0.0.2"}]})";
  }
  TestConfig c;
  c.target = "haproxy";
  c.workload = "balance";
  c.nodes_file = nodes.string();
  c.store = store_.string();
  c.target_options = {{"vrrp", true}, {"backup_node", "n9"}};
  auto outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("option backup_node: \"n9\""), std::string::npos)
      << outcome.status().message();
  c.target_options = {{"vrrp", true}, {"vip", "10.0.0.2"}};
  outcome = RunTest(c, TestEnv{}, nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("a node's own address"), std::string::npos);
  EXPECT_FALSE(fs::exists(store_)) << "bad input stores no run";
  fs::remove(nodes);
}

// A node that refuses the key is an authentication failure in the results,
// not "unreachable"; a key file that does not exist is bad input, said before
// anything is stored.
TEST_F(RunnerTest, ConnectFailuresKeepTheirKind) {
  const fs::path nodes = fs::temp_directory_path() /
                         ("faultline-runner-auth-" + std::to_string(::getpid()) + ".json");
  std::ofstream(nodes) << R"({"nodes": [{"name": "n1", "host": "10.99.0.1"}]})";
  TestConfig c;
  c.target = "etcd";
  c.nodes_file = nodes.string();
  c.store = store_.string();
  c.time_limit_s = 1;
  FakeEnv fake;
  fake.fakes["n1"] = std::make_shared<FakeRemote>("n1");
  fake.fakes["n1"]->FailNext(1000, Status::AuthFailed("n1 refused the key k for user root"));
  auto outcome = RunTest(c, fake.Env(false), nullptr, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_FALSE(outcome->results.errors.empty());
  EXPECT_EQ(outcome->results.errors.front().rfind("connect: authentication failed: ", 0), 0u)
      << outcome->results.errors.front();
  EXPECT_EQ(outcome->results.errors.front().find("unreachable"), std::string::npos)
      << outcome->results.errors.front();
  fs::remove_all(store_);

  std::ofstream(nodes) << R"({"nodes": [{"name": "n1", "host": "10.99.0.1", "key": "/nonexistent/id"}]})";
  outcome = RunTest(c, fake.Env(false), nullptr, nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("nodes[0].key: cannot read the private key "
                                            "/nonexistent/id: no such file"),
            std::string::npos)
      << outcome.status().message();
  EXPECT_FALSE(fs::exists(store_)) << "bad input stores no run";
  fs::remove(nodes);
}

TEST(ResolveConcurrencyTest, NumbersAndPerNode) {
  EXPECT_EQ(*ResolveConcurrency("2n", 3), 6);
  EXPECT_EQ(*ResolveConcurrency("5", 3), 5);
  for (const char* bad : {"", "n", "0", "0n", "-1", "x", "2nn", "99999"}) {
    EXPECT_EQ(ResolveConcurrency(bad, 3).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace faultline
