// Checkers for lock workloads.
//
// HolderOverlapChecker: the lock-set workload performs each "add" entirely
// while its client believes it holds the lock, so two successful adds whose
// real-time intervals (invocation to completion, on the controller's clock)
// overlap are two holders at once: mutual exclusion failed. It lists the
// overlapping pairs (processes, nodes, elements, intervals), the first few in
// "overlaps", and counts them in "overlap_count" (adds that began while another
// was in progress). Invalid when any overlap.
//
// FilteredChecker: another checker run on the ops whose f is in a set (e.g.
// the mutex linearizability check on acquire / release only). Invocations and
// their completions are kept or dropped together, so pairing is unchanged.
//
// Thread-safety: Check is reentrant.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "checkers/checker.h"

namespace faultline {

class HolderOverlapChecker : public Checker {
 public:
  explicit HolderOverlapChecker(std::string f = "add", size_t max_listed = 10)
      : f_(std::move(f)), max_listed_(max_listed) {}
  std::string name() const override { return "holders"; }
  CheckResult Check(const History& history) override;

 private:
  std::string f_;
  size_t max_listed_;
};

class FilteredChecker : public Checker {
 public:
  FilteredChecker(std::set<std::string> fs, std::unique_ptr<Checker> inner)
      : fs_(std::move(fs)), inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  CheckResult Check(const History& history) override;

 private:
  std::set<std::string> fs_;
  std::unique_ptr<Checker> inner_;
};

}  // namespace faultline
