// The store's file rules for `faultline serve`.
#include "harness/cli/store_files.h"

#include <algorithm>
#include <system_error>
#include <vector>

#include "harness/report/text_util.h"

namespace faultline::cli {

namespace fs = std::filesystem;

namespace {

// Whether `p` is `root` or below it, comparing whole components.
bool Within(const fs::path& root, const fs::path& p) {
  return std::mismatch(root.begin(), root.end(), p.begin(), p.end()).first == root.end();
}

}  // namespace

Result<fs::path> ResolveStorePath(const fs::path& root, std::string_view request_path) {
  const std::string shown(request_path.substr(0, 200));
  if (request_path.empty() || request_path.front() != '/') {
    return Status::InvalidArgument("request path " + shown + ": expected an absolute path");
  }
  if (request_path.find('\0') != std::string_view::npos ||
      request_path.find('\\') != std::string_view::npos) {
    return Status::InvalidArgument("request path " + shown + ": holds a NUL byte or a backslash");
  }
  fs::path p = root;
  size_t at = 1;
  while (at <= request_path.size()) {
    size_t end = request_path.find('/', at);
    if (end == std::string_view::npos) end = request_path.size();
    const std::string_view segment = request_path.substr(at, end - at);
    at = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      return Status::InvalidArgument("request path " + shown + ": \"..\" is not allowed");
    }
    p /= std::string(segment);
  }
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(p, ec)) && !fs::exists(p, ec)) {
    return Status::NotFound("request path " + shown + ": not in the store");
  }
  const fs::path real = fs::canonical(p, ec);
  if (ec) return Status::NotFound("request path " + shown + ": not in the store");
  if (!Within(root, real)) {
    return Status::InvalidArgument("request path " + shown + ": leads outside the store");
  }
  return real;
}

std::string ContentTypeFor(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".xml") return "application/xml";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".css") return "text/css";
  if (ext == ".png") return "image/png";
  // history.jsonl, harness.log, node logs and anything else readable: shown
  // as text in the browser rather than downloaded.
  if (ext == ".jsonl" || ext == ".log" || ext == ".txt" || ext == ".edn" || ext.empty() ||
      ext == ".out" || ext == ".err" || ext == ".conf" || ext == ".cfg" || ext == ".tsv" ||
      ext == ".csv") {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

std::string DirectoryListing(const fs::path& dir, std::string_view request_path) {
  using report::HrefPath;
  using report::HtmlEscape;
  std::vector<std::pair<bool, std::string>> entries;  // (is not a directory, name)
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.emplace_back(!it->is_directory(ec), it->path().filename().string());
  }
  std::sort(entries.begin(), entries.end());
  std::string base(request_path);
  if (base.empty() || base.back() != '/') base += '/';
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
      HtmlEscape(base) +
      "</title><style>body{font:14px/1.6 system-ui,sans-serif;margin:24px}"
      "a{color:#1c64c8}</style></head><body><h1>" +
      HtmlEscape(base) + "</h1><ul>";
  if (base != "/") h += "<li><a href=\"../\">../</a></li>";
  for (const auto& [is_file, name] : entries) {
    const std::string shown = name + (is_file ? "" : "/");
    h += "<li><a href=\"" + HrefPath(shown) + "\">" + HtmlEscape(shown) + "</a></li>";
  }
  return h + "</ul></body></html>\n";
}

}  // namespace faultline::cli
