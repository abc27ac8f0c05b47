#include "harness/report/summary.h"

#include <algorithm>
#include <filesystem>

namespace faultline::report {
namespace {

std::string FirstLine(const std::string& text) {
  const size_t nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

// The last non-empty component of `path`, ignoring trailing slashes.
std::filesystem::path Trimmed(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return std::filesystem::path(p);
}

}  // namespace

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string TestName(const RunData& run) {
  for (const char* key : {"name", "test"}) {
    const std::string name = StringField(run.test, key);
    if (!name.empty()) return name;
  }
  const std::string parent = Trimmed(run.run_dir).parent_path().filename().string();
  return parent.empty() || parent == "." || parent == ".." ? "test" : parent;
}

std::string RunLabel(const RunData& run) { return Trimmed(run.run_dir).filename().string(); }

std::vector<std::pair<std::string, const Json*>> OrderedCheckers(const RunData& run) {
  std::vector<std::pair<std::string, const Json*>> first, last;
  const Json* checkers = Field(run.results, "checkers");
  if (!checkers || !checkers->is_object()) return first;
  for (const auto& [name, result] : checkers->items()) {
    (name == "stats" || name == "perf" ? last : first).emplace_back(name, &result);
  }
  // nlohmann orders keys alphabetically: "perf" before "stats".
  std::reverse(last.begin(), last.end());
  first.insert(first.end(), last.begin(), last.end());
  return first;
}

std::string CheckerSummary(const std::string& name, const Json& result) {
  const std::string reason = StringField(result, "reason");
  if (!reason.empty()) return FirstLine(reason);
  const std::string text = StringField(result, "explanation_text");
  if (!text.empty()) return FirstLine(text);
  if (name == "stats" && Field(result, "count")) {
    return Thousands(IntField(result, "count")) +
           " ops: " + Thousands(IntField(result, "ok_count")) + " ok, " +
           Thousands(IntField(result, "fail_count")) + " fail, " +
           Thousands(IntField(result, "info_count")) + " info";
  }
  if (name == "perf") {
    const Json* latency = Field(result, "latency");
    const Json* all = latency ? Field(*latency, "all") : nullptr;
    const Json* ok = all ? Field(*all, "ok") : nullptr;
    if (ok) {
      return "ok latency p50 " + FormatDuration(IntField(*ok, "p50")) + ", p99 " +
             FormatDuration(IntField(*ok, "p99")) + ", max " + FormatDuration(IntField(*ok, "max"));
    }
    return "";
  }
  if (name == "set" && Field(result, "acknowledged_count")) {
    std::string line = Thousands(IntField(result, "acknowledged_count")) + " acknowledged adds: " +
                       Thousands(IntField(result, "ok_count")) + " ok, " +
                       Thousands(IntField(result, "lost_count")) + " lost, " +
                       Thousands(IntField(result, "unexpected_count")) + " unexpected, " +
                       Thousands(IntField(result, "recovered_count")) + " recovered";
    if (const Json* lost = Field(result, "lost"); lost && lost->is_array() && !lost->empty()) {
      line += "; lost:";
      size_t shown = 0;
      for (const Json& l : *lost) {
        if (++shown > 5) break;
        line += " " + ShortJson(l.value("element", Json()), 24, true) + " (key " +
                ShortJson(l.value("key", Json()), 24, true) + ")";
      }
    }
    return line;
  }
  if (name == "holders" && Field(result, "overlap_count")) {
    std::string line = Thousands(IntField(result, "holds")) + " holds, " +
                       Thousands(IntField(result, "overlap_count")) + " began while another was held";
    const Json* overlaps = Field(result, "overlaps");
    if (overlaps && overlaps->is_array() && !overlaps->empty()) {
      const Json& o = (*overlaps)[0];
      auto who = [](const Json& h) {
        return "process " + ShortJson(h.value("process", Json()), 12, true) + " on " +
               h.value("node", std::string("?")) + " " +
               std::to_string(h.value("start_s", 0.0)).substr(0, 7) + "-" +
               std::to_string(h.value("end_s", 0.0)).substr(0, 7) + " s";
      };
      line += "; first: " + who(o.value("first", Json::object())) + " and " +
              who(o.value("second", Json::object()));
    }
    return line;
  }
  if (Field(result, "ops_checked")) {
    return Thousands(IntField(result, "ops_checked")) + " ops checked in " +
           Thousands(IntField(result, "partitions")) + " partition(s), " +
           Thousands(IntField(result, "configurations")) + " configurations";
  }
  return "";
}

std::vector<std::string> HarnessProblems(const RunData& run) {
  std::vector<std::string> out;
  if (const Json* errors = Field(run.results, "errors"); errors && errors->is_array()) {
    for (const Json& e : *errors)
      out.push_back(e.is_string() ? e.get<std::string>() : ShortJson(e, 400));
  }
  if (const Json* phases = Field(run.results, "phases"); phases && phases->is_array()) {
    for (const Json& p : *phases) {
      const std::string status = StringField(p, "status", "unknown");
      if (status == "ok" || status == "skipped" || status == "interrupted") continue;
      std::string line = "phase " + StringField(p, "name", "?") + " " + status;
      const std::string error = StringField(p, "error");
      if (!error.empty()) line += ": " + error;
      out.push_back(line);
    }
  }
  return out;
}

std::string Interruption(const RunData& run) {
  const Json* interrupted = Field(run.results, "interrupted");
  if (!interrupted || !interrupted->is_boolean() || !interrupted->get<bool>()) return "";
  std::string phase;
  if (const Json* phases = Field(run.results, "phases"); phases && phases->is_array()) {
    for (const Json& p : *phases) {
      if (StringField(p, "status") == "interrupted") {
        phase = StringField(p, "name", "?");
        break;
      }
    }
  }
  return "interrupted by a signal" + (phase.empty() ? "" : " during phase " + phase) +
         "; the cluster was healed and the history recorded until then was checked";
}

}  // namespace faultline::report
