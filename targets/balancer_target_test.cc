#include "targets/balancer_target.h"

#include <gtest/gtest.h>

#include <chrono>

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

// ---- VRRP ----

constexpr const char* kIpAddr =
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 10.77.1.11/24 scope global eth0\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 10.77.1.254/24 scope global secondary eth0\\       valid_lft forever\n";

TEST(VrrpTest, InterfaceOfFindsTheNodesAddress) {
  Result<InterfaceAddress> itf = InterfaceOf(kIpAddr, "10.77.1.11");
  ASSERT_TRUE(itf.ok()) << itf.status().ToString();
  EXPECT_EQ(itf->name, "eth0");
  EXPECT_EQ(itf->prefix, 24);
  Result<InterfaceAddress> veth = InterfaceOf("5: eth1@if12    inet 192.168.3.4/20 brd x\n", "192.168.3.4");
  ASSERT_TRUE(veth.ok());
  EXPECT_EQ(veth->name, "eth1");
  EXPECT_EQ(veth->prefix, 20);
  // A prefix of the address is not the address.
  EXPECT_EQ(InterfaceOf(kIpAddr, "10.77.1.1").status().code(), Status::Code::kNotFound);
}

TEST(VrrpTest, HoldsAddressMatchesWholeAddresses) {
  EXPECT_TRUE(HoldsAddress(kIpAddr, "10.77.1.254"));
  EXPECT_FALSE(HoldsAddress(kIpAddr, "10.77.1.25"));
  EXPECT_FALSE(HoldsAddress(kIpAddr, "10.77.1.2"));
  EXPECT_FALSE(HoldsAddress("", "10.77.1.254"));
}

TEST(VrrpTest, ChoosesTheHighestFreeAddressOfTheSubnet) {
  const std::vector<std::string> nodes = {"10.77.1.11", "10.77.1.12", "10.77.1.13"};
  EXPECT_EQ(*ChooseVip("10.77.1.11", 24, nodes, ""), "10.77.1.254");
  // Deterministic, and never a node's own address.
  EXPECT_EQ(*ChooseVip("10.77.1.12", 24, nodes, ""), "10.77.1.254");
  EXPECT_EQ(*ChooseVip("10.0.0.1", 24, {"10.0.0.1", "10.0.0.254"}, ""), "10.0.0.253");
  EXPECT_EQ(*ChooseVip("10.0.0.5", 30, {"10.0.0.5"}, ""), "10.0.0.6");
  // No room: every host address of a /30 is a node's; /31 and /32 have none.
  Result<std::string> full = ChooseVip("10.0.0.5", 30, {"10.0.0.5", "10.0.0.6"}, "");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(full.status().message().find("option vip"), std::string::npos) << full.status().message();
  Result<std::string> tiny = ChooseVip("10.0.0.5", 31, {"10.0.0.5"}, "");
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("/31 has no room"), std::string::npos);
  Result<std::string> name = ChooseVip("10.0.0.5", 24, {"db1.example"}, "");
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().message().find("\"db1.example\" is not an IPv4 address"), std::string::npos);
}

TEST(VrrpTest, AGivenAddressIsChecked) {
  const std::vector<std::string> nodes = {"10.77.1.11", "10.77.1.12"};
  EXPECT_EQ(*ChooseVip("10.77.1.11", 24, nodes, "10.77.1.100"), "10.77.1.100");
  auto msg = [&](const std::string& vip) {
    Result<std::string> r = ChooseVip("10.77.1.11", 24, nodes, vip);
    EXPECT_FALSE(r.ok()) << vip;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(msg("10.77.2.100").find("not in the nodes' subnet 10.77.1.0/24"), std::string::npos);
  EXPECT_NE(msg("10.77.1.12").find("a node's own address"), std::string::npos);
  EXPECT_NE(msg("10.77.1.255").find("network or broadcast"), std::string::npos);
  EXPECT_NE(msg("10.77.1.0").find("network or broadcast"), std::string::npos);
  EXPECT_NE(msg("10.77.1").find("option vip: expected an IPv4 address"), std::string::npos);
}

TEST(VrrpTest, KeepalivedConfigStartsBothAsBackup) {
  BalancerOptions o;
  o.vrrp = true;
  o.advert_int_s = 2;
  o.virtual_router_id = 77;
  const std::string c = KeepalivedConfig(o, "n2", "eth0", "10.77.1.254", 24, kVrrpBackupPriority,
                                         "/d/notify.sh");
  EXPECT_TRUE(Contains(c, "router_id n2\n")) << c;
  EXPECT_TRUE(Contains(c, "state BACKUP\n")) << c;
  EXPECT_TRUE(Contains(c, "interface eth0\n")) << c;
  EXPECT_TRUE(Contains(c, "virtual_router_id 77\n")) << c;
  EXPECT_TRUE(Contains(c, "priority 100\n")) << c;
  EXPECT_TRUE(Contains(c, "advert_int 2\n")) << c;
  EXPECT_TRUE(Contains(c, "10.77.1.254/24 dev eth0\n")) << c;
  EXPECT_TRUE(Contains(c, "notify /d/notify.sh\n")) << c;
  EXPECT_FALSE(Contains(c, "garp_master_refresh")) << c;
  o.garp_refresh_s = 1;
  EXPECT_TRUE(Contains(KeepalivedConfig(o, "n2", "eth0", "10.77.1.254", 24, 100, "/n"),
                       "garp_master_refresh 1\n"));
  // The balancer listens on every address (the virtual one comes and goes);
  // stats stay on the node's own.
  const std::string h = HaproxyConfig(o, "10.0.0.1", kBackends);
  EXPECT_TRUE(Contains(h, "bind *:8080")) << h;
  EXPECT_TRUE(Contains(h, "bind 10.0.0.1:8404")) << h;
  o.kind = BalancerKind::kNginx;
  EXPECT_TRUE(Contains(NginxBalancerConfig(o, "10.0.0.1", kBackends, "/d"), "listen *:8080;"));
}

TEST(VrrpTest, TakeoverBound) {
  BalancerOptions o;
  EXPECT_EQ(VrrpBoundMs(o), -1);
  o.vrrp = true;
  // 3 adverts + (256 - 100) / 256 of one + margin.
  EXPECT_EQ(VrrpBoundMs(o), 3000 + 609 + 1000);
  o.advert_int_s = 2;
  o.margin_ms = 0;
  EXPECT_EQ(VrrpBoundMs(o), 6000 + 1218);
}

TEST_F(BalanceClientTest, VipReadsEveryBalancerNodesWatcher) {
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string stamp = std::to_string(now_ns - 40'000'000);  // read 40 ms ago
  http_.SetHandler([&](const FakeHttp::Request& r) -> Result<HttpResponse> {
    if (Contains(r.url, "10.0.0.1:8082/vip")) return HttpResponse{200, stamp + "\n" + kIpAddr};
    if (Contains(r.url, "10.0.0.2:8082/vip")) {
      return HttpResponse{200, stamp + "\n2: eth0    inet 10.0.0.2/24 scope global eth0\n"};
    }
    if (Contains(r.url, "/req")) return HttpResponse{200, "n3\n"};
    return Status::Unreachable("refused");
  });
  BalancerOptions o;
  o.vrrp = true;
  o.make_transport = http_.factory();
  const std::vector<BalancerBackend> vrrp = {{"n1", "10.0.0.1", 8082}, {"n2", "10.0.0.2", 8082}};
  auto c = MakeBalanceClient(o, "n1", kBackends, vrrp, "10.77.1.254");
  ASSERT_TRUE(c->Open({"n2", "10.0.0.2", ""}).ok());
  Op op;
  op.type = OpType::kInvoke;
  op.f = "vip";
  Op done = c->Invoke(op);
  ASSERT_EQ(done.type, OpType::kOk) << done.error.dump();
  EXPECT_EQ(done.value["holders"], Json::array({"n1"}));
  EXPECT_EQ(done.value["nodes"]["n2"]["holds"], false);
  EXPECT_GE(done.value["nodes"]["n1"]["age_ms"].get<double>(), 39.0);
  EXPECT_LT(done.value["nodes"]["n1"]["age_ms"].get<double>(), 5000.0);
  EXPECT_EQ(done.value["bound_ms"], 4609);
  EXPECT_FALSE(done.value.contains("unread"));
  // Requests go to the virtual address.
  EXPECT_EQ(c->Invoke(Request(9, "k")).type, OpType::kOk);
  EXPECT_EQ(http_.requests().back().url, "http://10.77.1.254:8080/req?id=9&key=k");

  // A node that cannot be read is unknown, not "not holding".
  http_.SetHandler([&](const FakeHttp::Request& r) -> Result<HttpResponse> {
    if (Contains(r.url, "10.0.0.2")) return HttpResponse{200, stamp + "\n" + "inet 10.77.1.254/24\n 2: eth0    inet 10.77.1.254/24 x\n"};
    return Status::Timeout("slow");
  });
  done = c->Invoke(op);
  ASSERT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value["holders"], Json::array({"n2"}));
  EXPECT_TRUE(done.value["unread"].contains("n1"));
  EXPECT_FALSE(done.value["nodes"].contains("n1"));
  // None read: fail (a read; nothing changed).
  http_.SetHandler([](const FakeHttp::Request&) -> Result<HttpResponse> { return HttpResponse{200, "garbage"}; });
  EXPECT_EQ(c->Invoke(op).type, OpType::kFail);
}

TEST(VrrpTest, NodeOptionsAreCheckedBeforeAnythingIsTouched) {
  const std::vector<NodeInfo> nodes = {{"n1", "10.0.0.1", ""}, {"n2", "10.0.0.2", ""}, {"n3", "10.0.0.3", ""}};
  auto check = [&](const char* options, const std::vector<NodeInfo>& ns) {
    Result<std::unique_ptr<Target>> t = MakeTarget("haproxy", Json::parse(options));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? (*t)->CheckNodes(ns) : t.status();
  };
  EXPECT_TRUE(check(R"({"vrrp": true})", nodes).ok());
  EXPECT_TRUE(check(R"({"vrrp": true, "balancer_node": "n3"})", nodes).ok());  // backup: n1
  Status st = check(R"({"vrrp": true, "backup_node": "n9"})", nodes);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("option backup_node: \"n9\" is not a node of the test"), std::string::npos)
      << st.message();
  st = check(R"({"vrrp": true, "backup_node": "n1"})", nodes);
  EXPECT_NE(st.message().find("the balancer_node itself"), std::string::npos) << st.message();
  st = check(R"({"vrrp": true})", {{"n1", "10.0.0.1", ""}});
  EXPECT_NE(st.message().find("needs two balancer nodes"), std::string::npos) << st.message();
  st = check(R"({"vrrp": true})", {{"n1", "db1", ""}, {"n2", "db2", ""}});
  EXPECT_NE(st.message().find("node n1 has host \"db1\""), std::string::npos) << st.message();
  st = check(R"({"vrrp": true, "vip": "10.0.0.2"})", nodes);
  EXPECT_NE(st.message().find("a node's own address"), std::string::npos) << st.message();
  st = check(R"({"balancer_node": "n7"})", nodes);
  EXPECT_NE(st.message().find("option balancer_node: \"n7\""), std::string::npos) << st.message();
  // Without vrrp names are fine, and nothing reads addresses.
  EXPECT_TRUE(check("{}", {{"n1", "db1", ""}}).ok());
}

TEST(BalancerRegistryTest, VrrpOptions) {
  Result<std::unique_ptr<Target>> t =
      MakeTarget("haproxy", Json::parse(R"({"vrrp": true, "vip": "10.0.0.200", "advert_int_s": 2,
          "virtual_router_id": 9, "backup_node": "n3", "vip_port": 9000})"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_NE((*t)->primaries(), nullptr);
  EXPECT_TRUE((*t)->balance_clients()->ObservesVip());
  Result<std::unique_ptr<Target>> plain = MakeTarget("haproxy", Json::object());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->primaries(), nullptr);
  EXPECT_FALSE((*plain)->balance_clients()->ObservesVip());
  auto error = [](const char* options) {
    Result<std::unique_ptr<Target>> r = MakeTarget("haproxy", Json::parse(options));
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(error(R"({"vrrp": true, "vip": "10.0.0"})"),
            "target haproxy: option vip: expected an IPv4 address, got \"10.0.0\"");
  EXPECT_EQ(error(R"({"vip": "10.0.0.9"})"), "target haproxy: option vip: needs vrrp=true");
  EXPECT_NE(error(R"({"vrrp": "yes"})").find("option vrrp: expected true or false"), std::string::npos);
  EXPECT_NE(error(R"({"vrrp": true, "virtual_router_id": 0})").find("virtual_router_id"), std::string::npos);
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
