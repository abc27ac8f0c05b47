#include "harness/report/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "harness/report/charts.h"
#include "harness/report/summary.h"
#include "harness/report/testing/example_run.h"

namespace faultline::report {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// A fresh directory removed at the end of the test, also when it fails.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("faultline-report-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void Spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A small XML 1.0 well-formedness check: one root element, balanced and
// matching tags, quoted attributes without '<', only the predefined and
// numeric entities, no character XML forbids. Returns "" or what is wrong.
std::string XmlProblem(const std::string& xml) {
  size_t i = 0;
  std::vector<std::string> open;
  bool root_seen = false;
  auto name_at = [&](size_t& k) {
    const size_t start = k;
    while (k < xml.size() && (std::isalnum(static_cast<unsigned char>(xml[k])) || xml[k] == '_' ||
                              xml[k] == '-' || xml[k] == '.' || xml[k] == ':')) {
      ++k;
    }
    return xml.substr(start, k - start);
  };
  auto entity_ok = [&](size_t k) {
    static const std::regex kEntity("^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);");
    return std::regex_search(
        xml.begin() + static_cast<std::ptrdiff_t>(k),
        xml.begin() + static_cast<std::ptrdiff_t>(std::min(xml.size(), k + 12)), kEntity);
  };
  for (unsigned char c : xml) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return "forbidden control character";
  }
  if (xml.rfind("<?xml", 0) == 0) {
    i = xml.find("?>");
    if (i == std::string::npos) return "unterminated declaration";
    i += 2;
  }
  while (i < xml.size()) {
    if (xml[i] == '<') {
      if (xml.compare(i, 2, "</") == 0) {
        size_t k = i + 2;
        const std::string name = name_at(k);
        if (open.empty() || open.back() != name) return "mismatched end tag </" + name + ">";
        open.pop_back();
        if (k >= xml.size() || xml[k] != '>') return "bad end tag";
        i = k + 1;
        continue;
      }
      size_t k = i + 1;
      const std::string name = name_at(k);
      if (name.empty()) return "bad tag at " + std::to_string(i);
      if (open.empty() && root_seen) return "second root element";
      root_seen = true;
      for (;;) {
        while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
        if (k >= xml.size()) return "unterminated tag";
        if (xml[k] == '>') {
          open.push_back(name);
          i = k + 1;
          break;
        }
        if (xml.compare(k, 2, "/>") == 0) {
          i = k + 2;
          break;
        }
        const std::string attr = name_at(k);
        if (attr.empty() || k + 1 >= xml.size() || xml[k] != '=' || xml[k + 1] != '"') {
          return "bad attribute in <" + name + ">";
        }
        k += 2;
        while (k < xml.size() && xml[k] != '"') {
          if (xml[k] == '<') return "'<' in attribute value";
          if (xml[k] == '&' && !entity_ok(k)) return "bad entity in attribute";
          ++k;
        }
        if (k >= xml.size()) return "unterminated attribute";
        ++k;
      }
      continue;
    }
    if (xml[i] == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
    if (xml[i] == '>') return "raw '>' in text is legal but we never write it";
    if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) {
      return "text outside the root element";
    }
    ++i;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return root_seen ? "" : "no root element";
}

// xmllint, when installed (scripts/install-deps.sh installs libxml2-utils).
void ExpectXmllintAccepts(const fs::path& file) {
  if (!fs::exists("/usr/bin/xmllint")) {
    GTEST_LOG_(INFO) << "xmllint not installed; only the built-in well-formedness check ran";
    return;
  }
  const std::string cmd = "/usr/bin/xmllint --noout '" + file.string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// Resource references that would need a network or another file to render.
void ExpectSelfContained(const std::string& html) {
  static const std::regex kRemote(
      R"re((src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|//)|url\(\s*["']?\s*(https?:|//)|@import|<link\b|<script\b|<iframe\b|<object\b|<embed\b)re",
      std::regex::icase);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(html, m, kRemote)) << "found: " << m.str();
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(XmlProblem, CatchesWhatItShould) {
  EXPECT_EQ(XmlProblem("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; u</a>\n"), "");
  EXPECT_NE(XmlProblem("<a><b></a></b>"), "");
  EXPECT_NE(XmlProblem("<a x=\"<\"/>"), "");
  EXPECT_NE(XmlProblem("<a>&nbsp;</a>"), "");
  EXPECT_NE(XmlProblem("<a>\x01</a>"), "");
  EXPECT_NE(XmlProblem("<a/><b/>"), "");
  EXPECT_NE(XmlProblem("<a>"), "");
}

TEST(Report, ValidRunGivesAReportAJunitFileAndASummary) {
  TempDir tmp;
  const fs::path run = tmp.path() / "etcd-register" / "20240101T000000";
  testing::ExampleRunOptions options;
  options.ops = 800;
  options.seconds = 8;
  ASSERT_TRUE(testing::WriteExampleRun(run.string(), options).ok());
  ASSERT_TRUE(WriteReport(run.string()).ok());

  const std::string html = Slurp(run / "report.html");
  EXPECT_THAT(html, HasSubstr("<header class=\"banner valid\"><div class=\"verdict\">valid</div>"));
  EXPECT_THAT(html, HasSubstr("<svg class=\"chart\""));
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 2u) << "latency and throughput charts";
  EXPECT_THAT(html, HasSubstr("start-partition"));        // a labeled nemesis period
  EXPECT_THAT(html, HasSubstr("fill-opacity=\"0.13\""));  // its shading
  EXPECT_THAT(html, HasSubstr("href=\"history.jsonl\""));
  EXPECT_THAT(html, HasSubstr("href=\"nodes/n2/etcd.log\""));
  EXPECT_THAT(html, HasSubstr(">p99<"));
  EXPECT_THAT(html, HasSubstr("id=\"phases\""));
  EXPECT_THAT(html, Not(HasSubstr("id=\"problems\"")));
  EXPECT_THAT(html, Not(HasSubstr("The failing window")));
  ExpectSelfContained(html);

  const std::string junit = Slurp(run / "junit.xml");
  EXPECT_EQ(XmlProblem(junit), "") << junit;
  ExpectXmllintAccepts(run / "junit.xml");
  EXPECT_THAT(junit, HasSubstr("<testsuite name=\"etcd-register\" tests=\"3\" failures=\"0\" "
                               "errors=\"0\""));
  EXPECT_EQ(Count(junit, "<testcase "), 3u);
  EXPECT_EQ(Count(junit, "<failure"), 0u);
  EXPECT_EQ(Count(junit, "<error"), 0u);

  Result<RunData> loaded = LoadRun(run.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->node_files, (std::vector<std::string>{"nodes/n1/etcd.log", "nodes/n2/etcd.log",
                                                          "nodes/n3/etcd.log"}));
  const std::string summary = ConsoleSummary(*loaded);
  const Json& stats = loaded->results["checkers"]["stats"];
  EXPECT_THAT(summary, HasSubstr("faultline: valid — etcd-register (run 20240101T000000)\n"));
  EXPECT_THAT(summary, HasSubstr(" ops: "));
  EXPECT_THAT(summary, HasSubstr(std::to_string(stats["ok_count"].get<int64_t>()) + " ok"));
  EXPECT_THAT(summary, HasSubstr("  linearizability  valid"));
  EXPECT_THAT(summary, HasSubstr("  stats            valid"));
  EXPECT_THAT(summary, HasSubstr("report:  " + (run / "report.html").string()));
  EXPECT_THAT(summary, HasSubstr("history: " + (run / "history.jsonl").string()));
  EXPECT_FALSE(fs::exists(run / "report.html.tmp"));
}

TEST(Report, ClockOffsetsGetALaneEachInTheFaultBands) {
  Json perf = Json::parse(R"({
    "time_range": {"start": 0, "end": 60000000000},
    "throughput": {"bucket_ns": 1000000000,
                   "buckets": [{"time": 0, "ok": 5, "fail": 0, "info": 0}]},
    "nemesis": {"intervals": [], "events": [
      {"time": 10000000000, "f": "bump", "value": {"n2": 120000}},
      {"time": 20000000000, "f": "reset", "value": {"n1": 0, "n2": 0, "n3": 0}},
      {"time": 30000000000, "f": "strobe",
       "value": {"n3": {"strobe_ms": [0, -250], "period_ms": 50, "flips": 90, "for_ms": 5000}}},
      {"time": 40000000000, "f": "bump", "value": {"n1": -40}},
      {"time": 45000000000, "f": "kill", "value": {"killed": ["n1"]}}]}})");
  const std::string svg = ThroughputChartSvg(perf);
  // One lane per skewed node, in order of first skew; n1's -40 ms is never reset.
  EXPECT_THAT(svg, HasSubstr(">clock n2<"));
  EXPECT_THAT(svg, HasSubstr(">clock n3<"));
  EXPECT_THAT(svg, HasSubstr(">clock n1<"));
  EXPECT_LT(svg.find(">clock n2<"), svg.find(">clock n3<"));
  EXPECT_THAT(svg, HasSubstr("n2 clock +120 s: 10 s – 20 s"));
  EXPECT_THAT(svg, HasSubstr("n3 clock strobe +0 ms / -250 ms: 30 s – 35 s"));
  EXPECT_THAT(svg, HasSubstr("n1 clock -40 ms: 40 s – 60 s (never reset)"));
  EXPECT_THAT(svg, HasSubstr("url(#clock-strobe)"));
  // Other events keep their lane; clock ops are not repeated there.
  EXPECT_THAT(svg, HasSubstr("kill at 45 s"));
  EXPECT_THAT(svg, Not(HasSubstr("bump at")));
  EXPECT_EQ(XmlProblem(svg), "");
}

TEST(Report, InvalidRunShowsTheExplanation) {
  TempDir tmp;
  const fs::path run = tmp.path() / "run";
  testing::ExampleRunOptions options;
  options.ops = 1500;
  options.seconds = 10;
  options.invalid = true;
  ASSERT_TRUE(testing::WriteExampleRun(run.string(), options).ok());
  ASSERT_TRUE(WriteReport(run.string()).ok());
  Result<RunData> loaded = LoadRun(run.string());
  ASSERT_TRUE(loaded.ok());
  const Json& lin = loaded->results["checkers"]["linearizability"];
  ASSERT_EQ(lin["valid"], false);

  const std::string html = Slurp(run / "report.html");
  EXPECT_THAT(html, HasSubstr("<div class=\"verdict\">INVALID</div>"));
  EXPECT_THAT(html, HasSubstr("<section id=\"explain-linearizability\">"));
  // The failing op, highlighted, with its index and returned value.
  const Json& op = lin["explanation"]["op"];
  EXPECT_THAT(html, HasSubstr("<tr class=\"blocked\"><td class=\"num\">" +
                              Thousands(op["index"].get<int64_t>()) + "</td>"));
  EXPECT_THAT(html, HasSubstr("ok <code>" + op["result"].dump() + "</code>"));
  // The prefix tail with states, and the text explanation, escaped.
  EXPECT_THAT(html, HasSubstr("<th>state after</th>"));
  EXPECT_THAT(html, HasSubstr(HtmlEscape(lin["explanation_text"].get<std::string>())));
  // The failing window, drawn on a time axis from the ops' recorded times.
  EXPECT_THAT(html, HasSubstr("<h3>The failing window</h3>"));
  EXPECT_EQ(Count(html, "<g class=\"op blocked\">"), 1u);
  EXPECT_THAT(html, HasSubstr("<g class=\"op prefix\">"));
  EXPECT_THAT(html, HasSubstr("time since the test started"));
  ExpectSelfContained(html);

  const std::string junit = Slurp(run / "junit.xml");
  EXPECT_EQ(XmlProblem(junit), "") << junit;
  ExpectXmllintAccepts(run / "junit.xml");
  EXPECT_EQ(Count(junit, "<testcase "), 3u);
  EXPECT_EQ(Count(junit, "<failure "), 1u);
  EXPECT_THAT(junit, HasSubstr("name=\"linearizability\" time=\""));
  const size_t lin_case = junit.find("name=\"linearizability\"");
  const size_t failure = junit.find("<failure type=\"invalid\"");
  const size_t next_case = junit.find("<testcase ", lin_case);
  EXPECT_LT(lin_case, failure);
  EXPECT_LT(failure, next_case) << "the failure belongs to the linearizability testcase";
  EXPECT_THAT(junit, HasSubstr("failures=\"1\""));

  const std::string summary = ConsoleSummary(*loaded);
  EXPECT_THAT(summary, HasSubstr("faultline: INVALID"));
  EXPECT_THAT(summary, HasSubstr("linearizability  INVALID  Operation process"));
}

// A run whose every string is hostile.
void WriteHostileRun(const fs::path& run) {
  const std::string evil = "<script>alert(1)</script>";
  const Json op = {
      {"index", 7},    {"line", 8},    {"process", 3},   {"f", "read\"><u>x</u>"}, {"value", evil},
      {"key", "k<1>"}, {"type", "ok"}, {"result", evil}, {"completion_index", 9}};
  const Json results = {
      {"valid", false},
      {"checkers",
       {{"linearizability",
         {{"valid", false},
          {"explanation",
           {{"partition_key", "k<1>"},
            {"prefix_length", 1},
            {"prefix_tail", Json::array({op})},
            {"state", evil},
            {"op", op},
            {"concurrent", Json::array({op})},
            {"concurrent_total", 1}}},
          {"explanation_text", "Operation " + evil + " cannot be linearized.\n\x01 bell"}}},
        {"<img src=x onerror=alert(1)>", {{"valid", "unknown"}, {"reason", "</pre>" + evil}}}}},
      {"phases", Json::array({{{"name", "setup"},
                               {"start_ns", 0},
                               {"end_ns", 1000},
                               {"status", "failed"},
                               {"error", evil}}})},
      {"errors", Json::array({"ssh n1: " + evil})}};
  Spit(run / "results.json", results.dump());
  Spit(run / "test.json",
       Json({{"name", evil}, {"target", "<i>etcd</i>"}, {"url", "http://10.0.0.1:2379/"}}).dump());
  Spit(run / "harness.log", "line with " + evil + " and bad utf-8 \xff\xfe\n");
  Spit(run / "nodes" / "n1" / "we\"ird <name>.log", "x");
}

TEST(Report, EscapesEverythingTakenFromData) {
  TempDir tmp;
  const fs::path run = tmp.path() / "hostile";
  WriteHostileRun(run);
  ASSERT_TRUE(WriteReport(run.string()).ok());
  const std::string html = Slurp(run / "report.html");
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<i>etcd")));
  EXPECT_THAT(html, Not(HasSubstr("<u>")));
  EXPECT_THAT(html, HasSubstr("read&quot;&gt;&lt;u&gt;x&lt;/u&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("\x01"))) << "controls are replaced, as in XML";
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
  // The test.json URL appears as text only, never as a link.
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));
  // A hostile file name becomes a percent-encoded relative link.
  EXPECT_THAT(html, HasSubstr("href=\"nodes/n1/we%22ird%20%3Cname%3E.log\""));
  EXPECT_THAT(html, HasSubstr("we&quot;ird &lt;name&gt;.log"));
  // Harness errors and the failed phase are shown, with the end of harness.log.
  EXPECT_THAT(html, HasSubstr("id=\"problems\""));
  EXPECT_THAT(html, HasSubstr("ssh n1: &lt;script&gt;"));
  EXPECT_THAT(html, HasSubstr("bad utf-8 \xEF\xBF\xBD\xEF\xBF\xBD"));
  EXPECT_THAT(html, HasSubstr("<span class=\"pill failed\">failed</span>"));

  const std::string junit = Slurp(run / "junit.xml");
  EXPECT_EQ(XmlProblem(junit), "") << junit;
  ExpectXmllintAccepts(run / "junit.xml");
  EXPECT_EQ(Count(junit, "<testcase "), 3u) << "two checkers and the harness";
  EXPECT_THAT(junit, HasSubstr("name=\"&lt;img src=x onerror=alert(1)&gt;\""));
  EXPECT_THAT(junit, HasSubstr("<error type=\"unknown\""));
  EXPECT_THAT(junit, HasSubstr("name=\"harness\""));
  EXPECT_THAT(junit, HasSubstr("<error type=\"harness\" message=\"ssh n1: &lt;script&gt;"));
  EXPECT_THAT(junit, HasSubstr("failures=\"1\" errors=\"2\""));
}

TEST(Report, BadOrMissingFilesAreNamed) {
  TempDir tmp;
  const fs::path run = tmp.path() / "r";
  Result<RunData> r = LoadRun(run.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(run.string()));

  fs::create_directories(run);
  r = LoadRun(run.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("test.json"));

  Spit(run / "test.json", "{}");
  Spit(run / "results.json", "{\n  \"valid\": true,\n  \"checkers\": {,}\n}");
  r = LoadRun(run.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("results.json:3: not valid JSON"));

  // A number too large for a double is out_of_range, not parse_error; it
  // used to escape LoadRun (and `faultline analyze`) as an exception.
  Spit(run / "results.json", "{\"valid\": true, \"phases\": [{\"name\": \"run\", \"start_ns\": 1e999}]}");
  r = LoadRun(run.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("results.json: not valid JSON ("));

  Spit(run / "results.json", "{\"checkers\": {}}");
  r = LoadRun(run.string());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("\"valid\": expected true, false or \"unknown\""));

  Spit(run / "results.json", "{\"valid\": \"maybe\"}");
  EXPECT_THAT(LoadRun(run.string()).status().message(), HasSubstr("\"valid\" is \"maybe\""));

  Spit(run / "results.json", "{\"valid\": true, \"checkers\": {\"stats\": {\"count\": 1}}}");
  EXPECT_THAT(LoadRun(run.string()).status().message(), HasSubstr("checkers.stats.valid"));

  Spit(run / "results.json", "[true]");
  EXPECT_THAT(LoadRun(run.string()).status().message(), HasSubstr("expected a JSON object"));

  Spit(run / "results.json", "{\"valid\": \"unknown\"}");
  EXPECT_TRUE(LoadRun(run.string()).ok());
  EXPECT_TRUE(WriteReport(run.string()).ok());
  const std::string junit = Slurp(run / "junit.xml");
  EXPECT_EQ(XmlProblem(junit), "");
  EXPECT_THAT(junit, HasSubstr("name=\"harness\""));
  EXPECT_THAT(junit, HasSubstr("no checker"));
  EXPECT_THAT(Slurp(run / "report.html"), HasSubstr("<div class=\"verdict\">unknown</div>"));
}

TEST(Report, ReadsOnlyTheEndOfALargeHarnessLog) {
  TempDir tmp;
  const fs::path run = tmp.path() / "r";
  Spit(run / "test.json", "{}");
  Spit(run / "results.json", "{\"valid\": true, \"checkers\": {}}");
  std::string log;
  for (int i = 0; i < 20000; ++i) log += "log line " + std::to_string(i) + "\n";
  Spit(run / "harness.log", log);
  Result<RunData> loaded = LoadRun(run.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->harness_log_tail.size(), 60u);
  EXPECT_EQ(loaded->harness_log_tail.front(), "log line 19940");
  EXPECT_EQ(loaded->harness_log_tail.back(), "log line 19999");
}

TEST(Report, RenderingToleratesMissingDetails) {
  RunData run;
  run.run_dir = "store/t/1";
  run.results = {{"valid", true},
                 {"checkers",
                  {{"perf", {{"valid", true}, {"points", {{"rows", {1, "x", Json::array({1})}}}}}},
                   {"stats", {{"valid", true}, {"by_f", "oops"}}},
                   {"linearizability", {{"valid", false}, {"explanation", 3}}}}}};
  const std::string html = RenderHtml(run);
  EXPECT_THAT(html, HasSubstr("<div class=\"verdict\">valid</div>"));
  EXPECT_THAT(html, HasSubstr("No completed operation with times."));
  EXPECT_EQ(XmlProblem(RenderJunit(run)), "");
  EXPECT_THAT(ConsoleSummary(run), HasSubstr("faultline: valid — t (run 1)"));
}

TEST(Report, AnInterruptedRunIsNotAHarnessError) {
  RunData run;
  run.run_dir = "store/t/1";
  run.results = {{"valid", "unknown"},
                 {"interrupted", true},
                 {"phases",
                  {{{"name", "setup"}, {"status", "ok"}},
                   {{"name", "run"}, {"status", "interrupted"}, {"error", "interrupted"}}}},
                 {"checkers", {{"stats", {{"valid", true}}}}}};
  const std::string summary = ConsoleSummary(run);
  EXPECT_THAT(summary, HasSubstr("interrupted by a signal during phase run"));
  EXPECT_THAT(summary, Not(HasSubstr("harness error")));
  const std::string html = RenderHtml(run);
  EXPECT_THAT(html, HasSubstr("id=\"interrupted\""));
  EXPECT_THAT(html, Not(HasSubstr("Harness errors")));
  // A failed phase next to it is still one.
  run.results["phases"].push_back({{"name", "teardown"}, {"status", "failed"}, {"error", "boom"}});
  EXPECT_THAT(ConsoleSummary(run), HasSubstr("harness error: phase teardown failed: boom"));
}

TEST(Report, ShowsLostSetElementsAndOverlappingLockHolders) {
  RunData run;
  run.run_dir = "store/t/1";
  Json hold_a = {{"process", 12}, {"node", "n1"}, {"element", 66}, {"start_s", 82.64}, {"end_s", 84.25}};
  Json hold_b = {{"process", 7}, {"node", "n2"}, {"element", 73}, {"start_s", 82.65}, {"end_s", 84.53}};
  run.results = {
      {"valid", false},
      {"checkers",
       {{"set",
         {{"valid", false}, {"acknowledged_count", 81}, {"ok_count", 78}, {"lost_count", 3},
          {"unexpected_count", 0}, {"recovered_count", 0},
          {"lost", {{{"key", 0}, {"element", 66}, {"acknowledged_at_index", 490},
                     {"final_read_index", 573}}}},
          {"unexpected", Json::array()}}},
        {"holders",
         {{"valid", false}, {"holds", 81}, {"overlap_count", 5},
          {"overlaps", {{{"first", hold_a}, {"second", hold_b}, {"overlap_ms", 1603.4}}}}}}}}};
  const std::string html = RenderHtml(run);
  EXPECT_THAT(html, HasSubstr("Set: lost and unexpected elements"));
  EXPECT_THAT(html, HasSubstr("acknowledged at history index 490"));
  EXPECT_THAT(html, HasSubstr("Overlapping lock holders"));
  EXPECT_THAT(html, HasSubstr("process 7 on n2, element 73"));
  EXPECT_THAT(html, HasSubstr("1603 ms"));
  const std::string summary = ConsoleSummary(run);
  EXPECT_THAT(summary, HasSubstr("81 acknowledged adds: 78 ok, 3 lost"));
  EXPECT_THAT(summary, HasSubstr("lost: 66 (key 0)"));
  EXPECT_THAT(summary, HasSubstr("5 began while another was held; first: process 12 on n1"));
}

}  // namespace
}  // namespace faultline::report
