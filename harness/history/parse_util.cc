#include "harness/history/parse_util.h"

#include <cstring>
#include <limits>

namespace faultline::history_internal {

Status ErrorAt(std::string_view source, int64_t line, std::string_view what) {
  std::string message;
  message.reserve(source.size() + what.size() + 24);
  message.append(source);
  message += ':';
  message += std::to_string(line);
  message += ": ";
  message.append(what);
  return Status::InvalidArgument(std::move(message));
}

std::string Snippet(std::string_view text, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool cut = text.size() > max_bytes;
  if (cut) text = text.substr(0, max_bytes);
  std::string out;
  out.reserve(text.size() + 8);
  for (char ch : text) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += ch;
    }
  }
  if (cut) out += "...";
  return out;
}

std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char b = bytes[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Ranges from RFC 3629: no overlong forms, no surrogates, max U+10FFFF.
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b == 0xe0) {
      len = 3, lo = 0xa0;
    } else if (b == 0xed) {
      len = 3, hi = 0x9f;
    } else if (b >= 0xe1 && b <= 0xef) {
      len = 3;
    } else if (b == 0xf0) {
      len = 4, lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) {
      len = 4;
    } else if (b == 0xf4) {
      len = 4, hi = 0x8f;
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    }
    i += len;
  }
  return std::nullopt;
}

bool LineCursor::Next(std::string_view* line, int64_t* number) {
  if (done_) return false;
  const void* nl = std::memchr(rest_.data(), '\n', rest_.size());
  std::string_view current;
  if (nl == nullptr) {
    done_ = true;
    if (rest_.empty()) return false;  // text ended with '\n' (or was empty)
    current = rest_;
    rest_ = {};
  } else {
    size_t len = static_cast<const char*>(nl) - rest_.data();
    current = rest_.substr(0, len);
    rest_.remove_prefix(len + 1);
  }
  if (!current.empty() && current.back() == '\r') current.remove_suffix(1);
  *line = current;
  *number = ++number_;
  return true;
}

size_t CountNewlines(std::string_view text) {
  size_t count = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', end - p);
    if (nl == nullptr) break;
    ++count;
    p = static_cast<const char*>(nl) + 1;
  }
  return count;
}

bool IsBlank(std::string_view line) {
  for (char ch : line) {
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\f' && ch != '\v') return false;
  }
  return true;
}

int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::optional<int64_t> AsNonNegativeInt64(const Json& value) {
  if (value.is_number_unsigned()) {
    uint64_t n = value.get<uint64_t>();
    if (n <= uint64_t{std::numeric_limits<int64_t>::max()}) return static_cast<int64_t>(n);
  } else if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return value.get<int64_t>();
  }
  return std::nullopt;
}

Result<OpType> ParseOpTypeField(std::string_view name) {
  if (auto type = ParseOpType(name)) return *type;
  return Status::InvalidArgument("unknown op type \"" + Snippet(name) +
                                 "\"; expected invoke, ok, fail or info");
}

}  // namespace faultline::history_internal
