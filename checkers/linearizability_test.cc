#include "checkers/linearizability.h"

#include <gtest/gtest.h>

#include "harness/history/reader.h"

namespace faultline {
namespace {

History Jsonl(const std::string& text) {
  auto h = ParseHistory(text, "test.jsonl", HistoryFormat::kJsonl);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? *h : History{};
}

Result<LinearizabilityResult> Check(const History& h, const std::string& model,
                                    const Json& init = Json(),
                                    LinearizabilityOptions options = {}) {
  auto m = MakeModel(model);
  EXPECT_TRUE(m.ok());
  return CheckLinearizability(h, **m, init, options);
}

// Builds a history line by line: Add(process, type, f, value[, key]).
struct Builder {
  History h{"built", {}};
  Builder& Add(int64_t process, OpType type, const std::string& f, Json value = Json(),
               Json key = Json()) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.line = op.index + 1;
    op.process = process;
    op.type = type;
    op.f = f;
    op.value = std::move(value);
    op.key = std::move(key);
    h.ops.push_back(op);
    return *this;
  }
};

constexpr OpType kInv = OpType::kInvoke, kOk = OpType::kOk, kFail = OpType::kFail,
                 kInfo = OpType::kInfo;

TEST(Linearizability, EmptyHistoryIsValid) {
  auto r = Check(History{"empty", {}}, "cas-register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
  EXPECT_EQ(r->partitions, 0u);
}

TEST(Linearizability, OnlyInvocationsAreValid) {
  Builder b;
  b.Add(0, kInv, "write", 1).Add(1, kInv, "read").Add(2, kInv, "cas", Json::array({5, 6}));
  auto r = Check(b.h, "cas-register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
}

TEST(Linearizability, InfoEverywhereIsValid) {
  Builder b;
  for (int p = 0; p < 20; ++p) b.Add(p, kInv, "write", p);
  for (int p = 0; p < 20; ++p) b.Add(p, kInfo, "write", p);
  auto r = Check(b.h, "register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
}

TEST(Linearizability, EqualTimestampsUseFileOrder) {
  // Every op at the same instant: real-time order comes from the file order.
  History h = Jsonl(
      R"({"index":0,"time":5,"type":"invoke","process":0,"f":"write","value":1}
{"index":1,"time":5,"type":"ok","process":0,"f":"write","value":1}
{"index":2,"time":5,"type":"invoke","process":1,"f":"read","value":null}
{"index":3,"time":5,"type":"ok","process":1,"f":"read","value":1}
)");
  auto r = Check(h, "register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
  // The same with a stale read is caught.
  h.ops[3].value = nullptr;
  r = Check(h, "register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
}

TEST(Linearizability, ReadOfNeverWrittenKey) {
  Builder ok;
  ok.Add(0, kInv, "read", nullptr, "k1").Add(0, kOk, "read", nullptr, "k1");
  auto r = Check(ok.h, "cas-register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);

  Builder bad;
  bad.Add(0, kInv, "write", 1, "k2").Add(0, kOk, "write", 1, "k2");
  bad.Add(0, kInv, "read", nullptr, "k1").Add(0, kOk, "read", 1, "k1");
  r = Check(bad.h, "cas-register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->explanation["partition_key"], "k1");
  EXPECT_EQ(r->partitions, 2u);
}

TEST(Linearizability, UnknownFIsAClearError) {
  Builder b;
  b.Add(0, kInv, "write", 1).Add(0, kOk, "write", 1).Add(0, kInv, "frobnicate", 3);
  auto r = Check(b.h, "cas-register");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("built:3:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("frobnicate"), std::string::npos);
  EXPECT_NE(r.status().message().find("read, write, cas"), std::string::npos);
}

TEST(Linearizability, BadCasValueNamesTheLine) {
  Builder b;
  b.Add(0, kInv, "cas", 3).Add(0, kOk, "cas", 3);
  auto r = Check(b.h, "cas-register");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("built:1:"), std::string::npos) << r.status().message();
}

TEST(Linearizability, CompletionWithoutInvocationIsAnError) {
  Builder b;
  b.Add(0, kOk, "read", 1);
  auto r = Check(b.h, "register");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("built:1:"), std::string::npos);
}

TEST(Linearizability, StaleReadIsExplained) {
  Builder b;
  b.Add(0, kInv, "write", 1).Add(0, kOk, "write", 1);
  b.Add(1, kInv, "write", 2).Add(2, kInv, "read");  // 1's write stays in flight
  b.Add(2, kOk, "read", 2).Add(2, kInv, "read").Add(2, kOk, "read", 1);
  auto r = Check(b.h, "register");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->valid, Validity::kInvalid);
  const Json& ex = r->explanation;
  EXPECT_EQ(ex["op"]["index"], 5);  // the second read
  EXPECT_EQ(ex["prefix_length"], 3);          // write 1, write 2, read 2
  EXPECT_EQ(ex["state"], "2");
  EXPECT_NE(r->explanation_text.find("cannot be linearized"), std::string::npos);
  EXPECT_NE(r->explanation_text.find("[line 6]"), std::string::npos) << r->explanation_text;
}

TEST(Linearizability, ConcurrentOpsAppearInTheExplanation) {
  Builder b;
  b.Add(0, kInv, "write", 1).Add(1, kInv, "cas", Json::array({5, 6}));
  b.Add(2, kInv, "read").Add(2, kOk, "read", 9);
  b.Add(1, kOk, "cas", Json::array({5, 6})).Add(0, kOk, "write", 1);
  auto r = Check(b.h, "cas-register", 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->explanation["op"]["f"], "read");
  ASSERT_EQ(r->explanation["concurrent"].size(), 1u);
  EXPECT_EQ(r->explanation["concurrent"][0]["f"], "cas");
  EXPECT_EQ(r->explanation["concurrent"][0]["possible_now"], false);
  EXPECT_NE(r->explanation_text.find("impossible here"), std::string::npos);
}

TEST(Linearizability, CrashedWriteMayTakeEffectLater) {
  Builder b;
  b.Add(0, kInv, "write", 1).Add(0, kInfo, "write", 1);
  b.Add(1, kInv, "read").Add(1, kOk, "read", nullptr);
  b.Add(1, kInv, "read").Add(1, kOk, "read", 1);
  auto r = Check(b.h, "register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
  // But not before it was invoked.
  Builder c;
  c.Add(1, kInv, "read").Add(1, kOk, "read", 1);
  c.Add(0, kInv, "write", 1).Add(0, kInfo, "write", 1);
  r = Check(c.h, "register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
}

TEST(Linearizability, FailedOpsDidNotHappen) {
  Builder b;
  b.Add(0, kInv, "write", 1).Add(0, kFail, "write", 1);
  b.Add(1, kInv, "read").Add(1, kOk, "read", 1);
  auto r = Check(b.h, "register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
}

TEST(Linearizability, CasMismatchIsAnObservation) {
  // The register holds 0 throughout; a CAS that says it saw something else lies.
  Builder b;
  b.Add(0, kInv, "cas", Json::array({0, 1}));
  Op& fail = b.Add(0, kFail, "cas", Json::array({0, 1})).h.ops.back();
  fail.error = kCasMismatchError;
  auto r = Check(b.h, "cas-register", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  // Without the mismatch marker a failed CAS simply did not happen.
  b.h.ops.back().error = nullptr;
  r = Check(b.h, "cas-register", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
}

// Crashed adds of distinct elements then an impossible read: the search must
// consider every subset, so it is exponential and hits the bounds.
History ExponentialSetHistory(int crashed) {
  Builder b;
  for (int p = 0; p < crashed; ++p) b.Add(p, kInv, "add", p);
  b.Add(1000, kInv, "read").Add(1000, kOk, "read", Json::array({999}));
  return b.h;
}

TEST(Linearizability, TimeLimitGivesUnknown) {
  LinearizabilityOptions options;
  options.time_limit = std::chrono::milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  auto r = Check(ExponentialSetHistory(40), "set", Json(), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kUnknown);
  EXPECT_NE(r->reason.find("time limit"), std::string::npos) << r->reason;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(Linearizability, MemoryLimitGivesUnknown) {
  LinearizabilityOptions options;
  options.memory_limit_bytes = 8 << 20;
  auto r = Check(ExponentialSetHistory(40), "set", Json(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kUnknown);
  EXPECT_NE(r->reason.find("memory limit"), std::string::npos) << r->reason;
}

TEST(Linearizability, SmallExponentialHistoryIsDecided) {
  auto r = Check(ExponentialSetHistory(10), "set");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_GE(r->configurations, 1000u);  // 2^10 subsets were really visited
}

TEST(Linearizability, CancelGivesUnknown) {
  std::atomic<bool> cancel{true};
  LinearizabilityOptions options;
  options.cancel = &cancel;
  auto r = Check(ExponentialSetHistory(40), "set", Json(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kUnknown);
}

// A hard key (exponential) and an easy invalid key: the verdict is invalid
// as soon as the easy key is proven so, even on one thread with the hard key
// started first, and the hard key is reported as unchecked.
History HardAndInvalidKeys() {
  Builder b;
  for (int p = 0; p < 40; ++p) b.Add(p, kInv, "add", p, "hard");
  b.Add(1000, kInv, "read", nullptr, "hard").Add(1000, kOk, "read", Json::array({999}), "hard");
  b.Add(2000, kInv, "read", nullptr, "easy").Add(2000, kOk, "read", Json::array({7}), "easy");
  return b.h;
}

TEST(Linearizability, OneInvalidKeyDecidesTheVerdictAtOnce) {
  LinearizabilityOptions options;
  options.threads = 1;
  options.time_limit = std::chrono::seconds(60);  // only a guard: must finish long before
  const auto start = std::chrono::steady_clock::now();
  auto r = Check(HardAndInvalidKeys(), "set", Json(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->invalid_keys, Json::array({"easy"}));
  EXPECT_EQ(r->unchecked_keys, Json::array({"hard"}));
  EXPECT_EQ(r->keys_unchecked, 1u);
  EXPECT_EQ(r->explanation["partition_key"], "easy");
  const Json j = r->ToJson();
  EXPECT_EQ(j["unchecked_keys"], Json::array({"hard"}));
  EXPECT_EQ(j["invalid_keys"], Json::array({"easy"}));
}

TEST(Linearizability, AllKeysKeepsCheckingAfterAnInvalidKey) {
  LinearizabilityOptions options;
  options.threads = 1;
  options.all_keys = true;
  options.time_limit = std::chrono::milliseconds(300);
  auto r = Check(HardAndInvalidKeys(), "set", Json(), options);
  ASSERT_TRUE(r.ok());
  // The hard key ran into the time limit: still invalid, and it is unchecked.
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->invalid_keys, Json::array({"easy"}));
  EXPECT_EQ(r->unchecked_keys, Json::array({"hard"}));
  // Two invalid keys are both found when every key is checked.
  Builder b;
  for (const char* k : {"a", "b", "c"}) {
    b.Add(0, kInv, "read", nullptr, k).Add(0, kOk, "read", Json::array({7}), k);
  }
  b.h.ops[4].value = Json::array();  // key c reads the empty set: fine
  b.h.ops[5].value = Json::array();
  options.time_limit = {};
  r = Check(b.h, "set", Json(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->invalid_keys, Json::array({"a", "b"}));
  EXPECT_EQ(r->keys_unchecked, 0u);
}

TEST(Linearizability, IndependentKeysAreCheckedSeparately) {
  Builder b;
  for (int k = 0; k < 50; ++k) {
    b.Add(k, kInv, "write", k, k).Add(k, kOk, "write", k, k);
    b.Add(k, kInv, "read", nullptr, k).Add(k, kOk, "read", k, k);
  }
  auto r = Check(b.h, "cas-register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
  EXPECT_EQ(r->partitions, 50u);
  b.h.ops[b.h.ops.size() - 1].value = 3;  // key 49 reads 3
  r = Check(b.h, "cas-register");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->explanation["partition_key"], 49);
}

TEST(Linearizability, InterleavedKeysOfMixedTypesAreGroupedApart) {
  // More keys than the direct-comparison limit, interleaved, with the string
  // "7" and the integer 7 as different keys: every read sees its own key's write.
  auto key_of = [](int k) { return k % 2 == 0 ? Json(std::to_string(k / 2)) : Json(k / 2); };
  Builder b;
  for (int k = 0; k < 60; ++k) b.Add(k, kInv, "put", "v" + std::to_string(k), key_of(k));
  for (int k = 0; k < 60; ++k) b.Add(k, kOk, "put", "v" + std::to_string(k), key_of(k));
  for (int k = 59; k >= 0; --k) b.Add(k, kInv, "get", nullptr, key_of(k));
  for (int k = 59; k >= 0; --k) b.Add(k, kOk, "get", "v" + std::to_string(k), key_of(k));
  auto r = Check(b.h, "kv");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->valid, Validity::kValid);
  EXPECT_EQ(r->partitions, 60u);
  // Key "3" (k = 6) reading integer key 3's value (k = 7) is caught.
  for (Op& op : b.h.ops) {
    if (op.type == kOk && op.f == "get" && op.key == Json("3")) op.value = "v7";
  }
  r = Check(b.h, "kv");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  EXPECT_EQ(r->explanation["partition_key"], "3");
}

TEST(Linearizability, KvAppendsEqualTheSameStringHoweverItWasBuilt) {
  // States reached by appends of different splits, and by a put, are one
  // state: a read of the whole string matches each of them.
  for (const std::vector<std::string>& pieces :
       {std::vector<std::string>{"abc", "defghij", "k"}, {"a", "b", "cdefghijk"},
        {"abcdefghijk"}, {"abcd", "efgh", "ijk"}}) {
    Builder b;
    for (const std::string& piece : pieces) {
      b.Add(0, kInv, "append", piece, "x").Add(0, kOk, "append", piece, "x");
    }
    b.Add(1, kInv, "get", nullptr, "x").Add(1, kOk, "get", "abcdefghijk", "x");
    b.Add(1, kInv, "put", "abcdefghijk", "x").Add(1, kOk, "put", "abcdefghijk", "x");
    b.Add(1, kInv, "append", "!", "x").Add(1, kOk, "append", "!", "x");
    b.Add(1, kInv, "get", nullptr, "x").Add(1, kOk, "get", "abcdefghijk!", "x");
    auto r = Check(b.h, "kv");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->valid, Validity::kValid) << pieces.size();
    b.h.ops.back().value = "abcdefghijk?";
    r = Check(b.h, "kv");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->valid, Validity::kInvalid) << pieces.size();
  }
}

TEST(Models, UnknownModelListsTheKnownOnes) {
  auto m = MakeModel("btree");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("cas-register"), std::string::npos);
}

TEST(Models, BadInitIsAClearError) {
  auto m = MakeModel("set");
  ASSERT_TRUE(m.ok());
  Builder b;
  b.Add(0, kInv, "add", 1).Add(0, kOk, "add", 1);
  auto r = CheckLinearizability(b.h, **m, Json("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--init"), std::string::npos);
}

TEST(Models, MutexCatchesDoubleAcquire) {
  Builder b;
  b.Add(0, kInv, "acquire").Add(0, kOk, "acquire");
  b.Add(1, kInv, "acquire").Add(1, kOk, "acquire");
  auto r = Check(b.h, "mutex");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
}

TEST(Models, QueueIsFifo) {
  Builder b;
  b.Add(0, kInv, "enqueue", 1).Add(0, kOk, "enqueue", 1);
  b.Add(0, kInv, "enqueue", 2).Add(0, kOk, "enqueue", 2);
  b.Add(0, kInv, "dequeue").Add(0, kOk, "dequeue", 2);
  auto r = Check(b.h, "fifo-queue");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kInvalid);
  b.h.ops.back().value = 1;
  r = Check(b.h, "fifo-queue");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
}

}  // namespace
}  // namespace faultline
