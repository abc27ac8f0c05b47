#include "nemesis/schedule.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/generator/simulator.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kInterval = 10'000'000'000;  // 10 s in ns
constexpr int64_t kLatency = 1'000'000;        // the simulator's default

std::vector<Op> Invocations(const std::vector<Op>& history) {
  std::vector<Op> out;
  for (const Op& op : history) {
    if (op.is_invoke()) out.push_back(op);
  }
  return out;
}

gen::SimResult Simulated(gen::GenPtr g, uint64_t seed = 1, int clients = 3) {
  gen::SimOptions options;
  options.seed = seed;
  options.client_count = clients;
  Result<gen::SimResult> result = gen::Simulate(std::move(g), options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : gen::SimResult{};
}

const std::map<std::string, std::string> kRecoveryOf = {
    {"start-partition", "stop-partition"}, {"kill", "start"}, {"pause", "resume"}};

TEST(ScheduleTest, AlternatesFaultAndRecoveryEveryIntervalOnTheNemesisThread) {
  auto schedule =
      NemesisGenerator({"partition", "kill", "pause"}, std::chrono::nanoseconds(kInterval));
  gen::SimResult sim = Simulated(gen::TimeLimit(seconds(1000), schedule));
  const std::vector<Op> invokes = Invocations(sim.history);
  ASSERT_GE(invokes.size(), 90u);
  std::map<std::string, int> faults;
  std::set<std::string> shapes;
  int64_t previous_end = 0;
  for (size_t i = 0; i < invokes.size(); ++i) {
    const Op& op = invokes[i];
    EXPECT_EQ(op.process, kNemesisProcess) << DescribeOp(op);
    // Each op starts one interval after the previous one completed.
    EXPECT_EQ(op.time, previous_end + kInterval) << i;
    previous_end = op.time + kLatency;
    if (i % 2 == 0) {
      ASSERT_TRUE(kRecoveryOf.count(op.f)) << "fault expected, got " << DescribeOp(op);
      ++faults[op.f];
      if (op.f == "start-partition") shapes.insert(op.value.get<std::string>());
      if (op.f != "start-partition") EXPECT_EQ(op.value, "one");
    } else {
      EXPECT_EQ(op.f, kRecoveryOf.at(invokes[i - 1].f)) << i;
      EXPECT_TRUE(op.value.is_null());
    }
  }
  EXPECT_EQ(faults.size(), 3u);
  for (const auto& [f, count] : faults) EXPECT_GT(count, 5) << f;
  EXPECT_EQ(shapes, (std::set<std::string>{"random-halves", "isolate-one", "majorities-ring",
                                           "isolate-primary"}));
}

TEST(ScheduleTest, SameSeedSameScheduleOtherSeedOtherSchedule) {
  auto fs = [](uint64_t seed) {
    auto schedule = NemesisGenerator({"partition", "kill", "pause"}, seconds(1));
    std::vector<std::string> out;
    for (const Op& op :
         Invocations(Simulated(gen::TimeLimit(seconds(60), schedule), seed).history)) {
      out.push_back(op.f + " " + op.value.dump());
    }
    return out;
  };
  EXPECT_EQ(fs(5), fs(5));
  EXPECT_NE(fs(5), fs(6));
}

TEST(ScheduleTest, ClientsNeverGetNemesisOps) {
  auto schedule = NemesisGenerator({"kill"}, seconds(1));
  auto reads = gen::Clients(gen::Stagger(milliseconds(10), gen::Repeat(gen::MakeOp("read"))));
  gen::SimResult sim = Simulated(gen::TimeLimit(seconds(20), gen::Any({reads, schedule})), 3, 4);
  int nemesis_ops = 0, client_ops = 0;
  for (const Op& op : Invocations(sim.history)) {
    if (op.is_nemesis()) {
      ++nemesis_ops;
      EXPECT_TRUE(op.f == "kill" || op.f == "start") << DescribeOp(op);
    } else {
      ++client_ops;
      EXPECT_EQ(op.f, "read");
      EXPECT_GE(op.process, 0);
    }
  }
  EXPECT_GE(nemesis_ops, 9);
  EXPECT_GT(client_ops, 500);
}

TEST(ScheduleTest, OptionsChooseShapesAndTargets) {
  NemesisScheduleOptions options;
  options.partition_shapes = {"isolate-one"};
  options.kill_targets = "minority";
  auto schedule = NemesisGenerator({"kill", "partition"}, seconds(1), options);
  for (const Op& op : Invocations(Simulated(gen::TimeLimit(seconds(100), schedule)).history)) {
    if (op.f == "start-partition") EXPECT_EQ(op.value, "isolate-one");
    if (op.f == "kill") EXPECT_EQ(op.value, "minority");
  }
}

TEST(ScheduleTest, FinalHealRecoversNetworkThenProcesses) {
  gen::SimResult sim = Simulated(FinalHealGenerator({"kill", "partition", "pause"}));
  std::vector<std::string> fs;
  for (const Op& op : Invocations(sim.history)) {
    EXPECT_TRUE(op.is_nemesis());
    fs.push_back(op.f);
  }
  EXPECT_EQ(fs, (std::vector<std::string>{"stop-partition", "resume", "start"}));
  EXPECT_TRUE(Simulated(FinalHealGenerator({})).history.empty());
  EXPECT_TRUE(Simulated(NemesisGenerator({}, seconds(1))).history.empty());
}

TEST(ScheduleTest, PacketLossStartsAndStopsAndIsHealedWithTheNetwork) {
  auto schedule = NemesisGenerator({"packet-loss"}, seconds(1));
  std::vector<std::string> fs;
  for (const Op& op : Invocations(Simulated(gen::TimeLimit(seconds(10), schedule)).history)) {
    fs.push_back(op.f);
  }
  ASSERT_GE(fs.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(fs[i], i % 2 == 0 ? "start-packet-loss" : "stop-packet-loss") << i;
  }
  std::vector<std::string> heal;
  for (const Op& op :
       Invocations(Simulated(FinalHealGenerator({"kill", "packet-loss", "partition"})).history)) {
    heal.push_back(op.f);
  }
  EXPECT_EQ(heal, (std::vector<std::string>{"stop-partition", "stop-packet-loss", "start"}));
}

TEST(ScheduleTest, BadParametersAreGeneratorErrors) {
  gen::SimOptions options;
  auto error = [&](gen::GenPtr g) {
    Result<gen::SimResult> result = gen::Simulate(std::move(g), options);
    EXPECT_FALSE(result.ok());
    return result.status().message();
  };
  EXPECT_NE(error(NemesisGenerator({"meteor"}, seconds(1))).find("unknown nemesis \"meteor\""),
            std::string::npos);
  EXPECT_NE(error(NemesisGenerator({"kill"}, seconds(0))).find("interval must be positive"),
            std::string::npos);
  NemesisScheduleOptions bad_shape;
  bad_shape.partition_shapes = {"bridge"};
  EXPECT_NE(error(NemesisGenerator({"partition"}, seconds(1), bad_shape))
                .find("unknown partition shape \"bridge\""),
            std::string::npos);
  EXPECT_NE(error(FinalHealGenerator({"meteor"})).find("unknown nemesis"), std::string::npos);
  EXPECT_NE(error(OneOf({})).find("no choices"), std::string::npos);
}

TEST(ScheduleTest, OneOfDrawsEachChoiceWhenRepeated) {
  auto g = gen::Repeat(20, OneOf({gen::Once(gen::MakeOp("a")), gen::Once(gen::MakeOp("b")),
                                  gen::Ops({gen::MakeOp("c1"), gen::MakeOp("c2")})}));
  std::vector<std::string> fs;
  for (const Op& op : Invocations(Simulated(g).history)) fs.push_back(op.f);
  std::set<std::string> seen(fs.begin(), fs.end());
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c1", "c2"}));
  // A chosen sequence runs whole: c1 is always followed by c2.
  for (size_t i = 0; i < fs.size(); ++i) {
    if (fs[i] == "c1") {
      ASSERT_LT(i + 1, fs.size());
      EXPECT_EQ(fs[i + 1], "c2");
    }
  }
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

TEST(ScheduleTest, ClockRoundsBumpOrStrobeThenReset) {
  auto schedule = NemesisGenerator({"clock"}, std::chrono::nanoseconds(kInterval));
  const std::vector<Op> invokes =
      Invocations(Simulated(gen::TimeLimit(std::chrono::seconds(1000), schedule)).history);
  ASSERT_GE(invokes.size(), 90u);
  std::set<std::string> faults;
  for (size_t i = 0; i < invokes.size(); ++i) {
    if (i % 2 == 0) {
      EXPECT_TRUE(invokes[i].f == "bump" || invokes[i].f == "strobe") << DescribeOp(invokes[i]);
      faults.insert(invokes[i].f);
    } else {
      EXPECT_EQ(invokes[i].f, "reset");
    }
  }
  EXPECT_EQ(faults, (std::set<std::string>{"bump", "strobe"}));
  std::vector<std::string> fs;
  for (const Op& op : Invocations(Simulated(FinalHealGenerator({"clock", "kill"})).history)) {
    fs.push_back(op.f);
  }
  EXPECT_EQ(fs, (std::vector<std::string>{"start", "reset"}));
}

}  // namespace
}  // namespace faultline
