#include "harness/history/writer.h"

#include <cerrno>
#include <cstring>

namespace faultline {
namespace {

// Recording is on the hot path of every test, so the common shapes (null,
// integers, plain ASCII strings, arrays of those) are written directly; anything
// else goes through nlohmann, which also replaces invalid UTF-8.
void AppendJsonString(const std::string& text, std::string* out) {
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
      *out += Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
    }
  }
  *out += '"';
  *out += text;
  *out += '"';
}

void AppendJson(const Json& value, std::string* out) {
  switch (value.type()) {
    case Json::value_t::null: *out += "null"; return;
    case Json::value_t::boolean: *out += value.get<bool>() ? "true" : "false"; return;
    case Json::value_t::number_integer: *out += std::to_string(value.get<int64_t>()); return;
    case Json::value_t::number_unsigned: *out += std::to_string(value.get<uint64_t>()); return;
    case Json::value_t::string: AppendJsonString(value.get_ref<const std::string&>(), out); return;
    case Json::value_t::array: {
      *out += '[';
      bool first = true;
      for (const Json& element : value) {
        if (!first) *out += ',';
        first = false;
        AppendJson(element, out);
      }
      *out += ']';
      return;
    }
    default:
      *out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

Status WriteError(const std::string& path, const char* what, int err) {
  return Status::IoError(path + ": " + what + ": " + std::strerror(err));
}

// Appends the line for `op` with `index` in place of op.index (no newline).
void AppendOpLine(const Op& op, int64_t index, std::string* line) {
  *line += "{\"index\":";
  *line += std::to_string(index);
  if (op.time >= 0) {
    *line += ",\"time\":";
    *line += std::to_string(op.time);
  }
  *line += ",\"type\":\"";
  *line += OpTypeName(op.type);
  *line += "\",\"process\":";
  *line += op.is_nemesis() ? std::string("\"nemesis\"") : std::to_string(op.process);
  *line += ",\"f\":";
  AppendJsonString(op.f, line);
  *line += ",\"value\":";
  AppendJson(op.value, line);
  if (!op.key.is_null()) {
    *line += ",\"key\":";
    AppendJson(op.key, line);
  }
  if (!op.error.is_null()) {
    *line += ",\"error\":";
    AppendJson(op.error, line);
  }
  if (!op.node.empty()) {
    *line += ",\"node\":";
    AppendJsonString(op.node, line);
  }
  *line += '}';
}

}  // namespace

std::string OpToJsonLine(const Op& op) {
  std::string line;
  line.reserve(96);
  AppendOpLine(op, op.index, &line);
  return line;
}

Result<std::unique_ptr<JsonlHistoryWriter>> JsonlHistoryWriter::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr) return WriteError(path, "cannot open for writing", errno);
  return std::unique_ptr<JsonlHistoryWriter>(new JsonlHistoryWriter(file, path));
}

JsonlHistoryWriter::~JsonlHistoryWriter() { (void)Close(); }

Status JsonlHistoryWriter::Append(Op& op) {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return Status::IoError(path_ + ": history writer is already closed");
  op.index = next_index_;
  std::string line;
  try {
    line = OpToJsonLine(op);
  } catch (const std::exception& e) {
    return Status::Internal(path_ + ": cannot serialise op " + std::to_string(op.index) + ": " +
                            e.what());
  }
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    return WriteError(path_, "write failed", errno);
  }
  if (std::fflush(file_) != 0) return WriteError(path_, "flush failed", errno);
  ++next_index_;
  return Status::Ok();
}

Status JsonlHistoryWriter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return Status::Ok();
  int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) return WriteError(path_, "close failed", errno);
  return Status::Ok();
}

Status WriteJsonlHistory(const History& history, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr) return WriteError(path, "cannot open for writing", errno);
  std::string chunk;
  bool ok = true;
  try {
    for (size_t i = 0; i < history.ops.size() && ok; ++i) {
      AppendOpLine(history.ops[i], static_cast<int64_t>(i), &chunk);
      chunk += '\n';
      if (chunk.size() >= (1 << 20) || i + 1 == history.ops.size()) {
        ok = std::fwrite(chunk.data(), 1, chunk.size(), file) == chunk.size();
        chunk.clear();
      }
    }
  } catch (const std::exception& e) {
    std::fclose(file);
    return Status::Internal(path + ": cannot serialise the history: " + e.what());
  }
  int err = ok ? 0 : errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) return WriteError(path, "write failed", err);
  return Status::Ok();
}

}  // namespace faultline
