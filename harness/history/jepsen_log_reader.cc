// Jepsen log lines, as Jepsen's jepsen.util/log-op printed them:
//   INFO  jepsen.util - 3\t:invoke\t:read\tnil
//   INFO  jepsen.util - 3\t:info\t:cas\t[1 2]\t<error>     (newer Jepsen)
// A line is an op when "jepsen.util - " is followed by a process (an integer
// or :nemesis) and a tab; every other line is log noise and is skipped.
#include <charconv>

#include "harness/history/edn_parser.h"
#include "harness/history/format_readers.h"
#include "harness/history/parse_util.h"

namespace faultline::history_internal {
namespace {

constexpr std::string_view kMarker = "jepsen.util - ";
constexpr const char* kLineExample = "INFO  jepsen.util - 3\\t:invoke\\t:read\\tnil";

// The process field, or nullopt when the text is not one (the line is noise).
std::optional<int64_t> ParseProcess(std::string_view text) {
  if (text == ":nemesis") return kNemesisProcess;
  int64_t process = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), process);
  if (ec != std::errc() || end != text.data() + text.size() || process < 0) return std::nullopt;
  return process;
}

// Cuts `rest` at the next tab: returns the field before it and drops it (and
// the tab) from `rest`; nullopt when there is no tab.
std::optional<std::string_view> NextField(std::string_view* rest) {
  size_t tab = rest->find('\t');
  if (tab == std::string_view::npos) return std::nullopt;
  std::string_view field = rest->substr(0, tab);
  rest->remove_prefix(tab + 1);
  return field;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

class LogLineReader {
 public:
  explicit LogLineReader(std::string_view source) : source_(source) {}

  // Parses the text after the marker on line `number`. Sets *is_op to false
  // (and returns ok) when the line is not an op.
  Status Read(std::string_view rest, int64_t number, Op* op, bool* is_op) {
    *is_op = false;
    std::optional<std::string_view> process_text = NextField(&rest);
    if (!process_text) return Status::Ok();
    std::optional<int64_t> process = ParseProcess(*process_text);
    if (!process) return Status::Ok();
    *is_op = true;
    op->process = *process;
    op->line = number;

    std::optional<std::string_view> type_text = NextField(&rest);
    std::optional<std::string_view> f_text = type_text ? NextField(&rest) : std::nullopt;
    if (!f_text) {
      return ErrorAt(source_, number,
                     "op line has fewer than 4 tab-separated fields after \"jepsen.util - \"; "
                     "expected process, type, f and value as in " +
                         std::string(kLineExample));
    }
    std::string_view type_name = *type_text;
    if (!type_name.empty() && type_name.front() == ':') type_name.remove_prefix(1);
    Result<OpType> type = ParseOpTypeField(type_name);
    if (!type.ok()) return ErrorAt(source_, number, type.status().message());
    op->type = *type;

    std::string_view f = *f_text;
    if (f.size() < 2 || f.front() != ':' || FindInvalidUtf8(f)) {
      return ErrorAt(source_, number,
                     "f is '" + Snippet(f) + "'; expected a keyword such as :read");
    }
    op->f = std::string(f.substr(1));

    // The value is EDN; an optional tab-separated error may follow it.
    EdnParser parser(rest, number);
    EdnKind kind;
    if (!parser.ParseValue(&op->value, &kind)) {
      return ErrorAt(source_, number, "value: " + parser.error());
    }
    std::string_view after = rest.substr(parser.offset());
    while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
    if (!after.empty() && after.front() != '\t') {
      return ErrorAt(source_, number,
                     "unexpected text '" + Snippet(after) +
                         "' after the value; expected the end of the line, or a tab and an error");
    }
    std::string_view error_text = TrimSpaces(after);
    if (!error_text.empty()) {
      Status status = SetErrorFromText(error_text, number, op);
      if (!status.ok()) return status;
    }
    ApplyOldEtcdSemantics(kind, op);
    return Status::Ok();
  }

 private:
  // The error column is EDN when it parses as one value, else plain text.
  Status SetErrorFromText(std::string_view text, int64_t number, Op* op) {
    EdnParser parser(text, number);
    EdnKind kind;
    Json error;
    if (parser.ParseValue(&error, &kind) && parser.offset() == text.size()) {
      op->error = std::move(error);
      return Status::Ok();
    }
    if (auto bad = FindInvalidUtf8(text)) {
      return ErrorAt(source_, number,
                     "error text contains bytes that are not UTF-8 (" +
                         Snippet(text.substr(*bad, 4)) + "); expected UTF-8 text");
    }
    op->error = std::string(text);
    return Status::Ok();
  }

  // See reader.h: what the old etcd test's :fail and keyword values meant.
  static void ApplyOldEtcdSemantics(EdnKind kind, Op* op) {
    bool has_error = !op->error.is_null();
    if (op->type == OpType::kFail && op->f == "cas" && kind != EdnKind::kKeyword && !has_error) {
      op->error = kCasMismatchError;
      return;
    }
    if (op->type == OpType::kFail && op->f == "read") op->type = OpType::kInfo;
    bool is_text = kind == EdnKind::kKeyword || kind == EdnKind::kString;
    if (!has_error && (op->type == OpType::kInfo || op->type == OpType::kFail) &&
        (kind == EdnKind::kKeyword || (is_text && op->f == "read"))) {
      op->error = op->value;
    }
  }

  std::string_view source_;
};

}  // namespace

Result<History> ParseJepsenLogHistory(std::string_view text, std::string source) {
  History history;
  history.source = std::move(source);
  LogLineReader reader(history.source);
  LineCursor lines(text);
  std::string_view line;
  int64_t number = 0;
  while (lines.Next(&line, &number)) {
    size_t at = line.find(kMarker);
    if (at == std::string_view::npos) continue;
    Op op;
    bool is_op = false;
    Status status = reader.Read(line.substr(at + kMarker.size()), number, &op, &is_op);
    if (!status.ok()) return status;
    if (!is_op) continue;
    op.index = static_cast<int64_t>(history.ops.size());
    history.ops.push_back(std::move(op));
  }
  return history;
}

}  // namespace faultline::history_internal
