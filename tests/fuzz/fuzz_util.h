// Helpers shared by the parser fuzz targets: a property violation aborts
// (libFuzzer reports it as a crash, keeping the input), and the checks every
// parser's error contract needs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/base/status.h"

namespace faultline::fuzz {

[[noreturn]] inline void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "property violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline std::string AsText(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Whether `text` is valid UTF-8 (messages end up in results.json and
// reports, which are written as strict JSON).
inline bool IsUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// The error contract: the wanted code, a message that starts with `prefix`
// (the source the user must look at), says what was expected, and is UTF-8
// (unless `utf8` is false: messages that quote command-line words, which are
// any bytes, and go to the terminal only).
inline void CheckError(const Status& status, const std::string& prefix,
                       Status::Code code = Status::Code::kInvalidArgument,
                       bool says_expected = true, bool utf8 = true) {
  if (status.ok()) Fail("failure without an error", "");
  if (status.code() != code) Fail("error code", status.ToString());
  const std::string& message = status.message();
  if (message.empty()) Fail("empty error message", status.ToString());
  if (message.rfind(prefix, 0) != 0) Fail("error does not name its source", message);
  if (says_expected && message.find("expected") == std::string::npos)
    Fail("error says nothing expected", message);
  if (utf8 && !IsUtf8(message)) Fail("error message is not UTF-8", message);
}

// The input cut at '\0' bytes: how targets that take several strings (argv
// words, parser plus argument) read them.
inline std::vector<std::string> SplitNul(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t nul = text.find('\0', start);
    out.push_back(text.substr(start, nul == std::string::npos ? std::string::npos : nul - start));
    if (nul == std::string::npos) return out;
    start = nul + 1;
  }
}

}  // namespace faultline::fuzz
