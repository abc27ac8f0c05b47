#include "targets/balancer_target.h"

#include <gtest/gtest.h>

#include "targets/client.h"
#include "targets/registry.h"
#include "targets/testing/fake_http.h"

namespace faultline {
namespace {

const std::vector<BalancerBackend> kBackends = {
    {"n1", "10.0.0.1", 8081}, {"n2", "10.0.0.2", 8081}, {"n3", "10.0.0.3", 8081}};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(BalancerConfigTest, HaproxyHasChecksRetriesAndEveryServer) {
  BalancerOptions o;
  o.inter_ms = 500;
  o.fall = 2;  // timeout check defaults to inter
  o.rise = 3;
  const std::string c = HaproxyConfig(o, "10.0.0.1", kBackends);
  EXPECT_TRUE(Contains(c, "bind 10.0.0.1:8080")) << c;
  EXPECT_TRUE(Contains(c, "balance roundrobin")) << c;
  EXPECT_TRUE(Contains(c, "default-server check inter 500 fall 2 rise 3")) << c;
  EXPECT_TRUE(Contains(c, "timeout check 500ms")) << c;
  EXPECT_TRUE(Contains(c, "option redispatch")) << c;
  EXPECT_TRUE(Contains(c, "retry-on conn-failure")) << c;
  EXPECT_TRUE(Contains(c, "server n3 10.0.0.3:8081")) << c;
  EXPECT_FALSE(Contains(c, "hash-type")) << c;

  o.algorithm = "hash";
  o.hash_type = "map-based";
  o.redispatch = false;
  o.retry_on = "";
  const std::string h = HaproxyConfig(o, "10.0.0.1", kBackends);
  EXPECT_TRUE(Contains(h, "balance url_param key\n  hash-type map-based")) << h;
  EXPECT_FALSE(Contains(h, "redispatch")) << h;
  EXPECT_FALSE(Contains(h, "retry-on")) << h;
}

TEST(BalancerConfigTest, NginxRetriesNonIdempotentOnlyWhenAsked) {
  BalancerOptions o;
  o.kind = BalancerKind::kNginx;
  o.algorithm = "hash";
  const std::string safe = NginxBalancerConfig(o, "10.0.0.1", kBackends, "/d");
  EXPECT_TRUE(Contains(safe, "hash $arg_key consistent;")) << safe;
  EXPECT_TRUE(Contains(safe, "proxy_next_upstream error timeout;")) << safe;
  EXPECT_TRUE(Contains(safe, "server 10.0.0.2:8081 max_fails=1 fail_timeout=10s;")) << safe;
  o.non_idempotent = true;
  const std::string unsafe = NginxBalancerConfig(o, "10.0.0.1", kBackends, "/d");
  EXPECT_TRUE(Contains(unsafe, "proxy_next_upstream error timeout non_idempotent;")) << unsafe;
}

TEST(BalancerConfigTest, BackendLogsOnlyRequestsWithAnId) {
  const std::string c = BackendConfig("n2", "10.0.0.2", 8081, "/var/lib/x/balance");
  EXPECT_TRUE(Contains(c, "listen 10.0.0.2:8081;")) << c;
  EXPECT_TRUE(Contains(c, "applied.log applied if=$arg_id;")) << c;
  EXPECT_TRUE(Contains(c, "return 200 \"n2\\n\";")) << c;
}

TEST(BalancerConfigTest, FailoverBound) {
  BalancerOptions o;  // 3 x (1 s + 1 s) + 1 s margin
  EXPECT_EQ(FailoverBoundMs(o), 7000);
  o.check_timeout_ms = 300;
  o.inter_ms = 500;
  EXPECT_EQ(FailoverBoundMs(o), 3 * (500 + 300) + 1000);
  o.kind = BalancerKind::kNginx;
  EXPECT_EQ(FailoverBoundMs(o), -1);
}

TEST(BalancerParseTest, HaproxyStats) {
  const std::string csv =
      "# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,\n"
      "fe,FRONTEND,,,0,1,4096,12,OPEN,\n"
      "be,n1,0,0,0,1,,7,UP,\n"
      "be,n2,0,0,0,1,,5,DOWN,\n"
      "be,n3,0,0,0,1,,0,UP 1/3,\n"
      "be,BACKEND,0,0,0,1,,12,UP,\n";
  Result<std::vector<ServerStat>> s = ParseHaproxyStats(csv);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].name, "n1");
  EXPECT_EQ((*s)[0].sessions, 7);
  EXPECT_EQ((*s)[1].status, "DOWN");
  EXPECT_EQ((*s)[2].status, "UP 1/3");
  EXPECT_FALSE(ParseHaproxyStats("be,n1,UP\n").ok());
}

TEST(BalancerParseTest, AppliedLogSkipsCutLines) {
  EXPECT_EQ(ParseAppliedLog("1 1700000000.123 5\n2 1700000000.200 \nx 1 2\n3"),
            (std::vector<int64_t>{1, 2}));
}

class BalanceClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> Open() {
    BalancerOptions o;
    o.make_transport = http_.factory();
    auto c = MakeBalanceClient(o, "n1", kBackends);
    EXPECT_TRUE(c->Open({"n2", "10.0.0.2", ""}).ok());
    return c;
  }
  static Op Request(int64_t id, Json key) {
    Op op;
    op.type = OpType::kInvoke;
    op.process = 1;
    op.f = "request";
    op.value = {{"id", id}};
    op.key = key;
    return op;
  }
  FakeHttp http_;
};

TEST_F(BalanceClientTest, RequestGoesToTheBalancerWithIdAndKey) {
  http_.AnswerAll(200, "n3\n");
  auto c = Open();
  Op done = c->Invoke(Request(42, 7));
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value, (Json{{"id", 42}, {"node", "n3"}}));
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(http_.requests()[0].method, "POST");
  EXPECT_EQ(http_.requests()[0].url, "http://10.0.0.1:8080/req?id=42&key=7");
}

TEST_F(BalanceClientTest, OutcomesAreHonest) {
  auto c = Open();
  http_.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Unreachable("refused");
  });
  EXPECT_EQ(c->Invoke(Request(1, "a")).type, OpType::kFail);
  http_.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> {
    return Status::Timeout("slow");
  });
  EXPECT_EQ(c->Invoke(Request(2, "a")).type, OpType::kInfo);
  http_.AnswerAll(504, "gateway timeout");
  Op done = c->Invoke(Request(3, "a"));
  EXPECT_EQ(done.type, OpType::kInfo);
  EXPECT_EQ(done.error, "http-504");
  Op bad = Request(4, "a");
  bad.value = "x";
  EXPECT_EQ(c->Invoke(bad).type, OpType::kFail);
}

TEST_F(BalanceClientTest, BackendsReadsHaproxyStats) {
  http_.AnswerAll(200, "# pxname,svname,stot,status\nbe,n1,3,UP\nbe,n2,4,DOWN\nbe,n3,0,UP\n");
  auto c = Open();
  Op op;
  op.type = OpType::kInvoke;
  op.f = "backends";
  Op done = c->Invoke(op);
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_EQ(done.value["health"]["n2"], "DOWN");
  EXPECT_EQ(done.value["sessions"]["n1"], 3);
  EXPECT_EQ(done.value["bound_ms"], 7000);
  EXPECT_EQ(done.value["balancer"], "n1");
  EXPECT_EQ(http_.requests()[0].url, "http://10.0.0.1:8404/stats;csv");
}

TEST_F(BalanceClientTest, AppliedReadsEveryBackend) {
  http_.SetHandler([](const FakeHttp::Request& r) -> Result<HttpResponse> {
    if (Contains(r.url, "10.0.0.2")) return HttpResponse{404, ""};
    if (Contains(r.url, "10.0.0.3")) return HttpResponse{200, "5 1.0 k\n6 1.1 k\n"};
    return HttpResponse{200, "1 1.0 k\n"};
  });
  auto c = Open();
  Op op;
  op.type = OpType::kInvoke;
  op.f = "applied";
  Op done = c->Invoke(op);
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_EQ(done.value, (Json{{"n1", {1}}, {"n2", Json::array()}, {"n3", {5, 6}}}));
}

TEST(BalancerRegistryTest, OptionsAreCheckedByName) {
  EXPECT_TRUE(MakeTarget("haproxy", Json::parse(R"({"algorithm": "hash", "hash_type": "map-based",
      "inter_ms": 500, "fall": 2, "rise": 2, "retry_on": "none", "redispatch": false})"))
                  .ok());
  Result<std::unique_ptr<Target>> t = MakeTarget("nginx", Json::parse(R"({"non_idempotent": true})"));
  ASSERT_TRUE(t.ok());
  EXPECT_NE((*t)->balance_clients(), nullptr);
  EXPECT_NE((*t)->killable(), nullptr);
  EXPECT_NE((*t)->pausable(), nullptr);
  Result<std::unique_ptr<Target>> bad = MakeTarget("haproxy", Json::parse(R"({"algorithm": "random"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "target haproxy: option algorithm: expected roundrobin, leastconn or hash, got \"random\"");
  bad = MakeTarget("haproxy", Json::parse(R"({"fall": 0})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("option fall: expected an integer from 1 to 1000, got 0"),
            std::string::npos);
}

}  // namespace
}  // namespace faultline
