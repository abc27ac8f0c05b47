#include "checkers/set_checker.h"

#include <gtest/gtest.h>

#include "harness/history/reader.h"

namespace faultline {
namespace {

History Jsonl(const std::string& text) {
  auto h = ParseHistory(text, "test.jsonl", HistoryFormat::kJsonl);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? *h : History{};
}

CheckResult Check(const std::string& text) {
  SetChecker checker;
  return checker.Check(Jsonl(text));
}

TEST(SetChecker, AllAcknowledgedAddsReadIsValid) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"invoke","process":1,"f":"add","value":2,"key":0}
{"type":"ok","process":0,"f":"add","value":1,"key":0}
{"type":"ok","process":1,"f":"add","value":2,"key":0}
{"type":"invoke","process":0,"f":"read","key":0}
{"type":"ok","process":0,"f":"read","value":[2,1],"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_EQ(r.details["ok_count"], 2);
  EXPECT_EQ(r.details["lost_count"], 0);
}

TEST(SetChecker, LostAcknowledgedAddIsInvalidAndListed) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":"a"}
{"type":"ok","process":0,"f":"add","value":1,"key":"a"}
{"type":"invoke","process":0,"f":"add","value":2,"key":"a"}
{"type":"ok","process":0,"f":"add","value":2,"key":"a"}
{"type":"invoke","process":1,"f":"read","key":"a"}
{"type":"ok","process":1,"f":"read","value":[2],"key":"a"}
)");
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["lost_count"], 1);
  ASSERT_EQ(r.details["lost"].size(), 1u);
  EXPECT_EQ(r.details["lost"][0]["element"], 1);
  EXPECT_EQ(r.details["lost"][0]["key"], "a");
}

TEST(SetChecker, InfoAddPresentIsRecoveredAndAbsentIsFine) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"info","process":0,"f":"add","value":1,"key":0,"error":"timeout"}
{"type":"invoke","process":1,"f":"add","value":2,"key":0}
{"type":"info","process":1,"f":"add","value":2,"key":0,"error":"timeout"}
{"type":"invoke","process":2,"f":"add","value":3}
{"type":"invoke","process":3,"f":"read","key":0}
{"type":"ok","process":3,"f":"read","value":[1],"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_EQ(r.details["recovered_count"], 1);
  EXPECT_EQ(r.details["attempt_count"], 3);
}

TEST(SetChecker, UnexpectedElementInAnyReadIsInvalid) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"ok","process":0,"f":"add","value":1,"key":0}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[1,99],"key":0}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[1],"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["unexpected_count"], 1);
  EXPECT_EQ(r.details["unexpected"][0]["element"], 99);
}

TEST(SetChecker, ElementOfAnotherKeyIsUnexpected) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"ok","process":0,"f":"add","value":1,"key":0}
{"type":"invoke","process":1,"f":"read","key":1}
{"type":"ok","process":1,"f":"read","value":[1],"key":1}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[1],"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["unexpected"][0]["key"], 1);
}

TEST(SetChecker, FailedAddThatWasReadIsInvalid) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"fail","process":0,"f":"add","value":1,"key":0,"error":"unreachable"}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[1],"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["failed_present_count"], 1);
}

TEST(SetChecker, LastReadIsTheFinalOneAndEarlierReadsMayMissElements) {
  // A read during the run misses element 2 (added concurrently); the final
  // read has it.
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"ok","process":0,"f":"add","value":1,"key":0}
{"type":"invoke","process":0,"f":"add","value":2,"key":0}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[1],"key":0}
{"type":"ok","process":0,"f":"add","value":2,"key":0}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[1,2],"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_EQ(r.details["ok_count"], 2);
}

TEST(SetChecker, AddAcknowledgedAfterTheFinalReadBeganIsNotLost) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"ok","process":1,"f":"read","value":[],"key":0}
{"type":"ok","process":0,"f":"add","value":1,"key":0}
)");
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_EQ(r.details["never_read_count"], 1);
}

TEST(SetChecker, KeyWithAcknowledgedAddsAndNoReadIsUnknown) {
  CheckResult r = Check(R"(
{"type":"invoke","process":0,"f":"add","value":1,"key":0}
{"type":"ok","process":0,"f":"add","value":1,"key":0}
{"type":"invoke","process":1,"f":"read","key":0}
{"type":"fail","process":1,"f":"read","key":0,"error":"unreachable"}
)");
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_EQ(r.details["unread_keys"], 1);
}

TEST(SetChecker, OtherOpsAreIgnoredAndBadValuesGiveUnknown) {
  CheckResult ignored = Check(R"(
{"type":"invoke","process":0,"f":"acquire","key":0}
{"type":"ok","process":0,"f":"acquire","key":0}
)");
  EXPECT_EQ(ignored.valid, Validity::kValid);
  CheckResult stray = Check(R"(
{"type":"invoke","process":0,"f":"read","key":0}
{"type":"ok","process":0,"f":"read","value":["junk"],"key":0}
)");
  EXPECT_EQ(stray.valid, Validity::kInvalid);
  EXPECT_EQ(stray.details["unexpected"][0]["element"], "junk");
  CheckResult bad = Check(R"(
{"type":"invoke","process":0,"f":"add","value":"x","key":0}
{"type":"ok","process":0,"f":"add","value":"x","key":0}
)");
  EXPECT_EQ(bad.valid, Validity::kUnknown);
  EXPECT_NE(bad.details["reason"].get<std::string>().find("test.jsonl:2"), std::string::npos)
      << bad.details.dump();
}

}  // namespace
}  // namespace faultline
