#include "targets/etcd_set_lock.h"

#include <gtest/gtest.h>

#include <thread>

#include "targets/testing/fake_http.h"
#include "targets/testing/recorder.h"

namespace faultline {
namespace {

std::string B64(const std::string& s) { return Base64Encode(s); }

EtcdClientOptions Options(FakeHttp& http) {
  EtcdClientOptions options;
  options.endpoint = [](const NodeInfo& node) { return HttpUrl(node.host, 2379); };
  options.make_transport = http.factory();
  return options;
}

std::string PathOf(const FakeHttp::Request& r) { return r.url.substr(r.url.find("/v3/")); }

TEST(EtcdSetClientTest, AddPutsOneKeyPerElementAndReadScansThePrefix) {
  FakeHttp http;
  auto client = MakeEtcdSetClient(Options(http));
  ASSERT_TRUE(client->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  http.AnswerAll(200, R"({"header":{}})");
  Op added = client->Invoke(MakeOp(0, "add", 7, 3));
  EXPECT_EQ(added.type, OpType::kOk);
  Json put = Json::parse(http.requests().back().body);
  EXPECT_EQ(PathOf(http.requests().back()), "/v3/kv/put");
  EXPECT_EQ(put["key"], B64("faultline/set/3/7"));

  http.AnswerAll(200, R"({"kvs":[{"key":")" + B64("faultline/set/3/7") + R"("},{"key":")" +
                          B64("faultline/set/3/12") + R"("}],"count":"2"})");
  Op read = client->Invoke(MakeOp(0, "read", nullptr, 3));
  ASSERT_EQ(read.type, OpType::kOk);
  EXPECT_EQ(read.value, Json::array({7, 12}));
  Json range = Json::parse(http.requests().back().body);
  EXPECT_EQ(range["key"], B64("faultline/set/3/"));
  EXPECT_EQ(range["range_end"], B64("faultline/set/30"));  // '/' + 1 == '0'
  EXPECT_EQ(range["serializable"], false);
}

TEST(EtcdSetClientTest, OutcomesAreHonest) {
  FakeHttp http;
  auto client = MakeEtcdSetClient(Options(http));
  ASSERT_TRUE(client->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  http.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Timeout("no answer");
  });
  EXPECT_EQ(client->Invoke(MakeOp(0, "add", 1, 0)).type, OpType::kInfo);
  EXPECT_EQ(client->Invoke(MakeOp(0, "read", nullptr, 0)).type, OpType::kFail);
  http.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Unreachable("refused");
  });
  EXPECT_EQ(client->Invoke(MakeOp(0, "add", 1, 0)).type, OpType::kFail);
}

// A scripted etcd: lease grant, keepalive, lock and unlock.
struct FakeLockServer {
  std::atomic<int64_t> keepalive_ttl{2};
  std::atomic<int> keepalives{0};
  std::atomic<bool> lock_times_out{false};
  void Install(FakeHttp& http) {
    http.SetHandler([this](const FakeHttp::Request& r) -> Result<HttpResponse> {
      const std::string path = PathOf(r);
      if (path == "/v3/lease/grant") return HttpResponse{200, R"({"ID":"42","TTL":"2"})"};
      if (path == "/v3/lease/keepalive") {
        ++keepalives;
        return HttpResponse{200, R"({"result":{"ID":"42","TTL":")" +
                                     std::to_string(keepalive_ttl.load()) + R"("}})"};
      }
      if (path == "/v3/lock/lock") {
        if (lock_times_out) return Status::Timeout("waited too long");
        return HttpResponse{200, R"({"key":")" + B64("faultline/lock/0/2a") + R"("})"};
      }
      if (path == "/v3/lock/unlock" || path == "/v3/lease/revoke") {
        return HttpResponse{200, R"({"header":{}})"};
      }
      return HttpResponse{404, "no such path"};
    });
  }
};

TEST(EtcdLockClientTest, AcquireGrantsALeaseLocksAndReleaseUnlocks) {
  FakeHttp http;
  FakeLockServer server;
  server.Install(http);
  EtcdLockOptions lock;
  lock.ttl = std::chrono::seconds(1);
  auto client = MakeEtcdLockClient(Options(http), lock);
  ASSERT_TRUE(client->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  EXPECT_EQ(client->Invoke(MakeOp(0, "release", nullptr, 0)).error, "not-held");
  Op acquired = client->Invoke(MakeOp(0, "acquire", nullptr, 0));
  ASSERT_EQ(acquired.type, OpType::kOk) << acquired.error;
  auto requests = http.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(PathOf(requests[0]), "/v3/lease/grant");
  EXPECT_EQ(Json::parse(requests[0].body)["TTL"], 1);
  EXPECT_EQ(PathOf(requests[1]), "/v3/lock/lock");
  Json lock_body = Json::parse(requests[1].body);
  EXPECT_EQ(lock_body["name"], B64("faultline/lock/0"));
  EXPECT_EQ(lock_body["lease"], "42");
  EXPECT_EQ(client->Invoke(MakeOp(0, "acquire", nullptr, 0)).error, "already-held");
  // The keepalive thread refreshes the lease every ttl/3.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_GE(server.keepalives.load(), 1);
  Op released = client->Invoke(MakeOp(0, "release", nullptr, 0));
  EXPECT_EQ(released.type, OpType::kOk);
  EXPECT_EQ(Json::parse(http.requests().back().body)["key"], B64("faultline/lock/0/2a"));
  client->Close();
  EXPECT_EQ(PathOf(http.requests().back()), "/v3/lease/revoke");
}

TEST(EtcdLockClientTest, AnExpiredLeaseMakesTheReleaseNotHeld) {
  FakeHttp http;
  FakeLockServer server;
  server.Install(http);
  EtcdLockOptions lock;
  lock.ttl = std::chrono::seconds(1);
  auto client = MakeEtcdLockClient(Options(http), lock);
  ASSERT_TRUE(client->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  ASSERT_EQ(client->Invoke(MakeOp(0, "acquire", nullptr, 0)).type, OpType::kOk);
  server.keepalive_ttl = 0;  // etcd says the lease is gone
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  Op released = client->Invoke(MakeOp(0, "release", nullptr, 0));
  EXPECT_EQ(released.type, OpType::kFail);
  EXPECT_NE(released.error.get<std::string>().find("not-held"), std::string::npos);
  // The next acquire takes a fresh lease.
  server.keepalive_ttl = 2;
  ASSERT_EQ(client->Invoke(MakeOp(0, "acquire", nullptr, 0)).type, OpType::kOk);
  int grants = 0;
  for (const auto& r : http.requests()) grants += PathOf(r) == "/v3/lease/grant";
  EXPECT_EQ(grants, 2);
}

TEST(EtcdLockClientTest, AcquireTimeoutIsInfoAndUnreachableIsFail) {
  FakeHttp http;
  FakeLockServer server;
  server.lock_times_out = true;
  server.Install(http);
  auto client = MakeEtcdLockClient(Options(http), EtcdLockOptions{});
  ASSERT_TRUE(client->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  EXPECT_EQ(client->Invoke(MakeOp(0, "acquire", nullptr, 0)).type, OpType::kInfo);
  // The lock requests' transport waits as long as lock_timeout.
  bool long_timeout = false;
  for (const HttpTimeouts& t : http.timeouts()) long_timeout |= t.total.count() == 10000;
  EXPECT_TRUE(long_timeout);
  http.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Unreachable("refused");
  });
  auto other = MakeEtcdLockClient(Options(http), EtcdLockOptions{});
  ASSERT_TRUE(other->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  Op refused = other->Invoke(MakeOp(1, "acquire", nullptr, 0));
  EXPECT_EQ(refused.type, OpType::kFail);
  EXPECT_NE(refused.error.get<std::string>().find("lease"), std::string::npos);
}

}  // namespace
}  // namespace faultline
