#include "harness/report/text_util.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace faultline::report {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i], or 0.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    const char c = text[i];
    if (n == 1) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out += kReplacement;
          } else {
            out += c;
          }
      }
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view text) { return Escape(text); }

std::string XmlEscape(std::string_view text) { return Escape(text); }

std::string HrefPath(std::string_view relative_path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : relative_path) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '.' ||
        c == '_' || c == '~' || c == '/' || c == '-') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return HtmlEscape(out);
}

std::string FormatSeconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string FormatDuration(int64_t ns) {
  char buf[64];
  const double v = static_cast<double>(ns);
  const double a = std::fabs(v);
  if (a < 1e3) {
    std::snprintf(buf, sizeof buf, "%lld ns", static_cast<long long>(ns));
  } else if (a < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3g µs", v / 1e3);
  } else if (a < 1e9) {
    std::snprintf(buf, sizeof buf, "%.3g ms", v / 1e6);
  } else if (a < 120e9) {
    std::snprintf(buf, sizeof buf, "%.3g s", v / 1e9);
  } else {
    const int64_t s = ns / 1000000000;
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

std::string ShortJson(const Json& value, size_t max_chars, bool unquote_strings) {
  std::string s = unquote_strings && value.is_string()
                      ? value.get<std::string>()
                      : value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > max_chars) {
    size_t cut = max_chars;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
    s += "…";
  }
  return s;
}

const Json* Field(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

int64_t IntField(const Json& j, std::string_view key, int64_t fallback) {
  const Json* f = Field(j, key);
  if (!f || !f->is_number()) return fallback;
  if (f->is_number_float()) {
    // Casting a double outside int64's range is undefined behaviour (found by
    // tests/fuzz/run_results_fuzz: "start_ns": 1.8e20 in a results.json).
    const double d = f->get<double>();
    if (!(d > -9.2e18 && d < 9.2e18)) return fallback;
    return static_cast<int64_t>(d);
  }
  if (f->is_number_unsigned() &&
      f->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return fallback;
  }
  return f->get<int64_t>();
}

double NumberField(const Json& j, std::string_view key, double fallback) {
  const Json* f = Field(j, key);
  return f && f->is_number() ? f->get<double>() : fallback;
}

std::string StringField(const Json& j, std::string_view key, std::string fallback) {
  const Json* f = Field(j, key);
  return f && f->is_string() ? f->get<std::string>() : fallback;
}

std::string VerdictName(const Json& valid) {
  if (valid.is_boolean()) return valid.get<bool>() ? "valid" : "invalid";
  return "unknown";
}

std::string VerdictOf(const Json& result) {
  const Json* valid = Field(result, "valid");
  return valid ? VerdictName(*valid) : "unknown";
}

}  // namespace faultline::report
