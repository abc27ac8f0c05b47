#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "harness/history/reader.h"
#include "harness/history/test_util.h"

namespace faultline {
namespace {

using testing_util::ExpectParseError;
using testing_util::MustParse;
constexpr HistoryFormat kLog = HistoryFormat::kJepsenLog;

TEST(JepsenLogReaderTest, ReadsOpLinesAndSkipsNoise) {
  History h = MustParse(
      "2015-05-04 12:00:00,000 INFO  jepsen.core - Running test\n"
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:ok\t:read\t3\n"
      "INFO  jepsen.util - starting workers\n"
      "INFO  jepsen.util - 12\t:invoke\t:cas\t[0 3]\r\n"
      "some stack trace line\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
      "INFO  jepsen.util - 4\t:invoke\t:write\t-2\n",
      kLog);
  ASSERT_EQ(h.ops.size(), 5u);
  EXPECT_EQ(h.ops[0].line, 2);
  EXPECT_EQ(h.ops[0].type, OpType::kInvoke);
  EXPECT_EQ(h.ops[0].f, "read");
  EXPECT_TRUE(h.ops[0].value.is_null());
  EXPECT_EQ(h.ops[1].value, 3);
  EXPECT_EQ(h.ops[2].process, 12);
  EXPECT_EQ(h.ops[2].value, Json::parse("[0,3]"));
  EXPECT_EQ(h.ops[2].line, 5);
  EXPECT_EQ(h.ops[2].index, 2);
  EXPECT_TRUE(h.ops[3].is_nemesis());
  EXPECT_EQ(h.ops[4].value, -2);
  for (const Op& op : h.ops) EXPECT_EQ(op.time, -1);
}

TEST(JepsenLogReaderTest, AppliesTheOldEtcdTestSemantics) {
  History h = MustParse(
      "INFO  jepsen.util - 1\t:fail\t:cas\t[0 3]\n"
      "INFO  jepsen.util - 2\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - 3\t:info\t:write\t:timed-out\n"
      "INFO  jepsen.util - 4\t:info\t:cas\t:timed-out\n"
      "INFO  jepsen.util - 5\t:fail\t:write\t2\n"
      "INFO  jepsen.util - 6\t:fail\t:read\tnil\n"
      "INFO  jepsen.util - 7\t:ok\t:read\t4\n"
      "INFO  jepsen.util - 8\t:fail\t:cas\t[1 2]\t:conn-refused\n"
      "INFO  jepsen.util - 9\t:info\t:write\t2\tindeterminate: read timed out\n",
      kLog);
  ASSERT_EQ(h.ops.size(), 9u);
  // The compare did not match.
  EXPECT_EQ(h.ops[0].type, OpType::kFail);
  EXPECT_EQ(h.ops[0].error, kCasMismatchError);
  EXPECT_EQ(h.ops[0].value, Json::parse("[0,3]"));
  // A failed read's result is unknown.
  EXPECT_EQ(h.ops[1].type, OpType::kInfo);
  EXPECT_EQ(h.ops[1].error, "timed-out");
  // Info keeps its value as written and takes the keyword as error.
  EXPECT_EQ(h.ops[2].type, OpType::kInfo);
  EXPECT_EQ(h.ops[2].value, "timed-out");
  EXPECT_EQ(h.ops[2].error, "timed-out");
  EXPECT_EQ(h.ops[3].error, "timed-out");
  // Other fails are left alone.
  EXPECT_EQ(h.ops[4].type, OpType::kFail);
  EXPECT_TRUE(h.ops[4].error.is_null());
  EXPECT_EQ(h.ops[5].type, OpType::kInfo);
  EXPECT_TRUE(h.ops[5].error.is_null());
  EXPECT_EQ(h.ops[6].type, OpType::kOk);
  EXPECT_TRUE(h.ops[6].error.is_null());
  // An explicit error column wins.
  EXPECT_EQ(h.ops[7].type, OpType::kFail);
  EXPECT_EQ(h.ops[7].error, "conn-refused");
  EXPECT_EQ(h.ops[8].error, "indeterminate: read timed out");
  EXPECT_EQ(h.ops[8].value, 2);
}

TEST(JepsenLogReaderTest, TextWithoutOpLinesHasNoOps) {
  EXPECT_TRUE(MustParse("", kLog).ops.empty());
  EXPECT_TRUE(
      MustParse("INFO  jepsen.core - hello\nINFO  jepsen.util - no tabs here\n", kLog).ops.empty());
}

TEST(JepsenLogReaderTest, MalformedOpLinesNameTheLine) {
  std::string prefix = "noise\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n";
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke", kLog, 3, "fewer than 4");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\t:read", kLog, 3, "fewer than 4");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:done\t:read\tnil", kLog, 3,
                   "unknown op type \"done\"");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\tread\tnil", kLog, 3, "f is 'read'",
                   "keyword");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\t:cas\t[0 3", kLog, 3,
                   "vector opened on this line is not closed");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\t:cas\t", kLog, 3,
                   "where a value was expected");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\t:cas\t[0 3] junk", kLog, 3,
                   "unexpected text 'junk'");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\t:cas\t#inst \"x\"", kLog, 3,
                   "tagged literal #inst");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:invoke\t:cas\t\"\xff\"", kLog, 3, "not UTF-8");
  ExpectParseError(prefix + "INFO  jepsen.util - 3\t:info\t:cas\tnil\t\xff", kLog, 3, "not UTF-8");
}

}  // namespace
}  // namespace faultline
