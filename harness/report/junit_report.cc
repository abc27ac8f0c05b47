// junit.xml: one testsuite, one testcase per checker.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <limits>

#include "harness/report/report.h"
#include "harness/report/summary.h"

namespace faultline::report {
namespace {

constexpr size_t kMaxBody = 20000;

std::string X(std::string_view text) { return XmlEscape(text); }

std::string Seconds(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(std::max<int64_t>(ns, 0)) / 1e9);
  return buf;
}

// The text CI shows for a checker that did not pass.
std::string Body(const Json& result) {
  std::string body = StringField(result, "explanation_text");
  const std::string reason = StringField(result, "reason");
  if (!reason.empty()) body = reason + (body.empty() ? "" : "\n\n" + body);
  if (body.empty()) body = ShortJson(result, kMaxBody);
  if (body.size() > kMaxBody) body = ShortJson(Json(body), kMaxBody, true);
  return body;
}

int64_t RunDurationNs(const RunData& run) {
  const Json* phases = Field(run.results, "phases");
  if (!phases || !phases->is_array()) return 0;
  int64_t first = std::numeric_limits<int64_t>::max(), last = 0;
  for (const Json& p : *phases) {
    if (Field(p, "start_ns")) first = std::min(first, IntField(p, "start_ns"));
    if (Field(p, "end_ns")) last = std::max(last, IntField(p, "end_ns"));
  }
  return last > first ? last - first : 0;
}

std::string BuildJunitXml(const RunData& run) {
  const std::string test = TestName(run);
  const auto checkers = OrderedCheckers(run);
  const std::vector<std::string> problems = HarnessProblems(run);
  const bool harness_case = !problems.empty() || checkers.empty();

  std::string cases;
  int failures = 0, errors = 0, tests = 0;
  const std::string classname = X("faultline." + test);
  for (const auto& [name, result] : checkers) {
    ++tests;
    const std::string verdict = VerdictOf(*result);
    cases += "    <testcase classname=\"" + classname + "\" name=\"" + X(name) + "\" time=\"" +
             Seconds(IntField(*result, "duration_ns")) + "\"";
    const std::string message = X(CheckerSummary(name, *result));
    if (verdict == "valid") {
      cases += "/>\n";
    } else if (verdict == "invalid") {
      ++failures;
      cases += ">\n      <failure type=\"invalid\" message=\"" + message + "\">" +
               X(Body(*result)) + "</failure>\n    </testcase>\n";
    } else {
      ++errors;
      cases += ">\n      <error type=\"unknown\" message=\"" + message + "\">" + X(Body(*result)) +
               "</error>\n    </testcase>\n";
    }
  }
  if (harness_case) {
    ++tests;
    ++errors;
    std::string body;
    for (const std::string& p : problems) body += p + "\n";
    if (checkers.empty()) body += "results.json lists no checker: nothing was checked\n";
    const size_t nl = body.find('\n');
    cases += "    <testcase classname=\"" + classname + "\" name=\"harness\" time=\"0.000\">\n" +
             "      <error type=\"harness\" message=\"" + X(body.substr(0, nl)) + "\">" + X(body) +
             "</error>\n    </testcase>\n";
  }

  std::string properties;
  if (run.test.is_object()) {
    for (const auto& [key, value] : run.test.items()) {
      if (!value.is_primitive() || value.is_null()) continue;
      properties += "      <property name=\"" + X(key) + "\" value=\"" +
                    X(ShortJson(value, 500, true)) + "\"/>\n";
    }
  }
  const std::string counts = "tests=\"" + std::to_string(tests) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                             "\" skipped=\"0\" time=\"" + Seconds(RunDurationNs(run)) + "\"";
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites name=\"faultline\" " + counts + ">\n";
  xml += "  <testsuite name=\"" + X(test) + "\" " + counts + ">\n";
  if (!properties.empty()) xml += "    <properties>\n" + properties + "    </properties>\n";
  xml += cases;
  xml += "    <system-out>verdict: " + X(VerdictOf(run.results)) + "\nrun: " + X(run.run_dir) +
         "</system-out>\n";
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace

std::string RenderJunit(const RunData& run) {
  try {
    return BuildJunitXml(run);
  } catch (const std::exception& e) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"faultline\" tests=\"1\" "
           "failures=\"0\" errors=\"1\">\n  <testsuite name=\"faultline\" tests=\"1\" "
           "failures=\"0\" "
           "errors=\"1\">\n    <testcase classname=\"faultline\" name=\"report\">\n      <error "
           "type=\"report\" message=\"" +
           X(e.what()) + "\"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n";
  }
}

}  // namespace faultline::report
