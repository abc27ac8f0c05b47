// Differential test: for thousands of small seeded random histories per model,
// the checker's verdict must equal a brute-force search over every order (and
// every subset of crashed operations), using reference specifications written
// here independently of checkers/models.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <cstdlib>
#include <random>

#include "checkers/linearizability.h"
#include "checkers/model.h"

namespace faultline {
namespace {

// The reference: a JSON state, and a step that returns false when the op's
// recorded result is impossible. `crashed` ops have unknown results.
struct RefOp {
  std::string f;
  Json key;
  Json input;
  Json output;
  bool crashed = false;
  bool mismatch = false;  // a CAS that observed a compare mismatch
  int64_t call = 0;
  int64_t ret = 0;  // INT64_MAX when crashed
};

using RefStep = std::function<bool(Json& state, const RefOp& op)>;

Json& Slot(Json& state, const Json& key) {
  const std::string k = key.is_null() ? "_" : key.dump();
  return state[k];
}

bool RegisterStep(Json& state, const RefOp& op, const Json& init) {
  Json& s = Slot(state, op.key);
  if (s.is_null() && !state.contains("_init_" + op.key.dump())) {
    s = init;
    state["_init_" + op.key.dump()] = true;
  }
  if (op.f == "read") return op.crashed || s == op.output;
  if (op.f == "write") {
    s = op.input;
    return true;
  }
  if (op.f == "cas") {
    if (op.mismatch) return s != op.input[0];
    if (s == op.input[0]) {
      s = op.input[1];
      return true;
    }
    return op.crashed;
  }
  return false;
}

std::string KvGet(const Json& v) { return v.is_null() ? "" : v.get<std::string>(); }

bool KvStep(Json& state, const RefOp& op) {
  Json& s = Slot(state, op.key);
  std::string cur = KvGet(s);
  if (op.f == "get") return op.crashed || cur == KvGet(op.output);
  if (op.f == "put") {
    s = op.input;
    return true;
  }
  s = cur + op.input.get<std::string>();
  return true;
}

bool MutexStep(Json& state, const RefOp& op) {
  Json& s = Slot(state, op.key);
  const bool held = s.is_boolean() && s.get<bool>();
  if (op.f == "acquire") {
    if (held) return false;
    s = true;
    return true;
  }
  if (!held) return false;
  s = false;
  return true;
}

bool SetStep(Json& state, const RefOp& op) {
  Json& s = Slot(state, op.key);
  if (s.is_null()) s = Json::array();
  if (op.f == "add") {
    if (std::find(s.begin(), s.end(), op.input) == s.end()) s.push_back(op.input);
    return true;
  }
  if (op.crashed) return true;
  std::vector<Json> a(s.begin(), s.end()), b(op.output.begin(), op.output.end());
  auto lt = [](const Json& x, const Json& y) { return x.dump() < y.dump(); };
  std::sort(a.begin(), a.end(), lt);
  std::sort(b.begin(), b.end(), lt);
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return a == b;
}

bool QueueStep(Json& state, const RefOp& op) {
  Json& s = Slot(state, op.key);
  if (s.is_null()) s = Json::array();
  if (op.f == "enqueue") {
    s.push_back(op.input);
    return true;
  }
  if (s.empty()) return op.crashed || op.output.is_null();
  if (!op.crashed && s[0] != op.output) return false;
  s.erase(s.begin());
  return true;
}

bool TxnStep(Json& state, const RefOp& op, const Json& init) {
  if (!state.contains("_inited")) {
    for (auto& [k, v] : init.items()) state[k] = v;
    state["_inited"] = true;
  }
  const Json& micro = op.crashed ? op.input : op.output;
  for (const Json& m : micro) {
    const std::string k = m[1].get<std::string>();
    if (m[0] == "write") {
      state[k] = m[2];
    } else if (!op.crashed && !m[2].is_null() && state.value(k, Json()) != m[2]) {
      return false;
    }
  }
  return true;
}

// Tries every order of every subset of crashed ops that respects real time.
bool BruteForce(const std::vector<RefOp>& ops, const RefStep& step) {
  const size_t n = ops.size();
  std::vector<bool> done(n, false);
  size_t completed_left = 0;
  for (const RefOp& o : ops) completed_left += o.crashed ? 0 : 1;
  std::function<bool(Json&, size_t)> dfs = [&](Json& state, size_t left) -> bool {
    if (left == 0) return true;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      // i may go next only if no pending completed op returned before i was called.
      bool allowed = true;
      for (size_t j = 0; j < n && allowed; ++j) {
        if (!done[j] && j != i && !ops[j].crashed && ops[j].ret < ops[i].call) allowed = false;
      }
      if (!allowed) continue;
      Json next = state;
      if (!step(next, ops[i])) continue;
      done[i] = true;
      const bool ok = dfs(next, left - (ops[i].crashed ? 0 : 1));
      done[i] = false;
      if (ok) return true;
    }
    return false;
  };
  Json state = Json::object();
  return dfs(state, completed_left);
}

// A random concurrent history: each process runs ops one at a time; an op
// takes effect (on a true sequential state) at a random instant while it is
// in flight, so histories start linearizable; then outputs are sometimes
// corrupted. Some ops crash (info or no completion) or fail.
struct Generated {
  History history;
  std::vector<RefOp> ref;
};

struct OpGen {
  // Returns f, input, key for a new op.
  std::function<std::tuple<std::string, Json, Json>(std::mt19937_64&)> make;
  // Applies to the true state, returning the output.
  std::function<Json(Json& state, const std::string& f, const Json& input, const Json& key)> apply;
  // A wrong output for corruption.
  std::function<Json(std::mt19937_64&, const std::string& f, const Json& out)> corrupt;
  bool cas_mismatch_as_fail = false;
};

Generated Generate(std::mt19937_64& rng, const OpGen& gen, int n_ops, int n_procs,
                   Json truth) {
  struct InFlight {
    size_t invoke_index;
    std::string f;
    Json input, key, output;
    bool applied = false;
  };
  Generated g;
  g.history.source = "<generated>";
  std::map<int, InFlight> flight;
  std::map<int, int> process_of;  // worker -> process number
  for (int w = 0; w < n_procs; ++w) process_of[w] = w;
  int started = 0;
  auto emit = [&](Op op) {
    op.index = static_cast<int64_t>(g.history.ops.size());
    op.line = op.index + 1;
    g.history.ops.push_back(op);
    return g.history.ops.size() - 1;
  };
  std::vector<std::pair<size_t, size_t>> pairs_for_ref;  // invoke idx, completion idx
  std::uniform_int_distribution<int> pct(0, 99);
  while (started < n_ops || !flight.empty()) {
    const int w = static_cast<int>(rng() % n_procs);
    auto it = flight.find(w);
    if (it == flight.end()) {
      if (started >= n_ops) continue;
      auto [f, input, key] = gen.make(rng);
      Op op;
      op.type = OpType::kInvoke;
      op.process = process_of[w];
      op.f = f;
      op.value = input;
      op.key = key;
      InFlight fl{emit(op), f, input, key, Json(), false};
      flight.emplace(w, fl);
      ++started;
      continue;
    }
    InFlight& fl = it->second;
    if (!fl.applied && pct(rng) < 50) {
      fl.output = gen.apply(truth, fl.f, fl.input, fl.key);
      fl.applied = true;
      continue;
    }
    // Complete: ok (possibly corrupted), fail, info, or never.
    const int r = pct(rng);
    Op op;
    op.process = process_of[w];
    op.f = fl.f;
    op.key = fl.key;
    if (r < 12) {  // crash: maybe applied, info or never completes
      if (!fl.applied && pct(rng) < 50) gen.apply(truth, fl.f, fl.input, fl.key);
      if (pct(rng) < 60) {
        op.type = OpType::kInfo;
        op.value = fl.input;
        emit(op);
      }
      process_of[w] += n_procs;
      flight.erase(it);
      continue;
    }
    if (!fl.applied) {
      fl.output = gen.apply(truth, fl.f, fl.input, fl.key);
      fl.applied = true;
    }
    if (fl.output.is_object() && fl.output.contains("_failed")) {
      op.type = OpType::kFail;
      op.value = fl.input;
      if (gen.cas_mismatch_as_fail) op.error = kCasMismatchError;
    } else {
      op.type = OpType::kOk;
      op.value = fl.output;
      if (r < 30) op.value = gen.corrupt(rng, fl.f, fl.output);
    }
    emit(op);
    flight.erase(it);
  }
  // Build the reference ops from the history (as the checker must read it).
  auto pairs = PairOps(g.history);
  EXPECT_TRUE(pairs.ok()) << pairs.status().ToString();
  for (const OpPair& p : *pairs) {
    const Op& inv = g.history.ops[p.invoke];
    RefOp r;
    r.f = inv.f;
    r.key = inv.key;
    r.input = inv.value;
    r.call = static_cast<int64_t>(p.invoke);
    r.ret = INT64_MAX;
    r.crashed = true;
    if (p.completion) {
      const Op& c = g.history.ops[*p.completion];
      if (c.type == OpType::kFail) {
        if (c.error != kCasMismatchError) continue;  // certainly did not happen
        r.mismatch = true;
      }
      if (c.type == OpType::kOk || c.type == OpType::kFail) {
        r.crashed = false;
        r.ret = static_cast<int64_t>(*p.completion);
        r.output = c.value;
      }
    }
    g.ref.push_back(r);
  }
  return g;
}

struct Counts {
  int valid = 0, invalid = 0;
};

// Sizes of the generated histories: ops in [min_ops, max_ops], processes in
// [1, max_procs].
struct Sizes {
  int min_ops = 2, max_ops = 8, max_procs = 3;
};

Counts RunDifferential(const std::string& model_name, const OpGen& gen, const RefStep& step,
                       const Json& init, int histories, uint64_t seed, Sizes sizes = {}) {
  auto model = MakeModel(model_name);
  EXPECT_TRUE(model.ok());
  Counts counts;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < histories; ++i) {
    const int n_ops = sizes.min_ops + static_cast<int>(rng() % (sizes.max_ops - sizes.min_ops + 1));
    const int n_procs = 1 + static_cast<int>(rng() % sizes.max_procs);
    Json truth = Json::object();
    Generated g = Generate(rng, gen, n_ops, n_procs, truth);
    const bool expected = BruteForce(g.ref, step);
    auto result = CheckLinearizability(g.history, **model, init, {});
    if (!result.ok() || result->valid == Validity::kUnknown) {
      ADD_FAILURE() << "checker gave no verdict: "
                    << (result.ok() ? result->reason : result.status().ToString());
      return counts;
    }
    const bool got = result->valid == Validity::kValid;
    if (got != expected) {
      std::string dump;
      for (const Op& op : g.history.ops) dump += OpToJson(op).dump() + "\n";
      ADD_FAILURE() << model_name << " seed " << seed << " history " << i << ": brute force says "
                    << (expected ? "valid" : "invalid") << ", checker says "
                    << (got ? "valid" : "invalid") << "\n"
                    << dump;
      return counts;
    }
    (expected ? counts.valid : counts.invalid)++;
  }
  return counts;
}

Json SmallValue(std::mt19937_64& rng) { return Json(static_cast<int>(rng() % 3)); }
Json SmallKey(std::mt19937_64& rng, int keys) {
  return keys == 1 ? Json() : Json(std::string(1, static_cast<char>('a' + rng() % keys)));
}

constexpr int kHistories = 3000;

// More histories, for a longer soak: FAULTLINE_DIFFERENTIAL_SCALE=N runs N
// times as many (different seeds' worth of) histories in the kv append tests.
int Scale() {
  const char* s = std::getenv("FAULTLINE_DIFFERENTIAL_SCALE");
  return s && std::atoi(s) > 0 ? std::atoi(s) : 1;
}

// Both outcomes must be well represented, or the comparison proves little.
void ExpectMix(const Counts& c) {
  EXPECT_GT(c.valid, kHistories / 10);
  EXPECT_GT(c.invalid, kHistories / 10);
}

OpGen RegisterGen(bool cas, int keys, const Json& init) {
  OpGen g;
  g.cas_mismatch_as_fail = true;
  g.make = [cas, keys](std::mt19937_64& rng) {
    const int r = static_cast<int>(rng() % (cas ? 3 : 2));
    Json key = SmallKey(rng, keys);
    if (r == 0) return std::make_tuple(std::string("read"), Json(), key);
    if (r == 1) return std::make_tuple(std::string("write"), SmallValue(rng), key);
    return std::make_tuple(std::string("cas"), Json::array({SmallValue(rng), SmallValue(rng)}),
                           key);
  };
  g.apply = [init](Json& st, const std::string& f, const Json& in, const Json& key) -> Json {
    const std::string k = key.dump();
    if (!st.contains(k)) st[k] = init;
    if (f == "read") return st[k];
    if (f == "write") {
      st[k] = in;
      return in;
    }
    if (st[k] == in[0]) {
      st[k] = in[1];
      return in;
    }
    return Json{{"_failed", true}};
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string& f, const Json& out) -> Json {
    if (f == "read") return SmallValue(rng);
    return out;
  };
  return g;
}

TEST(Differential, CasRegisterMatchesBruteForce) {
  const Json init = 0;
  ExpectMix(RunDifferential("cas-register", RegisterGen(true, 1, init),
                            [&](Json& s, const RefOp& o) { return RegisterStep(s, o, init); },
                            init, kHistories, 1));
}

TEST(Differential, CasRegisterWithNullInitAndKeysMatchesBruteForce) {
  const Json init;
  ExpectMix(RunDifferential("cas-register", RegisterGen(true, 2, init),
                            [&](Json& s, const RefOp& o) { return RegisterStep(s, o, init); },
                            init, kHistories, 2));
}

TEST(Differential, RegisterMatchesBruteForce) {
  const Json init = 0;
  ExpectMix(RunDifferential("register", RegisterGen(false, 1, init),
                            [&](Json& s, const RefOp& o) { return RegisterStep(s, o, init); },
                            init, kHistories, 3));
}

// Unique written values exercise the forced-crashed-write rule.
TEST(Differential, RegisterWithUniqueValuesMatchesBruteForce) {
  const Json init;
  OpGen g = RegisterGen(true, 1, init);
  auto counter = std::make_shared<int>(100);
  g.make = [counter](std::mt19937_64& rng) {
    const int r = static_cast<int>(rng() % 3);
    if (r == 0) return std::make_tuple(std::string("read"), Json(), Json());
    if (r == 1) return std::make_tuple(std::string("write"), Json((*counter)++), Json());
    return std::make_tuple(std::string("cas"),
                           Json::array({Json(100 + static_cast<int>(rng() % 4)), Json((*counter)++)}),
                           Json());
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string& f, const Json& out) -> Json {
    if (f == "read") return Json(100 + static_cast<int>(rng() % 5));
    return out;
  };
  ExpectMix(RunDifferential("cas-register", g,
                            [&](Json& s, const RefOp& o) { return RegisterStep(s, o, init); },
                            init, kHistories, 4));
}

TEST(Differential, KvMatchesBruteForce) {
  OpGen g;
  g.make = [](std::mt19937_64& rng) {
    const int r = static_cast<int>(rng() % 3);
    Json key = SmallKey(rng, 2);
    const std::string v(1, static_cast<char>('x' + rng() % 3));
    if (r == 0) return std::make_tuple(std::string("get"), Json(), key);
    if (r == 1) return std::make_tuple(std::string("put"), Json(v), key);
    return std::make_tuple(std::string("append"), Json(v), key);
  };
  g.apply = [](Json& st, const std::string& f, const Json& in, const Json& key) -> Json {
    const std::string k = key.dump();
    std::string cur = st.contains(k) ? st[k].get<std::string>() : "";
    if (f == "get") return cur;
    st[k] = f == "put" ? in.get<std::string>() : cur + in.get<std::string>();
    return in;
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string& f, const Json& out) -> Json {
    if (f == "get") return Json(std::string(rng() % 2, 'x'));
    return out;
  };
  ExpectMix(RunDifferential("kv", g, KvStep, Json(), kHistories, 5));
}

// kv with many appends per key, crashed (unfinished or info) appends and
// puts, and get results that are near misses of the truth (a piece dropped,
// doubled or swapped), so the prefix merging and the dropping of unseen
// crashed writes are exercised. Pieces come from a small alphabet, so one
// piece can also occur inside others' concatenations by coincidence.
OpGen KvAppendGen(int keys, bool unique_pieces) {
  OpGen g;
  auto counter = std::make_shared<int>(0);
  g.make = [keys, unique_pieces, counter](std::mt19937_64& rng) {
    const int r = static_cast<int>(rng() % 20);
    Json key = SmallKey(rng, keys);
    std::string v;
    if (unique_pieces) {
      v = std::string(1, static_cast<char>('a' + (*counter)++ % 26));
    } else {
      v = std::string(1 + rng() % 2, static_cast<char>('x' + rng() % 2));
    }
    if (r < 8) return std::make_tuple(std::string("get"), Json(), key);
    if (r < 10) return std::make_tuple(std::string("put"), Json(v), key);
    return std::make_tuple(std::string("append"), Json(v), key);
  };
  g.apply = [](Json& st, const std::string& f, const Json& in, const Json& key) -> Json {
    const std::string k = key.dump();
    std::string cur = st.contains(k) ? st[k].get<std::string>() : "";
    if (f == "get") return cur;
    st[k] = f == "put" ? in.get<std::string>() : cur + in.get<std::string>();
    return in;
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string& f, const Json& out) -> Json {
    if (f != "get") return out;
    std::string s = out.get<std::string>();
    const int r = static_cast<int>(rng() % 4);
    if (s.empty() || r == 0) return Json(s + static_cast<char>('a' + rng() % 3));
    const size_t i = rng() % s.size();
    if (r == 1) return Json(s.erase(i, 1));
    if (r == 2) return Json(s.insert(i, 1, s[i]));
    std::swap(s[i], s[rng() % s.size()]);
    return Json(s);
  };
  return g;
}

TEST(Differential, KvManyAppendsMatchesBruteForce) {
  ExpectMix(RunDifferential("kv", KvAppendGen(1, true), KvStep, Json(), kHistories * Scale(), 10,
                            Sizes{4, 9, 4}));
}

TEST(Differential, KvManyAppendsSmallAlphabetMatchesBruteForce) {
  ExpectMix(RunDifferential("kv", KvAppendGen(1, false), KvStep, Json(), kHistories * Scale(), 11,
                            Sizes{4, 9, 4}));
}

TEST(Differential, KvManyAppendsTwoKeysMatchesBruteForce) {
  ExpectMix(RunDifferential("kv", KvAppendGen(2, false), KvStep, Json(), kHistories * Scale(), 12,
                            Sizes{4, 10, 4}));
}

TEST(Differential, MutexMatchesBruteForce) {
  OpGen g;
  g.make = [](std::mt19937_64& rng) {
    return std::make_tuple(std::string(rng() % 2 ? "acquire" : "release"), Json(), Json());
  };
  g.corrupt = [](std::mt19937_64&, const std::string&, const Json& out) { return out; };
  // Mutex outputs carry no data: invalid histories come from ops that claim
  // success when the lock was in the wrong state.
  g.apply = [](Json& st, const std::string& f, const Json&, const Json&) -> Json {
    const bool held = st.value("m", false);
    if ((f == "acquire") == held) return Json();  // claims success regardless
    st["m"] = !held;
    return Json();
  };
  ExpectMix(RunDifferential("mutex", g, MutexStep, Json(), kHistories, 6));
}

TEST(Differential, SetMatchesBruteForce) {
  OpGen g;
  g.make = [](std::mt19937_64& rng) {
    if (rng() % 2) return std::make_tuple(std::string("read"), Json(), Json());
    return std::make_tuple(std::string("add"), SmallValue(rng), Json());
  };
  g.apply = [](Json& st, const std::string& f, const Json& in, const Json&) -> Json {
    if (!st.contains("s")) st["s"] = Json::array();
    if (f == "read") return st["s"];
    if (std::find(st["s"].begin(), st["s"].end(), in) == st["s"].end()) st["s"].push_back(in);
    return in;
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string& f, const Json& out) -> Json {
    if (f != "read") return out;
    Json s = Json::array();
    for (int v = 0; v < 3; ++v) {
      if (rng() % 2) s.push_back(v);
    }
    return s;
  };
  ExpectMix(RunDifferential("set", g, SetStep, Json(), kHistories, 7));
}

TEST(Differential, FifoQueueMatchesBruteForce) {
  OpGen g;
  g.make = [](std::mt19937_64& rng) {
    if (rng() % 2) return std::make_tuple(std::string("dequeue"), Json(), Json());
    return std::make_tuple(std::string("enqueue"), SmallValue(rng), Json());
  };
  g.apply = [](Json& st, const std::string& f, const Json& in, const Json&) -> Json {
    if (!st.contains("q")) st["q"] = Json::array();
    Json& q = st["q"];
    if (f == "enqueue") {
      q.push_back(in);
      return in;
    }
    if (q.empty()) return Json();
    Json front = q[0];
    q.erase(q.begin());
    return front;
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string& f, const Json& out) -> Json {
    if (f != "dequeue") return out;
    const int r = static_cast<int>(rng() % 4);
    return r == 3 ? Json() : Json(r);
  };
  ExpectMix(RunDifferential("fifo-queue", g, QueueStep, Json(), kHistories, 8));
}

TEST(Differential, MultiRegisterMatchesBruteForce) {
  const Json init = {{"x", 0}, {"y", 0}, {"z", 0}};
  OpGen g;
  g.make = [](std::mt19937_64& rng) {
    Json txn = Json::array();
    const int n = 1 + static_cast<int>(rng() % 2);
    for (int i = 0; i < n; ++i) {
      const std::string k(1, static_cast<char>('x' + rng() % 3));
      if (rng() % 2) {
        txn.push_back(Json::array({"read", k, nullptr}));
      } else {
        txn.push_back(Json::array({"write", k, SmallValue(rng)}));
      }
    }
    return std::make_tuple(std::string("txn"), txn, Json());
  };
  g.apply = [init](Json& st, const std::string&, const Json& in, const Json&) -> Json {
    if (st.empty()) st = init;
    Json out = in;
    for (Json& m : out) {
      const std::string k = m[1];
      if (m[0] == "write") {
        st[k] = m[2];
      } else {
        m[2] = st[k];
      }
    }
    return out;
  };
  g.corrupt = [](std::mt19937_64& rng, const std::string&, const Json& out) -> Json {
    Json o = out;
    for (Json& m : o) {
      if (m[0] == "read" && rng() % 2) m[2] = SmallValue(rng);
    }
    return o;
  };
  ExpectMix(RunDifferential("multi-register", g,
                            [&](Json& s, const RefOp& o) { return TxnStep(s, o, init); }, init,
                            kHistories, 9));
}

}  // namespace
}  // namespace faultline
