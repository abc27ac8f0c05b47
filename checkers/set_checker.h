// Set checker (Jepsen's set checker): clients add unique integers to sets
// (one per op.key) and read whole sets; the last successful read of each key
// is its final read. For every element attempted on a key:
//   ok           acknowledged add present in the final read
//   lost         acknowledged add absent from the final read, although the add
//                completed before the final read began
//   recovered    add with an unknown outcome (info, or never completed) present
//   unexpected   read (by any read) but never attempted on that key
//   failed-present  add that failed (certainly no effect) yet was read
//   never-read   acknowledged add absent from a final read that began before
//                the add completed (the read need not have seen it)
// Invalid when anything is lost, unexpected or failed-present. Unknown when a
// key with acknowledged adds has no successful read at all (nothing proves the
// adds survived). Other ops (e.g. acquire / release) are ignored.
//
// Details: counts of each class over all keys ("attempt_count",
// "acknowledged_count", "ok_count", "lost_count", "recovered_count",
// "unexpected_count", "failed_present_count", "never_read_count"), "keys",
// "unread_keys" (keys with acknowledged adds but no read), and the first few
// "lost" and "unexpected" elements as [{"key", "element", ...}].
//
// Linear in the history (plus sorting each key's adds). Thread-safety: Check
// is reentrant.
#pragma once

#include <cstddef>
#include <string>

#include "checkers/checker.h"

namespace faultline {

class SetChecker : public Checker {
 public:
  // `max_listed`: how many lost / unexpected elements the details list.
  explicit SetChecker(size_t max_listed = 10) : max_listed_(max_listed) {}
  std::string name() const override { return "set"; }
  CheckResult Check(const History& history) override;

 private:
  size_t max_listed_;
};

}  // namespace faultline
