// Readers for histories on disk, in three formats:
//   - faultline JSONL: one JSON object per line (see README "History format");
//   - Jepsen EDN: a vector of op maps, or one map per line (`;` comments,
//     keywords, nil, strings, integers, vectors, maps, extra keys ignored);
//   - Jepsen log lines: `INFO  jepsen.util - 3\t:invoke\t:read\tnil`; every
//     other line is ignored.
// Readers are pure functions of their input and are safe to call concurrently.
// On malformed input they return InvalidArgument with "source:line: what was
// wrong; expected what", never throw and never crash.
#pragma once

#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

enum class HistoryFormat { kAuto, kJsonl, kEdn, kJepsenLog };

// "auto", "jsonl", "edn", "jepsen-log".
const char* HistoryFormatName(HistoryFormat format);
std::optional<HistoryFormat> ParseHistoryFormat(std::string_view name);

// Guesses the format from the text itself (not the file name).
HistoryFormat DetectHistoryFormat(std::string_view text);

// Parses `text`; `source` names it in error messages and History::source.
// Keyword values become strings (":read" -> "read"), nil becomes null, EDN
// vectors become JSON arrays, EDN maps become JSON objects. Op::index is set
// from the position in the file (a source :index is ignored); Op::time from
// :time when present.
//
// Format-specific semantics, applied here so the checker sees one meaning:
//   - Jepsen log lines: `:fail :cas [a b]` becomes an op with type fail and
//     error kCasMismatchError (the compare was observed not to match);
//     `:fail :read` (e.g. :timed-out) becomes info (its result is unknown).
Result<History> ParseHistory(std::string_view text, std::string source,
                             HistoryFormat format = HistoryFormat::kAuto);

// Reads and parses a file. NotFound / IoError when it cannot be read.
Result<History> ReadHistoryFile(const std::string& path,
                                HistoryFormat format = HistoryFormat::kAuto);

}  // namespace faultline
