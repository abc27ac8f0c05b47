#include "harness/history/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

namespace {

// Under group commit, pending lines are written once they reach this size even
// before the interval is up, which bounds the memory they hold.
constexpr size_t kBatchBytes = 1 << 20;

// Writes all of `data` to `fd`, resuming after partial writes and signals.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<JsonlHistoryWriter>> JsonlHistoryWriter::Open(
    const std::string& path, HistoryWriterOptions options) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return WriteError(path, "cannot open for writing", errno);
  return std::unique_ptr<JsonlHistoryWriter>(new JsonlHistoryWriter(fd, path, options));
}

JsonlHistoryWriter::JsonlHistoryWriter(int fd, std::string path, HistoryWriterOptions options)
    : options_(options), path_(std::move(path)), fd_(fd) {
  if (options_.group_commit.count() > 0) {
    pending_.reserve(kBatchBytes);
    flusher_ = std::thread([this] { FlushLoop(); });
  }
}

JsonlHistoryWriter::~JsonlHistoryWriter() { (void)Close(); }

Status JsonlHistoryWriter::Append(Op& op) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return Status::IoError(path_ + ": history writer is already closed");
  if (!error_.ok()) return error_;
  op.index = next_index_;
  const size_t start = pending_.size();
  try {
    AppendOpLine(op, op.index, &pending_);
  } catch (const std::exception& e) {
    pending_.resize(start);
    return Status::Internal(path_ + ": cannot serialise op " + std::to_string(op.index) + ": " +
                            e.what());
  }
  pending_ += '\n';
  ++next_index_;
  if (options_.group_commit.count() == 0) return WritePendingLocked();
  // A burst larger than a batch is written now rather than held in memory.
  if (pending_.size() >= kBatchBytes) return WritePendingLocked();
  return Status::Ok();
}

Status JsonlHistoryWriter::WritePendingLocked() {
  if (pending_.empty() || !error_.ok()) return error_;
  if (!WriteAll(fd_, pending_.data(), pending_.size())) {
    error_ = WriteError(path_, "write failed", errno);
  }
  pending_.clear();
  return error_;
}

void JsonlHistoryWriter::FlushLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.group_commit);
    (void)WritePendingLocked();
  }
}

Status JsonlHistoryWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return error_;
  return WritePendingLocked();
}

Status JsonlHistoryWriter::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0) return Status::Ok();
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::lock_guard<std::mutex> lock(mu_);
  Status s = WritePendingLocked();
  if (::close(fd_) != 0 && s.ok()) s = WriteError(path_, "close failed", errno);
  fd_ = -1;
  return s;
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
