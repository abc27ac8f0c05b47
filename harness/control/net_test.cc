#include "harness/control/net.h"

#include <gtest/gtest.h>

#include "harness/control/fake_remote.h"

namespace faultline {
namespace {

std::vector<NetNode> Nodes(std::vector<std::shared_ptr<FakeRemote>>* fakes,
                           const std::vector<std::string>& addresses) {
  std::vector<NetNode> nodes;
  for (size_t i = 0; i < addresses.size(); ++i) {
    auto fake = std::make_shared<FakeRemote>("n" + std::to_string(i + 1));
    fakes->push_back(fake);
    nodes.push_back({"n" + std::to_string(i + 1), addresses[i], fake});
  }
  return nodes;
}

TEST(MemoryNetTest, DropHealAndHears) {
  auto net = MakeMemoryNet({"n1", "n2", "n3"});
  EXPECT_TRUE(net->Usable().ok());
  EXPECT_TRUE(net->Hears("n1", "n2"));
  ASSERT_TRUE(net->Drop(GrudgeFromComponents({{"n1"}, {"n2", "n3"}})).ok());
  EXPECT_FALSE(net->Hears("n1", "n2"));
  EXPECT_FALSE(net->Hears("n2", "n1"));
  EXPECT_TRUE(net->Hears("n2", "n3"));
  EXPECT_TRUE(net->Hears("n1", "n1"));
  ASSERT_TRUE(net->Heal().ok());
  EXPECT_TRUE(net->Hears("n1", "n2"));
}

TEST(MemoryNetTest, RejectsUnknownNodes) {
  auto net = MakeMemoryNet({"n1", "n2"});
  Status s = net->Drop({{"n1", {"n9"}}});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("n9"), std::string::npos);
}

TEST(MemoryNetTest, ResetReportsLeftovers) {
  auto net = MakeMemoryNet({"n1", "n2"});
  ASSERT_TRUE(net->Drop({{"n2", {"n1"}}}).ok());
  Result<std::vector<std::string>> left = net->Reset();
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, std::vector<std::string>{"n2"});
  EXPECT_TRUE(net->Hears("n2", "n1"));
}

TEST(IptablesNetTest, ResetReportsNodesThatStillDroppedTraffic) {
  std::vector<std::shared_ptr<FakeRemote>> fakes;
  auto net = MakeIptablesNet(Nodes(&fakes, {"10.0.0.1", "10.0.0.2"}));
  ASSERT_TRUE(net->Usable().ok());
  // n1 still has two DROP rules from an earlier, killed controller.
  fakes[0]->OnMatch([](const std::string& c) { return c.find("FAULTLINE") != std::string::npos; },
                    [](const Command&, const std::string&) -> Result<CommandResult> {
                      return CommandResult{0, "2\n", ""};
                    });
  fakes[1]->OnMatch([](const std::string& c) { return c.find("FAULTLINE") != std::string::npos; },
                    [](const Command&, const std::string&) -> Result<CommandResult> {
                      return CommandResult{0, "0\n", ""};
                    });
  Result<std::vector<std::string>> left = net->Reset();
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(*left, std::vector<std::string>{"n1"});
  for (auto& f : fakes) {
    ASSERT_EQ(f->commands().size(), 1u);
    EXPECT_NE(f->rendered()[0].find("-F FAULTLINE"), std::string::npos);
  }
}

TEST(IptablesNetTest, DropSendsEachNodeItsRules) {
  std::vector<std::shared_ptr<FakeRemote>> fakes;
  auto net = MakeIptablesNet(Nodes(&fakes, {"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  ASSERT_TRUE(net->Drop(GrudgeFromComponents({{"n1"}, {"n2", "n3"}})).ok());
  EXPECT_NE(fakes[0]->rendered().back().find("10.0.0.2"), std::string::npos);
  EXPECT_EQ(fakes[1]->rendered().back().find("10.0.0.3"), std::string::npos);
  EXPECT_FALSE(net->Hears("n1", "n3"));
  ASSERT_TRUE(net->Heal().ok());
  EXPECT_TRUE(net->Hears("n1", "n3"));
}

TEST(MemoryNetTest, LoseRecordsThePlanButEveryoneStillHears) {
  auto net = MakeMemoryNet({"n1", "n2"});
  ASSERT_TRUE(net->Lose({{"n1", {{"n2"}, 0.5}}}).ok());
  EXPECT_EQ(net->loss().at("n1").rate, 0.5);
  EXPECT_TRUE(net->Hears("n1", "n2"));
  EXPECT_EQ(net->Lose({{"n1", {{"n2"}, 1.2}}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(net->Lose({{"n1", {{"n7"}, 0.2}}}).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(net->Heal().ok());
  EXPECT_TRUE(net->loss().empty());
}

TEST(IptablesNetTest, LoseKeepsThePartitionAndHealClearsBoth) {
  std::vector<std::shared_ptr<FakeRemote>> fakes;
  auto net = MakeIptablesNet(Nodes(&fakes, {"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  ASSERT_TRUE(net->Drop({{"n1", {"n2"}}}).ok());
  ASSERT_TRUE(net->Lose({{"n1", {{"n3"}, 0.4}}, {"n2", {{"n1", "n3"}, 0.4}}}).ok());
  // n1's chain: the partition's DROP of n2 and a random DROP of n3, in one command.
  const std::string n1 = fakes[0]->rendered().back();
  EXPECT_NE(n1.find("10.0.0.2 1"), std::string::npos) << n1;
  EXPECT_NE(n1.find("10.0.0.3 0.400000"), std::string::npos) << n1;
  EXPECT_NE(n1.find("--mode random --probability"), std::string::npos) << n1;
  EXPECT_NE(fakes[1]->rendered().back().find("10.0.0.1 0.400000 10.0.0.3 0.400000"),
            std::string::npos)
      << fakes[1]->rendered().back();
  EXPECT_FALSE(net->Hears("n1", "n2"));
  EXPECT_TRUE(net->Hears("n1", "n3"));  // lossy, not cut
  // A new partition keeps the loss.
  ASSERT_TRUE(net->Drop({}).ok());
  EXPECT_NE(fakes[0]->rendered().back().find("10.0.0.3 0.400000"), std::string::npos);
  EXPECT_EQ(fakes[0]->rendered().back().find("10.0.0.2 1"), std::string::npos);
  // Bad plans are refused before any node is touched.
  const size_t before = fakes[2]->commands().size();
  EXPECT_EQ(net->Lose({{"n3", {{"n1"}, -0.5}}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(net->Lose({{"n9", {{"n1"}, 0.5}}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(fakes[2]->commands().size(), before);
  ASSERT_TRUE(net->Heal().ok());
  EXPECT_TRUE(net->loss().empty());
  for (auto& f : fakes) EXPECT_NE(f->rendered().back().find("-F FAULTLINE"), std::string::npos);
}

TEST(IptablesNetTest, LoopbackClusterIsUnusableAndTouchesNothing) {
  std::vector<std::shared_ptr<FakeRemote>> fakes;
  auto net = MakeIptablesNet(Nodes(&fakes, {"127.0.0.1", "127.0.0.1"}));
  EXPECT_EQ(net->Usable().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(net->Usable().message().find("loopback"), std::string::npos);
  EXPECT_EQ(net->Drop({{"n1", {"n2"}}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(net->Lose({{"n1", {{"n2"}, 0.5}}}).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(net->Reset().ok());
  EXPECT_TRUE(net->Heal().ok());
  EXPECT_TRUE(net->Teardown().ok());
  for (auto& f : fakes) EXPECT_TRUE(f->commands().empty());
}

TEST(CheckPartitionAddressesTest, SharedAddress) {
  Status s = CheckPartitionAddresses({{"n1", "10.0.0.1", nullptr}, {"n2", "10.0.0.1", nullptr}});
  EXPECT_NE(s.message().find("share the address"), std::string::npos);
}

}  // namespace
}  // namespace faultline
