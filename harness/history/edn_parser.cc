#include "harness/history/edn_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

#include "harness/history/parse_util.h"

namespace faultline::history_internal {
namespace {

bool IsDelimiter(char ch) {
  switch (ch) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\f':
    case '\v':
    case ',':
    case '"':
    case ';':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
      return true;
    default:
      return false;
  }
}

bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }

// Reads 4 hex digits at text[0..4); -1 when they are not there.
int32_t ReadHex4(std::string_view text) {
  if (text.size() < 4) return -1;
  int32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    int digit = HexValue(text[i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

std::string QuoteByte(char ch) {
  auto byte = static_cast<unsigned char>(ch);
  if (byte < 0x20 || byte >= 0x7f) return "byte " + Snippet(std::string_view(&ch, 1));
  return std::string("'") + ch + "'";
}

}  // namespace

const char* EdnKindName(EdnKind kind) {
  switch (kind) {
    case EdnKind::kNil:
      return "nil";
    case EdnKind::kBoolean:
      return "a boolean";
    case EdnKind::kInteger:
      return "an integer";
    case EdnKind::kFloat:
      return "a decimal number";
    case EdnKind::kString:
      return "a string";
    case EdnKind::kCharacter:
      return "a character";
    case EdnKind::kKeyword:
      return "a keyword";
    case EdnKind::kVector:
      return "a vector";
    case EdnKind::kList:
      return "a list";
    case EdnKind::kMap:
      return "a map";
    case EdnKind::kSet:
      return "a set";
  }
  return "a value";
}

EdnParser::EdnParser(std::string_view text, int64_t first_line) : text_(text), line_(first_line) {}

bool EdnParser::Fail(std::string_view what) {
  error_line_ = line_;
  error_ = "column " + std::to_string(column()) + ": ";
  error_.append(what);
  return false;
}

bool EdnParser::FailOnLine(int64_t line, std::string_view what) {
  error_line_ = line;
  error_.assign(what);
  return false;
}

void EdnParser::NewLine() {
  ++line_;
  line_start_ = pos_;
}

bool EdnParser::Enter() {
  if (++depth_ > kMaxNestingDepth) {
    return Fail("values nest deeper than " + std::to_string(kMaxNestingDepth) +
                " levels; expected flatter data");
  }
  return true;
}

std::string_view EdnParser::Token() {
  size_t start = pos_;
  while (pos_ < text_.size() && !IsDelimiter(text_[pos_])) ++pos_;
  return text_.substr(start, pos_ - start);
}

bool EdnParser::SkipSpace() {
  while (pos_ < text_.size()) {
    char ch = text_[pos_];
    switch (ch) {
      case '\n':
        ++pos_;
        NewLine();
        break;
      case ' ':
      case '\t':
      case '\r':
      case '\f':
      case '\v':
      case ',':
        ++pos_;
        break;
      case ';': {
        const void* nl = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
        pos_ = nl == nullptr ? text_.size() : static_cast<const char*>(nl) - text_.data();
        break;
      }
      case '#':
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '_') {
          pos_ += 2;
          if (!Enter()) return false;
          Json discarded;
          EdnKind kind;
          if (!ParseValue(&discarded, &kind)) return false;
          Leave();
          break;
        }
        return true;
      default:
        return true;
    }
  }
  return true;
}

bool EdnParser::ParseValue(Json* out, EdnKind* kind) {
  if (!SkipSpace()) return false;
  if (AtEnd()) return Fail("the input ends where a value was expected; expected a value");
  return ParseAny(out, kind);
}

bool EdnParser::ParseAny(Json* out, EdnKind* kind) {
  char ch = text_[pos_];
  switch (ch) {
    case '"':
      *kind = EdnKind::kString;
      return ParseString(out);
    case ':':
      *kind = EdnKind::kKeyword;
      return ParseKeyword(out);
    case '\\':
      *kind = EdnKind::kCharacter;
      return ParseCharacter(out);
    case '[':
      *kind = EdnKind::kVector;
      return ParseSequence(']', "vector", 1, out);
    case '(':
      *kind = EdnKind::kList;
      return ParseSequence(')', "list", 1, out);
    case '{':
      *kind = EdnKind::kMap;
      return ParseMap(out);
    case '#':
      return ParseDispatch(out, kind);
    case ']':
    case ')':
    case '}':
      return Fail(std::string("unexpected '") + ch +
                  "' with nothing open to close; expected a value");
    default:
      break;
  }
  if (IsDigit(ch) ||
      ((ch == '-' || ch == '+') && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
    return ParseNumber(out, kind);
  }
  auto byte = static_cast<unsigned char>(ch);
  if (byte < 0x20 || byte >= 0x7f) {
    return Fail("unexpected " + QuoteByte(ch) + "; expected an EDN value");
  }
  return ParseSymbol(out, kind);
}

bool EdnParser::ParseString(Json* out) {
  int64_t start_line = line_;
  size_t start = pos_;
  ++pos_;  // opening quote
  std::string value;
  while (true) {
    size_t run = pos_;
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\' &&
           text_[pos_] != '\n') {
      ++pos_;
    }
    value.append(text_.substr(run, pos_ - run));
    if (pos_ >= text_.size()) {
      return FailOnLine(start_line, "string starting with \"" +
                                        Snippet(text_.substr(start + 1, 20)) +
                                        " is not terminated; expected a closing '\"'");
    }
    char ch = text_[pos_++];
    if (ch == '"') break;
    if (ch == '\n') {
      value += '\n';
      NewLine();
      continue;
    }
    // A backslash escape.
    if (pos_ >= text_.size()) continue;  // reported as unterminated above
    char esc = text_[pos_++];
    switch (esc) {
      case 't':
        value += '\t';
        break;
      case 'n':
        value += '\n';
        break;
      case 'r':
        value += '\r';
        break;
      case 'b':
        value += '\b';
        break;
      case 'f':
        value += '\f';
        break;
      case '"':
        value += '"';
        break;
      case '\\':
        value += '\\';
        break;
      case 'u': {
        int32_t cp = ReadHex4(text_.substr(pos_));
        if (cp < 0) {
          --pos_;
          return Fail("\\u in a string is not followed by 4 hex digits; expected \\uXXXX");
        }
        pos_ += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          int32_t low = -1;
          if (text_.substr(pos_, 2) == "\\u") low = ReadHex4(text_.substr(pos_ + 2));
          if (low < 0xdc00 || low > 0xdfff) {
            return Fail(
                "\\u escape is half of a surrogate pair; expected a second \\uDC00-\\uDFFF");
          }
          pos_ += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          return Fail("\\u escape is a lone low surrogate; expected a valid code point");
        }
        AppendUtf8(static_cast<uint32_t>(cp), &value);
        break;
      }
      default:
        --pos_;
        return Fail("unknown escape \\" + Snippet(std::string_view(&esc, 1)) +
                    " in a string; expected one of \\t \\n \\r \\b \\f \\\" \\\\ \\uXXXX");
    }
  }
  if (auto bad = FindInvalidUtf8(value)) {
    return FailOnLine(start_line, "string contains bytes that are not UTF-8 (" +
                                      Snippet(value.substr(*bad, 4)) + "); expected UTF-8 text");
  }
  *out = std::move(value);
  return true;
}

bool EdnParser::ParseKeyword(Json* out) {
  ++pos_;  // ':'
  std::string_view name = Token();
  if (name.empty()) {
    return Fail("':' is not followed by a name; expected a keyword such as :read");
  }
  if (name.front() == ':') {
    return Fail("auto-resolved keyword ::" + Snippet(name.substr(1)) +
                " is not supported; expected a keyword with one colon");
  }
  if (auto bad = FindInvalidUtf8(name)) {
    return Fail("keyword contains bytes that are not UTF-8 (" + Snippet(name.substr(*bad, 4)) +
                "); expected UTF-8 text");
  }
  *out = std::string(name);
  return true;
}

bool EdnParser::ParseCharacter(Json* out) {
  ++pos_;  // backslash
  if (AtEnd()) return Fail("'\\' at the end of the input; expected a character such as \\a");
  // The first byte belongs to the character even when it is a delimiter (\( or \,).
  size_t start = pos_;
  auto first = static_cast<unsigned char>(text_[pos_]);
  size_t first_len = first < 0x80 ? 1 : first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : 2;
  if (first == '\n') {
    ++pos_;
    NewLine();
    *out = std::string("\n");
    return true;
  }
  pos_ = std::min(text_.size(), pos_ + first_len);
  Token();
  std::string_view name = text_.substr(start, pos_ - start);
  if (auto bad = FindInvalidUtf8(name)) {
    return Fail("character contains bytes that are not UTF-8 (" + Snippet(name.substr(*bad, 4)) +
                "); expected UTF-8 text");
  }
  if (name.size() == first_len) {
    *out = std::string(name);
    return true;
  }
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"newline", '\n'}, {"space", ' '},      {"tab", '\t'},
      {"return", '\r'},  {"backspace", '\b'}, {"formfeed", '\f'},
  };
  for (const auto& [named, ch] : kNamed) {
    if (name == named) {
      *out = std::string(1, ch);
      return true;
    }
  }
  if (name.size() == 5 && name[0] == 'u') {
    int32_t cp = ReadHex4(name.substr(1));
    if (cp >= 0 && (cp < 0xd800 || cp > 0xdfff)) {
      std::string value;
      AppendUtf8(static_cast<uint32_t>(cp), &value);
      *out = std::move(value);
      return true;
    }
  }
  return Fail("unknown character \\" + Snippet(name) +
              "; expected a single character or \\newline, \\space, \\tab, \\return, "
              "\\backspace, \\formfeed, \\uXXXX");
}

bool EdnParser::ParseNumber(Json* out, EdnKind* kind) {
  size_t start = pos_;
  std::string_view token = Token();
  auto malformed = [&](std::string_view why) {
    pos_ = start;
    return Fail("malformed number '" + Snippet(token) + "' (" + std::string(why) +
                "); expected an integer such as -12 or a decimal such as 1.5e3");
  };
  std::string_view body = token;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body.find('/') != std::string_view::npos) return malformed("ratios are not supported");
  bool is_float = body.back() == 'M' || body.find_first_of(".eE") != std::string_view::npos;
  if (body.back() == 'N' || body.back() == 'M') body.remove_suffix(1);
  if (body.empty()) return malformed("no digits");
  if (!is_float) {
    for (char ch : body) {
      if (!IsDigit(ch)) return malformed("unexpected '" + Snippet(std::string_view(&ch, 1)) + "'");
    }
    if (body.size() > 1 && body.front() == '0') return malformed("leading zero");
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), magnitude);
    constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
    if (ec != std::errc() || (negative && magnitude > kMinMagnitude)) {
      pos_ = start;
      return Fail("integer " + Snippet(token) +
                  " does not fit in 64 bits; expected a value from -2^63 to 2^64-1");
    }
    *kind = EdnKind::kInteger;
    if (negative) {
      *out = magnitude == kMinMagnitude ? std::numeric_limits<int64_t>::min()
                                        : -static_cast<int64_t>(magnitude);
    } else if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      *out = static_cast<int64_t>(magnitude);
    } else {
      *out = magnitude;
    }
    return true;
  }
  for (char ch : body) {
    if (!IsDigit(ch) && ch != '.' && ch != 'e' && ch != 'E' && ch != '+' && ch != '-') {
      return malformed("unexpected '" + Snippet(std::string_view(&ch, 1)) + "'");
    }
  }
  double value = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec == std::errc::result_out_of_range) {
    pos_ = start;
    return Fail("number " + Snippet(token) +
                " is out of the range of a 64-bit float; expected a smaller number");
  }
  if (ec != std::errc() || end != body.data() + body.size()) return malformed("not a number");
  *kind = EdnKind::kFloat;
  *out = negative ? -value : value;
  return true;
}

bool EdnParser::ParseSymbol(Json* out, EdnKind* kind) {
  size_t start = pos_;
  std::string_view token = Token();
  if (token == "nil") {
    *kind = EdnKind::kNil;
    *out = nullptr;
    return true;
  }
  if (token == "true" || token == "false") {
    *kind = EdnKind::kBoolean;
    *out = token == "true";
    return true;
  }
  pos_ = start;
  return Fail("bare symbol '" + Snippet(token) +
              "' is not supported; expected nil, true, false, a number, a \"string\", "
              "a :keyword, or a collection");
}

bool EdnParser::ParseDispatch(Json* out, EdnKind* kind) {
  std::string_view next = text_.substr(pos_ + 1, 1);
  if (next == "{") {
    *kind = EdnKind::kSet;
    return ParseSequence('}', "set", 2, out);
  }
  // #_ is handled by SkipSpace before any value.
  if (next == "#") {
    size_t start = pos_;
    ++pos_;
    std::string_view name = Token();
    pos_ = start;
    return Fail("symbolic value #" + Snippet(name) +
                " is not supported; expected a finite number or nil");
  }
  if (!next.empty() && (std::isalpha(static_cast<unsigned char>(next[0])) != 0)) {
    size_t start = pos_;
    ++pos_;
    std::string_view tag = Token();
    pos_ = start;
    return Fail("tagged literal #" + Snippet(tag) +
                " is not supported; expected plain EDN data (nil, booleans, numbers, strings, "
                "keywords, vectors, lists, maps, sets)");
  }
  return Fail("'#" + Snippet(next) +
              "' is not supported; expected #{ for a set or #_ to discard a form");
}

bool EdnParser::ParseSequence(char close, const char* name, size_t opener_size, Json* out) {
  int64_t open_line = line_;
  if (!Enter()) return false;
  pos_ += opener_size;
  *out = Json::array();
  while (true) {
    if (!SkipSpace()) return false;
    if (AtEnd()) {
      return FailOnLine(open_line, std::string("the ") + name +
                                       " opened on this line is not closed; "
                                       "expected '" +
                                       close + "' before the end of the input");
    }
    char ch = text_[pos_];
    if (ch == close) {
      ++pos_;
      break;
    }
    if (ch == ']' || ch == ')' || ch == '}') {
      return Fail(std::string("found '") + ch + "'; expected '" + close + "' to close the " + name +
                  " opened on line " + std::to_string(open_line));
    }
    Json& element = out->emplace_back();
    EdnKind element_kind;
    if (!ParseAny(&element, &element_kind)) return false;
  }
  Leave();
  return true;
}

bool EdnParser::ParseMap(Json* out) {
  int64_t open_line = line_;
  if (!Enter()) return false;
  ++pos_;
  *out = Json::object();
  auto not_closed = [&] {
    return FailOnLine(open_line,
                      "the map opened on this line is not closed; expected '}' "
                      "before the end of the input");
  };
  while (true) {
    if (!SkipSpace()) return false;
    if (AtEnd()) return not_closed();
    char ch = text_[pos_];
    if (ch == '}') {
      ++pos_;
      break;
    }
    if (ch == ']' || ch == ')') {
      return Fail(std::string("found '") + ch + "'; expected '}' to close the map opened on line " +
                  std::to_string(open_line));
    }
    Json key;
    EdnKind key_kind;
    if (!ParseAny(&key, &key_kind)) return false;
    std::string key_text;
    if (key.is_string()) {
      key_text = key.get<std::string>();
    } else if (key.is_null()) {
      key_text = "nil";
    } else {
      key_text = key.dump();
    }
    if (!SkipSpace()) return false;
    if (AtEnd()) return not_closed();
    if (text_[pos_] == '}') {
      return Fail("map key " + Snippet(key_text) +
                  " has no value; expected a value after each key");
    }
    Json value;
    EdnKind value_kind;
    if (!ParseAny(&value, &value_kind)) return false;
    if (out->contains(key_text)) {
      return Fail("duplicate map key " + Snippet(key_text) + "; expected each key once");
    }
    (*out)[std::move(key_text)] = std::move(value);
  }
  Leave();
  return true;
}

}  // namespace faultline::history_internal
