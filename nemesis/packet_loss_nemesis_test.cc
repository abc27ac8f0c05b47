#include "nemesis/packet_loss_nemesis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "harness/control/fake_remote.h"
#include "harness/control/net.h"
#include "nemesis/nemesis_factory.h"
#include "nemesis/partition_nemesis.h"
#include "nemesis/schedule.h"

namespace faultline {
namespace {

class PacketLossNemesisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<NetNode> nodes;
    for (int i = 1; i <= 3; ++i) {
      const std::string name = "n" + std::to_string(i);
      auto fake = std::make_shared<FakeRemote>(name);
      fakes_[name] = fake;
      ctx_.remotes.push_back(fake);
      ctx_.cluster.nodes.push_back(NodeInfo{name, "10.77.0.1" + std::to_string(i), ""});
      nodes.push_back({name, "10.77.0.1" + std::to_string(i), fake});
    }
    ctx_.seed = 42;
    ctx_.log = [](const std::string&) {};
    ctx_.cluster.net = MakeIptablesNet(std::move(nodes));
  }

  // What `node`'s last rules command made: address -> probability argument.
  std::map<std::string, std::string> Rules(const std::string& node) {
    std::map<std::string, std::string> out;
    const auto commands = fakes_[node]->commands();
    EXPECT_FALSE(commands.empty()) << node;
    if (commands.empty()) return out;
    const auto& argv = commands.back().command.argv;
    for (size_t i = 4; i + 1 < argv.size();) {
      if (argv[i] == "--") {
        ++i;
        continue;
      }
      out[argv[i]] = argv[i + 1];
      i += 2;
    }
    return out;
  }

  Op Invoke(Nemesis& nemesis, const std::string& f, Json value = nullptr) {
    Op op;
    op.process = kNemesisProcess;
    op.f = f;
    op.value = std::move(value);
    return nemesis.Invoke(ctx_, op);
  }

  std::map<std::string, std::shared_ptr<FakeRemote>> fakes_;
  NemesisContext ctx_;
};

TEST_F(PacketLossNemesisTest, ExplicitPlanIssuesStatisticDropsOnTheReceivingNode) {
  auto nemesis = MakePacketLossNemesis();
  EXPECT_EQ(nemesis->fs(), (std::vector<std::string>{"start-packet-loss", "stop-packet-loss"}));
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  Op done = Invoke(*nemesis, kStartPacketLoss,
                   Json::parse(R"({"rate":0.3,"links":{"n1":["n2","n3"]}})"));
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_EQ(done.value, Json::parse(R"({"rate":0.3,"links":{"n1":["n2","n3"]}})"));
  EXPECT_EQ(Rules("n1"), (std::map<std::string, std::string>{{"10.77.0.12", "0.300000"},
                                                              {"10.77.0.13", "0.300000"}}));
  EXPECT_TRUE(Rules("n2").empty());
  EXPECT_NE(fakes_["n1"]->rendered().back().find("-m statistic --mode random --probability"),
            std::string::npos);
  EXPECT_EQ(ctx_.cluster.net->loss().at("n1").rate, 0.3);

  Op stopped = Invoke(*nemesis, kStopPacketLoss);
  ASSERT_EQ(stopped.type, OpType::kOk) << stopped.error.dump();
  EXPECT_TRUE(Rules("n1").empty());
  EXPECT_TRUE(ctx_.cluster.net->loss().empty());
}

TEST_F(PacketLossNemesisTest, StopKeepsAPartitionHealClearsEverything) {
  auto loss = MakePacketLossNemesis();
  auto partition = MakePartitionNemesis();
  ASSERT_EQ(Invoke(*partition, kStartPartition, Json::parse(R"({"grudge":{"n2":["n1"]}})")).type,
            OpType::kOk);
  ASSERT_EQ(Invoke(*loss, kStartPacketLoss, Json::parse(R"({"rate":0.5,"links":{"n2":["n3"]}})"))
                .type,
            OpType::kOk);
  EXPECT_EQ(Rules("n2"), (std::map<std::string, std::string>{{"10.77.0.11", "1"},
                                                              {"10.77.0.13", "0.500000"}}));
  ASSERT_EQ(Invoke(*loss, kStopPacketLoss).type, OpType::kOk);
  EXPECT_EQ(Rules("n2"), (std::map<std::string, std::string>{{"10.77.0.11", "1"}}));
  ASSERT_EQ(Invoke(*loss, kStartPacketLoss, Json::parse(R"({"rate":0.5,"links":{"n2":["n3"]}})"))
                .type,
            OpType::kOk);
  ASSERT_TRUE(loss->Heal(ctx_).ok());
  for (auto& [name, fake] : fakes_) {
    EXPECT_NE(fake->rendered().back().find("-F FAULTLINE"), std::string::npos) << name;
  }
  EXPECT_TRUE(ctx_.cluster.net->loss().empty());
  EXPECT_TRUE(ctx_.cluster.net->Hears("n2", "n1"));
}

TEST_F(PacketLossNemesisTest, BadPlansFailAndTouchNothing) {
  auto nemesis = MakePacketLossNemesis();
  for (const char* bad : {R"({"rate":1.5,"links":{"n1":["n2"]}})",
                          R"({"rate":-0.1,"links":{"n1":["n2"]}})",
                          R"({"rate":"half","links":{"n1":["n2"]}})",
                          R"({"rate":0.2,"links":{"n9":["n2"]}})",
                          R"({"rate":0.2,"links":{"n1":["n1"]}})",
                          R"({"rate":0.2,"links":{"n1":"n2"}})", R"({"rate":0.2})", R"("lots")"}) {
    Op done = Invoke(*nemesis, kStartPacketLoss, Json::parse(bad));
    EXPECT_EQ(done.type, OpType::kFail) << bad;
    EXPECT_NE(done.error.dump().find("start-packet-loss"), std::string::npos) << done.error.dump();
  }
  for (auto& [name, fake] : fakes_) EXPECT_TRUE(fake->commands().empty()) << name;
  Op unknown = Invoke(*nemesis, "start-delay");
  EXPECT_EQ(unknown.type, OpType::kFail);
}

TEST_F(PacketLossNemesisTest, RandomPlanIsInRangeAndReproducible) {
  std::vector<Json> first;
  for (int run = 0; run < 2; ++run) {
    auto nemesis = MakePacketLossNemesis();
    ASSERT_TRUE(nemesis->Setup(ctx_).ok());
    for (int i = 0; i < 8; ++i) {
      Op done = Invoke(*nemesis, kStartPacketLoss);
      ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
      const double rate = done.value["rate"].get<double>();
      EXPECT_GE(rate, 0.1);
      EXPECT_LE(rate, 0.5);
      const Json& links = done.value["links"];
      // One node's links both ways (3 entries: it and its 2 peers), or all (3 x 2).
      EXPECT_EQ(links.size(), 3u) << links.dump();
      if (run == 0) {
        first.push_back(done.value);
      } else {
        EXPECT_EQ(done.value, first[static_cast<size_t>(i)]);
      }
    }
  }
}

TEST_F(PacketLossNemesisTest, MemoryNetRecordsThePlan) {
  ctx_.cluster.net = MakeMemoryNet({"n1", "n2", "n3"});
  auto nemesis = MakePacketLossNemesis();
  ASSERT_EQ(Invoke(*nemesis, kStartPacketLoss,
                   Json::parse(R"({"rate":0.25,"links":{"n3":["n1"]}})"))
                .type,
            OpType::kOk);
  EXPECT_EQ(ctx_.cluster.net->loss().at("n3").rate, 0.25);
  EXPECT_TRUE(ctx_.cluster.net->Hears("n3", "n1"));
}

TEST_F(PacketLossNemesisTest, FactoryAndScheduleKnowIt) {
  ASSERT_TRUE(ParseNemesisList("partition, packet-loss").ok());
  EXPECT_EQ(*ParseNemesisList("packet-loss"), std::vector<std::string>{"packet-loss"});
  const std::vector<std::string> kinds = NemesisKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "packet-loss"), kinds.end());
}

}  // namespace
}  // namespace faultline
