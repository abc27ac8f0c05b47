// Checker: a history in, a verdict out.
//
// Verdicts compose: false beats unknown beats true. A checker never throws:
// anything it cannot decide (a bug, a limit, input it does not understand)
// yields kUnknown with a reason. Thread-safety: Check may be called
// concurrently on different histories.
#pragma once

#include <string>

#include "harness/history/op.h"

namespace faultline {

enum class Validity { kValid, kInvalid, kUnknown };

// JSON form: true, false, or "unknown".
Json ValidityToJson(Validity v);
const char* ValidityName(Validity v);  // "valid", "invalid", "unknown"
// The worse of the two: kInvalid > kUnknown > kValid.
Validity Combine(Validity a, Validity b);

struct CheckResult {
  Validity valid = Validity::kUnknown;
  Json details = Json::object();  // checker-specific; always has "valid"
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string name() const = 0;
  // Never throws; returns kUnknown with details["reason"] when undecided.
  virtual CheckResult Check(const History& history) = 0;
};

}  // namespace faultline
