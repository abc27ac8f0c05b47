#include "checkers/lock_checker.h"

#include <algorithm>
#include <vector>

namespace faultline {
namespace {

struct Hold {
  int64_t start, end;  // ns
  const Op* invoke;
  const Op* done;
};

Json Describe(const Hold& h) {
  Json j = {{"process", h.invoke->process},
            {"element", h.invoke->value},
            {"start_s", static_cast<double>(h.start) / 1e9},
            {"end_s", static_cast<double>(h.end) / 1e9},
            {"index", h.invoke->index}};
  if (!h.done->node.empty()) j["node"] = h.done->node;
  return j;
}

}  // namespace

CheckResult HolderOverlapChecker::Check(const History& history) {
  CheckResult r;
  Result<std::vector<OpPair>> pairs = PairOps(history);
  if (!pairs.ok()) {
    r.details["reason"] = "malformed history: " + pairs.status().message();
    return r;
  }
  std::vector<Hold> holds;
  for (const OpPair& p : *pairs) {
    const Op& inv = history.ops[p.invoke];
    if (inv.f != f_ || !p.completion) continue;
    const Op& done = history.ops[*p.completion];
    if (done.type != OpType::kOk) continue;
    if (inv.time < 0 || done.time < 0) {
      r.details["reason"] = "ops without times: intervals cannot be compared";
      return r;
    }
    holds.push_back(Hold{inv.time, done.time, &inv, &done});
  }
  std::sort(holds.begin(), holds.end(),
            [](const Hold& a, const Hold& b) { return a.start < b.start; });
  int64_t overlaps = 0;
  Json listed = Json::array();
  const Hold* longest = nullptr;  // the earlier hold that ends last
  for (const Hold& h : holds) {
    if (longest && h.start < longest->end) {
      ++overlaps;
      if (listed.size() < max_listed_) {
        listed.push_back({{"first", Describe(*longest)},
                          {"second", Describe(h)},
                          {"overlap_ms", static_cast<double>(std::min(h.end, longest->end) -
                                                             h.start) / 1e6}});
      }
    }
    if (!longest || h.end > longest->end) longest = &h;
  }
  r.details["holds"] = holds.size();
  r.details["overlap_count"] = overlaps;
  r.details["overlaps"] = listed;
  r.valid = overlaps > 0 ? Validity::kInvalid : Validity::kValid;
  return r;
}

CheckResult FilteredChecker::Check(const History& history) {
  History kept{history.source, {}};
  kept.ops.reserve(history.ops.size());
  for (const Op& op : history.ops) {
    if (op.is_nemesis() || fs_.count(op.f)) kept.ops.push_back(op);
  }
  return inner_->Check(kept);
}

}  // namespace faultline
