#include "nemesis/partition_nemesis.h"

#include <gtest/gtest.h>

#include "harness/control/fake_remote.h"
#include "nemesis/grudge.h"

namespace faultline {
namespace {

class PartitionNemesisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 3; ++i) {
      const std::string name = "n" + std::to_string(i);
      auto fake = std::make_shared<FakeRemote>(name);
      fakes_[name] = fake;
      ctx_.remotes.push_back(fake);
      ctx_.cluster.nodes.push_back(NodeInfo{name, "10.77.0.1" + std::to_string(i), ""});
    }
    ctx_.seed = 42;
    ctx_.log = [this](const std::string& line) { log_.push_back(line); };
    Rewire();
  }

  // The test's Net: iptables over the fake remotes, at the nodes' addresses.
  void Rewire() {
    std::vector<NetNode> nodes;
    for (size_t i = 0; i < ctx_.cluster.nodes.size(); ++i) {
      nodes.push_back({ctx_.cluster.nodes[i].name, ctx_.cluster.nodes[i].host, ctx_.remotes[i]});
    }
    ctx_.cluster.net = MakeIptablesNet(std::move(nodes));
  }

  void ClearRecorded() {
    for (auto& [name, fake] : fakes_) fake->ClearRecorded();
  }

  std::string AddressOf(const std::string& node) {
    return ctx_.cluster.nodes[static_cast<size_t>(ctx_.IndexOf(node))].host;
  }

  // The addresses `node` was last told to drop (nullopt: no drop command ran).
  std::optional<std::set<std::string>> Dropped(const std::string& node) {
    std::optional<std::set<std::string>> out;
    for (const auto& recorded : fakes_[node]->commands()) {
      const auto& argv = recorded.command.argv;
      if (argv.size() < 4 || argv[0] != "sh" || argv[2].find("-j DROP") == std::string::npos) {
        continue;
      }
      out.emplace();
      // Pairs (address, probability), "--" between the families.
      for (size_t i = 4; i + 1 < argv.size();) {
        if (argv[i] == "--") {
          ++i;
          continue;
        }
        out->insert(argv[i]);
        i += 2;
      }
    }
    return out;
  }

  Op Invoke(Nemesis& nemesis, const std::string& f, Json value = nullptr) {
    Op op;
    op.process = kNemesisProcess;
    op.f = f;
    op.value = std::move(value);
    op.time = 123;
    op.index = 7;
    return nemesis.Invoke(ctx_, op);
  }

  std::map<std::string, std::shared_ptr<FakeRemote>> fakes_;
  NemesisContext ctx_;
  std::vector<std::string> log_;
};

TEST_F(PartitionNemesisTest, SetupFlushesTheChainOnEveryNode) {
  auto nemesis = MakePartitionNemesis();
  EXPECT_EQ(nemesis->fs(), (std::vector<std::string>{"start-partition", "stop-partition"}));
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  for (auto& [name, fake] : fakes_) {
    EXPECT_EQ(fake->CountContaining("iptables -w -F FAULTLINE"), 1) << name;
    EXPECT_TRUE(fake->commands().at(0).command.sudo);
  }
}

TEST_F(PartitionNemesisTest, ExplicitGrudgeDropsExactlyThosePeersOnThoseNodes) {
  auto nemesis = MakePartitionNemesis();
  Op done = Invoke(*nemesis, "start-partition",
                   Json::parse(R"({"grudge": {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}})"));
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_EQ(done.process, kNemesisProcess);
  EXPECT_EQ(done.f, "start-partition");
  EXPECT_EQ(done.index, -1);
  EXPECT_EQ(done.time, -1);
  EXPECT_EQ(done.value["shape"], "grudge");
  EXPECT_EQ(done.value["grudge"],
            Json::parse(R"({"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]})"));
  EXPECT_EQ(Dropped("n1"), (std::set<std::string>{"10.77.0.12", "10.77.0.13"}));
  EXPECT_EQ(Dropped("n2"), (std::set<std::string>{"10.77.0.11"}));
  EXPECT_EQ(Dropped("n3"), (std::set<std::string>{"10.77.0.11"}));
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("partitioned"), std::string::npos);
}

TEST_F(PartitionNemesisTest, EveryShapeAppliesTheGrudgeItReports) {
  auto nemesis = MakePartitionNemesis();
  for (const std::string& shape : PartitionShapes()) {
    for (int round = 0; round < 5; ++round) {
      ClearRecorded();
      Op done = Invoke(*nemesis, "start-partition", shape);
      ASSERT_EQ(done.type, OpType::kOk) << shape << ": " << done.error.dump();
      EXPECT_EQ(done.value["shape"], shape);
      Result<Grudge> reported = GrudgeFromJson(done.value["grudge"], ctx_.NodeNames());
      ASSERT_TRUE(reported.ok());
      EXPECT_FALSE(reported->empty() || GrudgeToJson(*reported).empty()) << shape;
      for (const std::string& node : ctx_.NodeNames()) {
        std::set<std::string> want;
        auto it = reported->find(node);
        if (it != reported->end()) {
          for (const std::string& peer : it->second) want.insert(AddressOf(peer));
        }
        // Every node gets a command, even one that hears everyone (it is
        // flushed of any earlier partition).
        EXPECT_EQ(Dropped(node), want) << shape << " " << node;
      }
    }
  }
}

// A target whose primaries are scripted.
class PrimaryTarget final : public Target, public HasPrimaries {
 public:
  Result<std::vector<std::string>> answer = std::vector<std::string>{};
  std::string name() const override { return "primary-fake"; }
  Status Setup(const NodeContext&) override { return Status::Ok(); }
  Status Teardown(const NodeContext&) override { return Status::Ok(); }
  HasPrimaries* primaries() override { return this; }
  Result<std::vector<std::string>> Primaries(const std::vector<NodeContext>& nodes) override {
    asked_nodes = nodes.size();
    return answer;
  }
  size_t asked_nodes = 0;
};

TEST_F(PartitionNemesisTest, IsolatePrimaryCutsOffTheNodeTheTargetNames) {
  auto nemesis = MakePartitionNemesis();
  PrimaryTarget target;
  target.answer = std::vector<std::string>{"n2", "n3"};  // n2 named by most
  ctx_.target = &target;
  Op done = Invoke(*nemesis, "start-partition", "isolate-primary");
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_EQ(target.asked_nodes, 3u);
  EXPECT_EQ(done.value["shape"], "isolate-primary");
  EXPECT_EQ(done.value["primary"], "n2");
  EXPECT_EQ(Dropped("n2"), (std::set<std::string>{"10.77.0.11", "10.77.0.13"}));
  EXPECT_EQ(Dropped("n1"), (std::set<std::string>{"10.77.0.12"}));
  EXPECT_EQ(Dropped("n3"), (std::set<std::string>{"10.77.0.12"}));

  // No primary named, an error, or a target without the capability: fail,
  // and nothing is touched.
  ClearRecorded();
  target.answer = std::vector<std::string>{};
  EXPECT_EQ(Invoke(*nemesis, "start-partition", "isolate-primary").type, OpType::kFail);
  target.answer = Status::Unreachable("no sentinel answered");
  Op unreachable = Invoke(*nemesis, "start-partition", "isolate-primary");
  EXPECT_EQ(unreachable.type, OpType::kFail);
  EXPECT_NE(unreachable.error.get<std::string>().find("no sentinel"), std::string::npos);
  ctx_.target = nullptr;
  Op unsupported = Invoke(*nemesis, "start-partition", "isolate-primary");
  EXPECT_EQ(unsupported.type, OpType::kFail);
  EXPECT_NE(unsupported.error.get<std::string>().find("unsupported"), std::string::npos);
  for (auto& [name, fake] : fakes_) EXPECT_TRUE(fake->commands().empty()) << name;
}

TEST_F(PartitionNemesisTest, NullValueMeansRandomHalves) {
  auto nemesis = MakePartitionNemesis();
  Op done = Invoke(*nemesis, "start-partition");
  ASSERT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value["shape"], "random-halves");
}

TEST_F(PartitionNemesisTest, SameSeedSameChoices) {
  std::vector<Json> first, second;
  for (auto* out : {&first, &second}) {
    auto nemesis = MakePartitionNemesis();
    ASSERT_TRUE(nemesis->Setup(ctx_).ok());
    for (int i = 0; i < 6; ++i) {
      out->push_back(
          Invoke(*nemesis, "start-partition", i % 2 ? "isolate-one" : "random-halves").value);
    }
  }
  EXPECT_EQ(first, second);
  ctx_.seed = 43;
  auto other = MakePartitionNemesis();
  std::vector<Json> third;
  for (int i = 0; i < 6; ++i) {
    third.push_back(
        Invoke(*other, "start-partition", i % 2 ? "isolate-one" : "random-halves").value);
  }
  EXPECT_NE(first, third);
}

TEST_F(PartitionNemesisTest, StopPartitionAndHealFlushEveryNode) {
  auto nemesis = MakePartitionNemesis();
  ASSERT_EQ(Invoke(*nemesis, "start-partition", "isolate-one").type, OpType::kOk);
  ClearRecorded();
  Op stop = Invoke(*nemesis, "stop-partition");
  ASSERT_EQ(stop.type, OpType::kOk);
  EXPECT_EQ(stop.value, Json::parse(R"({"healed": ["n1", "n2", "n3"]})"));
  for (auto& [name, fake] : fakes_) EXPECT_EQ(fake->CountContaining("-F FAULTLINE"), 1) << name;
  ClearRecorded();
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());  // idempotent
  for (auto& [name, fake] : fakes_) {
    EXPECT_EQ(fake->CountContaining("-F FAULTLINE"), 2) << name;
    EXPECT_EQ(fake->CountContaining("-j DROP"), 0) << name;
  }
}

TEST_F(PartitionNemesisTest, HealReachesEveryNodeAndNamesEachFailure) {
  auto nemesis = MakePartitionNemesis();
  fakes_["n1"]->FailNext(1, Status::Unreachable("ssh n1: connection refused"));
  fakes_["n3"]->SetDefault(CommandResult{4, "", "iptables: Permission denied\n"});
  Status healed = nemesis->Heal(ctx_);
  EXPECT_EQ(healed.code(), Status::Code::kUnreachable);
  EXPECT_NE(healed.message().find("n1: unreachable: ssh n1: connection refused"), std::string::npos)
      << healed.message();
  EXPECT_NE(healed.message().find("Permission denied"), std::string::npos) << healed.message();
  EXPECT_EQ(fakes_["n2"]->CountContaining("-F FAULTLINE"), 1);
}

TEST_F(PartitionNemesisTest, FailedApplicationIsInfoAndBadValuesFailWithoutCommands) {
  auto nemesis = MakePartitionNemesis();
  fakes_["n2"]->FailNext(1, Status::Timeout("ssh n2: no answer"));
  Op partial = Invoke(*nemesis, "start-partition", "random-halves");
  EXPECT_EQ(partial.type, OpType::kInfo);
  EXPECT_NE(partial.error.get<std::string>().find("no answer"), std::string::npos);
  EXPECT_TRUE(partial.value.contains("grudge")) << "says what was attempted";

  ClearRecorded();
  for (const Json& bad : {Json("bridge"), Json(3), Json::parse(R"({"grudge": {"n1": ["n9"]}})"),
                          Json::parse(R"({"n1": ["n2"]})")}) {
    Op done = Invoke(*nemesis, "start-partition", bad);
    EXPECT_EQ(done.type, OpType::kFail) << bad.dump();
    EXPECT_TRUE(done.error.is_string()) << bad.dump();
  }
  Op unknown = Invoke(*nemesis, "kill");
  EXPECT_EQ(unknown.type, OpType::kFail);
  EXPECT_NE(unknown.error.get<std::string>().find("unsupported"), std::string::npos);
  for (auto& [name, fake] : fakes_) EXPECT_TRUE(fake->commands().empty()) << name;
}

TEST_F(PartitionNemesisTest, RefusesLoopbackAndSharedAddresses) {
  auto nemesis = MakePartitionNemesis();
  ctx_.cluster.nodes[1].host = "127.0.0.1";
  Rewire();
  Status st = nemesis->Setup(ctx_);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("node n2 has the loopback address 127.0.0.1"), std::string::npos)
      << st.message();
  ctx_.cluster.nodes[1].host = "10.77.0.11";
  Rewire();
  st = nemesis->Setup(ctx_);
  EXPECT_NE(st.message().find("nodes n1 and n2 share the address 10.77.0.11"), std::string::npos)
      << st.message();
  Op done = Invoke(*nemesis, "start-partition", "isolate-one");
  EXPECT_EQ(done.type, OpType::kFail);
  // Nothing can have been partitioned: Heal and Teardown leave iptables alone.
  EXPECT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_TRUE(nemesis->Teardown(ctx_).ok());
  for (auto& [name, fake] : fakes_) EXPECT_TRUE(fake->commands().empty()) << name;
}

TEST_F(PartitionNemesisTest, ContextMismatchIsAnError) {
  auto nemesis = MakePartitionNemesis();
  ctx_.remotes.pop_back();
  EXPECT_EQ(nemesis->Heal(ctx_).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Invoke(*nemesis, "start-partition").type, OpType::kFail);
}

TEST_F(PartitionNemesisTest, WithoutANetSetupAndOpsRefuseAndHealDoesNothing) {
  auto nemesis = MakePartitionNemesis();
  ctx_.cluster.net = nullptr;
  EXPECT_NE(nemesis->Setup(ctx_).message().find("no network capability"), std::string::npos);
  EXPECT_EQ(Invoke(*nemesis, "start-partition").type, OpType::kFail);
  EXPECT_TRUE(nemesis->Heal(ctx_).ok());
}

TEST_F(PartitionNemesisTest, PartitionsAnInMemoryNet) {
  auto nemesis = MakePartitionNemesis();
  ctx_.cluster.net = MakeMemoryNet(ctx_.NodeNames());
  Op done = Invoke(*nemesis, "start-partition",
                   Json::parse(R"({"grudge": {"n1": ["n2", "n3"], "n2": ["n1"], "n3": ["n1"]}})"));
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_FALSE(ctx_.cluster.net->Hears("n1", "n2"));
  EXPECT_TRUE(ctx_.cluster.net->Hears("n2", "n3"));
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_TRUE(ctx_.cluster.net->Hears("n1", "n2"));
  for (auto& [name, fake] : fakes_) EXPECT_TRUE(fake->commands().empty()) << name;
}

TEST_F(PartitionNemesisTest, TeardownRemovesTheChainEverywhere) {
  auto nemesis = MakePartitionNemesis();
  ASSERT_TRUE(nemesis->Teardown(ctx_).ok());  // safe without Setup
  for (auto& [name, fake] : fakes_) {
    EXPECT_EQ(fake->CountContaining("-X FAULTLINE"), 1) << name;
    EXPECT_EQ(fake->CountContaining("-D INPUT -j FAULTLINE"), 1) << name;
  }
}

}  // namespace
}  // namespace faultline
