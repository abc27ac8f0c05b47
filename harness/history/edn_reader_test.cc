#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "harness/history/reader.h"
#include "harness/history/test_util.h"

namespace faultline {
namespace {

using testing_util::ExpectParseError;
using testing_util::MustParse;
constexpr HistoryFormat kEdn = HistoryFormat::kEdn;

TEST(EdnReaderTest, ReadsAVectorOfMapsWithCommentsAndMultiLineMaps) {
  History h = MustParse(
      "; a register history\n"
      "[{:process 0, :type :invoke, :f :write, :value 3}\n"
      " {:process 0, :type :ok, :f :write, :value 3, :time 12, :index 99}\n"
      " ; the nemesis acts\n"
      " {:process :nemesis,\n"
      "  :type :info,\n"
      "  :f :start,\n"
      "  :value\n"
      "  \"Cut off [:n3 #[:n4]]\"}\n"
      " {:type :fail, :f :release, :process 1, :error [:not-found \"lease\"], :node \"n2\"}]\n",
      kEdn);
  ASSERT_EQ(h.ops.size(), 4u);
  EXPECT_EQ(h.ops[0].line, 2);
  EXPECT_EQ(h.ops[0].type, OpType::kInvoke);
  EXPECT_EQ(h.ops[0].f, "write");
  EXPECT_EQ(h.ops[0].value, 3);
  EXPECT_EQ(h.ops[0].time, -1);
  EXPECT_EQ(h.ops[1].index, 1);  // :index 99 is ignored
  EXPECT_EQ(h.ops[1].time, 12);
  EXPECT_EQ(h.ops[1].line, 3);
  EXPECT_TRUE(h.ops[2].is_nemesis());
  EXPECT_EQ(h.ops[2].line, 5);
  EXPECT_EQ(h.ops[2].value, "Cut off [:n3 #[:n4]]");
  EXPECT_EQ(h.ops[3].error, Json::parse(R"(["not-found","lease"])"));
  EXPECT_EQ(h.ops[3].node, "n2");
  EXPECT_EQ(h.ops[3].line, 10);
}

TEST(EdnReaderTest, ReadsOneMapPerLineAndLists) {
  History kv = MustParse(
      "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process 9, :type :ok, :f :append, :key \"0\", :value \"x 9 0 y\"}\n"
      "\n"
      "{:process 1, :type :invoke, :f :get, :key \"9\", :value nil}\n",
      kEdn);
  ASSERT_EQ(kv.ops.size(), 3u);
  EXPECT_EQ(kv.ops[0].key, "0");
  EXPECT_EQ(kv.ops[0].value, "x 9 0 y");
  EXPECT_EQ(kv.ops[2].line, 4);
  EXPECT_TRUE(kv.ops[2].value.is_null());

  History list = MustParse("({:type :invoke, :f :read, :value nil, :process 0})", kEdn);
  ASSERT_EQ(list.ops.size(), 1u);
  EXPECT_EQ(list.ops[0].process, 0);
}

TEST(EdnReaderTest, ConvertsEveryValueKind) {
  History h = MustParse(
      "[{:process 0 :type :ok :f :txn :value\n"
      "  [nil true false -12 0 +7 3N 1.5 -2e3 4.0M \"tab\\tq\\\"\\\\ \\u00e9 \\ud83d\\ude00\"\n"
      "   :read :ns/kw \\a \\newline \\u0041 (1 2) #{:x} {:a 1, \"b\" 2, 3 4, nil 5, [1] 6}\n"
      "   #_ :ignored #_[1 2 3] 18446744073709551615 -9223372036854775808\n"
      "   \"multi\n"
      "line\"]}]",
      kEdn);
  ASSERT_EQ(h.ops.size(), 1u);
  Json expected = Json::array({nullptr,
                               true,
                               false,
                               -12,
                               0,
                               7,
                               3,
                               1.5,
                               -2000.0,
                               4.0,
                               "tab\tq\"\\ \xc3\xa9 \xf0\x9f\x98\x80",
                               "read",
                               "ns/kw",
                               "a",
                               "\n",
                               "A",
                               Json::array({1, 2}),
                               Json::array({"x"}),
                               Json::object({{"a", 1}, {"b", 2}, {"3", 4}, {"nil", 5}, {"[1]", 6}}),
                               18446744073709551615ull,
                               INT64_MIN,
                               "multi\nline"});
  EXPECT_EQ(h.ops[0].value, expected);
}

TEST(EdnReaderTest, OkReadOfNilBecomesInfo) {
  History h = MustParse(
      "[{:process 0, :type :invoke, :f :read, :value nil}\n"
      " {:process 0, :type :ok, :f :read, :value nil}\n"
      " {:process 0, :type :invoke, :f :read, :value nil}\n"
      " {:process 0, :type :ok, :f :read, :value 2}\n"
      " {:process 1, :type :invoke, :f :get, :value nil}\n"
      " {:process 1, :type :ok, :f :get, :value nil}]",
      kEdn);
  ASSERT_EQ(h.ops.size(), 6u);
  EXPECT_EQ(h.ops[1].type, OpType::kInfo);
  EXPECT_EQ(h.ops[1].error, kNilReadError);
  EXPECT_EQ(h.ops[3].type, OpType::kOk);
  EXPECT_TRUE(h.ops[3].error.is_null());
  EXPECT_EQ(h.ops[5].type, OpType::kOk);  // only :read is affected
}

TEST(EdnReaderTest, EmptyAndCommentOnlyTextHaveNoOps) {
  EXPECT_TRUE(MustParse("", kEdn).ops.empty());
  EXPECT_TRUE(MustParse("; nothing\n  \n", kEdn).ops.empty());
  EXPECT_TRUE(MustParse("[]", kEdn).ops.empty());
}

constexpr const char* kOp = "{:process 0, :type :invoke, :f :read, :value nil}";

TEST(EdnReaderTest, UnterminatedFormsNameTheLineTheyOpenOn) {
  ExpectParseError(std::string("[") + kOp + "\n" + kOp + "\n", kEdn, 1,
                   "vector of ops opened on this line is not closed", "expected ']'");
  ExpectParseError(std::string(kOp) + "\n{:process 0,\n :type :ok\n", kEdn, 2,
                   "op map opened on this line is not closed", "expected '}'");
  ExpectParseError(std::string(kOp) + "\n{:process 0, :type :ok, :f :read, :value [1\n 2\n", kEdn,
                   2, "vector opened on this line is not closed");
  ExpectParseError(std::string(kOp) + "\n\n{:process 0, :type :ok, :f :read, :value \"abc\n\n",
                   kEdn, 3, "string starting with \"abc", "not terminated");
  ExpectParseError(std::string(kOp) + "\n{:process 0, :type :ok, :f :read, :value {:a 1}\n", kEdn,
                   2, "op map opened on this line is not closed");
}

TEST(EdnReaderTest, WrongOpFieldsNameTheirLine) {
  std::string prefix = std::string(kOp) + "\n";
  ExpectParseError(prefix + "{:process \"abc\", :type :invoke, :f :read}", kEdn, 2,
                   ":process is the string \"abc\"", "non-negative integer or :nemesis");
  ExpectParseError(prefix + "{:process -1, :type :invoke, :f :read}", kEdn, 2,
                   ":process is the integer -1");
  ExpectParseError(prefix + "{:process 1,\n :type 7,\n :f :read}", kEdn, 3,
                   ":type is the integer 7", ":invoke, :ok, :fail or :info");
  ExpectParseError(prefix + "{:process 1, :type :done, :f :read}", kEdn, 2,
                   "unknown op type \"done\"");
  ExpectParseError(prefix + "{:process 1, :type :ok}", kEdn, 2, "op map has no :f");
  ExpectParseError(prefix + "{:type :ok, :f :read}", kEdn, 2, "op map has no :process");
  ExpectParseError(prefix + "{:process 1, :f :read}", kEdn, 2, "op map has no :type");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f 3}", kEdn, 2, ":f is the integer 3");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f nil}", kEdn, 2, ":f is nil");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f :r, :time 1.5}", kEdn, 2,
                   ":time is the decimal number 1.5");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f :r, :node 3}", kEdn, 2, ":node is");
  ExpectParseError(prefix + "{:process 1, :type :ok, :type :ok, :f :r}", kEdn, 2,
                   "duplicate key :type");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f :r, 7 8}", kEdn, 2,
                   "op map key is the integer 7");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f :r, :value}", kEdn, 2,
                   "key :value has no value");
  ExpectParseError(prefix + "[1 2]", kEdn, 2, "element of the op vector is the integer 1");
  ExpectParseError(prefix + "42", kEdn, 2, "top-level form is the integer 42");
}

TEST(EdnReaderTest, UnsupportedSyntaxIsRejectedClearly) {
  std::string prefix = std::string(kOp) + "\n";
  auto with_value = [&](const std::string& value) {
    return prefix + "{:process 1, :type :ok, :f :r, :value " + value + "}";
  };
  ExpectParseError(with_value("#inst \"2020-01-01\""), kEdn, 2, "tagged literal #inst");
  ExpectParseError(with_value("##Inf"), kEdn, 2, "symbolic value ##Inf");
  ExpectParseError(with_value("#\"re\""), kEdn, 2, "'#\"' is not supported");
  ExpectParseError(with_value("foo"), kEdn, 2, "bare symbol 'foo'");
  ExpectParseError(with_value("1/2"), kEdn, 2, "ratios are not supported");
  ExpectParseError(with_value("0x1F"), kEdn, 2, "malformed number");
  ExpectParseError(with_value("007"), kEdn, 2, "leading zero");
  ExpectParseError(with_value("99999999999999999999"), kEdn, 2, "does not fit in 64 bits");
  ExpectParseError(with_value("-9223372036854775809"), kEdn, 2, "does not fit in 64 bits");
  ExpectParseError(with_value("1e999"), kEdn, 2, "out of the range");
  ExpectParseError(with_value("::auto"), kEdn, 2, "auto-resolved keyword");
  ExpectParseError(with_value(": x"), kEdn, 2, "not followed by a name");
  ExpectParseError(with_value("\\bogus"), kEdn, 2, "unknown character");
  ExpectParseError(with_value("\"\\q\""), kEdn, 2, "unknown escape \\q");
  ExpectParseError(with_value("\"\\ud800\""), kEdn, 2, "surrogate");
  ExpectParseError(with_value("[1 2)"), kEdn, 2, "found ')'; expected ']'");
  ExpectParseError(with_value("{:a}"), kEdn, 2, "map key a has no value");
  ExpectParseError(with_value("{:a 1 :a 2}"), kEdn, 2, "duplicate map key a");
  ExpectParseError(with_value("]"), kEdn, 2, "unexpected ']'");
  ExpectParseError(with_value("\"caf\xe9\""), kEdn, 2, "not UTF-8");
  ExpectParseError(with_value(":k\xff"), kEdn, 2, "not UTF-8");
  ExpectParseError(with_value("\x01"), kEdn, 2, "unexpected byte \\x01");
  ExpectParseError(prefix + "{:process 1, :type :ok, :f :r}]", kEdn, 2, "unexpected ']'");
}

TEST(EdnReaderTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(512, '[') + std::string(512, ']');
  ExpectParseError("[{:process 1, :type :ok, :f :r,\n :value " + deep + "}]", kEdn, 2,
                   "nest deeper than 256");
  ExpectParseError("\n" + std::string(1 << 20, '('), kEdn, 2, "nest deeper");
  ExpectParseError("[{:process 1, :type :ok, :f :r, :value 1}\n" + std::string(100000, '#') + "_",
                   kEdn, 2, "not supported");
  std::string discards;
  for (int i = 0; i < 100000; ++i) discards += "#_";
  ExpectParseError("[{:process 1, :type :ok, :f :r, :value 1}\n" + discards + "1]", kEdn, 2,
                   "nest deeper");
  History ok = MustParse("[{:process 1, :type :ok, :f :r, :value " + std::string(200, '[') +
                             std::string(200, ']') + "}]",
                         kEdn);
  EXPECT_EQ(ok.ops.size(), 1u);
}

}  // namespace
}  // namespace faultline
