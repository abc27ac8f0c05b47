// Redis clients against a scripted connector: the outcomes (ok / fail /
// info) for each kind of reply and failure, primary discovery through the
// Sentinels, and the lock protocol.
#include "targets/redis_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>

#include "targets/testing/recorder.h"

namespace faultline {
namespace {

// Every connection to host:port answers through `handler`; connections to an
// address in `down` are refused.
class FakeRedis {
 public:
  using Handler = std::function<Result<RedisReply>(const std::string& address,
                                                   const std::vector<std::string>& argv)>;
  Handler handler;
  std::set<std::string> down;
  std::vector<std::pair<std::string, std::vector<std::string>>> log;

  RedisConnector connector() {
    return [this](const std::string& host, int port,
                  const RedisTimeouts&) -> Result<std::unique_ptr<RedisConnection>> {
      const std::string address = host + ":" + std::to_string(port);
      if (down.count(address)) return Status::Unreachable(address + ": connection refused");
      return std::unique_ptr<RedisConnection>(std::make_unique<Conn>(*this, address));
    };
  }

 private:
  class Conn final : public RedisConnection {
   public:
    Conn(FakeRedis& fake, std::string address) : fake_(fake), address_(std::move(address)) {}
    Result<RedisReply> Command(const std::vector<std::string>& argv) override {
      fake_.log.emplace_back(address_, argv);
      return fake_.handler(address_, argv);
    }

   private:
    FakeRedis& fake_;
    std::string address_;
  };
};

RedisReply Primary(const std::string& host, int port) {
  return RedisReply::Array({RedisReply::String(host), RedisReply::String(std::to_string(port))});
}
RedisReply Master() { return RedisReply::Array({RedisReply::String("master")}); }

class RedisSentinelClientTest : public ::testing::Test {
 protected:
  RedisClientConfig Config() {
    RedisClientConfig c;
    c.connector = fake_.connector();
    c.sentinels = [](const NodeInfo& node) {
      std::vector<RedisEndpoint> out = {{node.name, "s-" + node.name, 26379}};
      for (const char* n : {"n1", "n2", "n3"}) {
        if (node.name != n) out.push_back({n, std::string("s-") + n, 26379});
      }
      return out;
    };
    return c;
  }

  // A store: sentinels name `primary_`; the primary runs GET/SET/DEL/EVAL/SADD.
  void Serve() {
    fake_.handler = [this](const std::string& address,
                           const std::vector<std::string>& argv) -> Result<RedisReply> {
      if (address.rfind("s-", 0) == 0) return Primary(primary_, 6379);
      if (argv[0] == "ROLE") return address == primary_ + ":6379" ? Master() : RedisReply::Array({RedisReply::String("slave")});
      if (address != primary_ + ":6379") return RedisReply::Error("READONLY You can't write against a read only replica.");
      if (argv[0] == "GET") {
        auto it = kv_.find(argv[1]);
        return it == kv_.end() ? RedisReply::Nil() : RedisReply::String(it->second);
      }
      if (argv[0] == "SET") {
        kv_[argv[1]] = argv[2];
        return RedisReply::StatusReply("OK");
      }
      if (argv[0] == "DEL") return RedisReply::Integer(static_cast<long long>(kv_.erase(argv[1])));
      if (argv[0] == "EVAL") {  // the CAS script: ARGV at 4..7
        auto it = kv_.find(argv[3]);
        const bool absent = argv[6] == "1";
        if (absent ? it != kv_.end() : (it == kv_.end() || it->second != argv[4]))
          return RedisReply::Integer(0);
        if (argv[7] == "1") kv_.erase(argv[3]); else kv_[argv[3]] = argv[5];
        return RedisReply::Integer(1);
      }
      if (argv[0] == "WAIT") return RedisReply::Integer(wait_acks_);
      return RedisReply::Error("ERR unknown command");
    };
  }

  FakeRedis fake_;
  std::string primary_ = "h1";
  std::map<std::string, std::string> kv_;
  long long wait_acks_ = 0;
};

RedisReply SlotRange(long long start, long long end, RedisReply host, RedisReply port) {
  return RedisReply::Array({RedisReply::Integer(start), RedisReply::Integer(end),
                            RedisReply::Array({std::move(host), std::move(port)})});
}

TEST(RedisSlotOwnersTest, MapsRangesToTheirPrimaries) {
  const std::vector<std::string> slots = RedisSlotOwners(RedisReply::Array(
      {SlotRange(0, 5460, RedisReply::String("10.0.0.1"), RedisReply::Integer(7000)),
       SlotRange(5461, 16383, RedisReply::String("10.0.0.2"), RedisReply::Integer(7001))}));
  ASSERT_EQ(slots.size(), 16384u);
  EXPECT_EQ(slots[0], "10.0.0.1:7000");
  EXPECT_EQ(slots[5460], "10.0.0.1:7000");
  EXPECT_EQ(slots[5461], "10.0.0.2:7001");
  EXPECT_EQ(slots[16383], "10.0.0.2:7001");
}

// The reply is outside input. The old loop ran from the range's start, so a
// start of -2^62 took ~4.6e18 iterations (a hang), and an element of another
// type was read through .integer / .str as 0 / "" (":0" owners).
TEST(RedisSlotOwnersTest, ClipsHugeRangesAndSkipsMalformedOnes) {
  const std::vector<std::string> slots = RedisSlotOwners(RedisReply::Array(
      {SlotRange(-(1LL << 62), 2, RedisReply::String("h"), RedisReply::Integer(7000)),
       SlotRange(16380, 1LL << 62, RedisReply::String("t"), RedisReply::Integer(7001)),
       SlotRange(10, 20, RedisReply::String(""), RedisReply::Integer(7002)),
       SlotRange(10, 20, RedisReply::String("p"), RedisReply::Integer(0)),
       SlotRange(10, 20, RedisReply::String("p"), RedisReply::String("7003")),
       RedisReply::Array({RedisReply::String("5"), RedisReply::Integer(6),
                          RedisReply::Array({RedisReply::String("s"), RedisReply::Integer(1)})}),
       RedisReply::Integer(3)}));
  ASSERT_EQ(slots.size(), 16384u);
  EXPECT_EQ(slots[0], "h:7000");
  EXPECT_EQ(slots[2], "h:7000");
  EXPECT_EQ(slots[3], "");
  EXPECT_EQ(slots[5], "");
  EXPECT_EQ(slots[15], "");
  EXPECT_EQ(slots[16383], "t:7001");
  EXPECT_EQ(RedisSlotOwners(RedisReply::Nil()), std::vector<std::string>(16384));
}

TEST(RedisRedirectTest, ParsesMovedAndAskAndRejectsMalformedOnes) {
  std::optional<RedisRedirect> moved = ParseRedisRedirect(RedisReply::Error("MOVED 3999 10.0.0.3:6381"));
  ASSERT_TRUE(moved.has_value());
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->host, "10.0.0.3");
  EXPECT_EQ(moved->port, 6381);
  std::optional<RedisRedirect> ask = ParseRedisRedirect(RedisReply::Error("ASK 0 ::1:7000"));
  ASSERT_TRUE(ask.has_value());
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->host, "::1");
  for (const char* bad : {"MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED 1 h",
                          "MOVED 1 :7000", "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 h:7x",
                          "MOVED 1 h:1 extra", "MOVED 99999999999999999999 h:1", "ERR x y:1"}) {
    EXPECT_FALSE(ParseRedisRedirect(RedisReply::Error(bad)).has_value()) << bad;
  }
  EXPECT_FALSE(ParseRedisRedirect(RedisReply::StatusReply("MOVED 1 h:1")).has_value());
}

TEST_F(RedisSentinelClientTest, RegisterOpsOnThePrimary) {
  Serve();
  auto c = MakeRedisSentinelRegisterClient(Config());
  ASSERT_TRUE(c->Open({"n2", "h2", ""}).ok());
  EXPECT_TRUE(c->Invoke(MakeOp(0, "read", Json(), 1)).value.is_null());
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 5, 1)).type, OpType::kOk);
  Op read = c->Invoke(MakeOp(0, "read", Json(), 1));
  EXPECT_EQ(read.type, OpType::kOk);
  EXPECT_EQ(read.value, 5);
  EXPECT_EQ(read.node, "n2");
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({5, 6}), 1)).type, OpType::kOk);
  Op mismatch = c->Invoke(MakeOp(0, "cas", Json::array({5, 7}), 1));
  EXPECT_EQ(mismatch.type, OpType::kFail);
  EXPECT_EQ(mismatch.error, kCasMismatchError);
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({nullptr, 1}), 2)).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({nullptr, 1}), 2)).error, kCasMismatchError);
  EXPECT_EQ(kv_["faultline:1"], "6");
  // The client asked its own node's sentinel first, and checked the role once.
  EXPECT_EQ(fake_.log[0].first, "s-n2:26379");
  int roles = 0;
  for (const auto& [address, argv] : fake_.log) roles += argv[0] == "ROLE";
  EXPECT_EQ(roles, 1);
}

TEST_F(RedisSentinelClientTest, FollowsAFailoverAfterReadonly) {
  Serve();
  auto c = MakeRedisSentinelRegisterClient(Config());
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 1, "k")).type, OpType::kOk);
  primary_ = "h3";  // demoted: the old connection now gets READONLY
  Op refused = c->Invoke(MakeOp(0, "write", 2, "k"));
  EXPECT_EQ(refused.type, OpType::kFail) << "an error reply means nothing was applied";
  EXPECT_NE(refused.error.get<std::string>().find("READONLY"), std::string::npos);
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 3, "k")).type, OpType::kOk);
  EXPECT_EQ(fake_.log.back().first, "h3:6379");
}

TEST_F(RedisSentinelClientTest, LostRepliesAreInfoForWritesFailForReads) {
  Serve();
  auto c = MakeRedisSentinelRegisterClient(Config());
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  ASSERT_EQ(c->Invoke(MakeOp(0, "read", Json(), "k")).type, OpType::kOk);
  auto serve = fake_.handler;
  fake_.handler = [serve](const std::string& a, const std::vector<std::string>& argv) -> Result<RedisReply> {
    if (argv[0] == "SET" || argv[0] == "GET" || argv[0] == "EVAL") return Status::Timeout(a + ": timed out");
    return serve(a, argv);
  };
  Op w = c->Invoke(MakeOp(0, "write", 1, "k"));
  EXPECT_EQ(w.type, OpType::kInfo);
  EXPECT_EQ(w.error.get<std::string>().rfind("timeout", 0), 0u);
  EXPECT_EQ(c->Invoke(MakeOp(0, "cas", Json::array({1, 2}), "k")).type, OpType::kInfo);
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), "k")).type, OpType::kFail);
}

TEST_F(RedisSentinelClientTest, NoPrimaryReachableIsFail) {
  Serve();
  fake_.down = {"s-n1:26379", "s-n2:26379", "s-n3:26379"};
  auto c = MakeRedisSentinelRegisterClient(Config());
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  Op w = c->Invoke(MakeOp(0, "write", 1, "k"));
  EXPECT_EQ(w.type, OpType::kFail);
  EXPECT_EQ(w.error.get<std::string>().rfind("unreachable", 0), 0u) << w.error.dump();
  // One sentinel down: the next one answers.
  fake_.down = {"s-n1:26379"};
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 1, "k")).type, OpType::kOk);
  // A sentinel naming a replica: refused by the ROLE check, not written there.
  primary_ = "h2";
  fake_.handler = [inner = fake_.handler](const std::string& a, const std::vector<std::string>& argv) -> Result<RedisReply> {
    if (a.rfind("s-", 0) == 0) return Primary("h3", 6379);
    return inner(a, argv);
  };
  auto d = MakeRedisSentinelRegisterClient(Config());
  ASSERT_TRUE(d->Open({"n1", "h1", ""}).ok());
  Op stale = d->Invoke(MakeOp(0, "write", 2, "k"));
  EXPECT_EQ(stale.type, OpType::kFail);
  EXPECT_NE(stale.error.get<std::string>().find("not a primary"), std::string::npos);
}

TEST_F(RedisSentinelClientTest, WaitBelowTheReplicaCountIsInfo) {
  Serve();
  RedisClientConfig config = Config();
  config.wait_replicas = 2;
  auto c = MakeRedisSentinelRegisterClient(config);
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  wait_acks_ = 1;
  Op w = c->Invoke(MakeOp(0, "write", 1, "k"));
  EXPECT_EQ(w.type, OpType::kInfo);
  EXPECT_EQ(w.error, "wait: 1 of 2 replicas acknowledged");
  wait_acks_ = 2;
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 2, "k")).type, OpType::kOk);
  EXPECT_EQ(fake_.log.back().second, (std::vector<std::string>{"WAIT", "2", "1000"}));
}

TEST_F(RedisSentinelClientTest, SetAddsAndReads) {
  std::set<std::string> members;
  fake_.handler = [&](const std::string& a, const std::vector<std::string>& argv) -> Result<RedisReply> {
    if (a.rfind("s-", 0) == 0) return Primary("h1", 6379);
    if (argv[0] == "ROLE") return Master();
    if (argv[0] == "SADD") return RedisReply::Integer(members.insert(argv[2]).second);
    std::vector<RedisReply> out;
    for (const std::string& m : members) out.push_back(RedisReply::String(m));
    return RedisReply::Array(out);
  };
  auto c = MakeRedisSentinelSetClient(Config());
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), 0)).value, Json::array());
  EXPECT_EQ(c->Invoke(MakeOp(0, "add", 3, 0)).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "add", 3, 0)).type, OpType::kOk) << "adding twice is ok";
  EXPECT_EQ(c->Invoke(MakeOp(0, "add", 12, 0)).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "add", "x", 0)).type, OpType::kFail);
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), 0)).value, Json::array({12, 3}));
}

// Just after a heal: the old primary h1 has not been demoted yet (ROLE still
// says master, so the writer's connection stays there), the Sentinel on n1
// still names it, but the two others name h2. A set read goes to h2, the
// primary a majority agree on; adds keep the writer's connection.
TEST_F(RedisSentinelClientTest, SetReadsGoToThePrimaryAMajorityOfSentinelsName) {
  std::map<std::string, std::set<std::string>> members;  // per server address
  std::map<std::string, std::string> named = {
      {"s-n1:26379", "h1"}, {"s-n2:26379", "h1"}, {"s-n3:26379", "h1"}};
  fake_.handler = [&](const std::string& a, const std::vector<std::string>& argv) -> Result<RedisReply> {
    if (a.rfind("s-", 0) == 0) return Primary(named[a], 6379);
    if (argv[0] == "ROLE") return Master();  // both believe they are primaries
    if (argv[0] == "SADD") return RedisReply::Integer(members[a].insert(argv[2]).second);
    std::vector<RedisReply> out;
    for (const std::string& m : members[a]) out.push_back(RedisReply::String(m));
    return RedisReply::Array(out);
  };
  auto c = MakeRedisSentinelSetClient(Config());
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  ASSERT_EQ(c->Invoke(MakeOp(0, "add", 1, 0)).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), 0)).value, Json::array({1}));
  named["s-n2:26379"] = "h2";
  named["s-n3:26379"] = "h2";  // failover: h2 was promoted, h1 not yet told
  members["h2:6379"] = {"1", "7"};
  ASSERT_EQ(c->Invoke(MakeOp(0, "add", 2, 0)).type, OpType::kOk);
  EXPECT_EQ(fake_.log.back().first, "h1:6379") << "the writer stays on its connection";
  Op read = c->Invoke(MakeOp(0, "read", Json(), 0));
  EXPECT_EQ(read.type, OpType::kOk);
  EXPECT_EQ(read.value, Json::array({1, 7})) << "read on h2, not the stale h1";
  EXPECT_EQ(fake_.log.back().first, "h2:6379");
  // No majority (one each, one unreachable): the read fails, it had no effect.
  named["s-n2:26379"] = "h1";
  fake_.down = {"s-n1:26379"};
  Op split = c->Invoke(MakeOp(0, "read", Json(), 0));
  EXPECT_EQ(split.type, OpType::kFail);
  EXPECT_NE(split.error.get<std::string>().find("no primary named by a majority"),
            std::string::npos)
      << split.error.dump();
}

// Lock instances: a map per address of key -> token, with SET NX and the
// compare-and-delete script.
class FakeLockServers {
 public:
  std::map<std::string, std::map<std::string, std::string>> held;
  std::set<std::string> silent;  // answer nothing (timeout)

  FakeRedis::Handler handler() {
    return [this](const std::string& a, const std::vector<std::string>& argv) -> Result<RedisReply> {
      std::lock_guard lock(mu_);
      if (silent.count(a)) return Status::Timeout(a + ": timed out");
      auto& keys = held[a];
      if (argv[0] == "SET") {
        EXPECT_EQ(argv[3], "NX");
        EXPECT_EQ(argv[4], "PX");
        if (keys.count(argv[1])) return RedisReply::Nil();
        keys[argv[1]] = argv[2];
        return RedisReply::StatusReply("OK");
      }
      if (argv[0] == "EVAL") {
        auto it = keys.find(argv[3]);
        if (it == keys.end() || it->second != argv[4]) return RedisReply::Integer(0);
        keys.erase(it);
        return RedisReply::Integer(1);
      }
      return RedisReply::Error("ERR unknown");
    };
  }

 private:
  std::mutex mu_;
};

RedisClientConfig LockConfig(FakeRedis& fake, int instances, bool redlock) {
  RedisClientConfig c;
  c.connector = fake.connector();
  c.redlock = redlock;
  c.instances = [instances](const NodeInfo&) {
    std::vector<RedisEndpoint> out;
    for (int i = 1; i <= instances; ++i) out.push_back({"n" + std::to_string(i), "h" + std::to_string(i), 6379});
    return out;
  };
  return c;
}

TEST(RedisLockClientTest, HeldLockIsRefusedToOthersUntilReleased) {
  FakeRedis fake;
  FakeLockServers servers;
  fake.handler = servers.handler();
  auto a = MakeRedisLockClient(LockConfig(fake, 3, false));
  auto b = MakeRedisLockClient(LockConfig(fake, 3, false));
  ASSERT_TRUE(a->Open({"n1", "h1", ""}).ok());
  ASSERT_TRUE(b->Open({"n2", "h2", ""}).ok());
  EXPECT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kOk);
  EXPECT_EQ(servers.held["h1:6379"].count("faultline:L"), 1u) << "single mode: the first instance";
  EXPECT_EQ(servers.held["h2:6379"].size(), 0u);
  Op refused = b->Invoke(MakeOp(1, "acquire", Json(), "L"));
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_EQ(refused.error, "lock-busy");
  EXPECT_EQ(b->Invoke(MakeOp(1, "release", Json(), "L")).error, "not-held");
  EXPECT_EQ(a->Invoke(MakeOp(0, "release", Json(), "L")).type, OpType::kOk);
  EXPECT_EQ(b->Invoke(MakeOp(1, "acquire", Json(), "L")).type, OpType::kOk);
  // The TTL ran out and someone else took it: a's token no longer matches.
  EXPECT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "M")).type, OpType::kOk);
  servers.held["h1:6379"]["faultline:M"] = "someone-else";
  Op late = a->Invoke(MakeOp(0, "release", Json(), "M"));
  EXPECT_EQ(late.type, OpType::kFail);
  EXPECT_EQ(late.error, "not-held");
  EXPECT_EQ(servers.held["h1:6379"]["faultline:M"], "someone-else") << "not deleted";
}

TEST(RedisLockClientTest, LostAcquireReplyIsInfo) {
  FakeRedis fake;
  FakeLockServers servers;
  fake.handler = servers.handler();
  servers.silent = {"h1:6379"};
  auto a = MakeRedisLockClient(LockConfig(fake, 1, false));
  ASSERT_TRUE(a->Open({"n1", "h1", ""}).ok());
  EXPECT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kInfo);
  fake.down = {"h1:6379"};
  auto b = MakeRedisLockClient(LockConfig(fake, 1, false));
  ASSERT_TRUE(b->Open({"n1", "h1", ""}).ok());
  Op refused = b->Invoke(MakeOp(0, "acquire", Json(), "L"));
  EXPECT_EQ(refused.type, OpType::kFail) << "never sent";
}

TEST(RedisLockClientTest, RedlockNeedsAMajority) {
  FakeRedis fake;
  FakeLockServers servers;
  fake.handler = servers.handler();
  auto a = MakeRedisLockClient(LockConfig(fake, 5, true));
  auto b = MakeRedisLockClient(LockConfig(fake, 5, true));
  ASSERT_TRUE(a->Open({"n1", "h1", ""}).ok());
  ASSERT_TRUE(b->Open({"n2", "h2", ""}).ok());
  // Two instances down: 3 of 5 is still a majority.
  fake.down = {"h4:6379", "h5:6379"};
  EXPECT_EQ(a->Invoke(MakeOp(0, "acquire", Json(), "L")).type, OpType::kOk);
  fake.down.clear();
  Op refused = b->Invoke(MakeOp(1, "acquire", Json(), "L"));
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_EQ(refused.error, "lock-busy");
  // b's two acquired minority entries were released again.
  EXPECT_EQ(servers.held["h4:6379"].count("faultline:L"), 0u);
  EXPECT_EQ(servers.held["h5:6379"].count("faultline:L"), 0u);
  EXPECT_EQ(a->Invoke(MakeOp(0, "release", Json(), "L")).type, OpType::kOk);
  // A minority of instances answering: not acquired, and nothing left behind.
  fake.down.clear();
  servers.silent = {"h1:6379", "h2:6379", "h3:6379"};
  Op minority = b->Invoke(MakeOp(1, "acquire", Json(), "L"));
  EXPECT_EQ(minority.type, OpType::kFail);
  EXPECT_EQ(minority.error.get<std::string>().rfind("not-acquired", 0), 0u) << minority.error.dump();
  EXPECT_EQ(servers.held["h4:6379"].count("faultline:L"), 0u);
}

TEST(RedisKeyTest, SlotsAsRedisClusterComputesThem) {
  EXPECT_EQ(RedisKeySlot("123456789"), 0x31C3 % 16384);  // CRC16/XMODEM's check value
  EXPECT_EQ(RedisKeySlot("foo"), 12182);
  EXPECT_EQ(RedisKeySlot("bar"), 5061);
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("{user1000}.followers"));
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("user1000"));
  EXPECT_EQ(RedisKeySlot("{}foo"), RedisKeySlot("{}foo")) << "empty tag: the whole key";
  EXPECT_NE(RedisKeySlot("{}foo"), RedisKeySlot("foo"));
}

// A three-node cluster: each node owns a third of the slots, by the map it
// was told; commands for another node's slot get MOVED.
TEST(RedisClusterClientTest, FollowsTheSlotMapAndMovedRedirects) {
  FakeRedis fake;
  std::map<std::string, std::string> kv;
  // Node owning each slot, as the servers see it (the client may lag).
  auto owner = [](int slot) { return slot < 5461 ? "h1:7000" : slot < 10923 ? "h2:7000" : "h3:7000"; };
  std::string moved_slot_owner;  // when set, that slot moved there
  int moved_slot = -1;
  fake.handler = [&](const std::string& a, const std::vector<std::string>& argv) -> Result<RedisReply> {
    if (argv[0] == "CLUSTER") {
      auto range = [](int lo, int hi, const char* host) {
        return RedisReply::Array({RedisReply::Integer(lo), RedisReply::Integer(hi),
                                  RedisReply::Array({RedisReply::String(host), RedisReply::Integer(7000)})});
      };
      return RedisReply::Array({range(0, 5460, "h1"), range(5461, 10922, "h2"), range(10923, 16383, "h3")});
    }
    const int slot = RedisKeySlot(argv[1]);
    const std::string want = slot == moved_slot ? moved_slot_owner : owner(slot);
    if (a != want) return RedisReply::Error("MOVED " + std::to_string(slot) + " " + want);
    if (argv[0] == "SET") {
      kv[argv[1]] = argv[2];
      return RedisReply::StatusReply("OK");
    }
    auto it = kv.find(argv[1]);
    return it == kv.end() ? RedisReply::Nil() : RedisReply::String(it->second);
  };
  RedisClientConfig config;
  config.connector = fake.connector();
  config.cluster = true;
  config.sentinels = [](const NodeInfo&) {
    return std::vector<RedisEndpoint>{{"n1", "h1", 7000}, {"n2", "h2", 7000}};
  };
  auto c = MakeRedisSentinelRegisterClient(config);
  ASSERT_TRUE(c->Open({"n1", "h1", ""}).ok());
  for (int k = 0; k < 20; ++k) {
    ASSERT_EQ(c->Invoke(MakeOp(0, "write", k, k)).type, OpType::kOk) << k;
    ASSERT_EQ(c->Invoke(MakeOp(0, "read", Json(), k)).value, k);
  }
  int redirects = 0;
  for (const auto& [address, argv] : fake.log) {
    if (argv[0] != "CLUSTER") redirects += address != owner(RedisKeySlot(argv[1]));
  }
  EXPECT_EQ(redirects, 0) << "the slot map sent every command to its owner";
  // A slot moves: one MOVED, then the client goes straight to the new owner.
  moved_slot = RedisKeySlot("faultline:3");
  moved_slot_owner = "h1:7000" == owner(moved_slot) ? "h2:7000" : "h1:7000";
  kv.clear();
  fake.log.clear();
  EXPECT_EQ(c->Invoke(MakeOp(0, "write", 7, 3)).type, OpType::kOk);
  EXPECT_EQ(c->Invoke(MakeOp(0, "read", Json(), 3)).value, 7);
  ASSERT_EQ(fake.log.size(), 3u);
  EXPECT_EQ(fake.log[1].first, moved_slot_owner);
  EXPECT_EQ(fake.log[2].first, moved_slot_owner);
}

TEST(RedisKeyTest, StringsBareOthersDumped) {
  EXPECT_EQ(RedisKey("p:", "a"), "p:a");
  EXPECT_EQ(RedisKey("p:", 7), "p:7");
  EXPECT_EQ(RedisKey("p:", Json()), "p:null");
}

}  // namespace
}  // namespace faultline
