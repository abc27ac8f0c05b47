// Readers for histories on disk, in three formats:
//   - faultline JSONL: one JSON object per line with index, time, type,
//     process (integer or "nemesis"), f, value and optional key, error, node
//     (see README "History format"); blank lines are skipped and unknown
//     fields ignored;
//   - Jepsen EDN: a vector (or list) of op maps, or op maps one after another
//     (porcupine's one map per line); maps may span lines. `;` comments,
//     commas, keywords, nil, booleans, strings, integers, decimals, vectors,
//     lists, maps, sets and #_ are read; tagged literals (#inst ...) and
//     symbols are rejected. `:process :nemesis` is kNemesisProcess; :time,
//     :key, :error and :node fill those fields; other keys are ignored;
//   - Jepsen log lines: `INFO  jepsen.util - 3\t:invoke\t:read\tnil` with an
//     optional fifth tab-separated error; every other line is ignored.
// Readers are pure functions of their input and are safe to call concurrently.
// On malformed input they return InvalidArgument with "source:line: what was
// wrong; expected what", never throw and never crash. Input with NUL bytes is
// rejected as binary; strings must be UTF-8; values nest at most 256 deep.
// Op::line is the line where the op starts (for EDN, where its map opens).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

enum class HistoryFormat { kAuto, kJsonl, kEdn, kJepsenLog };

// "auto", "jsonl", "edn", "jepsen-log".
const char* HistoryFormatName(HistoryFormat format);
std::optional<HistoryFormat> ParseHistoryFormat(std::string_view name);

// Guesses the format from the text itself (not the file name), looking at the
// first text that is not blank or a `;` comment: `{"` (or `{}`) is JSONL; `[`, `(` or
// `{:` is EDN; otherwise a line containing "jepsen.util - " means Jepsen log
// lines. Blank text counts as JSONL (zero ops). kAuto when nothing matches.
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
//     `:fail :read` (e.g. :timed-out) becomes info (its result is unknown),
//     with error set to the value when that is a keyword or string. An info
//     or fail whose value is a keyword (`:info :write :timed-out`) gets that
//     keyword as its error too. The value itself is always kept as written
//     ("timed-out" above): for info ops the checkers use the invocation's.
//     An explicit fifth error column wins over these rules.
//   - Jepsen EDN: an `:ok :read` whose value is nil becomes info with error
//     kNilReadError: Jepsen's models take a nil read result as unknown.
// With kAuto, text whose format cannot be detected is InvalidArgument naming
// the first line and asking for an explicit format.
Result<History> ParseHistory(std::string_view text, std::string source,
                             HistoryFormat format = HistoryFormat::kAuto);

// Reads and parses a file. NotFound / IoError when it cannot be read.
Result<History> ReadHistoryFile(const std::string& path,
                                HistoryFormat format = HistoryFormat::kAuto);

}  // namespace faultline
