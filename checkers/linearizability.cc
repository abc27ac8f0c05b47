#include "checkers/linearizability.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A region of the linearized-set bitset, with the span of words that differ
// from the region's usual content kept up to date as bits change: completed
// ops are linearized roughly in call order, so their words are all ones below
// `lo`; crashed ops are rarely linearized, so their words are mostly zero.
class BitRegion {
 public:
  BitRegion(size_t words, bool prefix_full)
      : words_(words, 0), prefix_full_(prefix_full), lo_(0), hi_(0) {
    if (!prefix_full_) lo_ = words;
  }
  void Set(size_t bit) {
    const size_t w = bit >> 6;
    words_[w] |= uint64_t{1} << (bit & 63);
    if (w + 1 > hi_) hi_ = w + 1;
    if (prefix_full_) {
      while (lo_ < words_.size() && words_[lo_] == ~uint64_t{0}) ++lo_;
    } else if (w < lo_) {
      lo_ = w;
    }
  }
  void Clear(size_t bit) {
    const size_t w = bit >> 6;
    words_[w] &= ~(uint64_t{1} << (bit & 63));
    if (prefix_full_) {
      if (w < lo_) lo_ = w;
    } else {
      while (lo_ < hi_ && words_[lo_] == 0) ++lo_;
      if (lo_ == hi_) lo_ = words_.size();
    }
    while (hi_ > 0 && words_[hi_ - 1] == 0) --hi_;
  }
  // The words that identify the region: [lo, hi) plus lo itself.
  size_t lo() const { return lo_; }
  size_t len() const { return hi_ > lo_ ? hi_ - lo_ : 0; }
  const uint64_t* span() const { return words_.data() + lo_; }

 private:
  std::vector<uint64_t> words_;
  bool prefix_full_;
  size_t lo_, hi_;
};

// Set of visited (linearized set, state) pairs. Entries hold only the spans of
// the two bit regions, so they stay a few words long however long the history.
class StateCache {
 public:
  StateCache() { Rehash(64); }

  // True when (regions, state) was not in the set; it is then added.
  bool Insert(uint64_t hash, uint64_t state, const BitRegion& a, const BitRegion& b) {
    const uint64_t tag_a = (static_cast<uint64_t>(a.lo()) << 32) | a.len();
    const uint64_t tag_b = (static_cast<uint64_t>(b.lo()) << 32) | b.len();
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) {
        const uint64_t offset = arena_.size();
        arena_.push_back(state);
        arena_.push_back(tag_a);
        arena_.push_back(tag_b);
        arena_.insert(arena_.end(), a.span(), a.span() + a.len());
        arena_.insert(arena_.end(), b.span(), b.span() + b.len());
        slots_[i] = offset + 1;
        hashes_[i] = hash;
        if (++size_ * 2 > slots_.size()) Rehash(slots_.size() * 2);
        return true;
      }
      if (hashes_[i] != hash) continue;
      const uint64_t* e = &arena_[slots_[i] - 1];
      if (e[0] == state && e[1] == tag_a && e[2] == tag_b &&
          std::memcmp(e + 3, a.span(), a.len() * sizeof(uint64_t)) == 0 &&
          std::memcmp(e + 3 + a.len(), b.span(), b.len() * sizeof(uint64_t)) == 0) {
        return false;
      }
    }
  }

  size_t size() const { return size_; }
  size_t bytes() const {
    return arena_.capacity() * sizeof(uint64_t) + slots_.size() * 2 * sizeof(uint64_t);
  }

 private:
  void Rehash(size_t n) {
    std::vector<uint64_t> slots(n, 0), hashes(n, 0);
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i] == 0) continue;
      size_t j = hashes_[i] & (n - 1);
      while (slots[j] != 0) j = (j + 1) & (n - 1);
      slots[j] = slots_[i];
      hashes[j] = hashes_[i];
    }
    slots_.swap(slots);
    hashes_.swap(hashes);
  }

  size_t size_ = 0;
  std::vector<uint64_t> arena_;
  std::vector<uint64_t> slots_;   // offset + 1 into arena_, 0 = empty
  std::vector<uint64_t> hashes_;
};

enum class Outcome { kLinearizable, kNotLinearizable, kTimeout, kMemory, kCancelled, kPaused };

// Wing & Gong's search over one partition, with Lowe's memoisation.
class PartitionSearch {
 public:
  struct Limits {
    Clock::time_point deadline;
    size_t memory_limit;
    std::atomic<size_t>* memory_in_use;  // shared by all partitions' searches
    const std::atomic<bool>* stop;       // another partition decided the verdict
    const std::atomic<bool>* cancel;     // the caller's flag; may be null
  };

  PartitionSearch(Partition& part, const Limits& limits)
      : part_(part), ops_(part.ops), limits_(limits) {}
  ~PartitionSearch() { limits_.memory_in_use->fetch_sub(accounted_); }

  // Searches for about `budget` steps; kPaused when the budget ran out, and a
  // later call resumes where this one stopped.
  Outcome Run(uint64_t budget = ~uint64_t{0});

  uint64_t configurations() const { return cache_.size(); }
  size_t cache_bytes() const { return cache_.bytes(); }
  // For a non-linearizable partition: the longest linearized sequence found and
  // the op whose return could not be passed after it.
  const std::vector<int32_t>& best_prefix() const { return best_prefix_; }
  int32_t blocked_op() const { return blocked_op_; }

 private:
  struct Entry {
    int32_t op;
    bool is_call;
    int32_t prev, next;
    int64_t pos;
  };
  struct Frame {
    int32_t entry;  // the call entry that was lifted
    uint64_t state;
    bool committed;  // a read-only op: no alternatives needed
    int64_t barrier;  // for a crashed op: the position of the first pending return
  };

  void BuildEntries();
  void Lift(int32_t call_entry) {
    Unlink(call_entry);
    if (match_[call_entry] >= 0) Unlink(match_[call_entry]);
  }
  void Unlift(int32_t call_entry) {
    if (match_[call_entry] >= 0) Relink(match_[call_entry]);
    Relink(call_entry);
  }
  void Unlink(int32_t e) {
    entries_[entries_[e].prev].next = entries_[e].next;
    if (entries_[e].next >= 0) entries_[entries_[e].next].prev = entries_[e].prev;
  }
  void Relink(int32_t e) {
    entries_[entries_[e].prev].next = e;
    if (entries_[e].next >= 0) entries_[entries_[e].next].prev = e;
  }
  void SetBit(int32_t op) {
    (ops_[op].crashed ? *crashed_bits_ : *completed_bits_).Set(bit_[op]);
    hash_ ^= zobrist_[op];
  }
  void ClearBit(int32_t op) {
    (ops_[op].crashed ? *crashed_bits_ : *completed_bits_).Clear(bit_[op]);
    hash_ ^= zobrist_[op];
  }
  void RecordBlocked(int32_t op);
  // Adds this search's growth to the shared memory count; false past the limit.
  bool Account();

  Partition& part_;
  std::vector<PreparedOp>& ops_;
  Limits limits_;
  StateCache cache_;
  size_t accounted_ = 0;  // bytes added to limits_.memory_in_use

  std::vector<Entry> entries_;  // entries_[0], entries_[1]: heads of the main and crash lists
  int32_t crash_head_ = 1;
  std::vector<int32_t> match_;  // call entry -> its return entry, or -1
  // Linearized ops: completed and crashed ones in separate regions, each op
  // numbered in call order within its region.
  std::optional<BitRegion> completed_bits_, crashed_bits_;
  std::vector<int32_t> bit_;  // op -> bit within its region
  std::vector<uint64_t> zobrist_;
  uint64_t hash_ = 0;
  // Crashed ops with the same effect form a class; only the earliest-invoked
  // unlinearized member is tried, so each class's linearized members are a
  // prefix of its members in call order and a count describes them.
  std::vector<int32_t> crash_class_;  // op -> class, or -1
  std::vector<int32_t> crash_rank_;   // op -> position within its class
  std::vector<int32_t> class_linearized_;
  std::vector<Frame> stack_;
  std::vector<int32_t> best_prefix_;
  size_t best_shared_ = 0;  // stack_[0, best_shared_) equals best_prefix_'s start
  int32_t blocked_op_ = -1;
  size_t fixed_bytes_ = 0;  // entries, bit regions and per-op tables, sized once

  // Where a paused search resumes.
  bool started_ = false;
  uint64_t state_ = 0;
  int32_t entry_ = -1;
  bool in_crash_list_ = false;
  int64_t barrier_ = 0;
  int64_t remaining_ = 0;
};

void PartitionSearch::BuildEntries() {
  const int32_t n = static_cast<int32_t>(ops_.size());
  // Two lists: the main one holds completed ops' calls and returns in
  // history order; the crash list holds crashed ops' calls in call order.
  // Completed candidates are tried before crashed ones: crashed ops are
  // rarely needed, so valid histories are found with fewer detours.
  // (position, returns after calls at the same position, op, is_call)
  std::vector<std::tuple<int64_t, int, int32_t, bool>> main, crash;
  main.reserve(2 * n);
  for (int32_t i = 0; i < n; ++i) {
    if (ops_[i].crashed) {
      crash.emplace_back(ops_[i].call, 0, i, true);
    } else {
      main.emplace_back(ops_[i].call, 0, i, true);
      main.emplace_back(ops_[i].ret, 1, i, false);
    }
  }
  std::sort(main.begin(), main.end());
  std::sort(crash.begin(), crash.end());
  // entries_[0]: main head; entries_[1]: crash head.
  entries_.assign(main.size() + crash.size() + 2, Entry{-1, false, -1, -1, 0});
  match_.assign(entries_.size(), -1);
  std::vector<int32_t> call_entry(n, -1), ret_entry(n, -1);
  int32_t e = 2;
  for (auto* list : {&main, &crash}) {
    const int32_t head = list == &main ? 0 : 1;
    int32_t prev = head;
    for (const auto& [pos, kind, op, is_call] : *list) {
      entries_[e] = Entry{op, is_call, prev, -1, pos};
      entries_[prev].next = e;
      (is_call ? call_entry : ret_entry)[op] = e;
      prev = e++;
    }
  }
  crash_head_ = 1;
  for (int32_t i = 0; i < n; ++i) match_[call_entry[i]] = ret_entry[i];

  zobrist_.resize(n);
  uint64_t seed = 0x5EED5EED12345678ull;
  for (auto& z : zobrist_) z = SplitMix(seed);

  crash_class_.assign(n, -1);
  crash_rank_.assign(n, 0);
  std::map<std::tuple<uint32_t, int64_t, int64_t>, int32_t> classes;
  std::vector<int32_t> members;
  // Ops are visited in call order so that ranks follow invocation order.
  std::vector<int32_t> by_call(n);
  for (int32_t i = 0; i < n; ++i) by_call[i] = i;
  std::sort(by_call.begin(), by_call.end(),
            [&](int32_t a, int32_t b) { return ops_[a].call < ops_[b].call; });
  bit_.assign(n, 0);
  int32_t completed = 0, crashed = 0;
  for (int32_t i : by_call) bit_[i] = ops_[i].crashed ? crashed++ : completed++;
  completed_bits_.emplace((completed + 63) / 64, true);
  crashed_bits_.emplace((crashed + 63) / 64, false);
  for (int32_t i : by_call) {
    if (!ops_[i].crashed) continue;
    const ModelOp& m = ops_[i].op;
    auto [it, inserted] =
        classes.emplace(std::make_tuple(m.code, m.a, m.b), static_cast<int32_t>(members.size()));
    if (inserted) members.push_back(0);
    crash_class_[i] = it->second;
    crash_rank_[i] = members[it->second]++;
  }
  class_linearized_.assign(members.size(), 0);
  fixed_bytes_ = entries_.capacity() * sizeof(Entry) +
                 (match_.capacity() + bit_.capacity() + crash_class_.capacity() +
                  crash_rank_.capacity() + class_linearized_.capacity()) * sizeof(int32_t) +
                 zobrist_.capacity() * sizeof(uint64_t) + (n / 8 + 16) +
                 classes.size() * 64;
}

void PartitionSearch::RecordBlocked(int32_t op) {
  if (blocked_op_ >= 0 && stack_.size() <= best_prefix_.size()) return;
  // Only the frames above the part shared with the previous best are copied,
  // so recording stays linear in the number of pushes overall.
  best_prefix_.resize(best_shared_);
  for (size_t i = best_shared_; i < stack_.size(); ++i) {
    best_prefix_.push_back(entries_[stack_[i].entry].op);
  }
  best_shared_ = stack_.size();
  blocked_op_ = op;
}

Outcome PartitionSearch::Run(uint64_t budget) {
  if (!started_) {
    started_ = true;
    BuildEntries();
    remaining_ = 0;
    for (const PreparedOp& p : ops_) remaining_ += p.crashed ? 0 : 1;
    if (remaining_ == 0) return Outcome::kLinearizable;
    state_ = part_.model->Init();
    entry_ = entries_[0].next;
    in_crash_list_ = false;
    barrier_ = 0;
  }
  // The loop works on locals; they are saved when the slice's budget is spent.
  uint64_t state = state_;
  int32_t entry = entry_;
  bool in_crash_list = in_crash_list_;
  int64_t barrier = barrier_;
  int64_t remaining = remaining_;
  // The scan walks the main list up to its first return entry (the barrier:
  // that op must be linearized before anything invoked after it), then the
  // crashed ops invoked before the barrier.
  uint64_t steps = 0;
  while (true) {
    if ((++steps & 1023) == 0) {
      if (limits_.stop->load(std::memory_order_relaxed) ||
          (limits_.cancel && limits_.cancel->load(std::memory_order_relaxed))) {
        return Outcome::kCancelled;
      }
      if (Clock::now() > limits_.deadline) return Outcome::kTimeout;
      if (!Account()) return Outcome::kMemory;
      if (steps >= budget) {
        state_ = state;
        entry_ = entry;
        in_crash_list_ = in_crash_list;
        barrier_ = barrier;
        remaining_ = remaining;
        return Outcome::kPaused;
      }
    }
    if (!in_crash_list && (entry < 0 || !entries_[entry].is_call)) {
      barrier = entry < 0 ? kNeverReturns : entries_[entry].pos;
      in_crash_list = true;
      entry = entries_[crash_head_].next;
      continue;
    }
    if (entry >= 0 && (!in_crash_list || entries_[entry].pos < barrier)) {
      const int32_t op = entries_[entry].op;
      const PreparedOp& p = ops_[op];
      const int32_t cls = crash_class_[op];
      if (cls >= 0 && crash_rank_[op] != class_linearized_[cls]) {
        entry = entries_[entry].next;  // an earlier identical crashed op stands for it
        continue;
      }
      uint64_t next = 0;
      if (part_.model->Step(state, p, &next) && !(p.crashed && next == state)) {
        SetBit(op);
        if (cache_.Insert(hash_ ^ (next * 0x9E3779B97F4A7C15ull), next, *completed_bits_,
                          *crashed_bits_)) {
          stack_.push_back(Frame{entry, state, p.read_only, barrier});
          if (cls >= 0) ++class_linearized_[cls];
          if (!p.crashed && --remaining == 0) return Outcome::kLinearizable;
          state = next;
          Lift(entry);
          entry = entries_[0].next;
          in_crash_list = false;
          continue;
        }
        ClearBit(op);
      }
      entry = entries_[entry].next;
      continue;
    }
    // Every candidate before the barrier was tried: undo the latest choice
    // and try the next candidate after it.
    if (barrier != kNeverReturns) {
      int32_t b = entries_[0].next;
      while (b >= 0 && entries_[b].is_call) b = entries_[b].next;
      if (b >= 0) RecordBlocked(entries_[b].op);
    }
    while (true) {
      if (stack_.empty()) return Outcome::kNotLinearizable;
      Frame f = stack_.back();
      stack_.pop_back();
      best_shared_ = std::min(best_shared_, stack_.size());
      const int32_t op = entries_[f.entry].op;
      if (crash_class_[op] >= 0) --class_linearized_[crash_class_[op]];
      if (!ops_[op].crashed) ++remaining;
      ClearBit(op);
      state = f.state;
      Unlift(f.entry);
      entry = entries_[f.entry].next;
      in_crash_list = ops_[op].crashed;
      barrier = f.barrier;
      if (!f.committed) break;
    }
  }
}

bool PartitionSearch::Account() {
  const size_t now = cache_.bytes() + stack_.capacity() * sizeof(Frame) +
                     best_prefix_.capacity() * sizeof(int32_t) + fixed_bytes_ +
                     part_.model->MemoryBytes();
  if (now > accounted_) {
    const size_t total = limits_.memory_in_use->fetch_add(now - accounted_) + (now - accounted_);
    accounted_ = now;
    return total <= limits_.memory_limit;
  }
  return true;
}

// An operation as the explanation shows it: invocation and outcome in one object.
Json OpJson(const History& h, const PreparedOp& p) {
  const Op& inv = h.ops[p.invoke_index];
  // Filled in place: a braced initializer would build and convert a
  // temporary array per field.
  Json j(Json::value_t::object);
  Json::object_t& o = j.get_ref<Json::object_t&>();
  o.emplace("index", inv.index);
  o.emplace("line", inv.line);
  o.emplace("process", inv.process);
  o.emplace("f", inv.f);
  o.emplace("value", inv.value);
  if (!inv.key.is_null()) o.emplace("key", inv.key);
  // Times (ns) let a report draw the ops on a time axis; absent when the
  // source recorded none.
  if (inv.time >= 0) o.emplace("time", inv.time);
  if (p.completion_index) {
    const Op& c = h.ops[*p.completion_index];
    if (c.time >= 0) o.emplace("completion_time", c.time);
    o.emplace("type", OpTypeName(c.type));
    o.emplace("result", c.value);
    o.emplace("completion_index", c.index);
  } else {
    o.emplace("type", "never completed");
  }
  return j;
}

std::string OpText(const History& h, const PreparedOp& p) {
  const Op& inv = h.ops[p.invoke_index];
  std::string s = "process " + std::to_string(inv.process) + " " + inv.f + " " +
                  (inv.value.is_null() ? "nil" : inv.value.dump());
  if (p.completion_index) {
    const Op& c = h.ops[*p.completion_index];
    s += std::string(" -> ") + OpTypeName(c.type) + " " +
         (c.value.is_null() ? "nil" : c.value.dump());
  } else {
    s += " -> never completed";
  }
  if (!inv.key.is_null()) s += " (key " + inv.key.dump() + ")";
  s += " [line " + std::to_string(inv.line) + "]";
  return s;
}

// Describes why a partition is not linearizable, from the longest prefix the
// search linearized and the op it could not get past.
void Explain(const History& h, Partition& part, const PartitionSearch& search,
             LinearizabilityResult* result) {
  const auto& prefix = search.best_prefix();
  const int32_t blocked = search.blocked_op();
  ModelInstance& model = *part.model;
  model.SetMergeStates(false);
  uint64_t state = model.Init();
  Json steps = Json::array();
  std::vector<uint64_t> states;
  for (int32_t op : prefix) {
    uint64_t next = state;
    model.Step(state, part.ops[op], &next);
    state = next;
    states.push_back(state);
  }
  constexpr size_t kShown = 10;
  const size_t first = prefix.size() > kShown ? prefix.size() - kShown : 0;
  // Descriptions can be long (a kv string): each is made once, for JSON and text.
  std::vector<std::string> tail_states;
  for (size_t i = first; i < prefix.size(); ++i) {
    tail_states.push_back(model.DescribeState(states[i]));
    Json s = OpJson(h, part.ops[prefix[i]]);
    s["state_after"] = tail_states.back();
    steps.push_back(std::move(s));
  }
  Json ex = Json::object();
  ex["partition_key"] = part.key;
  ex["prefix_length"] = prefix.size();
  ex["prefix_tail"] = std::move(steps);
  const std::string state_text = model.DescribeState(state);
  ex["state"] = state_text;
  std::string text;
  if (blocked >= 0) {
    const PreparedOp& b = part.ops[blocked];
    ex["op"] = OpJson(h, b);
    // Ops whose real-time interval overlaps the blocked op and that were not
    // linearized in the prefix: the ones that could have been reordered.
    std::vector<bool> in_prefix(part.ops.size(), false);
    for (int32_t op : prefix) in_prefix[op] = true;
    size_t concurrent_total = 0;
    for (size_t i = 0; i < part.ops.size(); ++i) {
      const PreparedOp& o = part.ops[i];
      if (static_cast<int32_t>(i) != blocked && !in_prefix[i] && o.call <= b.ret &&
          o.ret >= b.call) {
        ++concurrent_total;
      }
    }
    // Those invoked closest to it come first; the list is capped, its size is not.
    std::vector<size_t> overlapping;
    for (size_t i = 0; i < part.ops.size(); ++i) {
      const PreparedOp& o = part.ops[i];
      if (static_cast<int32_t>(i) == blocked || in_prefix[i]) continue;
      if (o.call > b.ret || o.ret < b.call) continue;
      overlapping.push_back(i);
    }
    auto distance = [&](size_t i) {
      const int64_t d = part.ops[i].call - b.call;
      return d < 0 ? -d : d;
    };
    constexpr size_t kConcurrentShown = 10;
    const size_t shown = std::min(kConcurrentShown, overlapping.size());
    std::partial_sort(overlapping.begin(), overlapping.begin() + shown, overlapping.end(),
                      [&](size_t x, size_t y) { return distance(x) < distance(y); });
    overlapping.resize(shown);
    std::sort(overlapping.begin(), overlapping.end(),
              [&](size_t x, size_t y) { return part.ops[x].call < part.ops[y].call; });
    Json concurrent = Json::array();
    std::string ctext;
    for (size_t i : overlapping) {
      const PreparedOp& o = part.ops[i];
      uint64_t next = state;
      const bool possible = model.Step(state, o, &next);
      Json c = OpJson(h, o);
      c["possible_now"] = possible;
      ctext += "    " + OpText(h, o);
      if (possible) {
        std::string after = model.DescribeState(next);
        ctext += "  (possible, -> " + after + ")\n";
        c["state_after"] = std::move(after);
      } else {
        ctext += "  (impossible here)\n";
      }
      concurrent.push_back(std::move(c));
    }
    ex["concurrent_total"] = concurrent_total;
    ex["concurrent"] = std::move(concurrent);
    text += "Operation " + OpText(h, b) + " cannot be linearized";
    if (!part.key.is_null()) text += " on key " + part.key.dump();
    text += ".\n";
    text += "  The longest linearizable prefix has " + std::to_string(prefix.size()) +
            " operations and leaves the state " + state_text + ".\n";
    if (!prefix.empty()) {
      text += "  Its last operations:\n";
      for (size_t i = first; i < prefix.size(); ++i) {
        text += "    " + OpText(h, part.ops[prefix[i]]) + "  -> " + tail_states[i - first] + "\n";
      }
    }
    if (!overlapping.empty()) {
      text += "  Operations concurrent with it, not yet linearized (" +
              std::to_string(concurrent_total) + (concurrent_total > 10 ? ", nearest 10 shown" : "") +
              "):\n" + ctext;
    }
    text += "  No order of these explains the result the operation returned.\n";
  }
  result->explanation = std::move(ex);
  result->explanation_text = std::move(text);
}

}  // namespace

Json LinearizabilityResult::ToJson() const {
  Json j = Json::object();
  j["valid"] = ValidityToJson(valid);
  if (!reason.empty()) j["reason"] = reason;
  j["partitions"] = partitions;
  j["ops_checked"] = ops_checked;
  j["ops_dropped"] = ops_dropped;
  j["configurations"] = configurations;
  j["peak_cache_bytes"] = peak_cache_bytes;
  if (keys_invalid > 0) {
    j["keys_invalid"] = keys_invalid;
    j["invalid_keys"] = invalid_keys;
  }
  if (keys_unchecked > 0) {
    j["keys_unchecked"] = keys_unchecked;
    j["unchecked_keys"] = unchecked_keys;
  }
  if (valid == Validity::kInvalid) {
    j["explanation"] = explanation;
    j["explanation_text"] = explanation_text;
  }
  return j;
}

LinearizabilityResult CheckPartitions(const History& history, std::vector<Partition>& partitions,
                                      const LinearizabilityOptions& options) {
  LinearizabilityResult result;
  result.partitions = partitions.size();
  for (const Partition& p : partitions) {
    result.ops_checked += p.ops.size();
    result.ops_dropped += p.dropped;
  }
  const Clock::time_point deadline = options.time_limit.count() > 0
                                         ? Clock::now() + options.time_limit
                                         : Clock::time_point::max();
  // Partitions are searched in slices, round robin, so that one hard
  // partition cannot keep an easy invalid one from being reached: a file is
  // invalid as soon as any partition is proven so. Slices grow for
  // partitions that need many, so switching costs stay small. Largest
  // partitions start first, so one big partition does not start last.
  constexpr uint64_t kFirstSlice = uint64_t{1} << 14, kMaxSlice = uint64_t{1} << 21;
  struct Task {
    std::unique_ptr<PartitionSearch> search;
    uint64_t slice = kFirstSlice;
    Outcome outcome = Outcome::kPaused;  // kPaused: not finished
  };
  std::vector<Task> tasks(partitions.size());
  std::deque<size_t> queue(partitions.size());
  for (size_t i = 0; i < queue.size(); ++i) queue[i] = i;
  std::stable_sort(queue.begin(), queue.end(), [&](size_t a, size_t b) {
    return partitions[a].ops.size() > partitions[b].ops.size();
  });

  std::atomic<size_t> memory_in_use{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  size_t active = 0;  // tasks being searched right now (they may come back)
  Validity verdict = Validity::kValid;
  std::string reason;

  auto worker = [&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stop.load() || !queue.empty() || active == 0; });
      if (stop.load() || queue.empty()) return;
      const size_t idx = queue.front();
      queue.pop_front();
      ++active;
      Task& task = tasks[idx];
      lock.unlock();
      if (!task.search) {
        task.search = std::make_unique<PartitionSearch>(
            partitions[idx], PartitionSearch::Limits{deadline, options.memory_limit_bytes,
                                                     &memory_in_use, &stop, options.cancel});
      }
      const Outcome outcome = task.search->Run(task.slice);
      lock.lock();
      --active;
      task.outcome = outcome;
      if (outcome != Outcome::kPaused) {
        result.configurations += task.search->configurations();
        result.peak_cache_bytes = std::max(result.peak_cache_bytes, task.search->cache_bytes());
      }
      switch (outcome) {
        case Outcome::kPaused:
          task.slice = std::min(kMaxSlice, task.slice * 2);
          queue.push_back(idx);
          break;
        case Outcome::kLinearizable: task.search.reset(); break;
        case Outcome::kNotLinearizable:
          verdict = Validity::kInvalid;
          if (!options.all_keys) stop = true;
          break;
        case Outcome::kTimeout:
          if (verdict == Validity::kValid) {
            verdict = Validity::kUnknown;
            reason = "time limit of " + std::to_string(options.time_limit.count()) +
                     " ms reached before the search finished";
          }
          stop = true;
          break;
        case Outcome::kMemory:
          if (verdict == Validity::kValid) {
            verdict = Validity::kUnknown;
            reason = "memory limit of " + std::to_string(options.memory_limit_bytes >> 20) +
                     " MiB reached before the search finished";
          }
          stop = true;
          break;
        case Outcome::kCancelled:
          if (options.cancel && options.cancel->load() && verdict == Validity::kValid) {
            verdict = Validity::kUnknown;
            reason = "cancelled before the search finished";
          }
          break;
      }
      // Free an unfinished search's memory as soon as it cannot resume.
      if (outcome != Outcome::kPaused && outcome != Outcome::kNotLinearizable &&
          outcome != Outcome::kLinearizable) {
        task.search.reset();
      }
      cv.notify_all();
    }
  };
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  // Starting a thread costs about as much as checking a few thousand ops, so
  // small histories are checked on the calling thread alone.
  constexpr size_t kOpsPerThread = 4096;
  if (options.threads == 0) {
    threads = std::min<unsigned>(threads, static_cast<unsigned>(result.ops_checked / kOpsPerThread + 1));
  }
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(tasks.size())));
  if (options.cancel && options.cancel->load()) stop = true;
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  // Keys proven invalid and keys left undecided, in input order; the first
  // invalid one is explained.
  int invalid_partition = -1;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].outcome == Outcome::kNotLinearizable) {
      if (invalid_partition < 0) invalid_partition = static_cast<int>(i);
      ++result.keys_invalid;
      if (result.invalid_keys.size() < LinearizabilityResult::kKeysListed) {
        result.invalid_keys.push_back(partitions[i].key);
      }
    } else if (tasks[i].outcome != Outcome::kLinearizable) {
      ++result.keys_unchecked;
      if (result.unchecked_keys.size() < LinearizabilityResult::kKeysListed) {
        result.unchecked_keys.push_back(partitions[i].key);
      }
    }
  }
  if (options.cancel && options.cancel->load() && verdict == Validity::kValid &&
      result.keys_unchecked > 0) {
    verdict = Validity::kUnknown;  // partitions were left unchecked
    reason = "cancelled before the search finished";
  }
  result.valid = verdict;
  result.reason = reason;
  if (invalid_partition >= 0) {
    Explain(history, partitions[invalid_partition], *tasks[invalid_partition].search, &result);
  }
  return result;
}

Result<LinearizabilityResult> CheckLinearizability(const History& history, const Model& model,
                                                   const Json& init,
                                                   const LinearizabilityOptions& options) {
  Result<std::vector<OpPair>> pairs = PairOps(history);
  if (!pairs.ok()) return pairs.status();
  Result<std::vector<Partition>> partitions = model.Prepare(history, *pairs, init);
  if (!partitions.ok()) return partitions.status();
  return CheckPartitions(history, *partitions, options);
}

}  // namespace faultline

namespace faultline {

CheckResult LinearizabilityChecker::Check(const History& history) {
  CheckResult out;
  try {
    auto model = MakeModel(model_);
    if (!model.ok()) {
      out.details = {{"valid", "unknown"}, {"reason", model.status().message()}};
      return out;
    }
    // Only client ops matter; nemesis ops are skipped by PairOps.
    const auto start = std::chrono::steady_clock::now();
    auto result = CheckLinearizability(history, **model, init_, options_);
    if (!result.ok()) {
      out.details = {{"valid", "unknown"}, {"reason", result.status().message()}};
      return out;
    }
    out.valid = result->valid;
    out.details = result->ToJson();
    out.details["model"] = model_;
    out.details["check_ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
  } catch (const std::exception& e) {
    out.valid = Validity::kUnknown;
    out.details = {{"valid", "unknown"}, {"reason", std::string("checker failed: ") + e.what()}};
  }
  return out;
}

}  // namespace faultline
