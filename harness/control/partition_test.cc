#include "harness/control/partition.h"

#include <gtest/gtest.h>

#include <limits>

#include "harness/control/fake_remote.h"

namespace faultline {
namespace {

TEST(PartitionTest, DropCommandPassesAddressesAsArgumentsWithSudo) {
  auto c = DropFromCommand({"10.77.0.12", "10.77.0.0/24", "fd00::2", "n3.example"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->sudo);
  EXPECT_TRUE(c->idempotent);
  ASSERT_GE(c->argv.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(c->argv.begin() + 3, c->argv.end()),
            (std::vector<std::string>{"sh", "10.77.0.12", "1", "10.77.0.0/24", "1", "n3.example",
                                      "1", "--", "fd00::2", "1"}));
  const std::string& script = c->argv[2];
  for (const char* piece : {"-w -N FAULTLINE", "-C INPUT -j FAULTLINE", "-I INPUT 1 -j FAULTLINE",
                            "-w -F FAULTLINE", "$1 -w -A FAULTLINE -s \"$2\" -j DROP",
                            "add iptables \"$1\" \"$2\"", "prepare ip6tables",
                            "add ip6tables \"$1\" \"$2\""}) {
    EXPECT_NE(script.find(piece), std::string::npos) << piece;
  }
  EXPECT_EQ(script.find("-F INPUT"), std::string::npos) << "must never flush the user's chains";
  EXPECT_EQ(RenderCommand(*c, false).rfind("sudo -n -- sh -c ", 0), 0u);
}

TEST(PartitionTest, RulesCommandMakesStatisticDropsForLoss) {
  auto c = RulesCommand({{"10.77.0.12", 0.3}, {"10.77.0.13", 1}, {"10.77.0.14", 0}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(std::vector<std::string>(c->argv.begin() + 3, c->argv.end()),
            (std::vector<std::string>{"sh", "10.77.0.12", "0.300000", "10.77.0.13", "1", "--"}))
      << "probability 0 makes no rule";
  EXPECT_NE(c->argv[2].find("-m statistic --mode random --probability \"$3\" -j DROP"),
            std::string::npos);
  // Same chain, so healing flushes loss too.
  EXPECT_NE(c->argv[2].find("-A FAULTLINE"), std::string::npos);
}

TEST(PartitionTest, RulesCommandRejectsBadRates) {
  for (double bad : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    auto c = RulesCommand({{"10.77.0.12", bad}});
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find("between 0 and 1"), std::string::npos);
  }
}

TEST(PartitionTest, RejectsAddressesThatCouldBeOptionsOrShell) {
  for (const std::string bad : {"", "-j ACCEPT", "10.0.0.1; reboot", "$(x)", "a b"}) {
    auto c = DropFromCommand({bad});
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(PartitionTest, HealAndRemoveOnlyTouchTheFaultlineChain) {
  Command heal = HealCommand();
  EXPECT_TRUE(heal.sudo);
  EXPECT_NE(heal.shell.find("iptables -w -F FAULTLINE"), std::string::npos);
  Command remove = RemoveChainCommand();
  EXPECT_NE(remove.shell.find("-D INPUT -j FAULTLINE"), std::string::npos);
  EXPECT_NE(remove.shell.find("-X FAULTLINE"), std::string::npos);
  for (const std::string& s : {heal.shell, remove.shell}) {
    EXPECT_EQ(s.find("-F INPUT"), std::string::npos);
    EXPECT_EQ(s.find("-P "), std::string::npos);
  }
}

TEST(PartitionTest, GrudgeFromComponents) {
  Grudge g = GrudgeFromComponents({{"n1", "n2"}, {"n3", "n4", "n5"}});
  EXPECT_EQ(g["n1"], (std::set<std::string>{"n3", "n4", "n5"}));
  EXPECT_EQ(g["n4"], (std::set<std::string>{"n1", "n2"}));
  EXPECT_EQ(g.size(), 5u);
  EXPECT_TRUE(GrudgeFromComponents({{"n1", "n2", "n3"}})["n2"].empty());
}

class GrudgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 3; ++i) {
      std::string name = "n" + std::to_string(i);
      auto fake = std::make_shared<FakeRemote>(name);
      fakes_[name] = fake;
      nodes_[name] = fake;
      addresses_[name] = "10.77.0.1" + std::to_string(i);
    }
  }
  // The addresses node `name` was told to drop.
  std::vector<std::string> Dropped(const std::string& name) {
    auto commands = fakes_[name]->commands();
    EXPECT_EQ(commands.size(), 1u) << name;
    if (commands.empty()) return {};
    const auto& argv = commands.back().command.argv;
    std::vector<std::string> out;
    // Pairs (address, probability); "--" between the families.
    for (size_t i = 4; i < argv.size();) {
      if (argv[i] == "--") {
        ++i;
        continue;
      }
      out.push_back(argv[i + 1] == "1" ? argv[i] : argv[i] + "@" + argv[i + 1]);
      i += 2;
    }
    return out;
  }

  std::map<std::string, std::shared_ptr<FakeRemote>> fakes_;
  std::map<std::string, std::shared_ptr<Remote>> nodes_;
  std::map<std::string, std::string> addresses_;
};

TEST_F(GrudgeTest, EachNodeGetsExactlyItsEntry) {
  // n1 and n2 cannot hear each other; n3 hears both.
  Grudge g = {{"n1", {"n2"}}, {"n2", {"n1"}}};
  ASSERT_TRUE(ApplyGrudge(nodes_, addresses_, g).ok());
  EXPECT_EQ(Dropped("n1"), (std::vector<std::string>{"10.77.0.12"}));
  EXPECT_EQ(Dropped("n2"), (std::vector<std::string>{"10.77.0.11"}));
  EXPECT_EQ(Dropped("n3"), (std::vector<std::string>{}));  // flushed: hears everyone
}

TEST_F(GrudgeTest, ErrorsNameTheNode) {
  EXPECT_EQ(ApplyGrudge(nodes_, addresses_, {{"n9", {"n1"}}}).code(),
            Status::Code::kInvalidArgument);
  addresses_.erase("n3");
  Status st = ApplyGrudge(nodes_, addresses_, {{"n1", {"n3"}}});
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("n3"), std::string::npos);
  addresses_["n3"] = "10.77.0.13";
  fakes_["n2"]->SetDefault(
      CommandResult{4, "", "iptables: Permission denied (you must be root)\n"});
  st = ApplyGrudge(nodes_, addresses_, {{"n1", {"n2"}}});
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("on n2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Permission denied"), std::string::npos) << st.message();
}

TEST_F(GrudgeTest, FaultsCombinePartitionAndLoss) {
  LossPlan loss = {{"n1", {{"n3"}, 0.25}}, {"n3", {{"n1", "n2"}, 0.5}}};
  ASSERT_TRUE(ApplyFaults(nodes_, addresses_, {{"n1", {"n2"}}}, loss).ok());
  EXPECT_EQ(Dropped("n1"), (std::vector<std::string>{"10.77.0.12", "10.77.0.13@0.250000"}));
  EXPECT_EQ(Dropped("n2"), (std::vector<std::string>{}));
  EXPECT_EQ(Dropped("n3"),
            (std::vector<std::string>{"10.77.0.11@0.500000", "10.77.0.12@0.500000"}));
}

TEST_F(GrudgeTest, LossErrorsNameTheNodeAndRate) {
  Status st = ApplyFaults(nodes_, addresses_, {}, {{"n2", {{"n1"}, 2.0}}});
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("n2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("between 0 and 1"), std::string::npos) << st.message();
  st = ApplyFaults(nodes_, addresses_, {}, {{"n1", {{"n9"}, 0.5}}});
  EXPECT_NE(st.message().find("n9"), std::string::npos) << st.message();
  for (const auto& [name, fake] : fakes_) EXPECT_TRUE(fake->commands().empty()) << name;
}

TEST_F(GrudgeTest, HealAllFlushesEveryNode) {
  ASSERT_TRUE(HealAll(nodes_).ok());
  for (const auto& [name, fake] : fakes_) {
    EXPECT_EQ(fake->CountContaining("-F FAULTLINE"), 1) << name;
  }
}

}  // namespace
}  // namespace faultline
