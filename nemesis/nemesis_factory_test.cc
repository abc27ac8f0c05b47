#include "nemesis/nemesis_factory.h"

#include <gtest/gtest.h>

#include "harness/control/fake_remote.h"
#include "nemesis/testing/fake_target.h"

namespace faultline {
namespace {

using testing::FakeTarget;

TEST(NemesisFactoryTest, ParsesTheCliList) {
  auto list = ParseNemesisList(" partition, kill,pause ,kill");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(*list, (std::vector<std::string>{"partition", "kill", "pause"}));
  EXPECT_TRUE(ParseNemesisList("")->empty());
  EXPECT_TRUE(ParseNemesisList("none")->empty());
  auto unknown = ParseNemesisList("partition,meteor");
  EXPECT_EQ(unknown.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "unknown nemesis \"meteor\"; expected a comma-separated list of partition, kill, "
            "pause, clock, packet-loss (or none)");
  EXPECT_NE(ParseNemesisList("kill,,pause").status().message().find("empty entry"),
            std::string::npos);
}

TEST(NemesisFactoryTest, BuildsOneNemesisWithNetworkFirst) {
  FakeTarget target;
  auto nemesis = MakeNemesis({"kill", "pause", "partition"}, target);
  ASSERT_TRUE(nemesis.ok()) << nemesis.status().ToString();
  EXPECT_EQ((*nemesis)->name(), "partition+pause+kill");
  EXPECT_EQ((*nemesis)->fs(), (std::vector<std::string>{"start-partition", "stop-partition",
                                                        "pause", "resume", "kill", "start"}));
  auto just_kill = MakeNemesis({"kill"}, target);
  ASSERT_TRUE(just_kill.ok());
  EXPECT_EQ((*just_kill)->fs(), (std::vector<std::string>{"kill", "start"}));
  auto none = MakeNemesis({}, target);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)->fs().empty());
}

TEST(NemesisFactoryTest, RejectsWhatTheTargetCannotDo) {
  FakeTarget nginx(/*killable=*/false, /*pausable=*/true, "nginx");
  auto nemesis = MakeNemesis({"partition", "kill"}, nginx);
  ASSERT_FALSE(nemesis.ok());
  EXPECT_EQ(nemesis.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(nemesis.status().message(),
            "nemesis kill: target nginx cannot kill nodes; leave \"kill\" out of the nemesis "
            "list for this target");
  EXPECT_TRUE(MakeNemesis({"partition", "pause"}, nginx).ok());
  EXPECT_EQ(MakeNemesis({"flood"}, nginx).status().code(), Status::Code::kInvalidArgument);
}

TEST(NemesisFactoryTest, CompositeDrivesEveryKindEndToEnd) {
  FakeTarget target;
  auto nemesis = MakeNemesis({"partition", "kill", "pause"}, target);
  ASSERT_TRUE(nemesis.ok());
  NemesisContext ctx;
  std::vector<std::shared_ptr<FakeRemote>> fakes;
  for (int i = 1; i <= 3; ++i) {
    fakes.push_back(std::make_shared<FakeRemote>("n" + std::to_string(i)));
    ctx.remotes.push_back(fakes.back());
    ctx.cluster.nodes.push_back(
        NodeInfo{"n" + std::to_string(i), "10.0.0." + std::to_string(i), ""});
  }
  ctx.target = &target;
  std::vector<NetNode> net_nodes;
  for (size_t i = 0; i < fakes.size(); ++i) {
    net_nodes.push_back({ctx.cluster.nodes[i].name, ctx.cluster.nodes[i].host, fakes[i]});
  }
  ctx.cluster.net = MakeIptablesNet(std::move(net_nodes));
  ASSERT_TRUE((*nemesis)->Setup(ctx).ok());
  auto invoke = [&](const std::string& f, Json value) {
    Op op;
    op.process = kNemesisProcess;
    op.f = f;
    op.value = std::move(value);
    return (*nemesis)->Invoke(ctx, op);
  };
  EXPECT_EQ(invoke("start-partition", "majorities-ring").type, OpType::kOk);
  EXPECT_EQ(invoke("kill", Json::parse(R"(["n1"])")).type, OpType::kOk);
  EXPECT_EQ(invoke("pause", Json::parse(R"(["n2"])")).type, OpType::kOk);
  target.ClearCalls();
  for (auto& fake : fakes) fake->ClearRecorded();
  ASSERT_TRUE((*nemesis)->Heal(ctx).ok());
  EXPECT_EQ(target.calls(), (std::vector<std::string>{"resume n2", "start n1"}));
  for (auto& fake : fakes) EXPECT_EQ(fake->CountContaining("-F FAULTLINE"), 1);
  EXPECT_EQ(target.StateOf("n1"), FakeTarget::State::kRunning);
  EXPECT_EQ(target.StateOf("n2"), FakeTarget::State::kRunning);
}

}  // namespace
}  // namespace faultline
