// Loading a stored run and writing its report files.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "harness/report/report.h"
#include "harness/report/run_results.h"
#include "harness/report/text_util.h"

namespace faultline::report {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHarnessLogTailLines = 60;
constexpr std::streamoff kTailBytes = 64 * 1024;
constexpr size_t kMaxNodeFiles = 1000;

Result<std::string> ReadText(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::NotFound(path.string() + ": no such file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError(path.string() + ": read failed");
  return text.str();
}

Result<Json> ReadJsonObject(const fs::path& path) {
  Result<std::string> text = ReadText(path);
  if (!text.ok()) return text.status();
  Json j;
  try {
    j = Json::parse(*text);
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based offset of the error; turn it into a line number.
    const size_t upto = std::min<size_t>(e.byte, text->size());
    const auto line = 1 + std::count(text->begin(), text->begin() + upto, '\n');
    return Status::InvalidArgument(path.string() + ":" + std::to_string(line) +
                                   ": not valid JSON (" + report::SanitizeUtf8(e.what()) +
                                   "); expected a JSON object");
  } catch (const Json::exception& e) {
    // out_of_range: a number too large for a double (1e999).
    return Status::InvalidArgument(path.string() + ": not valid JSON (" +
                                   report::SanitizeUtf8(e.what()) + "); expected a JSON object");
  }
  if (!j.is_object()) {
    return Status::InvalidArgument(path.string() + ": top level is " + j.type_name() +
                                   "; expected a JSON object");
  }
  return j;
}

// The last `n` lines of the file, reading at most its last kTailBytes (a
// harness log can be large and only its end is shown).
Result<std::vector<std::string>> LastLines(const fs::path& path, size_t n) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::IoError(path.string() + ": cannot open for reading");
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - kTailBytes);
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::IoError(path.string() + ": read failed");
  std::deque<std::string> lines;
  std::istringstream lines_in(text);
  std::string line;
  bool first = true;
  while (std::getline(lines_in, line)) {
    // A tail that starts mid-file starts mid-line: drop that fragment.
    if (first && from > 0) {
      first = false;
      continue;
    }
    first = false;
    lines.push_back(SanitizeUtf8(line));
    if (lines.size() > n) lines.pop_front();
  }
  return std::vector<std::string>(lines.begin(), lines.end());
}

Status WriteFileAtomically(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(tmp.string() + ": cannot open for writing");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return Status::IoError(tmp.string() + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IoError(path.string() + ": cannot rename the temporary file into place");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateResults(const Json& results, const std::string& source) {
  return RunResults::FromJson(results, source).status();
}

Result<RunData> LoadRun(const std::string& run_dir) {
  std::error_code ec;
  const fs::path dir(run_dir);
  if (!fs::is_directory(dir, ec)) return Status::NotFound(run_dir + ": no such run directory");
  RunData run;
  run.run_dir = run_dir;
  Result<Json> test = ReadJsonObject(dir / "test.json");
  if (!test.ok()) return test.status();
  run.test = std::move(*test);
  Result<Json> results = ReadJsonObject(dir / "results.json");
  if (!results.ok()) return results.status();
  Status shape = ValidateResults(*results, (dir / "results.json").string());
  if (!shape.ok()) return shape;
  run.results = std::move(*results);

  run.has_history = fs::is_regular_file(dir / "history.jsonl", ec);
  run.has_harness_log = fs::is_regular_file(dir / "harness.log", ec);
  if (run.has_harness_log) {
    Result<std::vector<std::string>> tail = LastLines(dir / "harness.log", kHarnessLogTailLines);
    if (!tail.ok()) return tail.status();
    run.harness_log_tail = std::move(*tail);
  }
  const fs::path nodes = dir / "nodes";
  if (fs::is_directory(nodes, ec)) {
    fs::recursive_directory_iterator it(nodes, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      if (run.node_files.size() >= kMaxNodeFiles) {
        ++run.node_files_omitted;
        continue;
      }
      run.node_files.push_back(fs::relative(it->path(), dir, ec).generic_string());
    }
    if (ec) return Status::IoError(nodes.string() + ": cannot list: " + ec.message());
    std::sort(run.node_files.begin(), run.node_files.end());
  }
  return run;
}

Status WriteReport(const RunData& run) {
  const fs::path dir(run.run_dir);
  Status html = WriteFileAtomically(dir / "report.html", RenderHtml(run));
  if (!html.ok()) return html;
  return WriteFileAtomically(dir / "junit.xml", RenderJunit(run));
}

Status WriteReport(const std::string& run_dir) {
  Result<RunData> run = LoadRun(run_dir);
  if (!run.ok()) return run.status();
  return WriteReport(*run);
}

}  // namespace faultline::report
