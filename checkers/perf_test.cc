#include "checkers/perf.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

constexpr OpType kInv = OpType::kInvoke, kOk = OpType::kOk, kFail = OpType::kFail,
                 kInfo = OpType::kInfo;
constexpr int64_t kMs = 1000000, kSec = 1000000000;
constexpr int64_t kNem = kNemesisProcess;

struct Builder {
  History h{"built", {}};
  Builder& Add(int64_t process, OpType type, const std::string& f, int64_t time,
               Json value = Json()) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.line = op.index + 1;
    op.time = time;
    op.process = process;
    op.type = type;
    op.f = f;
    op.value = std::move(value);
    h.ops.push_back(op);
    return *this;
  }
  // One client op from `start` taking `latency`.
  Builder& Op1(int64_t process, const std::string& f, int64_t start, int64_t latency,
               OpType outcome = OpType::kOk) {
    return Add(process, kInv, f, start).Add(process, outcome, f, start + latency);
  }
};

TEST(Perf, NearestRankPercentilesPerFunctionAndOutcome) {
  Builder b;
  for (int i = 1; i <= 10; ++i) b.Op1(0, "read", i * kSec, i * 10 * kMs);
  for (int i = 1; i <= 100; ++i) b.Op1(1, "write", i * kSec, i * kMs);
  b.Op1(2, "write", 200 * kSec, 7 * kMs, kFail);
  b.Add(3, kInv, "write", 201 * kSec);  // never completes: no latency

  CheckResult r = PerfChecker().Check(b.h);
  EXPECT_EQ(r.valid, Validity::kValid);
  const Json& lat = r.details["latency"];
  EXPECT_EQ(lat["by_f"]["read"]["ok"], (Json{{"count", 10},
                                             {"min", 10 * kMs},
                                             {"p50", 50 * kMs},
                                             {"p95", 100 * kMs},
                                             {"p99", 100 * kMs},
                                             {"max", 100 * kMs},
                                             {"mean", 55 * kMs}}));
  EXPECT_EQ(lat["by_f"]["write"]["ok"]["p50"], 50 * kMs);
  EXPECT_EQ(lat["by_f"]["write"]["ok"]["p95"], 95 * kMs);
  EXPECT_EQ(lat["by_f"]["write"]["ok"]["p99"], 99 * kMs);
  EXPECT_EQ(lat["by_f"]["write"]["ok"]["max"], 100 * kMs);
  EXPECT_EQ(lat["by_f"]["write"]["fail"]["count"], 1);
  EXPECT_EQ(lat["by_f"]["write"]["fail"]["p99"], 7 * kMs);
  EXPECT_FALSE(lat["by_f"]["read"].contains("fail"));
  EXPECT_EQ(lat["all"]["ok"]["count"], 110);
  EXPECT_EQ(r.details["count"], 112);
  EXPECT_EQ(r.details["points"]["total"], 111);
  EXPECT_EQ(r.details["points"]["kept"], 111);
  const Json& first = r.details["points"]["rows"][0];
  EXPECT_EQ(first, (Json{1 * kSec, 10 * kMs, "read", "ok"}));
}

TEST(Perf, ThroughputBucketsPerOutcome) {
  Builder b;
  b.Op1(0, "read", 100 * kMs, 400 * kMs);           // completes 0.5 s
  b.Op1(1, "read", 1100 * kMs, 100 * kMs);          // 1.2 s
  b.Op1(2, "write", 1200 * kMs, 100 * kMs, kFail);  // 1.3 s
  b.Op1(3, "write", 3000 * kMs, 100 * kMs, kInfo);  // 3.1 s
  CheckResult r = PerfChecker().Check(b.h);
  const Json& t = r.details["throughput"];
  EXPECT_EQ(t["bucket_ns"], kSec);
  ASSERT_EQ(t["buckets"].size(), 4u) << t.dump();
  EXPECT_EQ(t["buckets"][0], (Json{{"time", 0}, {"ok", 1}, {"fail", 0}, {"info", 0}}));
  EXPECT_EQ(t["buckets"][1], (Json{{"time", kSec}, {"ok", 1}, {"fail", 1}, {"info", 0}}));
  EXPECT_EQ(t["buckets"][2], (Json{{"time", 2 * kSec}, {"ok", 0}, {"fail", 0}, {"info", 0}}));
  EXPECT_EQ(t["buckets"][3], (Json{{"time", 3 * kSec}, {"ok", 0}, {"fail", 0}, {"info", 1}}));

  PerfOptions few;
  few.max_buckets = 2;
  const Json wide = PerfChecker(few).Check(b.h).details["throughput"];
  EXPECT_EQ(wide["bucket_ns"], 2 * kSec);
  ASSERT_EQ(wide["buckets"].size(), 2u);
  EXPECT_EQ(wide["buckets"][0], (Json{{"time", 0}, {"ok", 2}, {"fail", 1}, {"info", 0}}));
  EXPECT_EQ(wide["buckets"][1], (Json{{"time", 2 * kSec}, {"ok", 0}, {"fail", 0}, {"info", 1}}));
}

TEST(Perf, NemesisIntervalsFollowTheNamingConvention) {
  Builder b;
  b.Add(kNem, kInv, "start-partition", 1 * kSec, "halves")
      .Add(kNem, kInfo, "start-partition", 1100 * kMs, "cut n1 | n2 n3");
  b.Op1(0, "read", 1500 * kMs, 10 * kMs);
  b.Add(kNem, kInv, "stop-partition", 3 * kSec).Add(kNem, kInfo, "stop-partition", 3200 * kMs);
  b.Add(kNem, kInv, "kill", 4 * kSec, "n2").Add(kNem, kOk, "kill", 4100 * kMs, "n2");
  b.Add(kNem, kInv, "start", 5 * kSec, "n2").Add(kNem, kOk, "start", 5300 * kMs, "n2");
  // A kill that certainly did nothing opens no period.
  b.Add(kNem, kInv, "kill", 5500 * kMs).Add(kNem, kFail, "kill", 5600 * kMs);
  b.Add(kNem, kInv, "bump-clock", 5700 * kMs, 100).Add(kNem, kInfo, "bump-clock", 5800 * kMs);
  // Jepsen's style: "start" opens when nothing it could close is open; both
  // halves recorded as info.
  b.Add(kNem, kInfo, "start", 6 * kSec).Add(kNem, kInfo, "start", 6100 * kMs);
  b.Add(kNem, kInfo, "stop", 7 * kSec).Add(kNem, kInfo, "stop", 7100 * kMs);
  b.Add(kNem, kInv, "pause", 8 * kSec, "n3").Add(kNem, kInfo, "pause", 8100 * kMs, "n3");
  b.Op1(1, "write", 9 * kSec, kSec);  // the last time: 10 s

  const Json n = PerfChecker().Check(b.h).details["nemesis"];
  const Json& iv = n["intervals"];
  ASSERT_EQ(iv.size(), 4u) << n.dump(2);
  EXPECT_EQ(iv[0], (Json{{"kind", "partition"},
                         {"f", "start-partition"},
                         {"end_f", "stop-partition"},
                         {"start", 1 * kSec},
                         {"end", 3200 * kMs},
                         {"closed", true},
                         {"value", "cut n1 | n2 n3"}}));
  EXPECT_EQ(iv[1]["kind"], "kill");
  EXPECT_EQ(iv[1]["start"], 4 * kSec);
  EXPECT_EQ(iv[1]["end"], 5300 * kMs);
  EXPECT_EQ(iv[1]["end_f"], "start");
  EXPECT_EQ(iv[2]["kind"], "start");
  EXPECT_EQ(iv[2]["start"], 6 * kSec);
  EXPECT_EQ(iv[2]["end"], 7100 * kMs);
  EXPECT_EQ(iv[3]["kind"], "pause");
  EXPECT_EQ(iv[3]["start"], 8 * kSec);
  EXPECT_EQ(iv[3]["end"], 10 * kSec);
  EXPECT_EQ(iv[3]["closed"], false);
  EXPECT_FALSE(iv[3].contains("end_f"));
  ASSERT_EQ(n["events"].size(), 2u) << n.dump(2);
  EXPECT_EQ(n["events"][0]["f"], "kill");
  EXPECT_EQ(n["events"][0]["time"], 5500 * kMs);
  EXPECT_EQ(n["events"][1], (Json{{"time", 5700 * kMs}, {"f", "bump-clock"}, {"value", 100}}));
}

TEST(Perf, HealClosesEveryPartitionAndCustomRulesApply) {
  Builder b;
  b.Add(kNem, kInv, "start-partition", 1 * kSec).Add(kNem, kInfo, "start-partition", 1 * kSec);
  b.Add(kNem, kInv, "start-loss", 2 * kSec).Add(kNem, kInfo, "start-loss", 2 * kSec);
  b.Add(kNem, kInv, "heal", 3 * kSec).Add(kNem, kInfo, "heal", 4 * kSec);
  b.Add(kNem, kInv, "isolate", 5 * kSec).Add(kNem, kInfo, "isolate", 5 * kSec);
  b.Add(kNem, kInv, "rejoin", 6 * kSec).Add(kNem, kInfo, "rejoin", 6 * kSec);
  const Json iv = PerfChecker().Check(b.h).details["nemesis"]["intervals"];
  ASSERT_EQ(iv.size(), 2u);
  EXPECT_EQ(iv[0]["kind"], "partition");
  EXPECT_EQ(iv[0]["end"], 4 * kSec);
  EXPECT_EQ(iv[1]["kind"], "loss");
  EXPECT_EQ(iv[1]["end_f"], "heal");

  PerfOptions custom;
  custom.nemesis_rules.push_back({"isolate", {"rejoin"}});
  const Json iv2 = PerfChecker(custom).Check(b.h).details["nemesis"]["intervals"];
  ASSERT_EQ(iv2.size(), 3u);
  EXPECT_EQ(iv2[2]["kind"], "isolate");
  EXPECT_EQ(iv2[2]["start"], 5 * kSec);
  EXPECT_EQ(iv2[2]["end"], 6 * kSec);
}

TEST(Perf, DownsamplingKeepsRareOutcomesAndOutliers) {
  Builder b;
  for (int i = 0; i < 10000; ++i) {
    const int64_t latency = i == 4321 ? 5 * kSec : (1 + i % 7) * kMs;
    b.Op1(i % 5, "read", i * 10 * kMs, latency, i % 100 == 0 ? kInfo : kOk);
  }
  PerfOptions o;
  o.max_points = 1000;
  const Json p = PerfChecker(o).Check(b.h).details["points"];
  EXPECT_EQ(p["total"], 10000);
  EXPECT_EQ(p["kept"], 1000);
  ASSERT_EQ(p["rows"].size(), 1000u);
  int info = 0;
  bool outlier = false;
  int64_t previous = -1;
  for (const Json& row : p["rows"]) {
    if (row[3] == "info") ++info;
    if (row[1] == 5 * kSec) outlier = true;
    EXPECT_GE(row[0].get<int64_t>(), previous);
    previous = row[0].get<int64_t>();
  }
  EXPECT_EQ(info, 100);
  EXPECT_TRUE(outlier);
  // Percentiles use every point, not the sample.
  EXPECT_EQ(PerfChecker(o).Check(b.h).details["latency"]["all"]["ok"]["count"], 9900);
}

TEST(Perf, OpsWithoutTimeAreCountedAndSkipped) {
  Builder b;
  b.Op1(0, "read", 1 * kSec, 2 * kMs);
  b.Add(1, kInv, "read", -1).Add(1, kOk, "read", -1);
  const Json d = PerfChecker().Check(b.h).details;
  EXPECT_EQ(d["ops_without_time"], 2);
  EXPECT_EQ(d["latency"]["all"]["ok"]["count"], 1);
  EXPECT_EQ(d["time_range"], (Json{{"start", 1 * kSec}, {"end", 1 * kSec + 2 * kMs}}));
  EXPECT_EQ(d["valid"], true);
}

TEST(Perf, EmptyHistory) {
  const CheckResult r = PerfChecker().Check(History{"empty", {}});
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_TRUE(r.details["throughput"]["buckets"].empty());
  EXPECT_TRUE(r.details["points"]["rows"].empty());
  EXPECT_FALSE(r.details.contains("time_range"));
}

}  // namespace
}  // namespace faultline
