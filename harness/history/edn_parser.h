// EdnParser: a small reader for the EDN subset that Jepsen histories use,
// producing JSON values (internal to harness/history).
//
// Accepted: nil, true, false, integers (64-bit; a trailing N is allowed),
// decimals (a trailing M is allowed), strings with escapes, characters
// (\a, \newline, \uXXXX ...), keywords (become strings without the colon),
// vectors and lists (become arrays), maps (become objects; keys that are not
// strings or keywords are written out as text), sets #{} (become arrays),
// `;` comments, commas as whitespace and #_ discarded forms.
// Rejected with a clear error: symbols other than nil/true/false, tagged
// literals (#inst ...), ##Inf, ratios, integers beyond 64 bits, bytes that
// are not UTF-8, and nesting deeper than kMaxNestingDepth.
//
// One parser reads one text; not thread-safe, but separate parsers are
// independent. Parsing is linear in the input size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/history/op.h"

namespace faultline::history_internal {

// What an EDN value was before it became JSON (keywords and strings both
// become JSON strings; some callers need to tell them apart).
enum class EdnKind {
  kNil,
  kBoolean,
  kInteger,
  kFloat,
  kString,
  kCharacter,
  kKeyword,
  kVector,
  kList,
  kMap,
  kSet,
};

// "nil", "a keyword", "a vector", ... for messages.
const char* EdnKindName(EdnKind kind);

class EdnParser {
 public:
  // `first_line` is the line number of text[0] in the file it came from.
  explicit EdnParser(std::string_view text, int64_t first_line = 1);

  // Skips whitespace, commas, `;` comments and #_ discarded forms.
  // False (error() set) when a discarded form is itself malformed.
  bool SkipSpace();
  bool AtEnd() const { return pos_ >= text_.size(); }
  // The byte at the current position; only when !AtEnd().
  char Peek() const { return text_[pos_]; }
  // Consumes one byte that is not '\n' (a delimiter the caller has checked).
  void Advance() { ++pos_; }

  // Skips space, then parses one value and stops right after it. On success
  // stores the value and its kind; on failure returns false with error() set.
  bool ParseValue(Json* out, EdnKind* kind);

  int64_t line() const { return line_; }
  int64_t column() const { return static_cast<int64_t>(pos_ - line_start_) + 1; }
  size_t offset() const { return pos_; }

  // The error of the last failed call: the line it belongs to and a message
  // "what was wrong; expected what" (without source and line).
  int64_t error_line() const { return error_line_; }
  const std::string& error() const { return error_; }

  // Records an error at the current position ("column N: what"); returns false.
  bool Fail(std::string_view what);
  // Records an error on `line` without a column; returns false.
  bool FailOnLine(int64_t line, std::string_view what);

 private:
  bool ParseAny(Json* out, EdnKind* kind);
  bool ParseString(Json* out);
  bool ParseKeyword(Json* out);
  bool ParseCharacter(Json* out);
  bool ParseNumber(Json* out, EdnKind* kind);
  bool ParseSymbol(Json* out, EdnKind* kind);
  bool ParseDispatch(Json* out, EdnKind* kind);
  bool ParseSequence(char close, const char* name, size_t opener_size, Json* out);
  bool ParseMap(Json* out);
  bool Enter();
  void Leave() { --depth_; }
  std::string_view Token();  // bytes up to the next delimiter
  void NewLine();            // call with pos_ just past a '\n'

  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_;
  size_t line_start_ = 0;
  int depth_ = 0;
  int64_t error_line_ = 0;
  std::string error_;
};

}  // namespace faultline::history_internal
