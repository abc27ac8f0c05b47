#include "harness/report/balance_report.h"

#include <gtest/gtest.h>

namespace faultline::report {
namespace {

TEST(BalanceReportTest, DrawsEveryPartFromTheCheckers) {
  const Json results = Json::parse(R"({"valid": false, "checkers": {
    "failover": {"valid": false, "bound_ms": 7000, "faults": [
        {"kind": "kill", "node": "n2", "start_ms": 1000, "detect_ms": 2500, "status": "detected"},
        {"kind": "pause", "node": "n3", "start_ms": 9000, "status": "undetected", "sessions_after_bound": 4}],
      "detect_ms": {"count": 1, "min": 2500, "median": 2500, "max": 2500}},
    "balance-errors": {"valid": true, "windows": [
        {"kind": "kill", "node": "n2", "start_ms": 1000, "ok": 90, "fail": 1, "info": 9}],
      "outside_faults": {"requests": 500, "errors": 0}},
    "distribution": {"valid": true, "algorithm": "roundrobin", "judged": true, "requests": 30,
      "backends": {"n1": {"requests": 10, "share": 0.333}, "n2": {"requests": 20, "share": 0.667}},
      "max_deviation": 0.33, "max_deviation_bound": 0.15, "chi_square": 3.3, "degrees_of_freedom": 1},
    "hash-stability": {"valid": true, "applicable": true, "hash_type": "consistent", "removals": [
        {"status": "measured", "removed": ["n2"], "start_ms": 1000, "keys": 32, "moved": 8,
         "moved_fraction": 0.25, "expected_fraction": 0.25, "unaffected_moved": 0}]},
    "at-most-once": {"valid": false, "requests": 10, "applied": 11, "duplicated": 1,
      "duplicates": [{"id": 7, "nodes": ["n1", "n2"]}], "failed_but_applied": 0, "ok_not_applied": 0}}})");
  std::string h;
  BalanceSection(results, &h);
  EXPECT_NE(h.find("<section id=\"balance\">"), std::string::npos);
  EXPECT_NE(h.find("2500 ms"), std::string::npos) << h;
  EXPECT_NE(h.find("undetected, 4 sent after bound"), std::string::npos) << h;
  EXPECT_NE(h.find("bound 7000 ms"), std::string::npos) << h;
  EXPECT_NE(h.find("10 errors of 100"), std::string::npos) << h;
  EXPECT_NE(h.find("66.7% (20)"), std::string::npos) << h;
  EXPECT_NE(h.find("25% of 32 keys moved (removed 25%), 0 of others"), std::string::npos) << h;
  EXPECT_NE(h.find("Duplicated request ids"), std::string::npos) << h;
  EXPECT_EQ(h.find("<script"), std::string::npos);
}

TEST(BalanceReportTest, VrrpTimelineAndSplitBrainIntervals) {
  const Json results = Json::parse(R"({"valid": false, "checkers": {
    "vrrp-split-brain": {"valid": false, "applicable": true, "vip": "10.77.1.254", "end_ms": 20000,
      "bound_ms": 4609, "resolution_ms": 105,
      "held": {"n1": [{"start_ms": 100, "end_ms": 19900, "open": true}],
               "n2": [{"start_ms": 8000, "end_ms": 11000, "open": false}]},
      "split_brain": [{"nodes": ["n1", "n2"], "start_ms": 8000, "end_ms": 11000, "duration_ms": 3000,
                       "max_duration_ms": 3200, "open": false, "during": ["partition"]}],
      "split_brain_ms": 3000,
      "failovers": [{"kind": "partition", "holder": "n1", "start_ms": 5000, "end_ms": 11000,
                     "takeover_ms": 3000, "by": "n2", "status": "taken-over"}]}}})");
  std::string h;
  BalanceSection(results, &h);
  EXPECT_NE(h.find("who held the virtual address 10.77.1.254"), std::string::npos) << h;
  EXPECT_NE(h.find("n2 holds"), std::string::npos) << h;
  EXPECT_NE(h.find("two holders"), std::string::npos) << h;
  EXPECT_NE(h.find("8.00 s to 11.00 s"), std::string::npos) << h;  // the red bar's title
  EXPECT_NE(h.find("<td class=\"num\">3000 ms</td><td class=\"num\">3200 ms</td><td>partition</td>"),
            std::string::npos) << h;
  EXPECT_NE(h.find("<td>n2</td><td class=\"num\">3000 ms</td><td>taken-over</td>"), std::string::npos) << h;
  // A run without redundant balancers shows no VRRP part.
  std::string plain;
  BalanceSection(Json::parse(R"({"checkers": {"vrrp-split-brain": {"valid": true, "applicable": false},
                                 "at-most-once": {"valid": true}}})"), &plain);
  EXPECT_EQ(plain.find("VRRP"), std::string::npos) << plain;
}

TEST(BalanceReportTest, NothingWithoutBalanceCheckersAndNoThrowOnOddFields) {
  std::string h;
  BalanceSection(Json::parse(R"({"valid": true, "checkers": {"stats": {"valid": true}}})"), &h);
  EXPECT_TRUE(h.empty());
  BalanceSection(Json::parse(R"({"checkers": {"failover": {"faults": [1, "x", {"kind": 3}]},
      "distribution": {"backends": [1]}, "at-most-once": 5}})"), &h);
  EXPECT_NE(h.find("Balancer"), std::string::npos);
}

}  // namespace
}  // namespace faultline::report
