// Text helpers shared by the reporters: escaping for HTML and XML, relative
// links, human units, and tolerant reads of JSON written by other components
// (a reporter shows what is there and never fails on a missing detail).
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace faultline::report {

using Json = nlohmann::json;

// Replaces each byte sequence that is not valid UTF-8 with U+FFFD.
std::string SanitizeUtf8(std::string_view text);

// Escapes & < > " ' for element text and attribute values (either quote).
// Invalid UTF-8, and the controls XML 1.0 forbids even escaped (all below
// U+0020 except tab, newline and carriage return), become U+FFFD.
std::string HtmlEscape(std::string_view text);
// The same escaping, named for XML output.
std::string XmlEscape(std::string_view text);

// A relative path made safe for href: every byte except [A-Za-z0-9._~/-] is
// percent-encoded (':' too, so no scheme can appear), then HTML-escaped.
std::string HrefPath(std::string_view relative_path);

// "850 ns", "12.3 µs", "4.56 ms", "1.23 s", "2 min 5 s".
std::string FormatDuration(int64_t ns);
// Seconds with up to 3 decimals, trailing zeros dropped: "12.5".
std::string FormatSeconds(double seconds);

// Compact JSON (strings unquoted when `unquote_strings`), cut to `max_chars`
// with an ellipsis.
std::string ShortJson(const Json& value, size_t max_chars = 160, bool unquote_strings = false);

// Tolerant accessors: the default when `j` is not an object, lacks `key`, or
// holds another type (IntField: or a number outside int64's range).
const Json* Field(const Json& j, std::string_view key);
int64_t IntField(const Json& j, std::string_view key, int64_t fallback = 0);
double NumberField(const Json& j, std::string_view key, double fallback = 0);
std::string StringField(const Json& j, std::string_view key, std::string fallback = "");

// A stored verdict: true -> "valid", false -> "invalid", anything else -> "unknown".
std::string VerdictName(const Json& valid);
// VerdictName of result["valid"]; "unknown" when there is none.
std::string VerdictOf(const Json& result);

}  // namespace faultline::report
