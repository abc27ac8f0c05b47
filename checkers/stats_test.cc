#include "checkers/stats.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

constexpr OpType kInv = OpType::kInvoke, kOk = OpType::kOk, kFail = OpType::kFail,
                 kInfo = OpType::kInfo;

struct Builder {
  History h{"built", {}};
  Builder& Add(int64_t process, OpType type, const std::string& f, Json value = Json()) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.line = op.index + 1;
    op.time = op.index * 10;
    op.process = process;
    op.type = type;
    op.f = f;
    op.value = std::move(value);
    h.ops.push_back(op);
    return *this;
  }
};

TEST(Stats, CountsOutcomesPerFunction) {
  Builder b;
  b.Add(0, kInv, "read").Add(0, kOk, "read", 1);
  b.Add(1, kInv, "write", 2).Add(1, kFail, "write", 2);
  b.Add(0, kInv, "read").Add(0, kInfo, "read");
  b.Add(2, kInv, "write", 3).Add(2, kOk, "write", 3);
  b.Add(3, kInv, "cas", Json::array({1, 2})).Add(3, kOk, "cas", Json::array({1, 2}));
  b.Add(4, kInv, "read");  // never completes
  b.Add(kNemesisProcess, kInv, "kill", "n1").Add(kNemesisProcess, kInfo, "kill", "n1");
  b.Add(kNemesisProcess, kInv, "start", "n1").Add(kNemesisProcess, kOk, "start", "n1");
  b.Add(kNemesisProcess, kInv, "kill", "n2");

  StatsChecker checker;
  CheckResult r = checker.Check(b.h);
  EXPECT_EQ(r.valid, Validity::kValid);
  const Json& d = r.details;
  EXPECT_EQ(d["valid"], true);
  EXPECT_EQ(d["count"], 6);
  EXPECT_EQ(d["ok_count"], 3);
  EXPECT_EQ(d["fail_count"], 1);
  EXPECT_EQ(d["info_count"], 1);
  EXPECT_EQ(d["unfinished_count"], 1);
  EXPECT_EQ(
      d["by_f"]["read"],
      (Json{
          {"valid", true}, {"count", 3}, {"ok", 1}, {"fail", 0}, {"info", 1}, {"unfinished", 1}}));
  EXPECT_EQ(d["by_f"]["write"]["fail"], 1);
  EXPECT_EQ(d["by_f"]["write"]["ok"], 1);
  EXPECT_EQ(d["by_f"]["cas"]["ok"], 1);
  EXPECT_EQ(d["nemesis"]["kill"],
            (Json{{"count", 2}, {"ok", 0}, {"fail", 0}, {"info", 1}, {"unfinished", 1}}));
  EXPECT_EQ(d["nemesis"]["start"]["ok"], 1);
  EXPECT_FALSE(d["by_f"].contains("kill"));
}

TEST(Stats, FunctionThatNeverSucceededIsInvalid) {
  Builder b;
  b.Add(0, kInv, "read").Add(0, kOk, "read", 1);
  b.Add(1, kInv, "cas", Json::array({1, 2})).Add(1, kFail, "cas", Json::array({1, 2}));
  b.Add(1, kInv, "cas", Json::array({1, 2})).Add(1, kInfo, "cas", Json::array({1, 2}));
  CheckResult r = StatsChecker().Check(b.h);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["valid"], false);
  EXPECT_EQ(r.details["by_f"]["cas"]["valid"], false);
  EXPECT_EQ(r.details["by_f"]["read"]["valid"], true);
  EXPECT_EQ(r.details["reason"], "never succeeded: cas");

  CheckResult lenient = StatsChecker(StatsOptions{.require_ok_per_f = false}).Check(b.h);
  EXPECT_EQ(lenient.valid, Validity::kValid);
  EXPECT_EQ(lenient.details["by_f"]["cas"]["valid"], false);
}

TEST(Stats, NemesisFailuresDoNotMatter) {
  Builder b;
  b.Add(0, kInv, "read").Add(0, kOk, "read", 1);
  b.Add(kNemesisProcess, kInv, "start-partition").Add(kNemesisProcess, kFail, "start-partition");
  EXPECT_EQ(StatsChecker().Check(b.h).valid, Validity::kValid);
}

TEST(Stats, NoClientOpsIsUnknown) {
  Builder b;
  b.Add(kNemesisProcess, kInv, "kill").Add(kNemesisProcess, kInfo, "kill");
  CheckResult r = StatsChecker().Check(b.h);
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_EQ(r.details["valid"], "unknown");
  EXPECT_EQ(r.details["nemesis"]["kill"]["info"], 1);
}

TEST(Stats, MalformedHistoryIsUnknownWithReason) {
  Builder b;
  b.Add(0, kOk, "read", 1);  // completion without invocation
  CheckResult r = StatsChecker().Check(b.h);
  EXPECT_EQ(r.valid, Validity::kUnknown);
  EXPECT_NE(r.details["reason"].get<std::string>().find("built:1"), std::string::npos)
      << r.details.dump();
}

}  // namespace
}  // namespace faultline
