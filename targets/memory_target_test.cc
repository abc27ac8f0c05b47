#include "targets/memory_target.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <random>
#include <thread>

#include "checkers/linearizability.h"
#include "harness/control/fake_remote.h"
#include "targets/client.h"
#include "targets/testing/recorder.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

class MemoryTargetTest : public ::testing::Test {
 protected:
  void SetUpTarget(Target& target) {
    for (const NodeInfo& node : cluster_.nodes) {
      ASSERT_TRUE(target.Setup(Ctx(node.name)).ok());
    }
  }

  NodeContext Ctx(const std::string& name) {
    for (const NodeInfo& node : cluster_.nodes) {
      if (node.name == name) return NodeContext{remote_, node, cluster_};
    }
    ADD_FAILURE() << "no node " << name;
    return NodeContext{remote_, cluster_.nodes[0], cluster_};
  }

  std::unique_ptr<Client> OpenClient(Target& target, const std::string& node) {
    std::unique_ptr<Client> client = target.register_clients()->NewRegisterClient();
    Status st = client->Open(Ctx(node).node);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return client;
  }

  static Validity Check(const History& history) {
    auto model = MakeModel("cas-register");
    EXPECT_TRUE(model.ok());
    auto result = CheckLinearizability(history, **model, Json());
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? result->valid : Validity::kUnknown;
  }

  FakeRemote remote_{"controller"};
  ClusterInfo cluster_{{{"n1", "10.0.0.1", ""}, {"n2", "10.0.0.2", ""}, {"n3", "10.0.0.3", ""}},
                       "/var/lib/faultline/node",
                       false};
};

TEST_F(MemoryTargetTest, OffersKillPauseAndRegisterClients) {
  auto target = MakeMemoryTarget();
  EXPECT_EQ(target->name(), "memory");
  EXPECT_NE(target->killable(), nullptr);
  EXPECT_NE(target->pausable(), nullptr);
  EXPECT_NE(target->register_clients(), nullptr);
  EXPECT_EQ(target->log_files(), nullptr);
  EXPECT_EQ(target->primaries(), nullptr);
  EXPECT_EQ(MakeUnsafeMemoryTarget()->name(), "memory-unsafe");
}

TEST_F(MemoryTargetTest, ReadWriteCasOnKeys) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  auto c2 = OpenClient(*target, "n2");

  Op r = c1->Invoke(MakeOp(0, "read", Json(), "x"));
  EXPECT_EQ(r.type, OpType::kOk);
  EXPECT_TRUE(r.value.is_null());
  EXPECT_EQ(r.node, "n1");
  EXPECT_EQ(r.process, 0);
  EXPECT_EQ(r.key, "x");
  EXPECT_EQ(r.index, -1);

  EXPECT_EQ(c1->Invoke(MakeOp(0, "write", 3, "x")).type, OpType::kOk);
  EXPECT_EQ(c2->Invoke(MakeOp(1, "read", Json(), "x")).value, 3);
  EXPECT_TRUE(c2->Invoke(MakeOp(1, "read", Json(), "y")).value.is_null());

  Op cas = c2->Invoke(MakeOp(1, "cas", Json::array({3, 4}), "x"));
  EXPECT_EQ(cas.type, OpType::kOk);
  Op mismatch = c1->Invoke(MakeOp(0, "cas", Json::array({3, 5}), "x"));
  EXPECT_EQ(mismatch.type, OpType::kFail);
  EXPECT_EQ(mismatch.error, kCasMismatchError);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "read", Json(), "x")).value, 4);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "cas", Json::array({Json(), 1}), "y")).type, OpType::kOk);
  EXPECT_EQ(c1->Invoke(MakeOp(0, "read", Json(), "y")).value, 1);
}

TEST_F(MemoryTargetTest, RejectsWhatItCannotDo) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  auto client = target->register_clients()->NewRegisterClient();
  Op before_open = client->Invoke(MakeOp(0, "read", Json()));
  EXPECT_EQ(before_open.type, OpType::kFail);

  NodeInfo stranger{"n9", "10.0.0.9", ""};
  Status st = client->Open(stranger);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("n9"), std::string::npos);

  ASSERT_TRUE(client->Open(cluster_.nodes[0]).ok());
  Op unknown = client->Invoke(MakeOp(0, "increment", 1));
  EXPECT_EQ(unknown.type, OpType::kFail);
  EXPECT_NE(unknown.error.get<std::string>().find("increment"), std::string::npos);
  EXPECT_EQ(client->Invoke(MakeOp(0, "cas", 1)).type, OpType::kFail);
  client->Close();
  EXPECT_EQ(client->Invoke(MakeOp(0, "read", Json())).type, OpType::kFail);
}

TEST_F(MemoryTargetTest, TeardownOfEveryNodeWipesTheData) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  auto client = OpenClient(*target, "n1");
  ASSERT_EQ(client->Invoke(MakeOp(0, "write", 1)).type, OpType::kOk);
  for (const NodeInfo& node : cluster_.nodes) ASSERT_TRUE(target->Teardown(Ctx(node.name)).ok());
  EXPECT_TRUE(target->Teardown(Ctx("n1")).ok()) << "teardown is idempotent";
  EXPECT_EQ(client->Invoke(MakeOp(0, "read", Json())).type, OpType::kFail);
  SetUpTarget(*target);
  EXPECT_TRUE(client->Invoke(MakeOp(0, "read", Json())).value.is_null());
}

TEST_F(MemoryTargetTest, ConcurrentClientsProduceALinearizableHistory) {
  MemoryTargetOptions options;
  options.max_latency = std::chrono::microseconds(200);
  auto target = MakeMemoryTarget(options);
  SetUpTarget(*target);
  TestRecorder recorder;
  std::atomic<int> next_value{1};
  std::atomic<int> oks{0}, mismatches{0};
  std::vector<std::thread> workers;
  for (int p = 0; p < 6; ++p) {
    workers.emplace_back([&, p] {
      auto client = OpenClient(*target, cluster_.nodes[p % 3].name);
      std::mt19937 rng(p);
      for (int i = 0; i < 200; ++i) {
        Json key = static_cast<int>(rng() % 2);
        Op op;
        switch (rng() % 3) {
          case 0:
            op = MakeOp(p, "read", Json(), key);
            break;
          case 1:
            op = MakeOp(p, "write", next_value++, key);
            break;
          default:
            op = MakeOp(p, "cas", Json::array({static_cast<int>(rng() % 8), next_value++}), key);
        }
        Op done = recorder.Run(*client, op);
        if (done.type == OpType::kOk) ++oks;
        if (done.error == kCasMismatchError) ++mismatches;
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_GT(oks.load(), 600);
  EXPECT_GT(mismatches.load(), 0);
  EXPECT_EQ(Check(recorder.history()), Validity::kValid);
}

TEST_F(MemoryTargetTest, UnsafeTargetServesStaleReadsThatTheCheckerCatches) {
  MemoryTargetOptions options;
  options.replication_delay = std::chrono::hours(1);
  auto target = MakeUnsafeMemoryTarget(options);
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  auto c2 = OpenClient(*target, "n2");
  TestRecorder recorder;
  ASSERT_EQ(recorder.Run(*c1, MakeOp(0, "write", 1)).type, OpType::kOk);
  Op stale = recorder.Run(*c2, MakeOp(1, "read", Json()));
  ASSERT_EQ(stale.type, OpType::kOk);
  EXPECT_TRUE(stale.value.is_null()) << "n2 has not received the write yet";
  EXPECT_EQ(recorder.Run(*c1, MakeOp(0, "read", Json())).value, 1);
  EXPECT_EQ(Check(recorder.history()), Validity::kInvalid);
}

TEST_F(MemoryTargetTest, UnsafeTargetReplicatesAfterTheDelay) {
  MemoryTargetOptions options;
  options.replication_delay = milliseconds(20);
  auto target = MakeUnsafeMemoryTarget(options);
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  auto c3 = OpenClient(*target, "n3");
  ASSERT_EQ(c1->Invoke(MakeOp(0, "write", 7)).type, OpType::kOk);
  std::this_thread::sleep_for(milliseconds(60));
  EXPECT_EQ(c3->Invoke(MakeOp(1, "read", Json())).value, 7);
  EXPECT_EQ(c3->Invoke(MakeOp(1, "cas", Json::array({7, 8}))).type, OpType::kOk);
}

TEST_F(MemoryTargetTest, KilledNodeRefusesOpsUntilStartedAndKeepsItsData) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  auto c2 = OpenClient(*target, "n2");
  ASSERT_EQ(c1->Invoke(MakeOp(0, "write", 5)).type, OpType::kOk);

  ASSERT_TRUE(target->killable()->Kill(Ctx("n1")).ok());
  EXPECT_TRUE(target->killable()->Kill(Ctx("n1")).ok()) << "killing a dead node is fine";
  Op refused = c1->Invoke(MakeOp(0, "write", 6));
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_EQ(refused.error.get<std::string>().rfind("unreachable", 0), 0u);
  EXPECT_EQ(c2->Invoke(MakeOp(1, "read", Json())).value, 5) << "the refused write had no effect";
  EXPECT_EQ(target->pausable()->Pause(Ctx("n1")).code(), Status::Code::kNotFound);

  ASSERT_TRUE(target->killable()->Start(Ctx("n1")).ok());
  EXPECT_EQ(c1->Invoke(MakeOp(0, "read", Json())).value, 5);
}

TEST_F(MemoryTargetTest, PausedNodeBlocksOpsUntilResumed) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  auto c2 = OpenClient(*target, "n2");
  ASSERT_TRUE(target->pausable()->Pause(Ctx("n1")).ok());
  auto pending = std::async(std::launch::async, [&] { return c1->Invoke(MakeOp(0, "write", 9)); });
  EXPECT_EQ(pending.wait_for(milliseconds(100)), std::future_status::timeout);
  EXPECT_TRUE(c2->Invoke(MakeOp(1, "read", Json())).value.is_null()) << "other nodes still serve";
  ASSERT_TRUE(target->pausable()->Resume(Ctx("n1")).ok());
  ASSERT_EQ(pending.wait_for(milliseconds(2000)), std::future_status::ready);
  EXPECT_EQ(pending.get().type, OpType::kOk);
  EXPECT_EQ(c2->Invoke(MakeOp(1, "read", Json())).value, 9);
}

TEST_F(MemoryTargetTest, OpOnAPausedNodeTimesOutAsInfoWithoutEffect) {
  MemoryTargetOptions options;
  options.timeout = milliseconds(50);
  auto target = MakeMemoryTarget(options);
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  auto c2 = OpenClient(*target, "n2");
  ASSERT_TRUE(target->pausable()->Pause(Ctx("n1")).ok());
  Op timed_out = c1->Invoke(MakeOp(0, "write", 9));
  EXPECT_EQ(timed_out.type, OpType::kInfo);
  EXPECT_EQ(timed_out.error.get<std::string>().rfind("timeout", 0), 0u);
  ASSERT_TRUE(target->pausable()->Resume(Ctx("n1")).ok());
  EXPECT_TRUE(c2->Invoke(MakeOp(1, "read", Json())).value.is_null());
}

TEST_F(MemoryTargetTest, KillingAPausedNodeEndsItsBlockedOpsAsInfo) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  auto c1 = OpenClient(*target, "n1");
  ASSERT_TRUE(target->pausable()->Pause(Ctx("n1")).ok());
  auto pending = std::async(std::launch::async, [&] { return c1->Invoke(MakeOp(0, "write", 9)); });
  std::this_thread::sleep_for(milliseconds(30));
  ASSERT_TRUE(target->killable()->Kill(Ctx("n1")).ok());
  ASSERT_EQ(pending.wait_for(milliseconds(2000)), std::future_status::ready);
  Op lost = pending.get();
  EXPECT_EQ(lost.type, OpType::kInfo);
  EXPECT_EQ(lost.error.get<std::string>().rfind("connection-lost", 0), 0u);
  ASSERT_TRUE(target->killable()->Start(Ctx("n1")).ok());
  EXPECT_TRUE(target->pausable()->Resume(Ctx("n1")).ok()) << "a restarted node is not paused";
}

}  // namespace
}  // namespace faultline

namespace faultline {
namespace {

Op Inv(int64_t process, const std::string& f, Json value = Json(), Json key = 0) {
  Op op;
  op.process = process;
  op.f = f;
  op.value = std::move(value);
  op.key = std::move(key);
  return op;
}

class MemorySetLockTest : public MemoryTargetTest {
 protected:
  std::unique_ptr<Client> Open(std::unique_ptr<Client> client, const std::string& node) {
    Status st = client->Open(Ctx(node).node);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return client;
  }
};

TEST_F(MemorySetLockTest, SetAddsAreReadBackOnEveryNode) {
  auto target = MakeMemoryTarget();
  SetUpTarget(*target);
  ASSERT_NE(target->set_clients(), nullptr);
  auto a = Open(target->set_clients()->NewSetClient(), "n1");
  auto b = Open(target->set_clients()->NewSetClient(), "n2");
  EXPECT_EQ(a->Invoke(Inv(0, "add", 3)).type, OpType::kOk);
  EXPECT_EQ(b->Invoke(Inv(1, "add", 1)).type, OpType::kOk);
  EXPECT_EQ(b->Invoke(Inv(1, "add", 7, 1)).type, OpType::kOk);
  Op read = a->Invoke(Inv(0, "read"));
  ASSERT_EQ(read.type, OpType::kOk);
  EXPECT_EQ(read.value, Json::array({1, 3}));
  EXPECT_EQ(a->Invoke(Inv(0, "add", "x")).type, OpType::kFail);
}

TEST_F(MemorySetLockTest, UnsafeSetDropsSomeAcknowledgedAdds) {
  auto target = MakeUnsafeMemoryTarget();
  SetUpTarget(*target);
  auto a = Open(target->set_clients()->NewSetClient(), "n1");
  for (int i = 0; i < 200; ++i) ASSERT_EQ(a->Invoke(Inv(0, "add", i)).type, OpType::kOk);
  Op read = a->Invoke(Inv(0, "read"));
  EXPECT_LT(read.value.size(), 200u);
  EXPECT_GT(read.value.size(), 150u);
}

TEST_F(MemorySetLockTest, LockIsExclusiveAndReleasedByItsOwnerOnly) {
  MemoryTargetOptions options;
  options.timeout = milliseconds(50);
  auto target = MakeMemoryTarget(options);
  SetUpTarget(*target);
  ASSERT_NE(target->lock_clients(), nullptr);
  auto a = Open(target->lock_clients()->NewLockClient(), "n1");
  auto b = Open(target->lock_clients()->NewLockClient(), "n2");
  EXPECT_EQ(a->Invoke(Inv(0, "acquire")).type, OpType::kOk);
  Op again = a->Invoke(Inv(0, "acquire"));
  EXPECT_EQ(again.type, OpType::kFail);
  EXPECT_EQ(again.error, "already-held");
  Op busy = b->Invoke(Inv(1, "acquire"));
  EXPECT_EQ(busy.type, OpType::kFail);  // waited 50 ms, never granted
  Op not_held = b->Invoke(Inv(1, "release"));
  EXPECT_EQ(not_held.type, OpType::kFail);
  EXPECT_EQ(not_held.error, "not-held");
  EXPECT_EQ(b->Invoke(Inv(1, "acquire", nullptr, 1)).type, OpType::kOk);  // another lock
  // A waiter gets the lock once the holder releases it.
  auto waiter = std::async(std::launch::async, [&] { return b->Invoke(Inv(1, "acquire")); });
  std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(a->Invoke(Inv(0, "release")).type, OpType::kOk);
  EXPECT_EQ(waiter.get().type, OpType::kOk);
  // Closing a client ends its session: its locks are free.
  b->Close();
  auto c = Open(target->lock_clients()->NewLockClient(), "n3");
  EXPECT_EQ(c->Invoke(Inv(2, "acquire")).type, OpType::kOk);
}

TEST_F(MemorySetLockTest, UnsafeLockSometimesGrantsAHeldLock) {
  MemoryTargetOptions options;
  options.timeout = milliseconds(20);
  auto target = MakeUnsafeMemoryTarget(options);
  SetUpTarget(*target);
  auto a = Open(target->lock_clients()->NewLockClient(), "n1");
  auto b = Open(target->lock_clients()->NewLockClient(), "n2");
  int granted = 0;
  for (int i = 0; i < 50; ++i) {
    a->Invoke(Inv(0, "release"));
    ASSERT_EQ(a->Invoke(Inv(0, "acquire")).type, OpType::kOk);
    if (b->Invoke(Inv(1, "acquire")).type == OpType::kOk) {
      ++granted;
      b->Invoke(Inv(1, "release"));
    }
  }
  EXPECT_GT(granted, 0);
}

}  // namespace
}  // namespace faultline
