#include "targets/etcd_client.h"

#include <gtest/gtest.h>

#include "targets/testing/fake_http.h"
#include "targets/testing/recorder.h"

namespace faultline {
namespace {

TEST(Base64Test, EncodesTheStandardVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64Test, DecodesWhatItEncodes) {
  for (std::string text : {"", "f", "fo", "foo", "foob", "faultline/42", "{\"a\":[1,2]}"}) {
    auto decoded = Base64Decode(Base64Encode(text));
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(*decoded, text);
  }
  std::string binary("\x00\x01\xff\x80", 4);
  EXPECT_EQ(*Base64Decode(Base64Encode(binary)), binary);
}

TEST(Base64Test, RejectsMalformedText) {
  for (const char* bad : {"Zm9", "Zm9$", "Z===", "Zg=a", "=Zg=", "Zg==Zg=="}) {
    auto decoded = Base64Decode(bad);
    EXPECT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(HttpUrlTest, BracketsIpv6Hosts) {
  EXPECT_EQ(HttpUrl("10.0.0.1", 2379), "http://10.0.0.1:2379");
  EXPECT_EQ(HttpUrl("n1.example", 80), "http://n1.example:80");
  EXPECT_EQ(HttpUrl("::1", 2379), "http://[::1]:2379");
}

TEST(ClassifyEtcdErrorTest, OnlyErrorsBeforeProposingMeanNotApplied) {
  using E = EtcdErrorEffect;
  EXPECT_EQ(ClassifyEtcdError(14, "etcdserver: request timed out"), E::kUnknown);
  EXPECT_EQ(ClassifyEtcdError(
                14, "etcdserver: request timed out, possibly due to previous leader failure"),
            E::kUnknown);
  EXPECT_EQ(ClassifyEtcdError(9, "etcdserver: leader changed"), E::kUnknown);
  EXPECT_EQ(ClassifyEtcdError(14, "etcdserver: server stopped"), E::kUnknown);
  EXPECT_EQ(ClassifyEtcdError(4, "context deadline exceeded"), E::kUnknown);
  EXPECT_EQ(ClassifyEtcdError(2, "something new"), E::kUnknown);
  EXPECT_EQ(ClassifyEtcdError(-1, ""), E::kUnknown);

  EXPECT_EQ(ClassifyEtcdError(8, "etcdserver: too many requests"), E::kNotApplied);
  EXPECT_EQ(ClassifyEtcdError(14, "etcdserver: no leader"), E::kNotApplied);
  EXPECT_EQ(ClassifyEtcdError(2, "raft proposal dropped"), E::kNotApplied);
  EXPECT_EQ(ClassifyEtcdError(8, "etcdserver: mvcc: database space exceeded"), E::kNotApplied);
  EXPECT_EQ(ClassifyEtcdError(3, "etcdserver: key is not provided"), E::kNotApplied);
  EXPECT_EQ(ClassifyEtcdError(3, "anything the gateway could not parse"), E::kNotApplied);
  EXPECT_EQ(ClassifyEtcdError(16, "etcdserver: invalid auth token"), E::kNotApplied);
}

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EtcdClientOptions options;
    options.endpoint = [](const NodeInfo& node) { return HttpUrl(node.host, 2379); };
    options.make_transport = http_.factory();
    options.timeouts = {std::chrono::milliseconds(700), std::chrono::milliseconds(3000)};
    client_ = MakeEtcdRegisterClient(options);
    ASSERT_TRUE(client_->Open(NodeInfo{"n1", "10.0.0.1", ""}).ok());
  }

  // The single request sent so far, parsed.
  Json OnlyRequestBody(const std::string& url) {
    auto requests = http_.requests();
    EXPECT_EQ(requests.size(), 1u);
    if (requests.empty()) return Json();
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].url, url);
    return Json::parse(requests[0].body);
  }

  static std::string B64(const std::string& s) { return Base64Encode(s); }

  FakeHttp http_;
  std::unique_ptr<Client> client_;
};

TEST_F(EtcdClientTest, UsesTheConfiguredTimeouts) {
  ASSERT_EQ(http_.timeouts().size(), 1u);
  EXPECT_EQ(http_.timeouts()[0].connect.count(), 700);
  EXPECT_EQ(http_.timeouts()[0].total.count(), 3000);
}

TEST_F(EtcdClientTest, ReadIsALinearizableRangeAndDecodesTheValue) {
  http_.AnswerAll(200, R"({"header":{"revision":"7"},"kvs":[{"key":")" + B64("faultline/k1") +
                           R"(","value":")" + B64("42") + R"(","version":"3"}],"count":"1"})");
  Op done = client_->Invoke(MakeOp(3, "read", Json(), "k1"));
  Json body = OnlyRequestBody("http://10.0.0.1:2379/v3/kv/range");
  EXPECT_EQ(body["key"], B64("faultline/k1"));
  EXPECT_EQ(body["serializable"], false);
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value, 42);
  EXPECT_EQ(done.process, 3);
  EXPECT_EQ(done.f, "read");
  EXPECT_EQ(done.key, "k1");
  EXPECT_EQ(done.node, "n1");
}

TEST_F(EtcdClientTest, ReadOfAnAbsentKeyIsNullAndNonStringKeysUseTheirJson) {
  http_.AnswerAll(200, R"({"header":{"revision":"7"}})");
  Op done = client_->Invoke(MakeOp(0, "read", Json(), 5));
  EXPECT_EQ(OnlyRequestBody("http://10.0.0.1:2379/v3/kv/range")["key"], B64("faultline/5"));
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_TRUE(done.value.is_null());
}

TEST_F(EtcdClientTest, ReadOfForeignTextReturnsItAsAString) {
  http_.AnswerAll(200, R"({"kvs":[{"key":"eA==","value":")" + B64("not json") + R"("}]})");
  Op done = client_->Invoke(MakeOp(0, "read", Json()));
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value, "not json");
}

TEST_F(EtcdClientTest, WriteIsAPutOfTheJsonText) {
  http_.AnswerAll(200, R"({"header":{"revision":"8"}})");
  Op done = client_->Invoke(MakeOp(1, "write", 17, "k"));
  Json body = OnlyRequestBody("http://10.0.0.1:2379/v3/kv/put");
  EXPECT_EQ(body["key"], B64("faultline/k"));
  EXPECT_EQ(body["value"], B64("17"));
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value, 17);
}

TEST_F(EtcdClientTest, WritingNullDeletesTheKey) {
  http_.AnswerAll(200, R"({"header":{"revision":"8"},"deleted":"1"})");
  EXPECT_EQ(client_->Invoke(MakeOp(1, "write", Json(), "k")).type, OpType::kOk);
  EXPECT_EQ(OnlyRequestBody("http://10.0.0.1:2379/v3/kv/deleterange")["key"], B64("faultline/k"));
}

TEST_F(EtcdClientTest, CasIsATransactionComparingTheValue) {
  http_.AnswerAll(
      200, R"({"header":{"revision":"9"},"succeeded":true,"responses":[{"response_put":{}}]})");
  Op done = client_->Invoke(MakeOp(2, "cas", Json::array({3, 4}), "k"));
  Json body = OnlyRequestBody("http://10.0.0.1:2379/v3/kv/txn");
  ASSERT_EQ(body["compare"].size(), 1u);
  EXPECT_EQ(body["compare"][0], (Json{{"key", B64("faultline/k")},
                                      {"target", "VALUE"},
                                      {"result", "EQUAL"},
                                      {"value", B64("3")}}));
  ASSERT_EQ(body["success"].size(), 1u);
  EXPECT_EQ(body["success"][0],
            (Json{{"request_put", {{"key", B64("faultline/k")}, {"value", B64("4")}}}}));
  EXPECT_FALSE(body.contains("failure"));
  EXPECT_EQ(done.type, OpType::kOk);
  EXPECT_EQ(done.value, Json::array({3, 4}));
}

TEST_F(EtcdClientTest, CasFromNullComparesTheVersionWithZero) {
  http_.AnswerAll(200, R"({"header":{},"succeeded":true})");
  EXPECT_EQ(client_->Invoke(MakeOp(2, "cas", Json::array({nullptr, 1}))).type, OpType::kOk);
  Json compare = OnlyRequestBody("http://10.0.0.1:2379/v3/kv/txn")["compare"][0];
  EXPECT_EQ(compare["target"], "VERSION");
  EXPECT_EQ(compare["version"], "0");
  EXPECT_EQ(compare["result"], "EQUAL");
}

TEST_F(EtcdClientTest, CasWhoseCompareFailedIsAMismatch) {
  // etcd omits "succeeded" when it is false.
  http_.AnswerAll(200, R"({"header":{"revision":"9"}})");
  Op done = client_->Invoke(MakeOp(2, "cas", Json::array({3, 4})));
  EXPECT_EQ(done.type, OpType::kFail);
  EXPECT_EQ(done.error, kCasMismatchError);
  http_.AnswerAll(200, R"({"header":{"revision":"9"},"succeeded":false})");
  EXPECT_EQ(client_->Invoke(MakeOp(2, "cas", Json::array({3, 4}))).error, kCasMismatchError);
}

TEST_F(EtcdClientTest, MalformedOpsFailWithoutSendingAnything) {
  EXPECT_EQ(client_->Invoke(MakeOp(0, "cas", 3)).type, OpType::kFail);
  EXPECT_EQ(client_->Invoke(MakeOp(0, "cas", Json::array({1}))).type, OpType::kFail);
  Op unknown = client_->Invoke(MakeOp(0, "append", 3));
  EXPECT_EQ(unknown.type, OpType::kFail);
  EXPECT_NE(unknown.error.get<std::string>().find("append"), std::string::npos);
  EXPECT_TRUE(http_.requests().empty());
  client_->Close();
  EXPECT_EQ(client_->Invoke(MakeOp(0, "read", Json())).type, OpType::kFail);
  EXPECT_TRUE(http_.requests().empty());
}

// How each way a request can go wrong completes a read, a write and a cas.
struct OutcomeCase {
  const char* name;
  Result<HttpResponse> answer;
  OpType read, write, cas;
  const char* error_prefix;
};

TEST_F(EtcdClientTest, OutcomesAreHonest) {
  const OpType F = OpType::kFail, I = OpType::kInfo;
  const std::vector<OutcomeCase> cases = {
      {"refused", Status::Unreachable("connect refused"), F, F, F, "unreachable: "},
      {"timeout", Status::Timeout("no response"), F, I, I, "timeout: "},
      {"reset", Status::IoError("recv failure"), F, I, I, "connection-lost: "},
      {"etcd timeout",
       HttpResponse{
           503,
           R"({"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14})"},
       F, I, I, "etcd: etcdserver: request timed out"},
      {"leader changed", HttpResponse{503, R"({"error":"etcdserver: leader changed","code":14})"},
       F, I, I, "etcd: etcdserver: leader changed"},
      {"too many requests",
       HttpResponse{429, R"({"error":"etcdserver: too many requests","code":8})"}, F, F, F,
       "etcd: etcdserver: too many requests"},
      {"invalid", HttpResponse{400, R"({"error":"bad","message":"bad","code":3})"}, F, F, F,
       "etcd: bad"},
      {"no route", HttpResponse{404, "Not Found\n"}, F, F, F, "http: status 404"},
      {"proxy error", HttpResponse{502, "<html>bad gateway</html>"}, F, I, I, "http: status 502"},
      {"garbage", HttpResponse{200, "{not json"}, F, I, I, "protocol: "},
  };
  for (const OutcomeCase& c : cases) {
    http_.SetHandler([&c](const FakeHttp::Request&) { return c.answer; });
    Op read = client_->Invoke(MakeOp(0, "read", Json()));
    Op write = client_->Invoke(MakeOp(0, "write", 1));
    Op cas = client_->Invoke(MakeOp(0, "cas", Json::array({1, 2})));
    EXPECT_EQ(read.type, c.read) << c.name;
    EXPECT_EQ(write.type, c.write) << c.name;
    EXPECT_EQ(cas.type, c.cas) << c.name;
    for (const Op& op : {read, write, cas}) {
      ASSERT_TRUE(op.error.is_string()) << c.name;
      EXPECT_EQ(op.error.get<std::string>().rfind(c.error_prefix, 0), 0u)
          << c.name << ": " << op.error.dump();
    }
  }
}

}  // namespace
}  // namespace faultline
