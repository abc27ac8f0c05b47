// The built-in models. Each compiles ops to ModelOps over interned value ids so
// that the search steps on 64-bit state handles, never on JSON.
#include <algorithm>
#include <cstring>
#include <deque>
#include <string_view>
#include <map>
#include <numeric>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "checkers/model.h"

namespace faultline {
namespace {

enum class CallOutcome { kOk, kFail, kCrashed };

// One invocation with its completion, as a model sees it.
struct Call {
  const Op* invoke = nullptr;
  const Op* completion = nullptr;  // null when never completed
  CallOutcome outcome = CallOutcome::kCrashed;
  size_t invoke_index = 0;
  std::optional<size_t> completion_index;

  int64_t call_pos() const { return static_cast<int64_t>(invoke_index); }
  int64_t ret_pos() const {
    return outcome == CallOutcome::kCrashed ? kNeverReturns : static_cast<int64_t>(*completion_index);
  }
  // The op's input comes from the invocation; its output from an ok completion.
  const Json& input() const { return invoke->value; }
  const Json& output() const { return completion->value; }
};

std::vector<Call> MakeCalls(const History& history, const std::vector<OpPair>& pairs) {
  std::vector<Call> calls;
  calls.reserve(pairs.size());
  for (const OpPair& p : pairs) {
    Call c;
    c.invoke_index = p.invoke;
    c.invoke = &history.ops[p.invoke];
    c.completion_index = p.completion;
    if (p.completion) {
      c.completion = &history.ops[*p.completion];
      switch (c.completion->type) {
        case OpType::kOk: c.outcome = CallOutcome::kOk; break;
        case OpType::kFail: c.outcome = CallOutcome::kFail; break;
        default: c.outcome = CallOutcome::kCrashed; break;
      }
    }
    calls.push_back(c);
  }
  return calls;
}

std::string OpLocation(const History& h, const Op& op) {
  return h.source + ":" + std::to_string(op.line) + ": ";
}

Status UnknownF(const History& h, const Op& op, std::string_view model, std::string_view known) {
  return Status::InvalidArgument(OpLocation(h, op) + "model " + std::string(model) +
                                 " does not know f \"" + op.f + "\"; expected one of " +
                                 std::string(known));
}

Status BadValue(const History& h, const Op& op, std::string_view expected) {
  return Status::InvalidArgument(OpLocation(h, op) + "value " + op.value.dump() + " of f \"" + op.f +
                                 "\" has the wrong shape; expected " + std::string(expected));
}

PreparedOp MakePrepared(const Call& c, ModelOp op, bool crashed, bool read_only = false) {
  PreparedOp p;
  p.op = op;
  p.crashed = crashed;
  p.read_only = read_only;
  p.call = c.call_pos();
  p.ret = crashed ? kNeverReturns : c.ret_pos();
  p.invoke_index = c.invoke_index;
  p.completion_index = c.completion_index;
  return p;
}

// A string that identifies a JSON value: cheaper than dump() for the common
// scalar cases, and equal for equal values (1 and 1u are the same value).
std::string ValueKey(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "n";
    case Json::value_t::string: return "s" + v.get_ref<const std::string&>();
    case Json::value_t::number_integer: return "i" + std::to_string(v.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const uint64_t u = v.get<uint64_t>();
      return u <= static_cast<uint64_t>(INT64_MAX) ? "i" + std::to_string(u)
                                                   : "u" + std::to_string(u);
    }
    default: return "j" + v.dump();
  }
}

// Whether two keys are the same value in the sense of ValueKey (an integer
// equals the same unsigned; otherwise the types must match).
bool SameKey(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) return a == b;
  return a.type() == b.type() && a == b;
}

// Calls grouped by their op key, keys in first-seen order and calls in
// history order within a group. All groups share one array, so grouping costs
// a few allocations however many keys there are.
class KeyGroups {
 public:
  using Group = std::pair<Json, std::span<const Call* const>>;
  explicit KeyGroups(const std::vector<Call>& calls);
  std::vector<Group>::const_iterator begin() const { return groups_.begin(); }
  std::vector<Group>::const_iterator end() const { return groups_.end(); }

 private:
  std::vector<const Call*> grouped_;
  std::vector<Group> groups_;
};

KeyGroups::KeyGroups(const std::vector<Call>& calls) {
  std::vector<uint32_t> group_of(calls.size());
  std::vector<const Json*> keys;
  std::vector<size_t> sizes;
  std::unordered_map<std::string, uint32_t> index;
  // Most histories have few keys: compare directly until there are many.
  // String keys (the usual kind) are compared without JSON's type dispatch.
  constexpr size_t kLinearScan = 16;
  std::vector<const std::string*> key_strings;
  for (size_t i = 0; i < calls.size(); ++i) {
    const Json& key = calls[i].invoke->key;
    const std::string* text = key.get_ptr<const std::string*>();
    size_t g = 0;
    if (index.empty()) {
      while (g < keys.size() &&
             !(text ? key_strings[g] && *key_strings[g] == *text : SameKey(*keys[g], key))) {
        ++g;
      }
      if (g == keys.size() && keys.size() == kLinearScan) {
        for (uint32_t k = 0; k < keys.size(); ++k) index.emplace(ValueKey(*keys[k]), k);
      }
    }
    if (!index.empty()) {
      g = index.emplace(ValueKey(key), static_cast<uint32_t>(keys.size())).first->second;
    }
    if (g == keys.size()) {
      keys.push_back(&key);
      key_strings.push_back(text);
      sizes.push_back(0);
    }
    group_of[i] = static_cast<uint32_t>(g);
    ++sizes[g];
  }
  std::vector<size_t> next(keys.size(), 0);
  for (size_t g = 1; g < keys.size(); ++g) next[g] = next[g - 1] + sizes[g - 1];
  grouped_.resize(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) grouped_[next[group_of[i]]++] = &calls[i];
  groups_.reserve(keys.size());
  for (size_t g = 0, start = 0; g < keys.size(); start += sizes[g], ++g) {
    groups_.emplace_back(*keys[g], std::span<const Call* const>(grouped_.data() + start, sizes[g]));
  }
}

KeyGroups GroupByKey(const std::vector<Call>& calls) { return KeyGroups(calls); }

// Interns JSON values as small integers.
class ValueTable {
 public:
  int64_t Intern(const Json& v) {
    if (v.is_number_integer() && !v.is_number_unsigned()) {
      auto [it, inserted] = ints_.emplace(v.get<int64_t>(), static_cast<int64_t>(values_.size()));
      if (inserted) values_.push_back(v);
      return it->second;
    }
    if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
      auto [it, inserted] = ints_.emplace(static_cast<int64_t>(v.get<uint64_t>()),
                                          static_cast<int64_t>(values_.size()));
      if (inserted) values_.push_back(v);
      return it->second;
    }
    auto [it, inserted] = others_.emplace(ValueKey(v), static_cast<int64_t>(values_.size()));
    if (inserted) values_.push_back(v);
    return it->second;
  }
  size_t size() const { return values_.size(); }
  const Json& Get(int64_t id) const { return values_[id]; }

 private:
  std::unordered_map<int64_t, int64_t> ints_;
  std::unordered_map<std::string, int64_t> others_;
  std::vector<Json> values_;
};

// Interns sequences of int64 (states of set, queue, multi-register, kv).
class SeqTable {
 public:
  uint64_t Intern(const std::vector<int64_t>& seq) {
    auto [it, inserted] = ids_.emplace(seq, seqs_.size());
    if (inserted) {
      seqs_.push_back(seq);
      // Two copies of the sequence, a hash node and a bucket, each with
      // allocator overhead: an estimate close to what malloc really uses.
      bytes_ += 2 * (seq.size() * sizeof(int64_t) + 16) + 64 + sizeof(std::vector<int64_t>);
    }
    return it->second;
  }
  const std::vector<int64_t>& Get(uint64_t id) const { return seqs_[id]; }
  size_t bytes() const { return bytes_ + ids_.bucket_count() * sizeof(void*); }

 private:
  struct Hash {
    size_t operator()(const std::vector<int64_t>& v) const {
      uint64_t h = 1469598103934665603ull;
      for (int64_t x : v) h = (h ^ static_cast<uint64_t>(x)) * 1099511628211ull;
      return h ^ (h >> 29);
    }
  };
  std::unordered_map<std::vector<int64_t>, uint64_t, Hash> ids_;
  std::vector<std::vector<int64_t>> seqs_;
  size_t bytes_ = 0;
};

// ---------------------------------------------------------------------------
// register / cas-register
//
// State = id of the value held. Only values that some op compares against
// ("observed": read results, CAS compare values) get their own id; every
// other value maps to kUnobserved, because no step can tell them apart. That
// collapses crashed writes of never-read values into one state.

enum RegisterCode : uint32_t { kRead, kWrite, kCas, kMismatch };
constexpr int64_t kUnobserved = 0;

class RegisterInstance : public ModelInstance {
 public:
  RegisterInstance(ValueTable values, int64_t init) : values_(std::move(values)), init_(init) {}
  uint64_t Init() override { return static_cast<uint64_t>(init_); }
  bool Step(uint64_t state, const PreparedOp& p, uint64_t* next) override {
    const int64_t s = static_cast<int64_t>(state);
    switch (p.op.code) {
      case kRead:
        *next = state;
        return s == p.op.a;
      case kWrite:
        *next = static_cast<uint64_t>(p.op.a);
        return true;
      case kCas:
        if (s == p.op.a) {
          *next = static_cast<uint64_t>(p.op.b);
          return true;
        }
        *next = state;
        return p.crashed;  // a crashed CAS may have found a mismatch: no effect
      case kMismatch:
        *next = state;
        return s != p.op.a;
    }
    return false;
  }
  std::string DescribeState(uint64_t state) const override {
    if (state == kUnobserved) return "<a value no operation read>";
    return values_.Get(static_cast<int64_t>(state)).dump();
  }

 private:
  ValueTable values_;
  int64_t init_;
};

class RegisterModel : public Model {
 public:
  explicit RegisterModel(bool allow_cas) : allow_cas_(allow_cas) {}
  std::string_view name() const override { return allow_cas_ ? "cas-register" : "register"; }

  Result<std::vector<Partition>> Prepare(const History& h, const std::vector<OpPair>& pairs,
                                         const Json& init) const override {
    std::vector<Call> calls = MakeCalls(h, pairs);
    std::vector<Partition> out;
    for (auto& [key, group] : GroupByKey(calls)) {
      Result<Partition> p = PrepareKey(h, group, init);
      if (!p.ok()) return p.status();
      p->key = key;
      out.push_back(std::move(*p));
    }
    return out;
  }

 private:
  struct Classified {
    const Call* call;
    RegisterCode code;
    int64_t a, b;  // raw value ids. read: a = value; write: a = value; cas / mismatch: a = old, b = new
  };

  Result<Partition> PrepareKey(const History& h, std::span<const Call* const> group,
                               const Json& init) const {
    const char* known = allow_cas_ ? "read, write, cas" : "read, write";
    ValueTable raw;  // every value, once
    std::vector<Classified> ops;
    ops.reserve(group.size());
    size_t dropped = 0;
    for (const Call* c : group) {
      const Op& inv = *c->invoke;
      if (inv.f == "read" || inv.f == "get") {
        if (c->outcome != CallOutcome::kOk) {  // a read that did not return has no effect
          ++dropped;
          continue;
        }
        ops.push_back({c, kRead, raw.Intern(c->output()), 0});
      } else if (inv.f == "write" || inv.f == "put") {
        if (c->outcome == CallOutcome::kFail) {
          ++dropped;
          continue;
        }
        ops.push_back({c, kWrite, raw.Intern(c->input()), 0});
      } else if (allow_cas_ && (inv.f == "cas" || inv.f == "compare-and-set")) {
        if (!inv.value.is_array() || inv.value.size() != 2) {
          return BadValue(h, inv, "[expected, new]");
        }
        if (c->outcome == CallOutcome::kFail) {
          if (c->completion->error == kCasMismatchError) {
            ops.push_back({c, kMismatch, raw.Intern(inv.value[0]), 0});
          } else {
            ++dropped;
          }
          continue;
        }
        ops.push_back({c, kCas, raw.Intern(inv.value[0]), raw.Intern(inv.value[1])});
      } else {
        return UnknownF(h, inv, name(), known);
      }
    }
    const int64_t raw_init = raw.Intern(init);

    // Only values some op compares against get their own state id.
    std::vector<int64_t> id(raw.size(), -1);
    bool has_mismatch = false;
    for (const Classified& o : ops) {
      if (o.code == kRead || o.code == kCas || o.code == kMismatch) id[o.a] = 0;
      if (o.code == kMismatch) has_mismatch = true;
    }
    ValueTable values;
    values.Intern(Json("<unobserved>"));  // id 0 == kUnobserved
    for (size_t r = 0; r < id.size(); ++r) {
      id[r] = id[r] == 0 ? values.Intern(raw.Get(static_cast<int64_t>(r))) : kUnobserved;
    }
    const int64_t init_id = id[raw_init];

    // A crashed write of v must have happened when a completed op needed the
    // register to hold v, v is not the initial value, and nothing else writes
    // v: then it is no longer optional, and it must have taken effect before
    // the earliest such op returned.
    std::vector<int> writers(values.size(), 0);
    std::vector<int64_t> first_need(values.size(), kNeverReturns);
    for (const Classified& o : ops) {
      if (o.code == kWrite) ++writers[id[o.a]];
      if (o.code == kCas) ++writers[id[o.b]];
      if (o.call->outcome == CallOutcome::kOk && (o.code == kRead || o.code == kCas)) {
        first_need[id[o.a]] = std::min(first_need[id[o.a]], o.call->ret_pos());
      }
    }

    Partition part;
    part.dropped = dropped;
    part.ops.reserve(ops.size());
    for (const Classified& o : ops) {
      const bool crashed = o.call->outcome == CallOutcome::kCrashed;
      const ModelOp mop{o.code, id[o.a], o.code == kCas ? id[o.b] : 0};
      if (!crashed) {
        part.ops.push_back(
            MakePrepared(*o.call, mop, false, o.code == kRead || o.code == kMismatch));
        continue;
      }
      const int64_t written = o.code == kWrite ? mop.a : mop.b;
      // Setting the register to a value nobody reads only matters to a
      // mismatch observation; without those the op can be left out.
      if (written == kUnobserved && !has_mismatch) {
        ++part.dropped;
        continue;
      }
      PreparedOp p = MakePrepared(*o.call, mop, true);
      if (written != kUnobserved && written != init_id && first_need[written] != kNeverReturns &&
          writers[written] == 1) {
        p.crashed = false;
        p.ret = first_need[written];
      }
      part.ops.push_back(p);
    }
    part.model = std::make_unique<RegisterInstance>(std::move(values), init_id);
    return part;
  }

  bool allow_cas_;
};

// ---------------------------------------------------------------------------
// kv: get / put / append on string values, one partition per key.

enum KvCode : uint32_t { kGet, kPut, kAppend };

std::string KvString(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Interns strings: each distinct string is stored once, in one arena, and
// named by a dense id. An append is interned without building its result
// first: the polynomial hash of a+b follows from the hashes of a and b, and a
// candidate is compared piece by piece. So a search step that revisits a
// known state costs no allocation, and the table frees a few blocks at the end.
class StringTable {
 public:
  // `expected` strings are stored without growing the table.
  explicit StringTable(size_t expected = 0) {
    size_t slots = 64;
    while (slots < 2 * expected) slots *= 2;
    slots_.assign(slots, 0);
    entries_.reserve(expected);
  }

  uint64_t Intern(std::string_view text) {
    const uint64_t hash = Hash(text);
    uint32_t* slot = Find(hash, text.size(), [&](const Entry& e) {
      return std::memcmp(arena_.data() + e.offset, text.data(), text.size()) == 0;
    });
    if (*slot != 0) return *slot - 1;
    const size_t offset = arena_.size();
    arena_.insert(arena_.end(), text.begin(), text.end());
    return Add(slot, Entry{offset, text.size(), hash, Power(text.size())});
  }

  // The id of Get(a) + Get(b).
  uint64_t InternConcat(uint64_t a, uint64_t b) {
    const Entry ea = entries_[a], eb = entries_[b];
    const uint64_t hash = ea.hash * eb.power + eb.hash;
    const size_t length = ea.length + eb.length;
    uint32_t* slot = Find(hash, length, [&](const Entry& e) {
      const char* c = arena_.data() + e.offset;
      return std::memcmp(c, arena_.data() + ea.offset, ea.length) == 0 &&
             std::memcmp(c + ea.length, arena_.data() + eb.offset, eb.length) == 0;
    });
    if (*slot != 0) return *slot - 1;
    const size_t offset = arena_.size();
    arena_.resize(offset + length);  // may move the arena: copy from it afterwards
    std::memcpy(arena_.data() + offset, arena_.data() + ea.offset, ea.length);
    std::memcpy(arena_.data() + offset + ea.length, arena_.data() + eb.offset, eb.length);
    return Add(slot, Entry{offset, length, hash, ea.power * eb.power});
  }

  std::string_view Get(uint64_t id) const {
    return {arena_.data() + entries_[id].offset, entries_[id].length};
  }
  size_t bytes() const {
    return arena_.capacity() + entries_.capacity() * sizeof(Entry) +
           slots_.capacity() * sizeof(uint32_t);
  }
  size_t size() const { return entries_.size(); }
  uint64_t hash_of(uint64_t id) const { return entries_[id].hash; }
  uint64_t power_of(uint64_t id) const { return entries_[id].power; }
  // The hash of `text` followed by byte `c`, given the hash of `text`.
  static uint64_t Extend(uint64_t hash, unsigned char c) { return hash * kBase + c + 1; }

 private:
  static constexpr uint64_t kBase = 0x100000001B3ull;
  struct Entry {
    size_t offset, length;
    uint64_t hash;   // sum of (byte + 1) * kBase^(length - 1 - i), mod 2^64
    uint64_t power;  // kBase^length, mod 2^64
  };
  static size_t Spread(uint64_t hash) { return (hash * 0x9E3779B97F4A7C15ull) >> 20; }

  // Four bytes per step, so that the multiplications of a step do not wait
  // on each other (a byte at a time is one long chain of multiplications).
  static uint64_t Hash(std::string_view text) {
    constexpr uint64_t kB2 = kBase * kBase, kB3 = kB2 * kBase, kB4 = kB3 * kBase;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    size_t n = text.size();
    uint64_t hash = 0;
    for (; n >= 4; p += 4, n -= 4) {
      hash = hash * kB4 + (p[0] + 1ull) * kB3 + (p[1] + 1ull) * kB2 + (p[2] + 1ull) * kBase +
             (p[3] + 1ull);
    }
    for (; n > 0; ++p, --n) hash = hash * kBase + *p + 1;
    return hash;
  }
  static uint64_t Power(size_t length) {
    uint64_t result = 1, base = kBase;
    for (; length > 0; length >>= 1, base *= base) {
      if (length & 1) result *= base;
    }
    return result;
  }

  // The slot holding an equal string (id + 1), or the empty slot where it goes.
  template <typename Equal>
  uint32_t* Find(uint64_t hash, size_t length, Equal equal) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Spread(hash) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) return &slots_[i];
      const Entry& e = entries_[slots_[i] - 1];
      if (e.hash == hash && e.length == length && equal(e)) return &slots_[i];
    }
  }
  uint64_t Add(uint32_t* slot, const Entry& entry) {
    entries_.push_back(entry);
    *slot = static_cast<uint32_t>(entries_.size());
    if (entries_.size() * 2 > slots_.size()) {
      slots_.assign(slots_.size() * 2, 0);
      const size_t mask = slots_.size() - 1;
      for (size_t id = 0; id < entries_.size(); ++id) {
        size_t i = Spread(entries_[id].hash) & mask;
        while (slots_[i] != 0) i = (i + 1) & mask;
        slots_[i] = static_cast<uint32_t>(id + 1);
      }
    }
    return entries_.size() - 1;
  }

  std::vector<char> arena_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // id + 1, 0 = empty; a power of two long
};

// The kv states a search must tell apart. A get pins the whole string, so a
// state that is no prefix of any get's output can satisfy no get again until
// a put replaces it (appends only lengthen it, and a longer string is no
// prefix either): all such states have the same future and are merged into
// one, kDead. So the live states are the prefixes of get outputs. Each
// distinct prefix is one node of a trie over the outputs, found by (hash,
// length) and linked to its one-byte-shorter parent, so an append is a
// lookup plus a comparison of the appended bytes: nothing is interned while
// searching, and orders of appends that no get saw cost no memory.
class PrefixIndex {
 public:
  static constexpr uint64_t kDead = ~uint64_t{0};

  // `outputs`: ids in `t` of the distinct strings gets returned.
  // Outputs mostly share long prefixes, so the table grows with the nodes
  // rather than being sized for the sum of the outputs' lengths.
  PrefixIndex(const StringTable& t, const std::vector<uint64_t>& outputs) : t_(t) {
    slots_.assign(64, 0);
    AddNode(Node{0, 0, 0, 0});  // the empty string; its rep does not matter
    for (uint64_t o : outputs) Add(o);
  }

  // The node of string `id` of the table, or kDead.
  uint64_t Find(uint64_t id) const {
    const std::string_view v = t_.Get(id);
    uint64_t found = kDead;
    Probe(t_.hash_of(id), v.size(), [&](uint32_t n) {
      if (t_.Get(nodes_[n].rep).substr(0, v.size()) != v) return false;
      found = n;
      return true;
    });
    return found;
  }

  // The node of node `node`'s string followed by string `piece`, or kDead.
  uint64_t Append(uint64_t node, uint64_t piece) const {
    if (node == kDead) return kDead;
    const Node& e = nodes_[node];
    const std::string_view p = t_.Get(piece);
    const uint64_t hash = e.hash * t_.power_of(piece) + t_.hash_of(piece);
    uint64_t found = kDead;
    Probe(hash, e.length + p.size(), [&](uint32_t n) {
      uint32_t up = n;
      for (size_t i = 0; i < p.size(); ++i) up = nodes_[up].parent;
      if (up != node || t_.Get(nodes_[n].rep).substr(e.length, p.size()) != p) return false;
      found = n;
      return true;
    });
    return found;
  }

  std::string_view Get(uint64_t node) const {
    return t_.Get(nodes_[node].rep).substr(0, nodes_[node].length);
  }
  size_t bytes() const { return nodes_.capacity() * sizeof(Node) + slots_.capacity() * 4; }

 private:
  struct Node {
    uint64_t hash;
    uint32_t length, parent, rep;  // rep: a table string that has this one as prefix
  };

  static size_t Spread(uint64_t hash, size_t length) {
    return ((hash ^ (length * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull) >> 17;
  }
  // Calls `match` on each node with this (hash, length) until it returns true.
  template <typename Match>
  void Probe(uint64_t hash, size_t length, Match match) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Spread(hash, length) & mask; slots_[i] != 0; i = (i + 1) & mask) {
      const uint32_t n = slots_[i] - 1;
      if (nodes_[n].hash == hash && nodes_[n].length == length && match(n)) return;
    }
  }
  uint32_t AddNode(const Node& node) {
    const uint32_t n = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(node);
    if (nodes_.size() * 2 > slots_.size()) {
      slots_.assign(slots_.size() * 2, 0);
      for (uint32_t m = 0; m < n; ++m) Place(m);
    }
    Place(n);
    return n;
  }
  void Place(uint32_t n) {
    const size_t mask = slots_.size() - 1;
    size_t i = Spread(nodes_[n].hash, nodes_[n].length) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = n + 1;
  }

  // Adds the prefixes of output `o` that are not yet nodes: those longer than
  // its longest common prefix with the outputs added so far (every prefix of
  // an added output is a node, so each distinct string is exactly one node).
  void Add(uint64_t o) {
    const std::string_view s = t_.Get(o);
    size_t lcp = 0;
    for (uint64_t k : kept_) {
      const std::string_view r = t_.Get(k);
      size_t i = 0;
      const size_t n = std::min(r.size(), s.size());
      while (i < n && r[i] == s[i]) ++i;
      lcp = std::max(lcp, i);
    }
    if (lcp == s.size() && !kept_.empty()) return;
    uint64_t hash = 0;
    for (size_t i = 0; i < lcp; ++i) hash = StringTable::Extend(hash, s[i]);
    uint32_t parent = 0;
    if (lcp > 0) {
      Probe(hash, lcp, [&](uint32_t n) {
        if (t_.Get(nodes_[n].rep).substr(0, lcp) != s.substr(0, lcp)) return false;
        parent = n;
        return true;
      });
    }
    for (size_t i = lcp; i < s.size(); ++i) {
      hash = StringTable::Extend(hash, s[i]);
      parent = AddNode(Node{hash, static_cast<uint32_t>(i + 1), parent, static_cast<uint32_t>(o)});
    }
    kept_.push_back(o);
  }

  const StringTable& t_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> slots_;  // node + 1, 0 = empty; a power of two long
  std::vector<uint64_t> kept_;   // outputs whose every prefix is a node
};

// ModelOp: a = the value's id in the string table; b = for get and put, the
// value's node in the prefix index (or kDead).
class KvInstance : public ModelInstance {
 public:
  KvInstance(std::unique_ptr<StringTable> strings, uint64_t init_string,
             const std::vector<uint64_t>& outputs)
      : strings_(std::move(strings)), index_(*strings_, outputs), init_string_(init_string) {
    init_node_ = index_.Find(init_string);
  }
  const PrefixIndex& index() const { return index_; }
  const StringTable* strings() const { return strings_.get(); }

  uint64_t Init() override { return merge_ ? init_node_ : init_string_ | kExact; }
  bool Step(uint64_t state, const PreparedOp& p, uint64_t* next) override {
    if (!merge_) return StepExact(state, p, next);
    switch (p.op.code) {
      case kGet:
        *next = state;
        return state == static_cast<uint64_t>(p.op.b);
      case kPut:
        *next = static_cast<uint64_t>(p.op.b);
        return true;
      case kAppend:
        *next = index_.Append(state, static_cast<uint64_t>(p.op.a));
        return true;
    }
    return false;
  }
  void SetMergeStates(bool on) override { merge_ = on; }
  std::string DescribeState(uint64_t state) const override {
    if (state == PrefixIndex::kDead) return "(a string that is no prefix of any get's result)";
    const std::string_view v =
        state & kExact ? strings_->Get(state & ~kExact) : index_.Get(state);
    return Json(std::string(v)).dump();
  }
  size_t MemoryBytes() const override { return strings_->bytes() + index_.bytes(); }

 private:
  // Without merging (for explanations): states are interned strings.
  static constexpr uint64_t kExact = uint64_t{1} << 62;
  bool StepExact(uint64_t state, const PreparedOp& p, uint64_t* next) {
    const uint64_t s = state & ~kExact;
    switch (p.op.code) {
      case kGet:
        *next = state;
        return s == static_cast<uint64_t>(p.op.a);
      case kPut:
        *next = static_cast<uint64_t>(p.op.a) | kExact;
        return true;
      case kAppend:
        *next = strings_->InternConcat(s, static_cast<uint64_t>(p.op.a)) | kExact;
        return true;
    }
    return false;
  }

  std::unique_ptr<StringTable> strings_;  // the index points into it
  PrefixIndex index_;
  uint64_t init_string_, init_node_;
  bool merge_ = true;
};

class KvModel : public Model {
 public:
  std::string_view name() const override { return "kv"; }
  Result<std::vector<Partition>> Prepare(const History& h, const std::vector<OpPair>& pairs,
                                         const Json& init) const override {
    if (!init.is_null() && !init.is_string() && !init.is_object()) {
      return Status::InvalidArgument("--init for kv: expected null, a string, or an object "
                                     "mapping keys to strings; got " + init.dump());
    }
    std::vector<Call> calls = MakeCalls(h, pairs);
    std::vector<Partition> out;
    for (auto& [key, group] : GroupByKey(calls)) {
      auto strings = std::make_unique<StringTable>(2 * group.size());
      auto intern = [&](const Json& v) -> int64_t {
        if (v.is_string()) return static_cast<int64_t>(strings->Intern(v.get_ref<const std::string&>()));
        return static_cast<int64_t>(strings->Intern(KvString(v)));
      };
      Json key_init = init;
      if (init.is_object()) {
        std::string k = key.is_string() ? key.get<std::string>() : key.dump();
        key_init = init.contains(k) ? init[k] : Json();
      }
      const uint64_t init_id = static_cast<uint64_t>(intern(key_init));
      Partition part;
      part.key = key;
      part.ops.reserve(group.size());
      std::vector<uint64_t> outputs;
      std::vector<bool> is_output;
      for (const Call* c : group) {
        const Op& inv = *c->invoke;
        if (c->outcome == CallOutcome::kFail) {
          ++part.dropped;
          continue;
        }
        const bool crashed = c->outcome == CallOutcome::kCrashed;
        if (inv.f == "get" || inv.f == "read") {
          if (crashed) {
            ++part.dropped;
            continue;
          }
          const int64_t out_id = intern(c->output());
          if (static_cast<size_t>(out_id) >= is_output.size()) is_output.resize(out_id + 1, false);
          if (!is_output[out_id]) {
            is_output[out_id] = true;
            outputs.push_back(static_cast<uint64_t>(out_id));
          }
          part.ops.push_back(MakePrepared(*c, {kGet, out_id, 0}, false, true));
        } else if (inv.f == "put" || inv.f == "write") {
          part.ops.push_back(MakePrepared(*c, {kPut, intern(inv.value), 0}, crashed));
        } else if (inv.f == "append") {
          if (!inv.value.is_string()) return BadValue(h, inv, "a string to append");
          part.ops.push_back(MakePrepared(*c, {kAppend, intern(inv.value), 0}, crashed));
        } else {
          return UnknownF(h, inv, name(), "get, put, append");
        }
      }
      auto instance = std::make_unique<KvInstance>(std::move(strings), init_id, outputs);
      const PrefixIndex& index = instance->index();
      const StringTable& table = *instance->strings();
      // A crashed put of a string that is no get's prefix, or a crashed append
      // of a string inside no get's result, is seen by no get: each get after
      // it and before the next put would start with (contain) that string.
      // Leaving it out changes only states that no get reads, so it is dropped.
      size_t kept = 0;
      for (PreparedOp& p : part.ops) {
        if (p.op.code != kAppend) p.op.b = static_cast<int64_t>(index.Find(static_cast<uint64_t>(p.op.a)));
        if (p.crashed && p.op.code == kPut && static_cast<uint64_t>(p.op.b) == PrefixIndex::kDead) {
          ++part.dropped;
          continue;
        }
        if (p.crashed && p.op.code == kAppend) {
          const std::string_view piece = table.Get(static_cast<uint64_t>(p.op.a));
          bool seen = false;
          for (uint64_t o : outputs) {
            if (table.Get(o).find(piece) != std::string_view::npos) {
              seen = true;
              break;
            }
          }
          if (!seen) {
            ++part.dropped;
            continue;
          }
        }
        part.ops[kept++] = p;
      }
      part.ops.resize(kept);
      part.model = std::move(instance);
      out.push_back(std::move(part));
    }
    return out;
  }
};

// ---------------------------------------------------------------------------
// mutex: acquire / release. State 0 = free, 1 = held.

enum MutexCode : uint32_t { kAcquire, kRelease };

class MutexInstance : public ModelInstance {
 public:
  explicit MutexInstance(uint64_t init) : init_(init) {}
  uint64_t Init() override { return init_; }
  bool Step(uint64_t state, const PreparedOp& p, uint64_t* next) override {
    if (p.op.code == kAcquire) {
      *next = 1;
      return state == 0;
    }
    *next = 0;
    return state == 1;
  }
  std::string DescribeState(uint64_t state) const override { return state ? "held" : "free"; }

 private:
  uint64_t init_;
};

class MutexModel : public Model {
 public:
  std::string_view name() const override { return "mutex"; }
  Result<std::vector<Partition>> Prepare(const History& h, const std::vector<OpPair>& pairs,
                                         const Json& init) const override {
    if (!init.is_null() && !init.is_boolean()) {
      return Status::InvalidArgument("--init for mutex: expected null or false (free) or true "
                                     "(held); got " + init.dump());
    }
    std::vector<Call> calls = MakeCalls(h, pairs);
    std::vector<Partition> out;
    for (auto& [key, group] : GroupByKey(calls)) {
      Partition part;
      part.key = key;
      for (const Call* c : group) {
        const Op& inv = *c->invoke;
        uint32_t code;
        if (inv.f == "acquire" || inv.f == "lock") {
          code = kAcquire;
        } else if (inv.f == "release" || inv.f == "unlock") {
          code = kRelease;
        } else {
          return UnknownF(h, inv, name(), "acquire, release");
        }
        if (c->outcome == CallOutcome::kFail) {
          ++part.dropped;
          continue;
        }
        part.ops.push_back(MakePrepared(*c, {code, 0, 0}, c->outcome == CallOutcome::kCrashed));
      }
      part.model = std::make_unique<MutexInstance>(init.is_boolean() && init.get<bool>() ? 1 : 0);
      out.push_back(std::move(part));
    }
    return out;
  }
};

// ---------------------------------------------------------------------------
// set (add / read the whole set) and fifo-queue (enqueue / dequeue). States are
// interned sequences of element ids: sorted for a set, in order for a queue.

enum CollectionCode : uint32_t { kAdd, kReadAll, kEnqueue, kDequeue };

class CollectionInstance : public ModelInstance {
 public:
  CollectionInstance(ValueTable elements, SeqTable seqs, uint64_t init, bool is_queue)
      : elements_(std::move(elements)), seqs_(std::move(seqs)), init_(init), is_queue_(is_queue) {}
  uint64_t Init() override { return init_; }
  bool Step(uint64_t state, const PreparedOp& p, uint64_t* next) override {
    const std::vector<int64_t>& s = seqs_.Get(state);
    switch (p.op.code) {
      case kAdd: {
        auto pos = std::lower_bound(s.begin(), s.end(), p.op.a);
        if (pos != s.end() && *pos == p.op.a) {
          *next = state;
          return true;
        }
        std::vector<int64_t> t(s.begin(), pos);
        t.push_back(p.op.a);
        t.insert(t.end(), pos, s.end());
        *next = seqs_.Intern(t);
        return true;
      }
      case kReadAll:
        *next = state;
        return state == static_cast<uint64_t>(p.op.a);
      case kEnqueue: {
        std::vector<int64_t> t = s;
        t.push_back(p.op.a);
        *next = seqs_.Intern(t);
        return true;
      }
      case kDequeue: {
        if (s.empty()) {
          *next = state;
          return p.crashed || p.op.a < 0;  // a < 0: the dequeue saw an empty queue
        }
        if (!p.crashed && s.front() != p.op.a) return false;
        *next = seqs_.Intern(std::vector<int64_t>(s.begin() + 1, s.end()));
        return true;
      }
    }
    return false;
  }
  std::string DescribeState(uint64_t state) const override {
    Json arr = Json::array();
    for (int64_t e : seqs_.Get(state)) arr.push_back(elements_.Get(e));
    return arr.dump();
  }
  size_t MemoryBytes() const override { return seqs_.bytes(); }

 private:
  ValueTable elements_;
  SeqTable seqs_;
  uint64_t init_;
  bool is_queue_;
};

class CollectionModel : public Model {
 public:
  explicit CollectionModel(bool is_queue) : is_queue_(is_queue) {}
  std::string_view name() const override { return is_queue_ ? "fifo-queue" : "set"; }
  Result<std::vector<Partition>> Prepare(const History& h, const std::vector<OpPair>& pairs,
                                         const Json& init) const override {
    if (!init.is_null() && !init.is_array()) {
      return Status::InvalidArgument(std::string("--init for ") + std::string(name()) +
                                     ": expected null (empty) or an array; got " + init.dump());
    }
    std::vector<Call> calls = MakeCalls(h, pairs);
    std::vector<Partition> out;
    for (auto& [key, group] : GroupByKey(calls)) {
      ValueTable elements;
      SeqTable seqs;
      auto as_set = [&](const Json& arr) {
        std::vector<int64_t> s;
        for (const Json& e : arr) s.push_back(elements.Intern(e));
        std::sort(s.begin(), s.end());
        s.erase(std::unique(s.begin(), s.end()), s.end());
        return s;
      };
      std::vector<int64_t> init_seq;
      if (init.is_array()) {
        if (is_queue_) {
          for (const Json& e : init) init_seq.push_back(elements.Intern(e));
        } else {
          init_seq = as_set(init);
        }
      }
      const uint64_t init_id = seqs.Intern(init_seq);
      Partition part;
      part.key = key;
      for (const Call* c : group) {
        const Op& inv = *c->invoke;
        const bool crashed = c->outcome == CallOutcome::kCrashed;
        if (c->outcome == CallOutcome::kFail) {
          ++part.dropped;
          continue;
        }
        if (!is_queue_ && inv.f == "add") {
          part.ops.push_back(MakePrepared(*c, {kAdd, elements.Intern(inv.value), 0}, crashed));
        } else if (!is_queue_ && inv.f == "read") {
          if (crashed) {
            ++part.dropped;
            continue;
          }
          if (!c->output().is_array()) {
            return BadValue(h, *c->completion, "an array of the set's elements");
          }
          const int64_t id = static_cast<int64_t>(seqs.Intern(as_set(c->output())));
          part.ops.push_back(MakePrepared(*c, {kReadAll, id, 0}, false, true));
        } else if (is_queue_ && inv.f == "enqueue") {
          part.ops.push_back(MakePrepared(*c, {kEnqueue, elements.Intern(inv.value), 0}, crashed));
        } else if (is_queue_ && inv.f == "dequeue") {
          int64_t id = -1;
          if (!crashed && !c->output().is_null()) id = elements.Intern(c->output());
          // A dequeue that saw an empty queue changes nothing whenever it is possible.
          part.ops.push_back(MakePrepared(*c, {kDequeue, id, 0}, crashed, !crashed && id < 0));
        } else {
          return UnknownF(h, inv, name(), is_queue_ ? "enqueue, dequeue" : "add, read");
        }
      }
      part.model =
          std::make_unique<CollectionInstance>(std::move(elements), std::move(seqs), init_id,
                                               is_queue_);
      out.push_back(std::move(part));
    }
    return out;
  }

 private:
  bool is_queue_;
};

// ---------------------------------------------------------------------------
// multi-register: f "txn", value [[read k v] [write k v] ...]. The state is
// one value id per register. Transactions that share no register are checked
// in separate partitions (union-find over the registers they touch).

struct Micro {
  bool write;
  size_t reg;    // index into the partition's registers
  int64_t value; // value id; -1 for a read whose result is unknown
};

class MultiRegisterInstance : public ModelInstance {
 public:
  MultiRegisterInstance(std::vector<std::string> regs, ValueTable values,
                        std::vector<std::vector<Micro>> txns, std::vector<int64_t> init)
      : regs_(std::move(regs)), values_(std::move(values)), txns_(std::move(txns)) {
    init_ = seqs_.Intern(init);
  }
  uint64_t Init() override { return init_; }
  bool Step(uint64_t state, const PreparedOp& p, uint64_t* next) override {
    std::vector<int64_t> s = seqs_.Get(state);
    for (const Micro& m : txns_[p.op.a]) {
      if (m.write) {
        s[m.reg] = m.value;
      } else if (!p.crashed && m.value >= 0 && s[m.reg] != m.value) {
        return false;
      }
    }
    *next = seqs_.Intern(s);
    return true;
  }
  std::string DescribeState(uint64_t state) const override {
    Json obj = Json::object();
    const auto& s = seqs_.Get(state);
    for (size_t i = 0; i < regs_.size(); ++i) obj[regs_[i]] = values_.Get(s[i]);
    return obj.dump();
  }
  size_t MemoryBytes() const override { return seqs_.bytes(); }

 private:
  std::vector<std::string> regs_;
  ValueTable values_;
  std::vector<std::vector<Micro>> txns_;
  SeqTable seqs_;
  uint64_t init_ = 0;
};

class MultiRegisterModel : public Model {
 public:
  std::string_view name() const override { return "multi-register"; }
  Result<std::vector<Partition>> Prepare(const History& h, const std::vector<OpPair>& pairs,
                                         const Json& init) const override {
    if (!init.is_null() && !init.is_object()) {
      return Status::InvalidArgument("--init for multi-register: expected null or an object "
                                     "mapping register names to values; got " + init.dump());
    }
    std::vector<Call> calls = MakeCalls(h, pairs);
    // Parse every txn; collect register names.
    struct Parsed {
      const Call* call;
      std::vector<std::tuple<bool, std::string, Json>> micro;
    };
    std::vector<Parsed> parsed;
    std::map<std::string, size_t> reg_index;
    std::vector<std::string> reg_names;
    size_t dropped = 0;
    for (const Call& c : calls) {
      const Op& inv = *c.invoke;
      if (inv.f != "txn") return UnknownF(h, inv, name(), "txn");
      if (c.outcome == CallOutcome::kFail) {
        ++dropped;
        continue;
      }
      const bool use_completion = c.outcome == CallOutcome::kOk && c.completion->value.is_array();
      const Op& src = use_completion ? *c.completion : inv;
      if (!src.value.is_array()) return BadValue(h, src, "[[read k v] [write k v] ...]");
      Parsed p{&c, {}};
      for (const Json& m : src.value) {
        if (!m.is_array() || m.size() != 3 || !m[0].is_string() ||
            (m[0] != "read" && m[0] != "write" && m[0] != "r" && m[0] != "w")) {
          return BadValue(h, src, "micro-ops [read k v] or [write k v]");
        }
        const std::string reg = m[1].is_string() ? m[1].get<std::string>() : m[1].dump();
        if (reg_index.emplace(reg, reg_names.size()).second) reg_names.push_back(reg);
        const bool write = m[0] == "write" || m[0] == "w";
        p.micro.emplace_back(write, reg, m[2]);
      }
      parsed.push_back(std::move(p));
    }
    // Union-find over registers.
    std::vector<size_t> parent(reg_names.size());
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](size_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (const Parsed& p : parsed) {
      for (size_t i = 1; i < p.micro.size(); ++i) {
        parent[find(reg_index[std::get<1>(p.micro[i])])] = find(reg_index[std::get<1>(p.micro[0])]);
      }
    }
    std::map<size_t, std::vector<const Parsed*>> groups;
    for (const Parsed& p : parsed) {
      if (p.micro.empty()) {
        ++dropped;  // an empty transaction reads and writes nothing
        continue;
      }
      groups[find(reg_index[std::get<1>(p.micro[0])])].push_back(&p);
    }
    std::vector<Partition> out;
    for (auto& [root, group] : groups) {
      std::vector<std::string> regs;
      std::map<std::string, size_t> local;
      for (size_t r = 0; r < reg_names.size(); ++r) {
        if (find(r) == root) {
          local[reg_names[r]] = regs.size();
          regs.push_back(reg_names[r]);
        }
      }
      ValueTable values;
      std::vector<int64_t> init_state;
      for (const std::string& r : regs) {
        init_state.push_back(values.Intern(init.is_object() && init.contains(r) ? init[r] : Json()));
      }
      std::vector<std::vector<Micro>> txns;
      Partition part;
      part.key = Json(regs);
      for (const Parsed* p : group) {
        const bool crashed = p->call->outcome == CallOutcome::kCrashed;
        std::vector<Micro> micro;
        for (const auto& [write, reg, v] : p->micro) {
          int64_t id = (!write && (crashed || v.is_null())) ? -1 : values.Intern(v);
          micro.push_back({write, local[reg], id});
        }
        const bool has_write =
            std::any_of(micro.begin(), micro.end(), [](const Micro& m) { return m.write; });
        if (crashed && !has_write) {
          ++part.dropped;
          continue;
        }
        part.ops.push_back(MakePrepared(*p->call, {0, static_cast<int64_t>(txns.size()), 0},
                                        crashed, !crashed && !has_write));
        txns.push_back(std::move(micro));
      }
      part.model = std::make_unique<MultiRegisterInstance>(regs, std::move(values),
                                                           std::move(txns), init_state);
      out.push_back(std::move(part));
    }
    if (!out.empty()) out.front().dropped += dropped;
    return out;
  }
};

}  // namespace

Result<std::unique_ptr<Model>> MakeModel(std::string_view name) {
  if (name == "register") return std::unique_ptr<Model>(new RegisterModel(false));
  if (name == "cas-register") return std::unique_ptr<Model>(new RegisterModel(true));
  if (name == "kv") return std::unique_ptr<Model>(new KvModel());
  if (name == "mutex") return std::unique_ptr<Model>(new MutexModel());
  if (name == "set") return std::unique_ptr<Model>(new CollectionModel(false));
  if (name == "fifo-queue") return std::unique_ptr<Model>(new CollectionModel(true));
  if (name == "multi-register") return std::unique_ptr<Model>(new MultiRegisterModel());
  std::string known;
  for (const auto& n : ModelNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown model \"" + std::string(name) + "\"; expected one of " +
                                 known);
}

std::vector<std::string> ModelNames() {
  return {"register", "cas-register", "multi-register", "kv", "mutex", "set", "fifo-queue"};
}

}  // namespace faultline
