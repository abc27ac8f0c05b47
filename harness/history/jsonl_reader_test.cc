#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "harness/history/reader.h"
#include "harness/history/test_util.h"

namespace faultline {
namespace {

using testing_util::ExpectParseError;
using testing_util::MustParse;
constexpr HistoryFormat kJsonl = HistoryFormat::kJsonl;

TEST(JsonlReaderTest, ReadsEveryField) {
  History h = MustParse(
      "{\"index\":0,\"time\":5,\"type\":\"invoke\",\"process\":3,\"f\":\"cas\","
      "\"value\":[1,2],\"key\":\"k1\",\"node\":\"n1\"}\n"
      "\n"
      "  \t\n"
      "{\"index\":1,\"time\":9,\"type\":\"fail\",\"process\":3,\"f\":\"cas\",\"value\":[1,2],"
      "\"key\":\"k1\",\"error\":\"cas-mismatch\"}\r\n"
      "{\"type\":\"info\",\"process\":\"nemesis\",\"f\":\"start-partition\","
      "\"value\":{\"n1\":[\"n2\"]}}",
      kJsonl);
  ASSERT_EQ(h.ops.size(), 3u);
  EXPECT_EQ(h.source, "h");

  const Op& a = h.ops[0];
  EXPECT_EQ(a.index, 0);
  EXPECT_EQ(a.time, 5);
  EXPECT_EQ(a.type, OpType::kInvoke);
  EXPECT_EQ(a.process, 3);
  EXPECT_EQ(a.f, "cas");
  EXPECT_EQ(a.value, Json::parse("[1,2]"));
  EXPECT_EQ(a.key, "k1");
  EXPECT_TRUE(a.error.is_null());
  EXPECT_EQ(a.node, "n1");
  EXPECT_EQ(a.line, 1);

  const Op& b = h.ops[1];
  EXPECT_EQ(b.index, 1);
  EXPECT_EQ(b.type, OpType::kFail);
  EXPECT_EQ(b.error, "cas-mismatch");
  EXPECT_EQ(b.line, 4);

  const Op& c = h.ops[2];
  EXPECT_EQ(c.index, 2);
  EXPECT_EQ(c.time, -1);
  EXPECT_TRUE(c.is_nemesis());
  EXPECT_EQ(c.value, Json::parse(R"({"n1":["n2"]})"));
  EXPECT_TRUE(c.key.is_null());
  EXPECT_EQ(c.line, 5);
}

TEST(JsonlReaderTest, IndexComesFromPositionAndUnknownFieldsAreIgnored) {
  History h = MustParse(
      "{\"index\":7,\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"extra\":{\"a\":[1,{}]},"
      "\"more\":null}\n",
      kJsonl);
  ASSERT_EQ(h.ops.size(), 1u);
  EXPECT_EQ(h.ops[0].index, 0);
  EXPECT_TRUE(h.ops[0].value.is_null());
}

TEST(JsonlReaderTest, ValuesAreAnyJson) {
  History h = MustParse(
      R"({"type":"ok","process":1,"f":"txn","value":[["r","x",null],["w","y",-2.5e3],true,false,)"
      R"("caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n","ü",{},[],123456789012345678901234567890,)"
      R"(18446744073709551615,-9223372036854775808]})",
      kJsonl);
  ASSERT_EQ(h.ops.size(), 1u);
  const Json& v = h.ops[0].value;
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.size(), 11u);
  EXPECT_EQ(v[0], Json::parse(R"(["r","x",null])"));
  EXPECT_EQ(v[1][2].get<double>(), -2500.0);
  EXPECT_EQ(v[2], true);
  EXPECT_EQ(v[4].get<std::string>(), "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ / \n");
  EXPECT_EQ(v[5].get<std::string>(), "\xc3\xbc");
  EXPECT_TRUE(v[6].is_object());
  EXPECT_TRUE(v[7].is_array());
  EXPECT_TRUE(v[8].is_number_float());
  EXPECT_EQ(v[9].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(v[10].get<int64_t>(), INT64_MIN);
}

TEST(JsonlReaderTest, EmptyAndBlankTextHaveNoOps) {
  EXPECT_TRUE(MustParse("", kJsonl).ops.empty());
  EXPECT_TRUE(MustParse("\n\n  \r\n", kJsonl).ops.empty());
}

TEST(JsonlReaderTest, NestingUpToTheLimitIsRead) {
  std::string deep = std::string(200, '[') + std::string(200, ']');
  History h =
      MustParse("{\"type\":\"ok\",\"process\":0,\"f\":\"x\",\"value\":" + deep + "}", kJsonl);
  ASSERT_EQ(h.ops.size(), 1u);
}

constexpr const char* kGood = "{\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"value\":null}\n";

std::string ThirdLine(const std::string& bad) {
  return std::string(kGood) + "\n" + bad + "\n" + kGood;
}

TEST(JsonlReaderTest, MalformedLinesNameTheLine) {
  ExpectParseError(ThirdLine("{\"type\":\"invoke\",\"process\":0,\"f\":\"read\""), kJsonl, 3,
                   "the line ends inside the op object", "expected ',' or '}'");
  ExpectParseError(ThirdLine("{\"type\":\"invoke\",\"process\":0,\"f\":\"re"), kJsonl, 3,
                   "not terminated");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":[1,2"),
                   kJsonl, 3, "ends inside an array");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":{\"a\":1"),
                   kJsonl, 3, "ends inside an object");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":"), kJsonl, 3,
                   "where a value was expected");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"read\"} x"), kJsonl, 3,
                   "after the op object");
  ExpectParseError(ThirdLine("{\"type\":\"ok\" \"process\":0}"), kJsonl, 3,
                   "expected ',' or '}' after a field");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":tru}"),
                   kJsonl, 3, "expected a JSON value");
  ExpectParseError(ThirdLine("{type:\"ok\"}"), kJsonl, 3, "field name in double quotes");
  ExpectParseError(ThirdLine("[1,2]"), kJsonl, 3, "expected a JSON object");
  ExpectParseError(ThirdLine("42"), kJsonl, 3, "expected a JSON object");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"value\":01}"), kJsonl, 3,
                   "leading zero");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"value\":1.}"), kJsonl, 3,
                   "no digits after '.'");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"value\":1e999}"), kJsonl,
                   3, "number 1e999 is out of the range");
}

TEST(JsonlReaderTest, WrongFieldTypesNameFieldAndExpectation) {
  ExpectParseError(ThirdLine("{\"type\":\"invoke\",\"process\":\"abc\",\"f\":\"read\"}"), kJsonl, 3,
                   "\"process\" is the string \"abc\"", "non-negative integer or \"nemesis\"");
  ExpectParseError(ThirdLine("{\"type\":\"invoke\",\"process\":-1,\"f\":\"read\"}"), kJsonl, 3,
                   "\"process\" is the number -1");
  ExpectParseError(ThirdLine("{\"type\":\"invoke\",\"process\":1.5,\"f\":\"read\"}"), kJsonl, 3,
                   "\"process\" is the number 1.5");
  ExpectParseError(ThirdLine("{\"type\":7,\"process\":0,\"f\":\"read\"}"), kJsonl, 3,
                   "\"type\" is the number 7", "\"invoke\", \"ok\", \"fail\" or \"info\"");
  ExpectParseError(ThirdLine("{\"type\":\"done\",\"process\":0,\"f\":\"read\"}"), kJsonl, 3,
                   "unknown op type \"done\"", "invoke, ok, fail or info");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0}"), kJsonl, 3, "has no \"f\"");
  ExpectParseError(ThirdLine("{\"process\":0,\"f\":\"read\"}"), kJsonl, 3, "has no \"type\"");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"f\":\"read\"}"), kJsonl, 3, "has no \"process\"");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":3}"), kJsonl, 3,
                   "\"f\" is the number 3");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"\"}"), kJsonl, 3,
                   "\"f\" is the string \"\"");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":[\"read\"]}"), kJsonl, 3,
                   "\"f\" is an array");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"time\":1.5}"), kJsonl, 3,
                   "\"time\" is the number 1.5");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"time\":-3}"), kJsonl, 3,
                   "\"time\" is the number -3");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"index\":\"1\"}"), kJsonl,
                   3, "\"index\" is the string \"1\"");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\",\"node\":{}}"), kJsonl, 3,
                   "\"node\" is an object");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"type\":\"ok\",\"process\":0,\"f\":\"r\"}"), kJsonl,
                   3, "duplicate field \"type\"");
}

TEST(JsonlReaderTest, BinaryAndBadTextAreRejected) {
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"r\xff\"}"), kJsonl, 3,
                   "not UTF-8");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"\xc3\"}"), kJsonl, 3,
                   "not UTF-8");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"\xed\xa0\x80\"}"), kJsonl, 3,
                   "not UTF-8");  // an encoded surrogate
  ExpectParseError(ThirdLine("\x89PNG\x1a"), kJsonl, 3, "expected a JSON object");
  ExpectParseError(ThirdLine(std::string("{\"type\":\"ok\",\"process\":0,\"f\":\"a\0b\"}", 33)),
                   kJsonl, 3, "NUL byte");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"a\tb\"}"), kJsonl, 3,
                   "control byte");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"a\\qb\"}"), kJsonl, 3,
                   "unknown escape \\q");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"\\u12\"}"), kJsonl, 3,
                   "4 hex digits");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"\\ud800x\"}"), kJsonl, 3,
                   "surrogate");
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"\\udc00\"}"), kJsonl, 3,
                   "surrogate");
}

TEST(JsonlReaderTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(512, '[') + std::string(512, ']');
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"x\",\"value\":" + deep + "}"),
                   kJsonl, 3, "nest deeper than 256");
  std::string very_deep(1 << 20, '[');
  ExpectParseError(ThirdLine("{\"type\":\"ok\",\"process\":0,\"f\":\"x\",\"value\":" + very_deep),
                   kJsonl, 3, "nest deeper");
}

}  // namespace
}  // namespace faultline
