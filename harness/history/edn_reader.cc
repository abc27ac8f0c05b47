// Jepsen EDN histories: a vector (or list) of op maps, or op maps one after
// another (porcupine's one-map-per-line files). Both may be mixed.
#include <iterator>
#include <string>

#include "harness/history/edn_parser.h"
#include "harness/history/format_readers.h"
#include "harness/history/parse_util.h"

namespace faultline::history_internal {
namespace {

constexpr const char* kOpExample = "{:process 0, :type :invoke, :f :read, :value nil}";

std::string Describe(const Json& value, EdnKind kind) {
  switch (kind) {
    case EdnKind::kKeyword:
      return "the keyword :" + Snippet(value.get_ref<const std::string&>());
    case EdnKind::kString:
    case EdnKind::kCharacter:
      return "the string \"" + Snippet(value.get_ref<const std::string&>()) + "\"";
    case EdnKind::kInteger:
      return "the integer " + value.dump();
    case EdnKind::kFloat:
      return "the decimal number " + value.dump();
    case EdnKind::kBoolean:
      return value.dump();
    default:
      return EdnKindName(kind);
  }
}

// A distinct bit for each key the reader uses; 0 for other keys.
uint32_t KnownKeyBit(std::string_view name) {
  static constexpr std::string_view kKnown[] = {"process", "type", "f",    "value", "key",
                                                "error",   "time", "node", "index"};
  for (size_t i = 0; i < std::size(kKnown); ++i) {
    if (name == kKnown[i]) return uint32_t{1} << i;
  }
  return 0;
}

// Reads one op map starting at the parser's '{' into `op`.
class OpMapReader {
 public:
  OpMapReader(EdnParser* parser, std::string_view source) : parser_(parser), source_(source) {}

  Status Read(Op* op) {
    int64_t open_line = parser_->line();
    op->line = open_line;
    parser_->Advance();  // '{'
    bool has_process = false, has_type = false, has_f = false;
    uint32_t seen = 0;
    while (true) {
      if (!parser_->SkipSpace()) return ParserError();
      if (parser_->AtEnd()) {
        return ErrorAt(source_, open_line,
                       "the op map opened on this line is not closed; expected '}' before the end "
                       "of the input");
      }
      char ch = parser_->Peek();
      if (ch == '}') {
        parser_->Advance();
        break;
      }
      if (ch == ']' || ch == ')') {
        parser_->Fail(std::string("found '") + ch +
                      "'; expected '}' to close the op map opened on line " +
                      std::to_string(open_line));
        return ParserError();
      }
      int64_t key_line = parser_->line();
      Json key;
      EdnKind key_kind;
      if (!parser_->ParseValue(&key, &key_kind)) return ParserError();
      if (key_kind != EdnKind::kKeyword && key_kind != EdnKind::kString) {
        return ErrorAt(source_, key_line,
                       "op map key is " + Describe(key, key_kind) +
                           "; expected a keyword such as :process, :type, :f or :value");
      }
      std::string name = key.get<std::string>();
      // Repeats of keys the reader ignores are ignored too: checking them all
      // would cost a set per op, and they change nothing.
      if (uint32_t bit = KnownKeyBit(name); bit != 0) {
        if ((seen & bit) != 0) {
          return ErrorAt(source_, key_line,
                         "duplicate key :" + Snippet(name) + " in op map; expected each key once");
        }
        seen |= bit;
      }
      if (!parser_->SkipSpace()) return ParserError();
      if (parser_->AtEnd() || parser_->Peek() == '}') {
        return ErrorAt(source_, key_line,
                       "key :" + Snippet(name) + " has no value; expected a value after each key");
      }
      int64_t value_line = parser_->line();
      Json value;
      EdnKind kind;
      if (!parser_->ParseValue(&value, &kind)) return ParserError();
      Status status = SetField(name, std::move(value), kind, value_line, op);
      if (!status.ok()) return status;
      has_process |= name == "process";
      has_type |= name == "type";
      has_f |= name == "f";
    }
    if (!has_process || !has_type || !has_f) {
      const char* missing = !has_process ? ":process" : !has_type ? ":type" : ":f";
      return ErrorAt(source_, open_line,
                     std::string("op map has no ") + missing +
                         "; expected :process, :type and :f in every op, as in " + kOpExample);
    }
    return Status::Ok();
  }

 private:
  Status ParserError() const { return ErrorAt(source_, parser_->error_line(), parser_->error()); }

  Status SetField(const std::string& name, Json value, EdnKind kind, int64_t line, Op* op) {
    auto wrong = [&](const char* expected) {
      return ErrorAt(source_, line,
                     ":" + name + " is " + Describe(value, kind) + "; expected " + expected);
    };
    bool is_text = kind == EdnKind::kKeyword || kind == EdnKind::kString;
    if (name == "process") {
      if (auto process = AsNonNegativeInt64(value)) {
        op->process = *process;
      } else if (is_text && value.get_ref<const std::string&>() == "nemesis") {
        op->process = kNemesisProcess;
      } else {
        return wrong("a non-negative integer or :nemesis");
      }
    } else if (name == "type") {
      if (!is_text) return wrong(":invoke, :ok, :fail or :info");
      Result<OpType> type = ParseOpTypeField(value.get_ref<const std::string&>());
      if (!type.ok()) return ErrorAt(source_, line, type.status().message());
      op->type = *type;
    } else if (name == "f") {
      if (!is_text || value.get_ref<const std::string&>().empty()) {
        return wrong("a keyword such as :read");
      }
      op->f = std::move(value.get_ref<std::string&>());
    } else if (name == "value") {
      op->value = std::move(value);
    } else if (name == "key") {
      op->key = std::move(value);
    } else if (name == "error") {
      op->error = std::move(value);
    } else if (name == "time") {
      auto time = AsNonNegativeInt64(value);
      if (!time) return wrong("a non-negative integer (nanoseconds)");
      op->time = *time;
    } else if (name == "node") {
      if (kind == EdnKind::kNil) {
        op->node.clear();
      } else if (is_text) {
        op->node = std::move(value.get_ref<std::string&>());
      } else {
        return wrong("a string or keyword naming the node");
      }
    }
    // Other keys (:index, :concurrency, ...) carry nothing the checkers use.
    return Status::Ok();
  }

  EdnParser* parser_;
  std::string_view source_;
};

}  // namespace

Result<History> ParseEdnHistory(std::string_view text, std::string source) {
  History history;
  history.source = std::move(source);
  EdnParser parser(text);
  OpMapReader reader(&parser, history.source);
  auto parser_error = [&] { return ErrorAt(history.source, parser.error_line(), parser.error()); };
  auto read_op = [&]() -> Status {
    Op& op = history.ops.emplace_back();
    op.index = static_cast<int64_t>(history.ops.size()) - 1;
    return reader.Read(&op);
  };
  auto not_an_op = [&](const char* where) {
    int64_t line = parser.line();
    Json value;
    EdnKind kind;
    if (!parser.ParseValue(&value, &kind)) return parser_error();
    return ErrorAt(history.source, line,
                   std::string(where) + " is " + Describe(value, kind) +
                       "; expected an op map such as " + kOpExample);
  };
  while (true) {
    if (!parser.SkipSpace()) return parser_error();
    if (parser.AtEnd()) break;
    char ch = parser.Peek();
    if (ch == '{') {
      Status status = read_op();
      if (!status.ok()) return status;
      continue;
    }
    if (ch != '[' && ch != '(') return not_an_op("top-level form");
    char close = ch == '[' ? ']' : ')';
    int64_t open_line = parser.line();
    parser.Advance();
    while (true) {
      if (!parser.SkipSpace()) return parser_error();
      if (parser.AtEnd()) {
        return ErrorAt(history.source, open_line,
                       std::string("the ") + (close == ']' ? "vector" : "list") +
                           " of ops opened on this line is not closed; expected '" + close +
                           "' before the end of the input");
      }
      ch = parser.Peek();
      if (ch == close) {
        parser.Advance();
        break;
      }
      if (ch == '{') {
        Status status = read_op();
        if (!status.ok()) return status;
        continue;
      }
      if (ch == ']' || ch == ')' || ch == '}') {
        parser.Fail(std::string("found '") + ch + "'; expected '" + close +
                    "' to close the ops opened on line " + std::to_string(open_line));
        return parser_error();
      }
      return not_an_op("element of the op vector");
    }
  }
  // Jepsen's register models (Knossos) read a nil read result as "value
  // unknown", not as "absent": such a read constrains nothing, like a read
  // that crashed, so it becomes info with error kNilReadError.
  for (Op& op : history.ops) {
    if (op.type == OpType::kOk && op.f == "read" && op.value.is_null()) {
      op.type = OpType::kInfo;
      op.error = kNilReadError;
    }
  }
  return history;
}

}  // namespace faultline::history_internal
