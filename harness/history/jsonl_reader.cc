// faultline JSONL histories: one JSON object per line.
//
// A dedicated recursive-descent parser reads each line straight into an Op:
// the op's own fields never become a JSON object, only value, key and error
// become Json values. nlohmann's lexer was measured at over 1 s per million
// lines alone (it copies every token and builds a parser per line); this one
// reads each byte once and allocates only for the Json values it keeps.
#include <charconv>

#include "harness/history/format_readers.h"
#include "harness/history/parse_util.h"

namespace faultline::history_internal {
namespace {

enum class Field { kIndex, kTime, kType, kProcess, kF, kValue, kKey, kError, kNode, kOther };

Field ClassifyField(std::string_view name) {
  switch (name.size()) {
    case 1:
      if (name == "f") return Field::kF;
      break;
    case 3:
      if (name == "key") return Field::kKey;
      break;
    case 4:
      if (name == "time") return Field::kTime;
      if (name == "type") return Field::kType;
      if (name == "node") return Field::kNode;
      break;
    case 5:
      if (name == "index") return Field::kIndex;
      if (name == "value") return Field::kValue;
      if (name == "error") return Field::kError;
      break;
    case 7:
      if (name == "process") return Field::kProcess;
      break;
    default:
      break;
  }
  return Field::kOther;
}

constexpr uint32_t Bit(Field field) { return uint32_t{1} << static_cast<int>(field); }

// "null", "the number 7", "the string \"abc\"", "an object", ... for messages.
std::string Describe(const Json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  if (value.is_string())
    return "the string \"" + Snippet(value.get_ref<const std::string&>()) + "\"";
  if (value.is_number()) return "the number " + value.dump();
  return value.dump();
}

// Parses one line. Not reentrant; reuse one per history to keep its buffer.
class OpLineParser {
 public:
  // Fills `op` from `line`; false with error() set when the line is bad.
  bool Parse(std::string_view line, Op* op) {
    text_ = line;
    pos_ = 0;
    error_.clear();
    SkipSpace();
    if (AtEnd() || text_[pos_] != '{') {
      return Fail("the line starts with " + Found() +
                  "; expected a JSON object such as {\"type\":\"invoke\",\"process\":0,"
                  "\"f\":\"read\",\"value\":null}");
    }
    if (!ParseOp(op)) return false;
    SkipSpace();
    if (!AtEnd()) {
      return Fail("unexpected " + Found() +
                  " after the op object; expected one JSON object per line");
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char ch = text_[pos_];
      if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') break;
      ++pos_;
    }
  }

  // Describes the text at the current position, for messages.
  std::string Found() const {
    if (AtEnd()) return "the end of the line";
    char ch = text_[pos_];
    auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte >= 0x7f) return "byte " + Snippet(text_.substr(pos_, 1));
    return "'" + Snippet(text_.substr(pos_, 12)) + "'";
  }

  bool Fail(std::string_view what) {
    error_ = "column " + std::to_string(pos_ + 1) + ": ";
    error_.append(what);
    return false;
  }

  bool Expect(char ch, const char* expected) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != ch) return Fail("found " + Found() + "; expected " + expected);
    ++pos_;
    return true;
  }

  bool ParseOp(Op* op) {
    ++pos_;  // '{'
    uint32_t seen = 0;
    SkipSpace();
    if (!AtEnd() && text_[pos_] == '}') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        size_t key_pos = pos_;
        if (AtEnd() || text_[pos_] != '"') {
          return Fail("found " + Found() + "; expected a field name in double quotes");
        }
        if (!ParseString(&key_)) return false;
        if (!Expect(':', "':' after the field name")) return false;
        SkipSpace();
        Field field = ClassifyField(key_);
        if (field != Field::kOther) {
          if ((seen & Bit(field)) != 0) {
            pos_ = key_pos;
            return Fail("duplicate field \"" + Snippet(key_) + "\"; expected each field once");
          }
          seen |= Bit(field);
        }
        if (!ParseField(field, op)) return false;
        SkipSpace();
        if (AtEnd()) return Fail("the line ends inside the op object; expected ',' or '}'");
        if (text_[pos_] == '}') {
          ++pos_;
          break;
        }
        if (!Expect(',', "',' or '}' after a field")) return false;
      }
    }
    for (Field required : {Field::kType, Field::kProcess, Field::kF}) {
      if ((seen & Bit(required)) == 0) {
        const char* name = required == Field::kType      ? "type"
                           : required == Field::kProcess ? "process"
                                                         : "f";
        pos_ = 0;
        return Fail(std::string("the op has no \"") + name +
                    "\"; expected \"type\", \"process\" and \"f\" in every op");
      }
    }
    return true;
  }

  bool ParseField(Field field, Op* op) {
    switch (field) {
      case Field::kValue:
        return ParseValue(&op->value, 1);
      case Field::kKey:
        return ParseValue(&op->key, 1);
      case Field::kError:
        return ParseValue(&op->error, 1);
      case Field::kOther: {
        Json ignored;
        return ParseValue(&ignored, 1);
      }
      default:
        break;
    }
    // The rest are scalars; a string is decoded into scratch_ without a Json.
    size_t value_pos = pos_;
    Json value;
    bool is_string = !AtEnd() && text_[pos_] == '"';
    if (is_string ? !ParseString(&scratch_) : !ParseValue(&value, 1)) return false;
    auto wrong = [&](const char* expected) {
      if (is_string) value = scratch_;
      pos_ = value_pos;
      return Fail("\"" + key_ + "\" is " + Describe(value) + "; expected " + expected);
    };
    switch (field) {
      case Field::kType: {
        if (!is_string) return wrong("\"invoke\", \"ok\", \"fail\" or \"info\"");
        Result<OpType> type = ParseOpTypeField(scratch_);
        if (!type.ok()) {
          pos_ = value_pos;
          return Fail(type.status().message());
        }
        op->type = *type;
        return true;
      }
      case Field::kProcess:
        if (is_string && scratch_ == "nemesis") {
          op->process = kNemesisProcess;
          return true;
        }
        if (auto process = AsNonNegativeInt64(value); process && !is_string) {
          op->process = *process;
          return true;
        }
        return wrong("a non-negative integer or \"nemesis\"");
      case Field::kF:
        if (!is_string || scratch_.empty()) return wrong("a non-empty string such as \"read\"");
        op->f = scratch_;
        return true;
      case Field::kNode:
        if (is_string) {
          op->node = scratch_;
          return true;
        }
        if (value.is_null()) return true;
        return wrong("a string naming the node");
      case Field::kTime:
        if (auto time = AsNonNegativeInt64(value); time && !is_string) {
          op->time = *time;
          return true;
        }
        return wrong("a non-negative integer (nanoseconds since the test started)");
      case Field::kIndex:
        // Checked but not used: Op::index is the position in the file.
        if (AsNonNegativeInt64(value) && !is_string) return true;
        return wrong("a non-negative integer");
      default:
        return true;
    }
  }

  bool ParseValue(Json* out, int depth) {
    SkipSpace();
    if (AtEnd()) return Fail("the line ends where a value was expected; expected a JSON value");
    char ch = text_[pos_];
    switch (ch) {
      case '"': {
        std::string text;
        if (!ParseString(&text)) return false;
        *out = std::move(text);
        return true;
      }
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case 't':
        return ParseLiteral("true", true, out);
      case 'f':
        return ParseLiteral("false", false, out);
      case 'n':
        return ParseLiteral("null", nullptr, out);
      default:
        if (ch == '-' || (ch >= '0' && ch <= '9')) return ParseNumber(out);
        return Fail("found " + Found() + "; expected a JSON value");
    }
  }

  template <typename T>
  bool ParseLiteral(std::string_view word, T value, Json* out) {
    if (text_.substr(pos_, word.size()) != word) {
      return Fail("found " + Found() +
                  "; expected a JSON value (true, false, null, a number, a "
                  "string, an array or an object)");
    }
    pos_ += word.size();
    *out = value;
    return true;
  }

  bool EnterNested(int depth) {
    if (depth > kMaxNestingDepth) {
      return Fail("values nest deeper than " + std::to_string(kMaxNestingDepth) +
                  " levels; expected flatter data");
    }
    return true;
  }

  bool ParseArray(Json* out, int depth) {
    if (!EnterNested(depth)) return false;
    ++pos_;  // '['
    *out = Json::array();
    SkipSpace();
    if (!AtEnd() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      if (!ParseValue(&out->emplace_back(), depth)) return false;
      SkipSpace();
      if (AtEnd()) return Fail("the line ends inside an array; expected ',' or ']'");
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      if (!Expect(',', "',' or ']' in an array")) return false;
    }
  }

  bool ParseObject(Json* out, int depth) {
    if (!EnterNested(depth)) return false;
    ++pos_;  // '{'
    *out = Json::object();
    SkipSpace();
    if (!AtEnd() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (AtEnd() || text_[pos_] != '"') {
        return Fail("found " + Found() + "; expected an object key in double quotes");
      }
      std::string key;
      if (!ParseString(&key)) return false;
      if (!Expect(':', "':' after an object key")) return false;
      // Like most JSON readers, a repeated key keeps its last value.
      if (!ParseValue(&(*out)[std::move(key)], depth)) return false;
      SkipSpace();
      if (AtEnd()) return Fail("the line ends inside an object; expected ',' or '}'");
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      if (!Expect(',', "',' or '}' in an object")) return false;
    }
  }

  // Reads the string at pos_ (which is '"') into *out.
  bool ParseString(std::string* out) {
    size_t start = pos_;
    ++pos_;
    out->clear();
    while (true) {
      size_t run = pos_;
      while (pos_ < text_.size()) {
        auto byte = static_cast<unsigned char>(text_[pos_]);
        if (byte == '"' || byte == '\\' || byte < 0x20 || byte >= 0x80) break;
        ++pos_;
      }
      out->append(text_.data() + run, pos_ - run);
      if (AtEnd()) {
        pos_ = start;
        return Fail(
            "the string starting here is not terminated; expected a closing '\"' on the "
            "same line");
      }
      auto byte = static_cast<unsigned char>(text_[pos_]);
      if (byte == '"') {
        ++pos_;
        return true;
      }
      if (byte >= 0x80) {
        std::optional<size_t> bad = FindInvalidUtf8(text_.substr(pos_, 4));
        size_t len = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
        if ((bad && *bad == 0) || pos_ + len > text_.size()) {
          return Fail("a string contains bytes that are not UTF-8 (" +
                      Snippet(text_.substr(pos_, 4)) + "); expected UTF-8 text");
        }
        out->append(text_.data() + pos_, len);
        pos_ += len;
        continue;
      }
      if (byte < 0x20) {
        return Fail("a string contains the control byte " + Snippet(text_.substr(pos_, 1)) +
                    "; expected it escaped (\\n, \\t, \\u0000 ...)");
      }
      if (!ParseEscape(out)) return false;
    }
  }

  // Reads the escape at pos_ (which is '\\').
  bool ParseEscape(std::string* out) {
    size_t esc_pos = pos_;
    ++pos_;
    if (AtEnd()) {
      pos_ = esc_pos;
      return Fail("the line ends inside an escape; expected a closing '\"'");
    }
    char esc = text_[pos_++];
    switch (esc) {
      case '"':
        *out += '"';
        return true;
      case '\\':
        *out += '\\';
        return true;
      case '/':
        *out += '/';
        return true;
      case 'b':
        *out += '\b';
        return true;
      case 'f':
        *out += '\f';
        return true;
      case 'n':
        *out += '\n';
        return true;
      case 'r':
        *out += '\r';
        return true;
      case 't':
        *out += '\t';
        return true;
      case 'u':
        break;
      default:
        pos_ = esc_pos;
        return Fail("unknown escape \\" + Snippet(std::string_view(&esc, 1)) +
                    "; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
    }
    auto hex4 = [&](size_t at) -> int32_t {
      if (at + 4 > text_.size()) return -1;
      int32_t value = 0;
      for (size_t i = at; i < at + 4; ++i) {
        int digit = HexValue(text_[i]);
        if (digit < 0) return -1;
        value = value * 16 + digit;
      }
      return value;
    };
    int32_t cp = hex4(pos_);
    if (cp < 0) {
      pos_ = esc_pos;
      return Fail("\\u is not followed by 4 hex digits; expected \\uXXXX");
    }
    pos_ += 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      int32_t low = text_.substr(pos_, 2) == "\\u" ? hex4(pos_ + 2) : -1;
      if (low < 0xdc00 || low > 0xdfff) {
        pos_ = esc_pos;
        return Fail("\\u escape is half of a surrogate pair; expected a second \\uDC00-\\uDFFF");
      }
      pos_ += 6;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      pos_ = esc_pos;
      return Fail("\\u escape is a lone low surrogate; expected a valid code point");
    }
    AppendUtf8(static_cast<uint32_t>(cp), out);
    return true;
  }

  // JSON number grammar; integers become int64 or uint64 when they fit,
  // everything else a double (as nlohmann::json does).
  bool ParseNumber(Json* out) {
    size_t start = pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    auto malformed = [&](const char* why) {
      pos_ = start;
      return Fail(std::string("malformed number (") + why +
                  "); expected a JSON number such as -12, 0.5 or 1e9");
    };
    bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    size_t int_start = pos_;
    size_t int_digits = digits();
    if (int_digits == 0) return malformed("no digits");
    if (int_digits > 1 && text_[int_start] == '0') return malformed("leading zero");
    bool is_float = false;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return malformed("no digits after '.'");
      is_float = true;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return malformed("no digits in the exponent");
      is_float = true;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (!is_float) {
      if (negative) {
        int64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc()) {
          *out = value;
          return true;
        }
      } else {
        uint64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc()) {
          *out = value;
          return true;
        }
      }
    }
    double value = 0;
    auto [end, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) {
      const std::string number = Snippet(text_.substr(start, pos_ - start));
      pos_ = start;  // the error points at the number's first character
      return Fail("number " + number +
                  " is out of the range of a 64-bit float; expected a smaller number");
    }
    if (ec != std::errc() || end != last) return malformed("not a number");
    *out = value;
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string key_;      // the current top-level field name
  std::string scratch_;  // decoded string values of scalar fields
  std::string error_;
};

}  // namespace

Result<History> ParseJsonlHistory(std::string_view text, std::string source) {
  History history;
  history.source = std::move(source);
  history.ops.reserve(CountNewlines(text) + 1);
  OpLineParser parser;
  LineCursor lines(text);
  std::string_view line;
  int64_t number = 0;
  while (lines.Next(&line, &number)) {
    if (IsBlank(line)) continue;
    Op& op = history.ops.emplace_back();
    op.index = static_cast<int64_t>(history.ops.size()) - 1;
    op.line = number;
    if (!parser.Parse(line, &op)) return ErrorAt(history.source, number, parser.error());
  }
  return history;
}

}  // namespace faultline::history_internal
