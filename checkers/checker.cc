#include "checkers/checker.h"

namespace faultline {

Json ValidityToJson(Validity v) {
  switch (v) {
    case Validity::kValid: return true;
    case Validity::kInvalid: return false;
    case Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* ValidityName(Validity v) {
  switch (v) {
    case Validity::kValid: return "valid";
    case Validity::kInvalid: return "invalid";
    case Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

Validity Combine(Validity a, Validity b) {
  if (a == Validity::kInvalid || b == Validity::kInvalid) return Validity::kInvalid;
  if (a == Validity::kUnknown || b == Validity::kUnknown) return Validity::kUnknown;
  return Validity::kValid;
}

}  // namespace faultline
