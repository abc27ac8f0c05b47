// The console summary printed at the end of a run.
#include <algorithm>
#include <exception>

#include "harness/report/report.h"
#include "harness/report/summary.h"

namespace faultline::report {
namespace {

std::string Upper(const std::string& verdict) { return verdict == "invalid" ? "INVALID" : verdict; }

std::string Path(const std::string& dir, const std::string& file) {
  if (dir.empty()) return file;
  return dir + (dir.back() == '/' ? "" : "/") + file;
}

std::string BuildConsoleSummary(const RunData& run) {
  std::string s = "faultline: " + Upper(VerdictOf(run.results)) + " — " + TestName(run) + " (run " +
                  RunLabel(run) + ")\n";
  const Json* checkers = Field(run.results, "checkers");
  if (const Json* stats = checkers ? Field(*checkers, "stats") : nullptr;
      stats && Field(*stats, "count")) {
    s += "  " + Thousands(IntField(*stats, "count")) +
         " ops: " + Thousands(IntField(*stats, "ok_count")) + " ok, " +
         Thousands(IntField(*stats, "fail_count")) + " fail, " +
         Thousands(IntField(*stats, "info_count")) + " info";
    if (const int64_t unfinished = IntField(*stats, "unfinished_count")) {
      s += ", " + Thousands(unfinished) + " unfinished";
    }
    s += "\n";
  }
  const auto ordered = OrderedCheckers(run);
  size_t width = 0;
  for (const auto& [name, result] : ordered) width = std::max(width, name.size());
  for (const auto& [name, result] : ordered) {
    std::string verdict = Upper(VerdictOf(*result));
    std::string line = "  " + name + std::string(width - name.size() + 2, ' ') + verdict;
    const std::string summary = CheckerSummary(name, *result);
    if (!summary.empty())
      line += std::string(9 - std::min<size_t>(verdict.size(), 8), ' ') + summary;
    s += line + "\n";
  }
  if (ordered.empty()) s += "  no checker ran\n";
  if (const std::string note = Interruption(run); !note.empty()) s += "  " + note + "\n";
  for (const std::string& problem : HarnessProblems(run)) s += "  harness error: " + problem + "\n";
  s += "  report:  " + Path(run.run_dir, "report.html") + "\n";
  if (run.has_history) s += "  history: " + Path(run.run_dir, "history.jsonl") + "\n";
  return SanitizeUtf8(s);
}

}  // namespace

std::string ConsoleSummary(const RunData& run) {
  try {
    return BuildConsoleSummary(run);
  } catch (const std::exception& e) {
    return std::string("faultline: the summary could not be drawn: ") + e.what() + "\n";
  }
}

}  // namespace faultline::report
