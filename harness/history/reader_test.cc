#include "harness/history/reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "harness/history/test_util.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_util::ExpectParseError;
using testing_util::MustParse;

TEST(HistoryFormatTest, NamesRoundTrip) {
  for (HistoryFormat format : {HistoryFormat::kAuto, HistoryFormat::kJsonl, HistoryFormat::kEdn,
                               HistoryFormat::kJepsenLog}) {
    EXPECT_EQ(ParseHistoryFormat(HistoryFormatName(format)), format);
  }
  EXPECT_EQ(ParseHistoryFormat("jepsen-log"), HistoryFormat::kJepsenLog);
  EXPECT_EQ(ParseHistoryFormat("json"), std::nullopt);
}

TEST(DetectHistoryFormatTest, LooksAtTheFirstContent) {
  EXPECT_EQ(DetectHistoryFormat("{\"type\":\"invoke\"}"), HistoryFormat::kJsonl);
  EXPECT_EQ(DetectHistoryFormat("\n\n  { \"index\": 0}"), HistoryFormat::kJsonl);
  EXPECT_EQ(DetectHistoryFormat("\xEF\xBB\xBF{\"a\":1}"), HistoryFormat::kJsonl);
  EXPECT_EQ(DetectHistoryFormat("[{:process 0}]"), HistoryFormat::kEdn);
  EXPECT_EQ(DetectHistoryFormat("({:process 0})"), HistoryFormat::kEdn);
  EXPECT_EQ(DetectHistoryFormat("{:process 0, :type :invoke}"), HistoryFormat::kEdn);
  EXPECT_EQ(DetectHistoryFormat("{\n :type :invoke}"), HistoryFormat::kEdn);
  EXPECT_EQ(DetectHistoryFormat("; comment with jepsen.util - and {\"\n[{:a 1}]"),
            HistoryFormat::kEdn);
  EXPECT_EQ(DetectHistoryFormat("; only a comment\n"), HistoryFormat::kEdn);
  EXPECT_EQ(DetectHistoryFormat("2015-01-01 noise\nINFO  jepsen.util - 0\t:invoke\t:read\tnil"),
            HistoryFormat::kJepsenLog);
  EXPECT_EQ(DetectHistoryFormat(""), HistoryFormat::kJsonl);
  EXPECT_EQ(DetectHistoryFormat(" \n\t\n"), HistoryFormat::kJsonl);
  EXPECT_EQ(DetectHistoryFormat("hello world"), HistoryFormat::kAuto);
  EXPECT_EQ(DetectHistoryFormat("{}"), HistoryFormat::kJsonl);
  EXPECT_EQ(DetectHistoryFormat("{1 2}"), HistoryFormat::kAuto);
}

TEST(ParseHistoryTest, AutoDetectsEachFormat) {
  EXPECT_EQ(MustParse("{\"type\":\"invoke\",\"process\":0,\"f\":\"read\"}", HistoryFormat::kAuto)
                .ops.size(),
            1u);
  EXPECT_EQ(MustParse("[{:type :invoke, :process 0, :f :read}]", HistoryFormat::kAuto).ops.size(),
            1u);
  EXPECT_EQ(
      MustParse("x\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n", HistoryFormat::kAuto).ops.size(),
      1u);
  EXPECT_TRUE(MustParse("", HistoryFormat::kAuto).ops.empty());
}

TEST(ParseHistoryTest, UndetectableFormatAsksForFormat) {
  ExpectParseError("\n\nhello world\n", HistoryFormat::kAuto, 3, "could not detect",
                   "'hello world'", "--format");
}

TEST(ParseHistoryTest, BinaryInputIsRejectedInEveryFormat) {
  std::string binary("ok\nline two\nab\0cd", 17);
  for (HistoryFormat format : {HistoryFormat::kAuto, HistoryFormat::kJsonl, HistoryFormat::kEdn,
                               HistoryFormat::kJepsenLog}) {
    ExpectParseError(binary, format, 3, "column 3: NUL byte");
  }
}

TEST(ParseHistoryTest, ByteOrderMarkIsSkipped) {
  History h = MustParse("\xEF\xBB\xBF{\"type\":\"ok\",\"process\":0,\"f\":\"read\"}\n",
                        HistoryFormat::kJsonl);
  ASSERT_EQ(h.ops.size(), 1u);
  EXPECT_EQ(h.ops[0].line, 1);
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "faultline_reader_test_" + name;
}

TEST(ReadHistoryFileTest, ReadsAFileAndNamesItInErrors) {
  std::string path = TempPath("bad.jsonl");
  {
    std::ofstream out(path);
    out << "{\"type\":\"invoke\",\"process\":0,\"f\":\"read\"}\n{\"type\":\"done\"}\n";
  }
  Result<History> history = ReadHistoryFile(path);
  ASSERT_FALSE(history.ok());
  EXPECT_THAT(history.status().message(), StartsWith(path + ":2: "));
  std::remove(path.c_str());

  std::string good = TempPath("good.edn");
  {
    std::ofstream out(good);
    out << "[{:type :invoke, :process 0, :f :read}]";
  }
  Result<History> edn = ReadHistoryFile(good);
  ASSERT_TRUE(edn.ok()) << edn.status().ToString();
  EXPECT_EQ(edn->source, good);
  EXPECT_EQ(edn->ops.size(), 1u);
  std::remove(good.c_str());
}

TEST(ReadHistoryFileTest, MissingFileAndDirectoryAreErrors) {
  Result<History> missing = ReadHistoryFile(TempPath("does-not-exist"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("does-not-exist"));

  Result<History> dir = ReadHistoryFile(::testing::TempDir());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), Status::Code::kIoError);
  EXPECT_THAT(dir.status().message(), HasSubstr("is a directory"));
}

}  // namespace
}  // namespace faultline
