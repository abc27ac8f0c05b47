#include "nemesis/clock_nemesis.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "harness/control/fake_remote.h"
#include "nemesis/nemesis_factory.h"

namespace faultline {
namespace {

constexpr int64_t kMs = 1000000;

// A target with or without the clock shim capability.
class ClockTarget final : public Target, public ClockShimmable {
 public:
  ClockTarget(bool shimmable, std::string name) : shimmable_(shimmable), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Status Setup(const NodeContext&) override { return Status::Ok(); }
  Status Teardown(const NodeContext&) override { return Status::Ok(); }
  ClockShimmable* clock_shim() override { return shimmable_ ? this : nullptr; }
  void EnableClockShim() override { enabled = true; }
  bool enabled = false;

 private:
  const bool shimmable_;
  const std::string name_;
};

// Every node's clock as the fakes set it, and what was called.
struct FakeClocks {
  std::mutex mu;
  std::map<std::string, int64_t> offset;            // node -> ns
  std::map<std::string, std::vector<int64_t>> set;  // node -> every value set
  std::map<std::string, int> fail_next;             // node -> SetOffset failures to inject
  std::vector<std::string> calls;
};

class FakeClock final : public NodeClock {
 public:
  FakeClock(FakeClocks& clocks, std::string node) : clocks_(clocks), node_(std::move(node)) {}
  std::string mechanism() const override { return "fake"; }
  Status Prepare() override {
    std::lock_guard lock(clocks_.mu);
    clocks_.calls.push_back("prepare " + node_);
    return Status::Ok();
  }
  Status SetOffset(int64_t ns) override {
    std::lock_guard lock(clocks_.mu);
    if (clocks_.fail_next[node_] > 0) {
      --clocks_.fail_next[node_];
      return Status::Timeout("injected");
    }
    clocks_.offset[node_] = ns;
    clocks_.set[node_].push_back(ns);
    return Status::Ok();
  }
  Status Restore() override {
    std::lock_guard lock(clocks_.mu);
    clocks_.calls.push_back("restore " + node_);
    clocks_.offset[node_] = 0;
    return Status::Ok();
  }

 private:
  FakeClocks& clocks_;
  const std::string node_;
};

class ClockNemesisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 3; ++i) {
      const std::string name = "n" + std::to_string(i);
      ctx_.remotes.push_back(std::make_shared<FakeRemote>(name));
      ctx_.cluster.nodes.push_back(NodeInfo{name, "10.77.0.1" + std::to_string(i), ""});
    }
    ctx_.target = &target_;
    ctx_.seed = 5;
    ctx_.log = [this](const std::string& line) { log_.push_back(line); };
  }

  std::unique_ptr<Nemesis> Make(ClockNemesisOptions options = {}) {
    options.make_clock = [this](ClockMechanism, Remote& remote, const std::string&, bool) {
      return std::make_unique<FakeClock>(clocks_, remote.node());
    };
    auto nemesis = MakeClockNemesis(target_, {ClockMechanism::kShim, "test"}, options);
    EXPECT_TRUE(nemesis.ok()) << nemesis.status().ToString();
    return std::move(*nemesis);
  }

  Op Invoke(Nemesis& nemesis, const std::string& f, Json value = nullptr) {
    Op op;
    op.process = kNemesisProcess;
    op.f = f;
    op.value = std::move(value);
    return nemesis.Invoke(ctx_, op);
  }

  int64_t Offset(const std::string& node) {
    std::lock_guard lock(clocks_.mu);
    return clocks_.offset[node];
  }

  ClockTarget target_{true, "redis"};
  NemesisContext ctx_;
  FakeClocks clocks_;
  std::vector<std::string> log_;
};

TEST(ClockPlacement, ThisMachinesKernel) {
  EXPECT_TRUE(IsThisMachinesKernel("10.77.3.11"));
  EXPECT_TRUE(IsThisMachinesKernel("127.0.0.1"));
  EXPECT_TRUE(IsThisMachinesKernel("localhost"));
  EXPECT_TRUE(IsThisMachinesKernel("::1"));
  EXPECT_FALSE(IsThisMachinesKernel("10.78.0.1"));
  EXPECT_FALSE(IsThisMachinesKernel("192.168.56.11"));
  EXPECT_FALSE(IsThisMachinesKernel("vm1.example"));
}

TEST(ClockPlacement, LocalClusterNeedsAShimmableTarget) {
  ClockTarget etcd(false, "etcd");
  auto refused = ChooseClockMechanism(etcd, {"10.77.0.11", "10.77.0.12"});
  ASSERT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  const std::string why = refused.status().message();
  EXPECT_NE(why.find("target etcd"), std::string::npos) << why;
  EXPECT_NE(why.find("one wall clock"), std::string::npos) << why;
  EXPECT_NE(why.find("vDSO"), std::string::npos) << why;
  EXPECT_NE(why.find("VMs"), std::string::npos) << why;

  ClockTarget redis(true, "redis");
  auto shim = ChooseClockMechanism(redis, {"10.77.0.11"});
  ASSERT_TRUE(shim.ok());
  EXPECT_EQ(shim->mechanism, ClockMechanism::kShim);
  EXPECT_FALSE(shim->why.empty());

  // VMs: the system clock, whatever the target.
  for (ClockTarget* t : {&etcd, &redis}) {
    auto vm = ChooseClockMechanism(*t, {"192.168.56.11", "192.168.56.12"});
    ASSERT_TRUE(vm.ok());
    EXPECT_EQ(vm->mechanism, ClockMechanism::kSettime);
  }
  // Unknown hosts: the shim when the target can, else the system clock (whose
  // Setup still refuses a node on this machine's kernel).
  EXPECT_EQ(ChooseClockMechanism(redis, {})->mechanism, ClockMechanism::kShim);
  EXPECT_EQ(ChooseClockMechanism(etcd, {})->mechanism, ClockMechanism::kSettime);
}

TEST(ClockPlacement, FactoryRefusesEtcdOnTheLocalClusterAndEnablesTheShim) {
  ClockTarget etcd(false, "etcd");
  auto refused = MakeNemesis({"clock"}, etcd, NemesisOptions{{"10.77.0.11"}});
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  ClockTarget redis(true, "redis");
  auto made = MakeNemesis({"clock", "partition"}, redis, NemesisOptions{{"10.77.0.11"}});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(redis.enabled);
  auto fs = (*made)->fs();
  EXPECT_NE(std::find(fs.begin(), fs.end(), "bump"), fs.end());
  // On VMs the target is not asked to preload anything.
  ClockTarget vm_redis(true, "redis");
  ASSERT_TRUE(MakeNemesis({"clock"}, vm_redis, NemesisOptions{{"192.168.56.11"}}).ok());
  EXPECT_FALSE(vm_redis.enabled);
  EXPECT_TRUE(ParseNemesisList("clock,kill").ok());
}

TEST_F(ClockNemesisTest, SetupPreparesEveryNodeAndLogsTheMechanism) {
  auto nemesis = Make();
  EXPECT_TRUE(target_.enabled);
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  EXPECT_EQ(clocks_.calls.size(), 3u);
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_[0].find("mechanism shim"), std::string::npos) << log_[0];
  EXPECT_NE(log_[0].find("test"), std::string::npos) << log_[0];
}

TEST_F(ClockNemesisTest, BumpMovesOneNodeAndRecordsItsOffsetInMs) {
  auto nemesis = Make();
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  Op done = Invoke(*nemesis, "bump");
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  ASSERT_EQ(done.value.size(), 1u) << done.value.dump();
  const std::string node = done.value.begin().key();
  const int64_t ms = done.value[node].get<int64_t>();
  EXPECT_GE(std::abs(ms), 10);
  EXPECT_LE(std::abs(ms), 300000);
  EXPECT_EQ(Offset(node), ms * kMs);

  // Explicit deltas add to the current offset.
  ASSERT_EQ(Invoke(*nemesis, "reset").type, OpType::kOk);
  ASSERT_EQ(Invoke(*nemesis, "bump", Json{{"n1", 250}, {"n3", -40}}).type, OpType::kOk);
  Op more = Invoke(*nemesis, "bump", Json{{"n1", 250}, {"n3", -40}});
  ASSERT_EQ(more.type, OpType::kOk);
  EXPECT_EQ(more.value, (Json{{"n1", 500}, {"n3", -80}}));
  EXPECT_EQ(Offset("n1"), 500 * kMs);
  EXPECT_EQ(Offset("n3"), -80 * kMs);

  Op reset = Invoke(*nemesis, "reset");
  ASSERT_EQ(reset.type, OpType::kOk);
  EXPECT_EQ(reset.value, (Json{{"n1", 0}, {"n2", 0}, {"n3", 0}}));
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_EQ(Offset(n), 0);
}

TEST_F(ClockNemesisTest, DrawnDeltasSpanTheLogRangeBothSignsAndFollowTheSeed) {
  auto draws = [this](uint64_t seed) {
    ctx_.seed = seed;
    auto nemesis = Make();
    EXPECT_TRUE(nemesis->Setup(ctx_).ok());
    std::vector<Json> out;
    for (int i = 0; i < 300; ++i) {
      out.push_back(Invoke(*nemesis, "bump").value);
      Invoke(*nemesis, "reset");
    }
    return out;
  };
  const std::vector<Json> a = draws(5);
  EXPECT_EQ(a, draws(5));
  EXPECT_NE(a, draws(6));
  int negative = 0, small = 0, large = 0;
  std::set<std::string> nodes;
  for (const Json& v : a) {
    const int64_t ms = v.begin().value().get<int64_t>();
    nodes.insert(v.begin().key());
    EXPECT_GE(std::abs(ms), 10);
    EXPECT_LE(std::abs(ms), 300000);
    negative += ms < 0;
    small += std::abs(ms) < 1000;
    large += std::abs(ms) > 10000;
  }
  EXPECT_EQ(nodes.size(), 3u);
  EXPECT_GT(negative, 100);
  EXPECT_LT(negative, 200);
  // Log-uniform: about 45% below 1 s, about 34% above 10 s.
  EXPECT_GT(small, 90);
  EXPECT_GT(large, 60);
}

TEST_F(ClockNemesisTest, BadValuesFailAndChangeNothing) {
  auto nemesis = Make();
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  for (const Json& bad : {Json{{"n9", 5}}, Json{{"n1", "5"}}, Json("one"), Json::object()}) {
    Op done = Invoke(*nemesis, "bump", bad);
    EXPECT_EQ(done.type, OpType::kFail) << bad.dump();
    EXPECT_TRUE(done.error.is_string());
  }
  Op strobe = Invoke(*nemesis, "strobe", Json{{"node", "n1"}, {"delta_ms", 5}, {"period_ms", 0},
                                              {"duration_ms", 10}});
  EXPECT_EQ(strobe.type, OpType::kFail);
  EXPECT_EQ(Invoke(*nemesis, "jump").type, OpType::kFail);
  EXPECT_TRUE(clocks_.set.empty());
}

TEST_F(ClockNemesisTest, AFailedChangeIsInfoAndHealRetriesIt) {
  auto nemesis = Make();
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  clocks_.fail_next["n2"] = 1;
  Op done = Invoke(*nemesis, "bump", Json{{"n2", 1000}});
  EXPECT_EQ(done.type, OpType::kInfo);
  EXPECT_EQ(done.value, (Json{{"n2", 1000}}));
  EXPECT_NE(done.error.get<std::string>().find("n2"), std::string::npos);
  // It may have taken effect: Heal resets it although no offset was recorded.
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_EQ(clocks_.set["n2"], std::vector<int64_t>{0});
  // Nothing left: a second Heal does nothing.
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_EQ(clocks_.set["n2"].size(), 1u);
}

TEST_F(ClockNemesisTest, HealResetsSkewedNodesAndTeardownRestoresAll) {
  auto nemesis = Make();
  EXPECT_TRUE(nemesis->Heal(ctx_).ok());      // before Setup: nothing to do
  EXPECT_TRUE(nemesis->Teardown(ctx_).ok());  // idem
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  ASSERT_EQ(Invoke(*nemesis, "bump", Json{{"n1", -5000}}).type, OpType::kOk);
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_EQ(Offset("n1"), 0);
  EXPECT_EQ(clocks_.set.count("n2"), 0u);  // untouched nodes are left alone
  ASSERT_TRUE(nemesis->Teardown(ctx_).ok());
  int restores = 0;
  for (const std::string& c : clocks_.calls) restores += c.rfind("restore", 0) == 0;
  EXPECT_EQ(restores, 3);
}

TEST_F(ClockNemesisTest, StrobeFlipsBetweenTwoOffsetsAndEndsAtTheFirst) {
  auto nemesis = Make();
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  ASSERT_EQ(Invoke(*nemesis, "bump", Json{{"n2", 100}}).type, OpType::kOk);
  Op done = Invoke(*nemesis, "strobe", Json{{"node", "n2"}, {"delta_ms", 300}, {"period_ms", 20},
                                            {"duration_ms", 200}});
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  const Json& v = done.value["n2"];
  EXPECT_EQ(v["strobe_ms"], (Json{100, 400}));
  EXPECT_EQ(v["period_ms"], 20);
  EXPECT_GE(v["flips"].get<int64_t>(), 5);
  EXPECT_GE(v["for_ms"].get<int64_t>(), 200);
  const std::vector<int64_t>& seq = clocks_.set["n2"];
  ASSERT_GE(seq.size(), 6u);
  EXPECT_EQ(seq[0], 100 * kMs);
  for (size_t i = 1; i < seq.size(); ++i) EXPECT_EQ(seq[i], (i % 2 ? 400 : 100) * kMs) << i;
  EXPECT_EQ(Offset("n2"), 100 * kMs);
}

TEST_F(ClockNemesisTest, HealInterruptsALongStrobe) {
  ClockNemesisOptions options;
  options.strobe_duration = std::chrono::seconds(30);
  auto nemesis = Make(options);
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  const auto start = std::chrono::steady_clock::now();
  auto strobe = std::async(std::launch::async, [&] { return Invoke(*nemesis, "strobe"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  Op done = strobe.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(done.type, OpType::kOk);
  const std::string node = done.value.begin().key();
  EXPECT_EQ(done.value[node]["interrupted"], true);
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_EQ(Offset(n), 0) << n;
}

// The real mechanisms, against scripted nodes.

TEST(ShimClock, PrepareNeedsTheTargetsOffsetFileThenSetsOffsets) {
  FakeRemote remote("n1");
  remote.OnSubstring(" get ", CommandResult{3, "", ""});
  auto clock = MakeNodeClock(ClockMechanism::kShim, remote, "/d", false);
  EXPECT_EQ(clock->mechanism(), "shim");
  Status st = clock->Prepare();
  ASSERT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("did not start its processes under the clock shim"), std::string::npos);

  FakeRemote ok("n1");
  ok.OnSubstring(" get ", CommandResult{0, "0\n", ""});
  auto good = MakeNodeClock(ClockMechanism::kShim, ok, "/d", false);
  ASSERT_TRUE(good->Prepare().ok());
  ASSERT_TRUE(good->SetOffset(-7 * kMs).ok());
  EXPECT_EQ(ok.CountContaining(" set /d/faultline-clock/offset -7000000"), 1);
}

std::string OurBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

TEST(SettimeClock, RefusesANodeOnThisMachinesKernel) {
  FakeRemote remote("n1");
  remote.OnSubstring("boot_id", CommandResult{0, OurBootId() + "\n", ""});
  auto clock = MakeNodeClock(ClockMechanism::kSettime, remote, "/d", false);
  Status st = clock->Prepare();
  ASSERT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("this machine's clock"), std::string::npos);
  EXPECT_EQ(remote.CountContaining("step"), 0);
}

TEST(SettimeClock, StepsRelativelyStopsNtpAndUndoesEverything) {
  FakeRemote remote("vm1");
  remote.OnSubstring("boot_id", CommandResult{0, "another-kernel\n", ""});
  remote.OnSubstring("test -r", CommandResult{1, "", ""});  // files must be uploaded
  remote.OnSubstring("is-active", CommandResult{0, "chrony\n", ""});
  auto clock = MakeNodeClock(ClockMechanism::kSettime, remote, "/d", false);
  EXPECT_EQ(clock->mechanism(), "settime");
  ASSERT_TRUE(clock->Prepare().ok());
  ASSERT_TRUE(remote.File("/d/faultline-clock/faultline-clock").has_value());
  ASSERT_TRUE(clock->SetOffset(120000 * kMs).ok());
  ASSERT_TRUE(clock->SetOffset(100000 * kMs).ok());
  ASSERT_TRUE(clock->Restore().ok());
  std::vector<std::string> steps;
  for (const std::string& r : remote.rendered()) {
    if (r.find(" step ") != std::string::npos) steps.push_back(r.substr(r.find(" step ") + 6));
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"120000000000", "-20000000000", "-100000000000"}));
  EXPECT_EQ(remote.CountContaining("systemctl start"), 1);
  EXPECT_EQ(remote.CountContaining("rm -rf"), 1);
  EXPECT_TRUE(clock->Restore().ok());  // idempotent
  EXPECT_EQ(remote.CountContaining("systemctl start"), 1);
}

}  // namespace
}  // namespace faultline
