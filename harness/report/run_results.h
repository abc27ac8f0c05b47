// RunResults: the typed content of a run's results.json, the one contract
// between the runner (which writes it once, at the end of a run or of an
// analyze) and the reporters (which read it). results.json is
//   {"valid": true | false | "unknown",                    (required)
//    "checkers": {"<name>": {"valid": true|false|"unknown", ...details}},
//    "phases": [{"name", "start_ns", "end_ns", "status", "error"?}],
//    "errors": ["harness error", ...],
//    "interrupted": true,           (optional: stopped early)
//    "interrupted_at": "run",       (optional: the phase it stopped in)
//    "warnings": ["...", ...]}      (optional)
// Unknown fields are kept (FromJson then ToJson gives them back).
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

struct PhaseRecord {
  std::string name;
  int64_t start_ns = 0, end_ns = 0;
  std::string status = "ok";  // ok | failed | interrupted | skipped
  std::string error;          // empty when none
};

struct RunResults {
  Validity valid = Validity::kUnknown;
  Json checkers = Json::object();  // name -> details, each with "valid"
  std::vector<PhaseRecord> phases;
  std::vector<std::string> errors;    // harness errors (a phase failed)
  bool interrupted = false;           // Ctrl-C, SIGTERM, or a killed controller
  std::string interrupted_at;         // the phase it stopped in, when known
  std::vector<std::string> warnings;  // e.g. a history line cut mid-way
  Json extra = Json::object();        // fields this version does not know

  Json ToJson() const;
  // InvalidArgument naming `source` and the field when `j` does not have the
  // shape above.
  static Result<RunResults> FromJson(const Json& j, const std::string& source);
};

}  // namespace faultline
