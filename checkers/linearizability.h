// Linearizability checking: is there a total order of the history's operations,
// consistent with real time, that the model accepts?
//
// Exact search (Wing & Gong with Lowe's memoisation of (linearized set, model
// state)), per partition in parallel, with these reductions, each sound and
// complete:
//  - the model drops ops that cannot matter (failed ops, crashed reads, crashed
//    writes of values nobody reads) and collapses unread values into one state;
//  - crashed ops with identical effects are interchangeable, so only the
//    earliest-invoked unlinearized one of each kind is tried;
//  - a crashed op whose step would not change the state is never tried there;
//  - a completed op that leaves the state unchanged (a read) is linearized as
//    soon as it can be, without trying alternatives.
// Bounded by a deadline and a memory budget: past either, the verdict is
// unknown with a reason. Thread-safety: CheckLinearizability is reentrant.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

#include "checkers/checker.h"
#include "checkers/model.h"

namespace faultline {

struct LinearizabilityOptions {
  std::chrono::milliseconds time_limit{0};  // 0: no limit
  size_t memory_limit_bytes = size_t{4} << 30;
  unsigned threads = 0;  // 0: one per core
  const std::atomic<bool>* cancel = nullptr;  // set to stop early (verdict unknown)
  // false: once one partition is proven invalid the verdict is invalid and the
  // other partitions are stopped (they are listed as unchecked); true: every
  // partition is searched to its end (or to a limit).
  bool all_keys = false;
};

struct LinearizabilityResult {
  Validity valid = Validity::kUnknown;
  std::string reason;        // why unknown
  size_t partitions = 0;
  size_t ops_checked = 0;    // ops the search considered, over all partitions
  size_t ops_dropped = 0;    // ops the model proved irrelevant
  uint64_t configurations = 0;  // distinct (linearized set, state) pairs visited
  size_t peak_cache_bytes = 0;
  // Partitions proven not linearizable, and partitions left undecided (stopped
  // early after another was proven invalid, or cut by a limit), in input
  // order: their counts, and their keys (null for an unkeyed history), at
  // most kKeysListed of each.
  static constexpr size_t kKeysListed = 100;
  size_t keys_invalid = 0, keys_unchecked = 0;
  Json invalid_keys = Json::array(), unchecked_keys = Json::array();
  Json explanation;             // for invalid: see README "Explanations"
  std::string explanation_text;

  Json ToJson() const;
};

// Checks `history` against `model` starting from `init`. InvalidArgument when
// the history is malformed or the model rejects an op (names source:line).
Result<LinearizabilityResult> CheckLinearizability(const History& history, const Model& model,
                                                   const Json& init,
                                                   const LinearizabilityOptions& options = {});

// The same for already prepared partitions (used by tests and benchmarks).
LinearizabilityResult CheckPartitions(const History& history, std::vector<Partition>& partitions,
                                      const LinearizabilityOptions& options = {});

}  // namespace faultline

namespace faultline {

// The linearizability search as a Checker: details are LinearizabilityResult's
// JSON plus "model". Malformed histories and unknown ops give kUnknown with the
// reason; nothing is thrown.
class LinearizabilityChecker : public Checker {
 public:
  LinearizabilityChecker(std::string model, Json init, LinearizabilityOptions options = {})
      : model_(std::move(model)), init_(std::move(init)), options_(options) {}
  std::string name() const override { return "linearizability"; }
  CheckResult Check(const History& history) override;

 private:
  std::string model_;
  Json init_;
  LinearizabilityOptions options_;
};

}  // namespace faultline
