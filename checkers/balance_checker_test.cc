#include "checkers/balance_checker.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

constexpr int64_t kMs = 1'000'000;

// Builds balance histories by hand: times in ms, every client op completes
// 1 ms after it is invoked unless said otherwise.
class HistoryBuilder {
 public:
  void Backends(int64_t t_ms, Json health, Json sessions = Json::object(),
                std::string algorithm = "roundrobin", std::string hash_type = "") {
    Json v = {{"balancer", "n1"}, {"kind", "haproxy"}, {"algorithm", algorithm},
              {"hash_type", hash_type.empty() ? Json() : Json(hash_type)},
              {"bound_ms", 2000}, {"inter_ms", 500}, {"fall", 3}, {"rise", 2}};
    if (!health.is_null()) {
      v["health"] = health;
      v["sessions"] = sessions;
    }
    Client(t_ms, "backends", nullptr, nullptr, OpType::kOk, v);
  }
  void Request(int64_t t_ms, int64_t id, const std::string& key, OpType type,
               const std::string& node = "", int64_t latency_ms = 1) {
    Client(t_ms, "request", Json{{"id", id}}, key, type,
           type == OpType::kOk ? Json{{"id", id}, {"node", node}} : Json{{"id", id}}, latency_ms);
  }
  void Applied(int64_t t_ms, Json applied) {
    Client(t_ms, "applied", nullptr, nullptr, OpType::kOk, applied);
  }
  // A "vip" read completing at t_ms + 1: holds {node: bool} (a node left
  // out is unread), each read age_ms before the completion.
  void Vip(int64_t t_ms, Json holds, double age_ms = 0, Json unread = nullptr) {
    Json nodes = Json::object(), holders = Json::array();
    for (const auto& [n, h] : holds.items()) {
      nodes[n] = {{"holds", h}, {"age_ms", age_ms}};
      if (h.get<bool>()) holders.push_back(n);
    }
    Json v = {{"vip", "10.77.1.254"}, {"holders", holders}, {"nodes", nodes},
              {"bound_ms", 4609}, {"advert_int_ms", 1000}, {"priorities", {{"n1", 150}, {"n2", 100}}}};
    if (!unread.is_null()) v["unread"] = unread;
    Client(t_ms, "vip", nullptr, nullptr, OpType::kOk, v);
  }
  // Reads every 100 ms in [from, to): n1 and n2 as given.
  void Vips(int64_t from, int64_t to, bool n1, bool n2) {
    for (int64_t t = from; t < to; t += 100) Vip(t, {{"n1", n1}, {"n2", n2}});
  }
  void Nemesis(int64_t t_ms, const std::string& f, Json value) {
    Op inv;
    inv.time = t_ms * kMs;
    inv.process = kNemesisProcess;
    inv.f = f;
    Add(inv);
    Op done = inv;
    done.type = OpType::kOk;
    done.time = (t_ms + 1) * kMs;
    done.value = value;
    Add(done);
  }
  History Build() {
    std::stable_sort(h_.ops.begin(), h_.ops.end(),
                     [](const Op& a, const Op& b) { return a.time < b.time; });
    for (size_t i = 0; i < h_.ops.size(); ++i) h_.ops[i].index = static_cast<int64_t>(i);
    return h_;
  }

 private:
  void Client(int64_t t_ms, const std::string& f, Json value, Json key, OpType type, Json result,
              int64_t latency_ms = 1) {
    Op inv;
    inv.time = t_ms * kMs;
    inv.process = next_process_++;  // one op per process: never overlapping
    inv.f = f;
    inv.value = value;
    inv.key = key;
    Add(inv);
    Op done = inv;
    done.type = type;
    done.time = (t_ms + latency_ms) * kMs;
    done.value = result;
    if (type != OpType::kOk) done.error = "x";
    Add(done);
  }
  void Add(Op op) { h_.ops.push_back(std::move(op)); }
  History h_;
  int64_t next_process_ = 0;
};

Json Health(const char* n2) { return {{"n1", "UP"}, {"n2", n2}, {"n3", "UP"}}; }
Json Sessions(int n2) { return {{"n1", 0}, {"n2", n2}, {"n3", 0}}; }

TEST(FailoverCheckerTest, MeasuresDetectionWithinBound) {
  HistoryBuilder b;
  b.Backends(0, Health("UP"), Sessions(5));
  b.Nemesis(1000, "kill", {{"killed", {"n2"}}});
  b.Backends(1500, Health("UP 1/3"), Sessions(6));
  b.Backends(2500, Health("DOWN"), Sessions(7));   // detected 1.5 s after the kill
  b.Backends(3500, Health("DOWN"), Sessions(7));
  b.Backends(4000, Health("DOWN"), Sessions(7));
  b.Nemesis(5000, "start", {{"started", {"n2"}}});
  CheckResult r = MakeFailoverChecker()->Check(b.Build());
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump(2);
  ASSERT_EQ(r.details["faults"].size(), 1u);
  EXPECT_DOUBLE_EQ(r.details["faults"][0]["detect_ms"].get<double>(), 1500.0);
  EXPECT_EQ(r.details["faults"][0]["status"], "detected");
}

TEST(FailoverCheckerTest, UpPastTheBoundOrRequestsAfterItAreViolations) {
  HistoryBuilder b;
  b.Backends(0, Health("UP"), Sessions(5));
  b.Nemesis(1000, "pause", {{"paused", {"n2"}}});
  b.Backends(3500, Health("UP"), Sessions(9));  // 2.5 s after: bound is 2 s
  b.Backends(4000, Health("UP"), Sessions(12));
  b.Nemesis(5000, "resume", {{"resumed", {"n2"}}});
  CheckResult r = MakeFailoverChecker()->Check(b.Build());
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.details.dump(2);
  EXPECT_EQ(r.details["faults"][0]["status"], "undetected");
  EXPECT_EQ(r.details["faults"][0]["sessions_after_bound"], 3);
}

TEST(FailoverCheckerTest, LateDetectionIsAViolationAndShortFaultsAreNot) {
  HistoryBuilder late;
  late.Backends(0, Health("UP"));
  late.Nemesis(1000, "kill", {{"killed", {"n2"}}});
  late.Backends(3500, Health("DOWN"));
  late.Nemesis(5000, "start", {{"started", {"n2"}}});
  EXPECT_EQ(MakeFailoverChecker()->Check(late.Build()).valid, Validity::kInvalid);

  HistoryBuilder short_fault;
  short_fault.Backends(0, Health("UP"));
  short_fault.Nemesis(1000, "kill", {{"killed", {"n2"}}});
  short_fault.Backends(1500, Health("UP"));
  short_fault.Nemesis(2000, "start", {{"started", {"n2"}}});
  CheckResult r = MakeFailoverChecker()->Check(short_fault.Build());
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(r.details["faults"][0]["status"], "too-short");
}

TEST(FailoverCheckerTest, PartitionAffectsBackendsCutFromTheBalancer) {
  HistoryBuilder b;
  b.Backends(0, Health("UP"));
  b.Nemesis(1000, "start-partition",
            {{"shape", "isolate-one"}, {"grudge", {{"n1", {"n2"}}, {"n2", {"n1", "n3"}}, {"n3", {"n2"}}}}});
  b.Backends(2000, Health("DOWN"));
  b.Nemesis(4000, "stop-partition", {{"healed", {"n1", "n2", "n3"}}});
  CheckResult r = MakeFailoverChecker()->Check(b.Build());
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump(2);
  ASSERT_EQ(r.details["faults"].size(), 1u);
  EXPECT_EQ(r.details["faults"][0]["node"], "n2");
  EXPECT_EQ(r.details["faults"][0]["kind"], "partition");
}

TEST(FailoverCheckerTest, NotApplicableWithoutHealth) {
  HistoryBuilder b;
  b.Backends(0, nullptr);
  CheckResult r = MakeFailoverChecker()->Check(b.Build());
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(r.details["applicable"], false);
  HistoryBuilder empty;
  EXPECT_EQ(MakeFailoverChecker()->Check(empty.Build()).valid, Validity::kUnknown);
}

TEST(ErrorsCheckerTest, CountsErrorsPerFaultAndFlagsErrorsAfterTheBound) {
  HistoryBuilder b;
  b.Backends(0, Health("UP"));
  b.Request(100, 1, "k1", OpType::kOk, "n2");
  b.Nemesis(1000, "pause", {{"paused", {"n2"}}});
  b.Request(1100, 2, "k1", OpType::kInfo);
  b.Request(1200, 3, "k1", OpType::kOk, "n1");
  b.Request(3500, 4, "k1", OpType::kInfo);  // 2.5 s after the pause: past the 2 s bound
  b.Nemesis(5000, "resume", {{"resumed", {"n2"}}});
  CheckResult r = MakeBalanceErrorsChecker()->Check(b.Build());
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.details.dump(2);
  EXPECT_EQ(r.details["windows"][0]["info"], 2);
  EXPECT_EQ(r.details["windows"][0]["ok"], 1);
  EXPECT_EQ(r.details["windows"][0]["errors_after_bound"], 1);
  EXPECT_EQ(r.details["outside_faults"]["requests"], 1);
}

TEST(DistributionCheckerTest, RoundRobinMustBeEven) {
  HistoryBuilder even, skewed;
  even.Backends(0, Health("UP"));
  skewed.Backends(0, Health("UP"));
  const char* nodes[] = {"n1", "n2", "n3"};
  for (int i = 0; i < 90; ++i) {
    even.Request(10 + i, i, "k", OpType::kOk, nodes[i % 3]);
    skewed.Request(10 + i, i, "k", OpType::kOk, i % 2 ? "n1" : nodes[i % 3]);
  }
  CheckResult ok = MakeDistributionChecker()->Check(even.Build());
  EXPECT_EQ(ok.valid, Validity::kValid) << ok.details.dump(2);
  EXPECT_DOUBLE_EQ(ok.details["max_deviation"].get<double>(), 0.0);
  CheckResult bad = MakeDistributionChecker()->Check(skewed.Build());
  EXPECT_EQ(bad.valid, Validity::kInvalid) << bad.details.dump(2);
  EXPECT_GT(bad.details["chi_square"].get<double>(), 10.0);

  HistoryBuilder few;
  few.Backends(0, Health("UP"));
  few.Request(10, 1, "k", OpType::kOk, "n1");
  EXPECT_EQ(MakeDistributionChecker()->Check(few.Build()).valid, Validity::kUnknown);
}

// Keys k0..k5 on n1,n2,n3 (two each); n2 is killed; `moves` says where each
// key goes while n2 is down.
History HashHistory(const std::string& hash_type, const std::vector<std::string>& during) {
  HistoryBuilder b;
  const std::vector<std::string> before = {"n1", "n1", "n2", "n2", "n3", "n3"};
  b.Backends(0, Health("UP"), Sessions(0), "hash", hash_type);
  int64_t id = 0;
  for (int i = 0; i < 6; ++i) b.Request(100 + i, ++id, "k" + std::to_string(i), OpType::kOk, before[i]);
  b.Nemesis(1000, "kill", {{"killed", {"n2"}}});
  b.Backends(1500, Health("DOWN"), Sessions(0), "hash", hash_type);
  for (int i = 0; i < 6; ++i) b.Request(2000 + i, ++id, "k" + std::to_string(i), OpType::kOk, during[i]);
  b.Nemesis(3000, "start", {{"started", {"n2"}}});
  for (int i = 0; i < 6; ++i) b.Request(9000 + i, ++id, "k" + std::to_string(i), OpType::kOk, before[i]);
  return b.Build();
}

TEST(HashStabilityCheckerTest, ConsistentMovesOnlyTheRemovedBackendsKeys) {
  CheckResult r =
      MakeHashStabilityChecker()->Check(HashHistory("consistent", {"n1", "n1", "n1", "n3", "n3", "n3"}));
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump(2);
  EXPECT_EQ(r.details["removals"][0]["moved"], 2);
  EXPECT_EQ(r.details["removals"][0]["unaffected_moved"], 0);
  EXPECT_DOUBLE_EQ(r.details["removals"][0]["returned_fraction"].get<double>(), 1.0);

  CheckResult bad =
      MakeHashStabilityChecker()->Check(HashHistory("consistent", {"n3", "n1", "n1", "n3", "n1", "n3"}));
  EXPECT_EQ(bad.valid, Validity::kInvalid) << bad.details.dump(2);
  EXPECT_EQ(bad.details["removals"][0]["unaffected_moved"], 2);
}

TEST(HashStabilityCheckerTest, MapBasedIsMeasuredNotJudged) {
  CheckResult r =
      MakeHashStabilityChecker()->Check(HashHistory("map-based", {"n3", "n3", "n1", "n1", "n1", "n3"}));
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump(2);
  EXPECT_EQ(r.details["strict"], false);
  EXPECT_DOUBLE_EQ(r.details["moved_fraction"].get<double>(), 5.0 / 6.0);
  HistoryBuilder rr;
  rr.Backends(0, Health("UP"));
  EXPECT_EQ(MakeHashStabilityChecker()->Check(rr.Build()).details["applicable"], false);
}

TEST(AtMostOnceCheckerTest, DuplicatesAndFailedButAppliedAreViolations) {
  HistoryBuilder ok;
  ok.Request(10, 1, "k", OpType::kOk, "n1");
  ok.Request(20, 2, "k", OpType::kInfo);
  ok.Request(30, 3, "k", OpType::kFail);
  ok.Applied(100, {{"n1", {1}}, {"n2", {2}}});
  CheckResult good = MakeAtMostOnceChecker()->Check(ok.Build());
  EXPECT_EQ(good.valid, Validity::kValid) << good.details.dump(2);
  EXPECT_EQ(good.details["applied"], 2);

  HistoryBuilder dup;
  dup.Request(10, 1, "k", OpType::kOk, "n2");
  dup.Applied(100, {{"n1", {1}}, {"n2", {1}}});
  CheckResult bad = MakeAtMostOnceChecker()->Check(dup.Build());
  EXPECT_EQ(bad.valid, Validity::kInvalid);
  EXPECT_EQ(bad.details["duplicated"], 1);
  EXPECT_EQ(bad.details["duplicates"][0]["nodes"], (Json{"n1", "n2"}));

  HistoryBuilder failed;
  failed.Request(10, 7, "k", OpType::kFail);
  failed.Applied(100, {{"n1", {7}}});
  EXPECT_EQ(MakeAtMostOnceChecker()->Check(failed.Build()).valid, Validity::kInvalid);

  HistoryBuilder none;
  none.Request(10, 7, "k", OpType::kOk, "n1");
  EXPECT_EQ(MakeAtMostOnceChecker()->Check(none.Build()).valid, Validity::kUnknown);
}

// ---- vrrp-split-brain ----

CheckResult Vrrp(HistoryBuilder& b) { return MakeVrrpSplitBrainChecker()->Check(b.Build()); }

TEST(VrrpSplitBrainTest, NotApplicableWithoutVipReads) {
  HistoryBuilder b;
  b.Backends(0, Health("UP"));
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(r.details["applicable"], false);
}

TEST(VrrpSplitBrainTest, OneHolderThroughoutIsValid) {
  HistoryBuilder b;
  b.Vips(0, 3000, true, false);
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_TRUE(r.details["split_brain"].empty());
  ASSERT_EQ(r.details["held"]["n1"].size(), 1u);
  EXPECT_EQ(r.details["held"]["n1"][0]["start_ms"], 1.0);
  EXPECT_EQ(r.details["held"]["n1"][0]["end_ms"], 2901.0);
  EXPECT_EQ(r.details["held"]["n1"][0]["open"], true);  // still held when the history ends
  EXPECT_TRUE(r.details["held"]["n2"].empty());
  EXPECT_TRUE(r.details["no_holder"].empty());
  EXPECT_EQ(r.details["resolution_ms"], 100.0);
}

TEST(VrrpSplitBrainTest, TwoHoldersAtOnceIsInvalidWithTheInterval) {
  HistoryBuilder b;
  b.Vips(0, 1000, true, false);
  b.Nemesis(950, "start-partition", {{"grudge", {{"n1", {"n2"}}, {"n2", {"n1"}}}}});
  b.Vips(1000, 2000, true, true);
  b.Nemesis(2050, "stop-partition", {{"healed", {"n1", "n2"}}});
  b.Vips(2000, 3000, true, false);
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.details["split_brain"].size(), 1u) << r.details.dump();
  const Json& x = r.details["split_brain"][0];
  EXPECT_EQ(x["nodes"], Json::array({"n1", "n2"}));
  EXPECT_EQ(x["start_ms"], 1001.0);
  EXPECT_EQ(x["end_ms"], 1901.0);
  EXPECT_EQ(x["duration_ms"], 900.0);
  // At most: from n2's last "no" (901) to its first "no" again (2001).
  EXPECT_EQ(x["max_duration_ms"], 1100.0);
  EXPECT_EQ(x["open"], false);
  EXPECT_EQ(x["during"], Json::array({"partition"}));
  EXPECT_EQ(r.details["split_brain_ms"], 900.0);
  // The partition cut the holder off: n2 took over 50 ms after it began.
  ASSERT_EQ(r.details["failovers"].size(), 1u);
  EXPECT_EQ(r.details["failovers"][0]["holder"], "n1");
  EXPECT_EQ(r.details["failovers"][0]["by"], "n2");
  EXPECT_EQ(r.details["failovers"][0]["takeover_ms"], 50.0);
  EXPECT_EQ(r.details["failovers"][0]["status"], "taken-over");
}

TEST(VrrpSplitBrainTest, ACleanHandoverIsNotASplitBrain) {
  HistoryBuilder b;
  b.Vips(0, 1000, true, false);
  b.Vip(1000, {{"n1", false}, {"n2", false}});
  b.Vips(1100, 2000, false, true);
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_TRUE(r.details["split_brain"].empty());
  ASSERT_EQ(r.details["no_holder"].size(), 1u);
  EXPECT_EQ(r.details["no_holder"][0]["start_ms"], 901.0);
  EXPECT_EQ(r.details["no_holder"][0]["end_ms"], 1101.0);
}

TEST(VrrpSplitBrainTest, ReadingsAreDatedByTheirAge) {
  // n2's readings are 80 ms old: its holding ends before n1's begins.
  HistoryBuilder b;
  b.Vip(0, {{"n2", true}});
  b.Vip(100, {{"n2", true}});
  b.Vip(150, {{"n1", true}});
  b.Vip(200, {{"n2", false}}, 80);
  b.Vip(250, {{"n1", true}});
  // Undated (the same clock), n2's last true reading (101) is before n1's first (151).
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  // With n2 read 10 ms ago at 200, still holding at 191: both held 151..191.
  HistoryBuilder c;
  c.Vip(0, {{"n2", true}});
  c.Vip(150, {{"n1", true}});
  c.Vip(200, {{"n2", true}}, 10);
  c.Vip(250, {{"n1", true}});
  c.Vip(300, {{"n2", false}});
  r = Vrrp(c);
  ASSERT_EQ(r.details["split_brain"].size(), 1u) << r.details.dump();
  EXPECT_EQ(r.details["split_brain"][0]["start_ms"], 151.0);
  EXPECT_EQ(r.details["split_brain"][0]["end_ms"], 191.0);
}

TEST(VrrpSplitBrainTest, HistoryCutOffInsideASplitBrain) {
  HistoryBuilder b;
  b.Vips(0, 500, true, false);
  b.Vips(500, 1000, true, true);
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  ASSERT_EQ(r.details["split_brain"].size(), 1u);
  EXPECT_EQ(r.details["split_brain"][0]["open"], true);
  EXPECT_NE(r.details["violations"][0].get<std::string>().find("still at the end of the history"),
            std::string::npos);
}

TEST(VrrpSplitBrainTest, UnreadNodesAndGapsAreUnknownNotFree) {
  HistoryBuilder b;
  b.Vips(0, 500, true, false);
  // n1 unread for 400 ms: not a moment with no holder.
  for (int64_t t = 500; t < 900; t += 100) b.Vip(t, {{"n2", false}}, 0, {{"n1", "timeout"}});
  b.Vips(900, 1200, true, false);
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_TRUE(r.details["no_holder"].empty());
  EXPECT_EQ(r.details["held"]["n1"].size(), 1u);
  // No readings at all for 3 s: the run breaks; both "holding" on either side
  // of the gap is not an overlap.
  HistoryBuilder g;
  g.Vips(0, 300, true, false);
  g.Vips(3300, 3600, false, true);
  r = Vrrp(g);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
}

TEST(VrrpSplitBrainTest, TakeoverAfterKillingTheHolderIsTimed) {
  HistoryBuilder b;
  b.Vips(0, 1000, true, false);
  b.Nemesis(1000, "kill", {{"killed", {"n1"}}});
  b.Vips(1000, 4000, false, false);
  b.Vips(4000, 5000, false, true);
  CheckResult r = Vrrp(b);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  ASSERT_EQ(r.details["failovers"].size(), 1u);
  EXPECT_EQ(r.details["failovers"][0]["takeover_ms"], 3000.0);  // 4001 - 1001
  EXPECT_EQ(r.details["takeover_ms"]["max"], 3000.0);
  // Killing the node that does not hold the address is no failover.
  HistoryBuilder other;
  other.Vips(0, 1000, true, false);
  other.Nemesis(500, "kill", {{"killed", {"n2"}}});
  EXPECT_TRUE(Vrrp(other).details["failovers"].empty());
}

TEST(VrrpSplitBrainTest, LateOrMissingTakeoverIsInvalid) {
  HistoryBuilder late;
  late.Vips(0, 1000, true, false);
  late.Nemesis(1000, "pause", {{"paused", {"n1"}}});
  late.Vips(1000, 7000, false, false);
  late.Vips(7000, 8000, false, true);
  CheckResult r = Vrrp(late);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["failovers"][0]["status"], "late");
  HistoryBuilder never;
  never.Vips(0, 1000, true, false);
  never.Nemesis(1000, "kill", {{"killed", {"n1"}}});
  never.Vips(1000, 8000, false, false);
  r = Vrrp(never);
  EXPECT_EQ(r.valid, Validity::kInvalid);
  EXPECT_EQ(r.details["failovers"][0]["status"], "not-taken-over");
  // A fault undone before the bound may end without a takeover.
  HistoryBuilder brief;
  brief.Vips(0, 1000, true, false);
  brief.Nemesis(1000, "pause", {{"paused", {"n1"}}});
  brief.Nemesis(2000, "resume", {{"resumed", {"n1"}}});
  brief.Vips(1000, 3000, true, false);
  r = Vrrp(brief);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_EQ(r.details["failovers"][0]["status"], "too-short");
}

}  // namespace
}  // namespace faultline
