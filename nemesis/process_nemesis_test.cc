#include "nemesis/process_nemesis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "harness/control/fake_remote.h"
#include "nemesis/testing/fake_target.h"
#include "targets/client.h"
#include "targets/memory_target.h"

namespace faultline {
namespace {

using testing::FakeTarget;
using State = FakeTarget::State;

class ProcessNemesisTest : public ::testing::Test {
 protected:
  void SetUp() override { UseNodes(3); }

  void UseNodes(int n) {
    ctx_ = NemesisContext();
    for (int i = 1; i <= n; ++i) {
      const std::string name = "n" + std::to_string(i);
      ctx_.remotes.push_back(std::make_shared<FakeRemote>(name));
      ctx_.cluster.nodes.push_back(NodeInfo{name, "10.77.0.1" + std::to_string(i), ""});
    }
    ctx_.target = &target_;
    ctx_.seed = 9;
  }

  std::unique_ptr<Nemesis> Kill() {
    auto nemesis = MakeKillNemesis(target_);
    EXPECT_TRUE(nemesis.ok()) << nemesis.status().ToString();
    return std::move(*nemesis);
  }
  std::unique_ptr<Nemesis> Pause() {
    auto nemesis = MakePauseNemesis(target_);
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

  std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  FakeTarget target_;
  NemesisContext ctx_;
};

TEST_F(ProcessNemesisTest, KillOneThenStartRestartsIt) {
  auto nemesis = Kill();
  EXPECT_EQ(nemesis->name(), "kill");
  EXPECT_EQ(nemesis->fs(), (std::vector<std::string>{"kill", "start"}));
  ASSERT_TRUE(nemesis->Setup(ctx_).ok());
  Op killed = Invoke(*nemesis, "kill", "one");
  ASSERT_EQ(killed.type, OpType::kOk) << killed.error.dump();
  ASSERT_EQ(killed.value["killed"].size(), 1u);
  const std::string victim = killed.value["killed"][0];
  EXPECT_EQ(target_.StateOf(victim), State::kKilled);
  EXPECT_EQ(target_.calls(), std::vector<std::string>{"kill " + victim});

  Op started = Invoke(*nemesis, "start");
  ASSERT_EQ(started.type, OpType::kOk);
  EXPECT_EQ(started.value, (Json{{"started", {victim}}}));
  EXPECT_EQ(target_.StateOf(victim), State::kRunning);
  // Nothing left to heal.
  target_.ClearCalls();
  EXPECT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_TRUE(target_.calls().empty());
}

TEST_F(ProcessNemesisTest, HealRestartsEveryKilledNodeOnce) {
  UseNodes(5);
  auto nemesis = Kill();
  Op killed = Invoke(*nemesis, "kill", "majority");
  ASSERT_EQ(killed.type, OpType::kOk);
  ASSERT_EQ(killed.value["killed"].size(), 3u);
  Op more = Invoke(*nemesis, "kill", Json::parse(R"(["n1", "n2"])"));
  ASSERT_EQ(more.type, OpType::kOk);
  target_.ClearCalls();
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  std::set<std::string> down;
  for (const auto& n : killed.value["killed"]) down.insert(n.get<std::string>());
  down.insert("n1");
  down.insert("n2");
  std::vector<std::string> want;
  for (const std::string& n : down) want.push_back("start " + n);
  EXPECT_EQ(Sorted(target_.calls()), want);
  for (const std::string& n : ctx_.NodeNames()) EXPECT_EQ(target_.StateOf(n), State::kRunning);
  target_.ClearCalls();
  ASSERT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_TRUE(target_.calls().empty()) << "idempotent";
}

TEST_F(ProcessNemesisTest, PartialFailuresAreInfoAndHealRetriesThem) {
  auto nemesis = Kill();
  target_.FailNext("kill", "n2", Status::Timeout("kill on n2 timed out"));
  Op killed = Invoke(*nemesis, "kill", "all");
  EXPECT_EQ(killed.type, OpType::kInfo);
  EXPECT_EQ(killed.value, (Json{{"killed", {"n1", "n3"}}}));
  EXPECT_NE(killed.error.get<std::string>().find("n2: timeout: kill on n2 timed out"),
            std::string::npos)
      << killed.error;

  // n2's restart fails: start is info, n2 stays remembered, Heal retries it.
  target_.FailNext("start", "n2", Status::IoError("etcd did not come up"));
  Op started = Invoke(*nemesis, "start");
  EXPECT_EQ(started.type, OpType::kInfo);
  EXPECT_EQ(started.value, (Json{{"started", {"n1", "n3"}}}));
  target_.FailNext("start", "n2", Status::IoError("etcd did not come up"));
  Status healed = nemesis->Heal(ctx_);
  EXPECT_EQ(healed.code(), Status::Code::kIoError);
  EXPECT_NE(healed.message().find("n2: I/O error: etcd did not come up"), std::string::npos)
      << healed.message();
  target_.ClearCalls();
  EXPECT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_EQ(target_.calls(), std::vector<std::string>{"start n2"});
}

TEST_F(ProcessNemesisTest, PauseThenHealResumesAndKilledNodesCountAsNotPaused) {
  auto nemesis = Pause();
  EXPECT_EQ(nemesis->fs(), (std::vector<std::string>{"pause", "resume"}));
  Op paused = Invoke(*nemesis, "pause", Json::parse(R"(["n1", "n3"])"));
  ASSERT_EQ(paused.type, OpType::kOk);
  EXPECT_EQ(paused.value, (Json{{"paused", {"n1", "n3"}}}));
  EXPECT_EQ(target_.StateOf("n1"), State::kPaused);
  // n3 gets killed by someone else meanwhile: resuming finds nothing running.
  ASSERT_TRUE(
      target_.Kill(NodeContext{*ctx_.remotes[2], ctx_.cluster.nodes[2], ctx_.cluster}).ok());
  Status healed = nemesis->Heal(ctx_);
  EXPECT_TRUE(healed.ok()) << healed.ToString();
  EXPECT_EQ(target_.StateOf("n1"), State::kRunning);
  target_.ClearCalls();
  EXPECT_TRUE(nemesis->Heal(ctx_).ok());
  EXPECT_TRUE(target_.calls().empty());

  Invoke(*nemesis, "pause", Json::parse(R"(["n1", "n3"])"));
  Op resumed = Invoke(*nemesis, "resume");
  EXPECT_EQ(resumed.type, OpType::kOk);
  EXPECT_EQ(resumed.value, Json::parse(R"({"resumed": ["n1"], "not-running": ["n3"]})"));
}

TEST_F(ProcessNemesisTest, UnsupportedCapabilityIsAClearError) {
  FakeTarget plain(/*killable=*/false, /*pausable=*/false, "nginx");
  auto kill = MakeKillNemesis(plain);
  ASSERT_FALSE(kill.ok());
  EXPECT_EQ(kill.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(kill.status().message().find("target nginx cannot kill nodes"), std::string::npos)
      << kill.status().message();
  auto pause = MakePauseNemesis(plain);
  EXPECT_NE(pause.status().message().find("target nginx cannot pause"), std::string::npos);

  // Configured against a capable target, invoked against one that is not.
  auto nemesis = Kill();
  ctx_.target = &plain;
  Op done = Invoke(*nemesis, "kill", "one");
  EXPECT_EQ(done.type, OpType::kFail);
  EXPECT_EQ(done.error, "unsupported: target nginx cannot kill");
  EXPECT_EQ(nemesis->Setup(ctx_).code(), Status::Code::kUnsupported);
  EXPECT_TRUE(nemesis->Heal(ctx_).ok()) << "nothing to heal";
  ctx_.target = nullptr;
  EXPECT_EQ(Invoke(*nemesis, "kill").type, OpType::kFail);
}

TEST_F(ProcessNemesisTest, BadValuesAndUnknownOpsFailWithoutActing) {
  auto nemesis = Kill();
  for (const Json& bad : {Json("some"), Json::parse(R"(["n9"])"), Json(1)}) {
    Op done = Invoke(*nemesis, "kill", bad);
    EXPECT_EQ(done.type, OpType::kFail) << bad;
    EXPECT_NE(done.error.get<std::string>().find("kill: invalid argument"), std::string::npos)
        << done.error;
  }
  EXPECT_EQ(Invoke(*nemesis, "pause").type, OpType::kFail);
  EXPECT_TRUE(target_.calls().empty());
}

TEST_F(ProcessNemesisTest, SameSeedSameVictims) {
  UseNodes(5);
  std::vector<Json> runs[2];
  for (auto& run : runs) {
    auto nemesis = Kill();
    ASSERT_TRUE(nemesis->Setup(ctx_).ok());
    for (int i = 0; i < 8; ++i) {
      run.push_back(Invoke(*nemesis, "kill", "minority").value);
      Invoke(*nemesis, "start");
    }
  }
  EXPECT_EQ(runs[0], runs[1]);
  std::set<Json> distinct(runs[0].begin(), runs[0].end());
  EXPECT_GT(distinct.size(), 2u);
}

TEST_F(ProcessNemesisTest, HealDuringAnInvokeWaitsAndUndoesIt) {
  // A target whose kill blocks until released.
  class SlowKill final : public Target, public Killable {
   public:
    std::string name() const override { return "slow"; }
    Status Setup(const NodeContext&) override { return Status::Ok(); }
    Status Teardown(const NodeContext&) override { return Status::Ok(); }
    Killable* killable() override { return this; }
    Status Kill(const NodeContext&) override {
      entered.set_value();
      release.get_future().wait();
      std::lock_guard lock(mu);
      down = true;
      return Status::Ok();
    }
    Status Start(const NodeContext&) override {
      std::lock_guard lock(mu);
      down = false;
      return Status::Ok();
    }
    std::promise<void> entered, release;
    std::mutex mu;
    bool down = false;
  } slow;
  auto nemesis = MakeKillNemesis(slow);
  ASSERT_TRUE(nemesis.ok());
  ctx_.target = &slow;
  auto invoke = std::async(std::launch::async, [&] { return Invoke(**nemesis, "kill", "one"); });
  slow.entered.get_future().wait();
  auto heal = std::async(std::launch::async, [&] { return (*nemesis)->Heal(ctx_); });
  EXPECT_EQ(heal.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  slow.release.set_value();
  EXPECT_EQ(invoke.get().type, OpType::kOk);
  EXPECT_TRUE(heal.get().ok());
  std::lock_guard lock(slow.mu);
  EXPECT_FALSE(slow.down);
}

// Against the in-memory target, as the runner's unit tests will use it.
class MemoryTargetNemesisTest : public ProcessNemesisTest {
 protected:
  void SetUp() override {
    ProcessNemesisTest::SetUp();
    MemoryTargetOptions options;
    options.timeout = std::chrono::milliseconds(100);
    memory_ = MakeMemoryTarget(options);
    ctx_.target = memory_.get();
    for (size_t i = 0; i < ctx_.cluster.nodes.size(); ++i) {
      ASSERT_TRUE(
          memory_->Setup(NodeContext{*ctx_.remotes[i], ctx_.cluster.nodes[i], ctx_.cluster}).ok());
    }
  }

  Op Write(const std::string& node, int value) {
    auto client = memory_->register_clients()->NewRegisterClient();
    EXPECT_TRUE(client->Open(ctx_.cluster.nodes[static_cast<size_t>(ctx_.IndexOf(node))]).ok());
    Op op;
    op.process = 0;
    op.f = "write";
    op.value = value;
    op.key = "k";
    return client->Invoke(op);
  }

  std::unique_ptr<Target> memory_;
};

TEST_F(MemoryTargetNemesisTest, KillThenHealRestarts) {
  auto nemesis = MakeKillNemesis(*memory_);
  ASSERT_TRUE(nemesis.ok());
  ASSERT_EQ(Invoke(**nemesis, "kill", Json::parse(R"(["n2"])")).type, OpType::kOk);
  Op refused = Write("n2", 1);
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_EQ(Write("n1", 2).type, OpType::kOk);
  ASSERT_TRUE((*nemesis)->Heal(ctx_).ok());
  EXPECT_EQ(Write("n2", 3).type, OpType::kOk);
}

TEST_F(MemoryTargetNemesisTest, PauseThenHealResumes) {
  auto nemesis = MakePauseNemesis(*memory_);
  ASSERT_TRUE(nemesis.ok());
  ASSERT_EQ(Invoke(**nemesis, "pause", Json::parse(R"(["n3"])")).type, OpType::kOk);
  Op blocked = Write("n3", 1);
  EXPECT_EQ(blocked.type, OpType::kInfo);  // timed out while paused
  ASSERT_TRUE((*nemesis)->Heal(ctx_).ok());
  EXPECT_EQ(Write("n3", 2).type, OpType::kOk);
}

}  // namespace
}  // namespace faultline
