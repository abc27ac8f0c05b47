#include "harness/history/op.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/history/reader.h"
#include "harness/history/test_util.h"

namespace faultline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_util::MustParse;

History Edn(const char* text) { return MustParse(text, HistoryFormat::kEdn); }

TEST(PairOpsTest, MatchesInvocationsWithTheNextCompletionOfTheirProcess) {
  History h =
      Edn("{:process 0, :type :invoke, :f :write, :value 1}\n"
          "{:process 1, :type :invoke, :f :read, :value nil}\n"
          "{:process :nemesis, :type :info, :f :start, :value nil}\n"
          "{:process 1, :type :ok, :f :read, :value 1}\n"
          "{:process 0, :type :info, :f :write, :value 1}\n"
          "{:process 0, :type :invoke, :f :read, :value nil}\n"
          "{:process 2, :type :invoke, :f :read, :value nil}\n"
          "{:process 0, :type :fail, :f :read, :value nil}\n");
  Result<std::vector<OpPair>> pairs = PairOps(h);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_EQ((*pairs)[0].invoke, 0u);
  EXPECT_EQ((*pairs)[0].completion, 4u);
  EXPECT_EQ((*pairs)[1].invoke, 1u);
  EXPECT_EQ((*pairs)[1].completion, 3u);
  EXPECT_EQ((*pairs)[2].invoke, 5u);
  EXPECT_EQ((*pairs)[2].completion, 7u);
  EXPECT_EQ((*pairs)[3].invoke, 6u);
  EXPECT_EQ((*pairs)[3].completion, std::nullopt);
}

TEST(PairOpsTest, CompletionWithoutInvocationNamesItsLine) {
  History h =
      Edn("{:process 0, :type :invoke, :f :write, :value 1}\n"
          "{:process 0, :type :ok, :f :write, :value 1}\n"
          "{:process 0, :type :ok, :f :write, :value 1}\n");
  Result<std::vector<OpPair>> pairs = PairOps(h);
  ASSERT_FALSE(pairs.ok());
  EXPECT_EQ(pairs.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(pairs.status().message(), StartsWith("h:3: "));
  EXPECT_THAT(pairs.status().message(), HasSubstr("no open invocation"));
}

TEST(PairOpsTest, InvokingTwiceNamesBothLines) {
  History h =
      Edn("{:process 4, :type :invoke, :f :write, :value 1}\n"
          "\n"
          "{:process 4, :type :invoke, :f :read, :value nil}\n");
  Result<std::vector<OpPair>> pairs = PairOps(h);
  ASSERT_FALSE(pairs.ok());
  EXPECT_THAT(pairs.status().message(), StartsWith("h:3: "));
  EXPECT_THAT(pairs.status().message(), HasSubstr("from line 1"));
}

TEST(PairOpsTest, CompletionWithAnotherFIsAnError) {
  History h =
      Edn("{:process 4, :type :invoke, :f :write, :value 1}\n"
          "{:process 4, :type :ok, :f :read, :value 1}\n");
  Result<std::vector<OpPair>> pairs = PairOps(h);
  ASSERT_FALSE(pairs.ok());
  EXPECT_THAT(pairs.status().message(), StartsWith("h:2: "));
  EXPECT_THAT(pairs.status().message(), HasSubstr("expected the same f"));
}

TEST(OpTest, DescribeAndTypeNames) {
  History h = Edn("{:process 3, :type :invoke, :f :read, :value nil, :key \"k\"}");
  ASSERT_EQ(h.ops.size(), 1u);
  EXPECT_EQ(DescribeOp(h.ops[0]), "3 :invoke :read key=\"k\" nil");
  for (OpType type : {OpType::kInvoke, OpType::kOk, OpType::kFail, OpType::kInfo}) {
    EXPECT_EQ(ParseOpType(OpTypeName(type)), type);
  }
  EXPECT_EQ(ParseOpType("done"), std::nullopt);
}

}  // namespace
}  // namespace faultline
