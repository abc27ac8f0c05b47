// store/index.html.
#include "harness/report/index_page.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include "harness/report/report.h"
#include "harness/report/summary.h"

namespace faultline::report {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexStyle = R"css(
:root{--valid:#2b8a3e;--invalid:#c92a2a;--unknown:#d9480f;--error:#862e9c;--border:#e3e6ea;
--muted:#6b7280}
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f2328;
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1300px;margin:0 auto;padding:0 20px 40px}
header{background:linear-gradient(135deg,#1f2937,#374151);color:#fff;padding:20px 28px;
border-radius:0 0 12px 12px}
header h1{margin:0;font-size:26px}
header .sub{opacity:.85}
section{background:#fff;border:1px solid var(--border);border-radius:10px;padding:16px 20px;
margin:16px 0;overflow-x:auto}
h2{font-size:17px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:middle}
th{color:var(--muted);font-weight:600;font-size:11.5px;text-transform:uppercase;
letter-spacing:.04em;border-bottom:1px solid var(--border)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.newly td{background:#fff1f1}
.pill{display:inline-block;padding:1px 10px;border-radius:10px;font-weight:700;font-size:12px;
color:#fff;white-space:nowrap}
.pill.valid{background:var(--valid)}.pill.invalid{background:var(--invalid)}
.pill.unknown{background:var(--unknown)}.pill.error{background:var(--error)}
.pill.incomplete{background:#868e96}
.mark{display:inline-block;margin-left:6px;padding:0 6px;border-radius:4px;font-size:11.5px;
font-weight:700;color:var(--invalid);border:1px solid var(--invalid);white-space:nowrap}
.muted{color:var(--muted)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
a{color:#1c64c8}
svg.trend{display:block}
svg.trend text{font:10px system-ui,sans-serif;fill:#6b7280}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
)css";

const char* VerdictColor(const std::string& verdict) {
  if (verdict == "valid") return "#2b8a3e";
  if (verdict == "invalid") return "#c92a2a";
  if (verdict == "unknown") return "#d9480f";
  if (verdict == "error") return "#862e9c";
  return "#adb5bd";
}

std::string Esc(std::string_view s) { return HtmlEscape(s); }

std::string IndexPill(const std::string& verdict) {
  return "<span class=\"pill " + verdict + "\">" + (verdict == "invalid" ? "INVALID" : verdict) +
         "</span>";
}

std::string IndexFixed(double v, const char* format = "%.1f") {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string Faults(const IndexEntry& e) {
  std::string s;
  for (const auto& [kind, n] : e.faults) {
    s += (s.empty() ? "" : " · ") + kind + " " + std::to_string(n);
  }
  return s;
}

// Reads one JSON file; null on any problem (the caller says what is missing).
Json ReadJson(const fs::path& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path.filename().string() + " is missing";
    return Json();
  }
  Json j = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = path.filename().string() + " is not a JSON object";
    return Json();
  }
  return j;
}

IndexEntry ReadEntry(const fs::path& store, const fs::path& dir) {
  IndexEntry e;
  std::error_code ec;
  e.run = fs::relative(dir, store, ec).generic_string();
  e.label = dir.filename().string();
  e.has_report = fs::is_regular_file(dir / "report.html", ec);
  e.has_history = fs::is_regular_file(dir / "history.jsonl", ec);
  RunData run;
  run.run_dir = dir.string();
  std::string error;
  run.test = ReadJson(dir / "test.json", &error);
  if (!run.test.is_object()) run.test = Json::object();
  e.test = TestName(run);
  std::string results_error;
  Json results = ReadJson(dir / "results.json", &results_error);
  if (!results.is_object() || !ValidateResults(results, "results.json").ok()) {
    e.verdict = "incomplete";
    e.problem = results_error.empty() ? "results.json does not have the expected shape"
                                      : results_error + " (still running, or stopped)";
    return e;
  }
  run.results = std::move(results);
  e.verdict = VerdictOf(run.results);
  if (fs::exists(dir / "suite.json", ec)) {
    std::string ignored;
    const Json suite = ReadJson(dir / "suite.json", &ignored);
    const std::string expect = StringField(suite, "expect", "valid");
    if (expect == "invalid" || expect == "any") e.expect = expect;
  }
  const std::vector<std::string> problems = HarnessProblems(run);
  if (!problems.empty()) {
    e.problem = problems.front();
    if (e.verdict == "unknown") e.verdict = "error";
  }
  const Json* checkers = Field(run.results, "checkers");
  if (const Json* stats = checkers ? Field(*checkers, "stats") : nullptr;
      stats && Field(*stats, "count")) {
    e.ops = IntField(*stats, "count");
    e.ok_ops = IntField(*stats, "ok_count", -1);
  }
  if (const Json* perf = checkers ? Field(*checkers, "perf") : nullptr) {
    if (const Json* range = Field(*perf, "time_range")) {
      e.duration_ns = IntField(*range, "end", -1);
    }
    const Json* nemesis = Field(*perf, "nemesis");
    const Json* intervals = nemesis ? Field(*nemesis, "intervals") : nullptr;
    if (intervals && intervals->is_array()) {
      for (const Json& i : *intervals) ++e.faults[StringField(i, "kind", "fault")];
    }
  }
  return e;
}

// A test's runs, oldest first, as the trend draws them.
std::string TrendSvg(const std::vector<const IndexEntry*>& runs) {
  constexpr double kCell = 12, kSquare = 10, kSpark = 22, kGap = 4;
  const double width = std::max<double>(kCell * static_cast<double>(runs.size()), kCell);
  double max_tp = 0;
  for (const IndexEntry* r : runs) max_tp = std::max(max_tp, r->Throughput());
  std::string s = "<svg class=\"trend\" width=\"" + IndexFixed(width) + "\" height=\"" +
                  IndexFixed(kSquare + kGap + kSpark) + "\" viewBox=\"0 0 " + IndexFixed(width) + " " +
                  IndexFixed(kSquare + kGap + kSpark) +
                  "\" role=\"img\" aria-label=\"verdicts and throughput of the last runs\""
                  ">";
  std::string points;
  for (size_t i = 0; i < runs.size(); ++i) {
    const IndexEntry& r = *runs[i];
    const double x = kCell * static_cast<double>(i);
    std::string title = r.label + ": " + r.verdict;
    if (r.Throughput() >= 0) title += ", " + IndexFixed(r.Throughput()) + " ok ops/s";
    s += "<a href=\"" + HrefPath(r.run + "/report.html") + "\"><rect class=\"verdict " +
         r.verdict + "\" x=\"" + IndexFixed(x) + "\" y=\"0\" width=\"" + IndexFixed(kSquare) +
         "\" height=\"" + IndexFixed(kSquare) + "\" rx=\"2\" fill=\"" + VerdictColor(r.verdict) +
         "\"><title>" + Esc(title) + "</title></rect></a>";
    if (r.Throughput() >= 0 && max_tp > 0) {
      const double y = kSquare + kGap + kSpark - 2 - (kSpark - 4) * r.Throughput() / max_tp;
      points += (points.empty() ? "" : " ") + IndexFixed(x + kSquare / 2) + "," + IndexFixed(y);
      s += "<circle cx=\"" + IndexFixed(x + kSquare / 2) + "\" cy=\"" + IndexFixed(y) +
           "\" r=\"1.8\" fill=\"#2f6fd0\"><title>" + Esc(title) + "</title></circle>";
    }
  }
  if (points.find(' ') != std::string::npos) {
    s += "<polyline class=\"throughput\" points=\"" + points +
         "\" fill=\"none\" stroke=\"#2f6fd0\" stroke-width=\"1.2\"/>";
  }
  return s + "</svg>";
}

bool Passing(const IndexEntry& e) { return e.Passing(); }

// A note for runs a suite did not expect to be valid.
std::string Expected(const IndexEntry& e) {
  if (e.expect == "valid") return "";
  return e.expect == "invalid"
             ? std::string(" <span class=\"muted\">") +
                   (e.Passing() ? "positive control, caught" : "positive control, NOT caught") +
                   "</span>"
             : " <span class=\"muted\">any verdict expected</span>";
}

std::string RunLink(const IndexEntry& e) {
  return e.has_report ? "<a href=\"" + HrefPath(e.run + "/report.html") + "\">" + Esc(e.label) + "</a>"
                      : Esc(e.label);
}

std::string BuildIndexPage(const std::vector<IndexEntry>& runs, const IndexOptions& options) {
  // Per test name, its runs newest first (the order `runs` is in).
  std::vector<std::string> tests;
  std::map<std::string, std::vector<const IndexEntry*>> by_test;
  for (const IndexEntry& r : runs) {
    auto& list = by_test[r.test];
    if (list.empty()) tests.push_back(r.test);
    list.push_back(&r);
  }
  // A run is "first failing" when it does not pass and the run before it of
  // the same test did.
  std::map<const IndexEntry*, const IndexEntry*> first_failing;  // run -> last passing before
  for (const auto& [name, list] : by_test) {
    for (size_t i = 0; i + 1 < list.size(); ++i) {
      if (!Passing(*list[i]) && Passing(*list[i + 1])) first_failing[list[i]] = list[i + 1];
    }
  }
  size_t failing_tests = 0;
  for (const auto& name : tests) failing_tests += Passing(*by_test[name].front()) ? 0 : 1;

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>" +
       Esc(options.title) + "</title><style>" + kIndexStyle + "</style></head><body><main>";
  h += "<header><h1>" + Esc(options.title) + "</h1><div class=\"sub\">" +
       Thousands(static_cast<int64_t>(runs.size())) + " run" + (runs.size() == 1 ? "" : "s") +
       " of " + std::to_string(tests.size()) + " test" + (tests.size() == 1 ? "" : "s") + "; " +
       std::to_string(failing_tests) + " test" + (failing_tests == 1 ? "" : "s") +
       " not passing in its latest run</div></header>";

  h += "<section id=\"tests\"><h2>Tests</h2>";
  if (tests.empty()) {
    h += "<p class=\"muted\">The store holds no run yet.</p>";
  } else {
    h += "<table><tr><th>test</th><th>latest</th><th>last " +
         std::to_string(options.trend_runs) +
         " runs (oldest left) and ok ops/s</th><th class=\"num\">runs</th><th>since</th></tr>";
    for (const std::string& name : tests) {
      const auto& list = by_test[name];
      const IndexEntry& latest = *list.front();
      std::vector<const IndexEntry*> trend(
          list.begin(), list.begin() + static_cast<long>(std::min(list.size(), options.trend_runs)));
      std::reverse(trend.begin(), trend.end());
      std::string since;
      bool newly = false;
      if (!Passing(latest)) {
        size_t streak = 0;
        while (streak < list.size() && !Passing(*list[streak])) ++streak;
        if (streak < list.size()) {
          newly = streak == 1;
          since = "<span class=\"mark\">failing since " + RunLink(*list[streak - 1]) +
                  "</span> " + std::to_string(streak) + " run" + (streak == 1 ? "" : "s") +
                  "; last valid " + RunLink(*list[streak]);
        } else {
          since = "<span class=\"muted\">not valid in any of its " +
                  std::to_string(list.size()) + " stored runs</span>";
        }
      } else {
        size_t streak = 0;
        while (streak < list.size() && Passing(*list[streak])) ++streak;
        since = "<span class=\"muted\">valid in the last " + std::to_string(streak) + " run" +
                (streak == 1 ? "" : "s") + "</span>";
      }
      h += std::string("<tr") + (newly ? " class=\"newly\"" : "") + "><td><b>" + Esc(name) +
           "</b></td><td>" + IndexPill(latest.verdict) + Expected(latest) + " " + RunLink(latest) +
           "</td><td>" +
           TrendSvg(trend) + "</td><td class=\"num\">" +
           Thousands(static_cast<int64_t>(list.size())) + "</td><td>" + since + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</section>";

  h += "<section id=\"runs\"><h2>Runs, newest first</h2>";
  if (!runs.empty()) {
    h += "<table><tr><th>run</th><th>test</th><th>verdict</th><th class=\"num\">ops</th>"
         "<th class=\"num\">duration</th><th class=\"num\">ok ops/s</th><th>faults</th>"
         "<th>files</th></tr>";
    for (const IndexEntry& r : runs) {
      auto ff = first_failing.find(&r);
      h += std::string("<tr") + (ff != first_failing.end() ? " class=\"newly\"" : "") + "><td>" +
           RunLink(r) + "</td><td>" + Esc(r.test) + "</td><td>" + IndexPill(r.verdict) + Expected(r);
      if (ff != first_failing.end()) {
        h += "<span class=\"mark\" title=\"" + Esc("the run before, " + ff->second->label +
                                                  ", was valid") +
             "\">first failing since " + Esc(ff->second->label) + "</span>";
      }
      if (!r.problem.empty()) h += " <span class=\"muted\">" + Esc(r.problem) + "</span>";
      h += "</td><td class=\"num\">" + (r.ops >= 0 ? Thousands(r.ops) : "") +
           "</td><td class=\"num\">" + (r.duration_ns >= 0 ? Esc(FormatDuration(r.duration_ns)) : "") +
           "</td><td class=\"num\">" + (r.Throughput() >= 0 ? IndexFixed(r.Throughput()) : "") +
           "</td><td>" + Esc(Faults(r)) + "</td><td>";
      if (r.has_report) h += "<a href=\"" + HrefPath(r.run + "/report.html") + "\">report</a> ";
      if (r.has_history) h += "<a href=\"" + HrefPath(r.run + "/history.jsonl") + "\">history</a> ";
      h += "<a href=\"" + HrefPath(r.run + "/results.json") + "\">results</a></td></tr>";
    }
    h += "</table>";
  }
  h += "</section><footer>faultline store index, rewritten after every run</footer></main>"
       "</body></html>\n";
  return h;
}

}  // namespace

bool IndexEntry::Passing() const {
  if (expect == "invalid") return verdict == "invalid";
  if (expect == "any") return verdict == "valid" || verdict == "invalid" || verdict == "unknown";
  return verdict == "valid";
}

double IndexEntry::Throughput() const {
  if (ok_ops < 0 || duration_ns <= 0) return -1;
  return static_cast<double>(ok_ops) / (static_cast<double>(duration_ns) / 1e9);
}

Result<std::vector<IndexEntry>> ReadStoreRuns(const std::string& store, size_t max_runs) {
  std::error_code ec;
  const fs::path root(store);
  if (!fs::is_directory(root, ec)) return Status::NotFound(store + ": no such store directory");
  std::vector<fs::path> dirs;
  for (fs::directory_iterator t(root, ec), end; !ec && t != end; t.increment(ec)) {
    if (t->is_symlink(ec) || !t->is_directory(ec)) continue;
    std::error_code ec2;
    for (fs::directory_iterator r(t->path(), ec2), end2; !ec2 && r != end2; r.increment(ec2)) {
      if (r->is_symlink(ec2) || !r->is_directory(ec2)) continue;
      if (fs::is_regular_file(r->path() / "test.json", ec2)) dirs.push_back(r->path());
    }
  }
  if (ec) return Status::IoError(store + ": cannot list: " + ec.message());
  // Newest first: run directories are named by their UTC start time.
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    const std::string x = a.filename().string(), y = b.filename().string();
    return x != y ? x > y : a.string() < b.string();
  });
  if (dirs.size() > max_runs) dirs.resize(max_runs);
  std::vector<IndexEntry> runs;
  runs.reserve(dirs.size());
  for (const fs::path& d : dirs) runs.push_back(ReadEntry(root, d));
  return runs;
}

std::string RenderIndex(const std::vector<IndexEntry>& runs, const IndexOptions& options) {
  try {
    return BuildIndexPage(runs, options);
  } catch (const std::exception& e) {
    return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>faultline runs</title>"
           "</head><body><h1>The index could not be drawn</h1><p>" +
           Esc(e.what()) + "</p></body></html>\n";
  }
}

Status WriteStoreIndex(const std::string& store) {
  Result<std::vector<IndexEntry>> runs = ReadStoreRuns(store);
  if (!runs.ok()) return runs.status();
  const fs::path path = fs::path(store) / "index.html";
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(tmp.string() + ": cannot open for writing");
    const std::string html = RenderIndex(*runs);
    out.write(html.data(), static_cast<std::streamsize>(html.size()));
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

}  // namespace faultline::report
