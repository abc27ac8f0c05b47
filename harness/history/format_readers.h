// One parser per history format (internal to harness/history; callers use
// ParseHistory in reader.h, which also rejects binary input and detects the
// format). Each is a pure function of its input, safe to call concurrently,
// and returns InvalidArgument "source:line: what; expected what" on bad input.
#pragma once

#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline::history_internal {

Result<History> ParseJsonlHistory(std::string_view text, std::string source);
Result<History> ParseEdnHistory(std::string_view text, std::string source);
Result<History> ParseJepsenLogHistory(std::string_view text, std::string source);

}  // namespace faultline::history_internal
