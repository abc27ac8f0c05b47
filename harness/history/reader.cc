#include "harness/history/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "harness/history/format_readers.h"
#include "harness/history/parse_util.h"

namespace faultline {
namespace {

using history_internal::CountNewlines;
using history_internal::ErrorAt;
using history_internal::Snippet;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsSpace(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

// Offset of the first byte that is not whitespace or part of a `;` comment
// line; text.size() when there is none.
size_t FirstContent(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (IsSpace(text[pos])) {
      ++pos;
    } else if (text[pos] == ';') {
      size_t nl = text.find('\n', pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
    } else {
      break;
    }
  }
  return pos;
}

}  // namespace

const char* HistoryFormatName(HistoryFormat format) {
  switch (format) {
    case HistoryFormat::kAuto:
      return "auto";
    case HistoryFormat::kJsonl:
      return "jsonl";
    case HistoryFormat::kEdn:
      return "edn";
    case HistoryFormat::kJepsenLog:
      return "jepsen-log";
  }
  return "?";
}

std::optional<HistoryFormat> ParseHistoryFormat(std::string_view name) {
  for (HistoryFormat format : {HistoryFormat::kAuto, HistoryFormat::kJsonl, HistoryFormat::kEdn,
                               HistoryFormat::kJepsenLog}) {
    if (name == HistoryFormatName(format)) return format;
  }
  return std::nullopt;
}

HistoryFormat DetectHistoryFormat(std::string_view text) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  size_t pos = 0;
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  if (pos == text.size()) return HistoryFormat::kJsonl;  // empty: zero ops in any format
  pos = FirstContent(text);
  if (pos == text.size()) return HistoryFormat::kEdn;  // only `;` comments
  char first = text[pos];
  if (first == '[' || first == '(') return HistoryFormat::kEdn;
  if (first == '{') {
    size_t next = pos + 1;
    while (next < text.size() && (IsSpace(text[next]) || text[next] == ',')) ++next;
    if (next < text.size() && (text[next] == '"' || text[next] == '}'))
      return HistoryFormat::kJsonl;
    if (next < text.size() && text[next] == ':') return HistoryFormat::kEdn;
  }
  if (text.find("jepsen.util - ") != std::string_view::npos) return HistoryFormat::kJepsenLog;
  return HistoryFormat::kAuto;
}

Result<History> ParseHistory(std::string_view text, std::string source, HistoryFormat format) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    size_t offset = static_cast<const char*>(nul) - text.data();
    size_t line_start = text.rfind('\n', offset);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    return ErrorAt(source, static_cast<int64_t>(CountNewlines(text.substr(0, offset))) + 1,
                   "column " + std::to_string(offset - line_start + 1) +
                       ": NUL byte (binary data); expected a text history");
  }
  if (format == HistoryFormat::kAuto) {
    format = DetectHistoryFormat(text);
    if (format == HistoryFormat::kAuto) {
      size_t pos = FirstContent(text);
      size_t end = text.find('\n', pos);
      std::string_view first_line =
          text.substr(pos, end == std::string_view::npos ? end : end - pos);
      return ErrorAt(source, static_cast<int64_t>(CountNewlines(text.substr(0, pos))) + 1,
                     "could not detect the history format from '" + Snippet(first_line) +
                         "'; expected faultline JSONL (lines like {\"type\": ...}), Jepsen EDN "
                         "(starting with [ or {:) or Jepsen log lines (INFO  jepsen.util - ...); "
                         "use --format to choose one");
    }
  }
  // The parsers report bad input as values; only running out of memory (or a
  // bug) can throw, and that must not cross this boundary either.
  try {
    switch (format) {
      case HistoryFormat::kJsonl:
        return history_internal::ParseJsonlHistory(text, source);
      case HistoryFormat::kEdn:
        return history_internal::ParseEdnHistory(text, source);
      case HistoryFormat::kJepsenLog:
        return history_internal::ParseJepsenLogHistory(text, source);
      case HistoryFormat::kAuto:
        break;
    }
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(source + ": out of memory while parsing the history");
  } catch (const std::exception& e) {
    return Status::Internal(source + ": unexpected error while parsing the history: " + e.what());
  }
  return Status::InvalidArgument(source + ": unknown history format");
}

Result<History> ReadHistoryFile(const std::string& path, HistoryFormat format) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string why = path + ": cannot open: " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(why);
    return Status::IoError(why);
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IoError(path + ": is a directory; expected a history file");
  }
  std::string text;
  try {
    if (S_ISREG(st.st_mode) && st.st_size > 0) text.reserve(static_cast<size_t>(st.st_size));
    char buffer[1 << 16];
    while (true) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return Status::IoError(path + ": read failed: " + std::strerror(err));
      }
      text.append(buffer, static_cast<size_t>(n));
    }
  } catch (const std::bad_alloc&) {
    ::close(fd);
    return Status::ResourceExhausted(path + ": out of memory while reading the history");
  }
  ::close(fd);
  return ParseHistory(text, path, format);
}

}  // namespace faultline
