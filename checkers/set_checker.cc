#include "checkers/set_checker.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <vector>

namespace faultline {
namespace {

// An add's outcome, ordered so that merging duplicates keeps the strongest.
enum AddStatus : uint8_t { kFailed = 0, kUnknown = 1, kAcked = 2 };

struct Add {
  int64_t element;
  AddStatus status;
  int64_t done_index;  // completion's index; max when not acknowledged
};

struct Read {
  int64_t invoke_index;
  int64_t done_index;
  const Json* value;
};

struct KeyState {
  Json key;
  std::vector<Add> adds;
  std::vector<Read> reads;
};

CheckResult SetUnknown(std::string reason) {
  CheckResult r;
  r.valid = Validity::kUnknown;
  r.details["reason"] = std::move(reason);
  return r;
}

std::string Where(const History& h, const Op& op) {
  return h.source + ":" + std::to_string(op.line > 0 ? op.line : op.index + 1);
}

}  // namespace

CheckResult SetChecker::Check(const History& history) {
  Result<std::vector<OpPair>> pairs = PairOps(history);
  if (!pairs.ok()) return SetUnknown("malformed history: " + pairs.status().message());

  std::vector<KeyState> keys;
  std::unordered_map<std::string, size_t> key_index;
  std::unordered_map<int64_t, size_t> int_key_index;  // the common case, without dump()
  auto state_of = [&](const Json& key) -> KeyState& {
    if (key.is_number_integer()) {
      auto [it, fresh] = int_key_index.try_emplace(key.get<int64_t>(), keys.size());
      if (fresh) keys.push_back(KeyState{key, {}, {}});
      return keys[it->second];
    }
    auto [it, fresh] = key_index.try_emplace(key.dump(), keys.size());
    if (fresh) keys.push_back(KeyState{key, {}, {}});
    return keys[it->second];
  };
  constexpr int64_t kNotDone = std::numeric_limits<int64_t>::max();

  for (const OpPair& p : *pairs) {
    const Op& inv = history.ops[p.invoke];
    const Op* done = p.completion ? &history.ops[*p.completion] : nullptr;
    if (inv.f == "add") {
      if (!inv.value.is_number_integer()) {
        return SetUnknown("add of a non-integer at " + Where(history, inv) + ": " + inv.value.dump());
      }
      AddStatus status = kUnknown;
      if (done && done->type == OpType::kOk) status = kAcked;
      if (done && done->type == OpType::kFail) status = kFailed;
      state_of(inv.key).adds.push_back(Add{inv.value.get<int64_t>(), status,
                                           status == kAcked ? done->index : kNotDone});
    } else if (inv.f == "read") {
      if (!done || done->type != OpType::kOk) continue;
      if (!done->value.is_array()) {
        return SetUnknown("read of a non-array at " + Where(history, *done) + ": " +
                       done->value.dump().substr(0, 200));
      }
      state_of(inv.key).reads.push_back(Read{inv.index, done->index, &done->value});
    }
  }

  int64_t attempts = 0, acked = 0, ok = 0, lost = 0, recovered = 0, unexpected = 0,
          failed_present = 0, never_read = 0;
  int64_t unread_keys = 0;
  Json lost_list = Json::array(), unexpected_list = Json::array(), unread_list = Json::array();
  std::vector<int64_t> final_elements, strays;

  for (KeyState& k : keys) {
    // Merge duplicate attempts of one element: the strongest outcome wins.
    std::sort(k.adds.begin(), k.adds.end(), [](const Add& a, const Add& b) {
      return a.element != b.element ? a.element < b.element : a.status > b.status;
    });
    k.adds.erase(std::unique(k.adds.begin(), k.adds.end(),
                             [](const Add& a, const Add& b) { return a.element == b.element; }),
                 k.adds.end());
    attempts += static_cast<int64_t>(k.adds.size());
    int64_t key_acked = 0;
    for (const Add& a : k.adds) key_acked += a.status == kAcked;
    acked += key_acked;
    auto find = [&](int64_t e) -> const Add* {
      auto it = std::lower_bound(k.adds.begin(), k.adds.end(), e,
                                 [](const Add& a, int64_t v) { return a.element < v; });
      return it != k.adds.end() && it->element == e ? &*it : nullptr;
    };

    // Every read, during the run or final, may show elements never attempted.
    strays.clear();
    const Read* final_read = nullptr;
    for (const Read& r : k.reads) {
      if (!final_read || r.done_index > final_read->done_index) final_read = &r;
      for (const Json& e : *r.value) {
        if (!e.is_number_integer()) {
          // Nothing adds anything but integers: whatever else is read is
          // unexpected.
          ++unexpected;
          if (unexpected_list.size() < max_listed_) {
            unexpected_list.push_back({{"key", k.key}, {"element", e}});
          }
          continue;
        }
        if (!find(e.get<int64_t>())) strays.push_back(e.get<int64_t>());
      }
    }
    std::sort(strays.begin(), strays.end());
    strays.erase(std::unique(strays.begin(), strays.end()), strays.end());
    unexpected += static_cast<int64_t>(strays.size());
    for (int64_t e : strays) {
      if (unexpected_list.size() >= max_listed_) break;
      unexpected_list.push_back({{"key", k.key}, {"element", e}});
    }

    if (!final_read) {
      if (key_acked > 0) {
        ++unread_keys;
        if (unread_list.size() < max_listed_) unread_list.push_back(k.key);
      }
      continue;
    }
    final_elements.clear();
    final_elements.reserve(final_read->value->size());
    for (const Json& e : *final_read->value) {
      if (e.is_number_integer()) final_elements.push_back(e.get<int64_t>());
    }
    std::sort(final_elements.begin(), final_elements.end());
    auto present = final_elements.begin();
    for (const Add& a : k.adds) {
      while (present != final_elements.end() && *present < a.element) ++present;
      const bool in_final = present != final_elements.end() && *present == a.element;
      if (in_final) {
        if (a.status == kAcked) ++ok;
        if (a.status == kUnknown) ++recovered;
        if (a.status == kFailed) {
          ++failed_present;
          if (unexpected_list.size() < max_listed_) {
            unexpected_list.push_back(
                {{"key", k.key}, {"element", a.element}, {"note", "its add failed"}});
          }
        }
      } else if (a.status == kAcked) {
        if (a.done_index < final_read->invoke_index) {
          ++lost;
          if (lost_list.size() < max_listed_) {
            lost_list.push_back({{"key", k.key},
                                 {"element", a.element},
                                 {"acknowledged_at_index", a.done_index},
                                 {"final_read_index", final_read->done_index}});
          }
        } else {
          ++never_read;
        }
      }
    }
  }

  CheckResult r;
  Json& d = r.details;
  d["keys"] = keys.size();
  d["attempt_count"] = attempts;
  d["acknowledged_count"] = acked;
  d["ok_count"] = ok;
  d["lost_count"] = lost;
  d["recovered_count"] = recovered;
  d["unexpected_count"] = unexpected;
  d["failed_present_count"] = failed_present;
  d["never_read_count"] = never_read;
  d["unread_keys"] = unread_keys;
  d["lost"] = lost_list;
  d["unexpected"] = unexpected_list;
  if (!unread_list.empty()) d["unread"] = unread_list;
  if (lost > 0 || unexpected > 0 || failed_present > 0) {
    r.valid = Validity::kInvalid;
  } else if (unread_keys > 0) {
    r.valid = Validity::kUnknown;
    d["reason"] = std::to_string(unread_keys) +
                  " key(s) with acknowledged adds were never read successfully";
  } else {
    r.valid = Validity::kValid;
  }
  return r;
}

}  // namespace faultline
