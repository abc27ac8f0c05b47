// Helpers shared by the history readers (internal to harness/history): error
// messages that name source and line, safe snippets of bad input, UTF-8
// checks, line splitting and the op-field rules every format shares.
// Stateless functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline::history_internal {

// Values nested deeper than this are rejected, so that hostile input cannot
// exhaust the stack of a recursive reader or of code that walks the values.
inline constexpr int kMaxNestingDepth = 256;

// InvalidArgument "source:line: what".
Status ErrorAt(std::string_view source, int64_t line, std::string_view what);

// `text` cut to `max_bytes` and made printable: control bytes, DEL and bytes
// >= 0x80 become \xNN, so that messages stay valid ASCII whatever the input.
std::string Snippet(std::string_view text, size_t max_bytes = 40);

// Offset of the first byte that is not part of well-formed UTF-8, or nullopt.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

// Splits text into lines on '\n' (a trailing '\r' is dropped) without copying.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : rest_(text) {}
  // Stores the next line and its 1-based number; false at the end of text.
  bool Next(std::string_view* line, int64_t* number);

 private:
  std::string_view rest_;
  int64_t number_ = 0;
  bool done_ = false;
};

// Counts '\n' in text, to reserve space for ops before parsing.
size_t CountNewlines(std::string_view text);

// True when `line` holds only spaces, tabs, '\r', '\f' or '\v'.
bool IsBlank(std::string_view line);

// Value of a hex digit, or -1.
int HexValue(char ch);

// Appends code point `cp` (not a surrogate, <= U+10FFFF) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out);

// The value when it is an integer in [0, INT64_MAX]; nullopt otherwise.
std::optional<int64_t> AsNonNegativeInt64(const Json& value);

// Checks an op type name; on failure the message says what was expected.
Result<OpType> ParseOpTypeField(std::string_view name);

}  // namespace faultline::history_internal
