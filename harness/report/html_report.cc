// report.html: one self-contained page, every datum escaped.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <limits>

#include "harness/report/balance_report.h"
#include "harness/report/charts.h"
#include "harness/report/report.h"
#include "harness/report/summary.h"
#include "harness/report/timeline.h"

namespace faultline::report {
namespace {

constexpr const char* kStyle = R"css(
:root{--valid:#2b8a3e;--invalid:#c92a2a;--unknown:#d9480f;--border:#e3e6ea;--muted:#6b7280;
--ok:#2f6fd0;--fail:#d6336c;--info:#e8890c}
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f2328;
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:0 20px 40px}
.banner{color:#fff;padding:22px 28px 18px;border-radius:0 0 12px 12px}
.banner.valid{background:linear-gradient(135deg,#2b8a3e,#37b24d)}
.banner.invalid{background:linear-gradient(135deg,#a61e1e,#e03131)}
.banner.unknown{background:linear-gradient(135deg,#c2410c,#f08c00)}
.banner .verdict{font-size:40px;font-weight:800;letter-spacing:.02em;line-height:1.1}
.banner .test{font-size:20px;font-weight:600;margin-top:4px}
.banner .sub{opacity:.92;margin-top:2px}
.facts{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}
.fact{background:rgba(255,255,255,.16);border-radius:8px;padding:6px 12px;min-width:90px}
.fact b{display:block;font-size:18px}
.fact span{font-size:12px;opacity:.9}
nav{margin:12px 2px 0;font-size:13px}
nav a{color:#374151;text-decoration:none;margin-right:14px}
nav a:hover{text-decoration:underline}
section{background:#fff;border:1px solid var(--border);border-radius:10px;padding:16px 20px;
margin:16px 0}
section.problems{border-color:#f5b5b5;background:#fff6f6}section.notice{border-color:#f0d58c;background:#fffbea}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:14px;margin:16px 0 6px;color:#374151}
p{margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:11.5px;text-transform:uppercase;
letter-spacing:.04em;border-bottom:1px solid var(--border)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600;border-top:1px solid var(--border)}
tr.bad td{background:#fff1f1}
tr.blocked td{background:#fff1f1;font-weight:600}
.pill{display:inline-block;padding:1px 10px;border-radius:10px;font-weight:700;font-size:12px;
color:#fff;white-space:nowrap}
.pill.valid,.pill.ok{background:var(--valid)}
.pill.invalid,.pill.failed{background:var(--invalid)}
.pill.unknown{background:var(--unknown)}
.pill.skipped,.pill.other{background:#868e96}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#f3f4f6;padding:1px 4px;border-radius:4px;word-break:break-word}
pre{background:#f6f8fa;border:1px solid var(--border);border-radius:6px;padding:10px 12px;
overflow:auto;white-space:pre-wrap;word-break:break-word;margin:6px 0}
.muted{color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;align-items:center;gap:16px;font-size:12.5px;color:#4b5563;
margin:2px 0 6px}
.legend .swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;
vertical-align:-2px}
svg.marker{vertical-align:-1px;margin-right:4px}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#4b5563}
svg.chart text.title{font-size:12px;fill:#374151}
svg.chart text.lane{font-size:11px;fill:#374151}
svg.chart text.bar{font-size:10px;fill:#1f2328}
svg.chart .grid{stroke:#e5e7eb;stroke-width:1}
svg.chart .minor{stroke:#f3f4f6;stroke-width:1}
svg.chart .axis{stroke:#9ca3af;stroke-width:1}
.stack{display:flex;height:10px;width:160px;border-radius:3px;overflow:hidden;background:#eef0f3}
.stack i{display:block;height:100%}
.timeline{position:relative;height:12px;min-width:200px;background:#f1f3f5;border-radius:3px}
.timeline i{position:absolute;top:0;height:100%;border-radius:3px;min-width:2px}
ul.files{margin:4px 0;padding-left:20px}
a{color:#1c64c8}
td.key{width:220px;color:#374151;font-weight:600}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
)css";

std::string E(std::string_view text) { return HtmlEscape(text); }

std::string VerdictText(const std::string& verdict) {
  return verdict == "invalid" ? "INVALID" : verdict;
}

std::string Pill(const std::string& verdict) {
  return "<span class=\"pill " + verdict + "\">" + VerdictText(verdict) + "</span>";
}

std::string Num(int64_t n) { return "<td class=\"num\">" + Thousands(n) + "</td>"; }

std::string JsonCell(const Json& value, size_t max_chars = 120) {
  return "<td><code>" + E(ShortJson(value, max_chars)) + "</code></td>";
}

const Json* FindChecker(const RunData& run, const char* name) {
  const Json* checkers = Field(run.results, "checkers");
  return checkers ? Field(*checkers, name) : nullptr;
}

const char* OutcomeColor(const std::string& type) {
  if (type == "ok") return kOkColor;
  if (type == "fail") return kFailColor;
  return kInfoColor;
}

// Scalars as text, arrays of scalars as "a, b, c", anything else as JSON.
std::string ListOrJson(const Json& v, size_t max_chars) {
  if (v.is_array() &&
      std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_primitive(); })) {
    std::string out;
    for (const Json& x : v) out += (out.empty() ? "" : ", ") + ShortJson(x, max_chars, true);
    return ShortJson(Json(out), max_chars, true);
  }
  return ShortJson(v, max_chars, true);
}

// ---- Sections -----------------------------------------------------------------

void Banner(const RunData& run, std::string* out) {
  const std::string verdict = VerdictOf(run.results);
  std::string& h = *out;
  h += "<header class=\"banner " + verdict + "\"><div class=\"verdict\">" + VerdictText(verdict) +
       "</div><div class=\"test\">" + E(TestName(run)) + "</div><div class=\"sub\">";
  std::vector<std::string> parts;
  for (const char* key : {"target", "workload", "nemesis"}) {
    if (const Json* v = Field(run.test, key); v && !v->is_null()) {
      parts.push_back(std::string(key) + " " + ListOrJson(*v, 80));
    }
  }
  if (const Json* nodes = Field(run.test, "nodes"); nodes && nodes->is_array()) {
    parts.push_back(std::to_string(nodes->size()) + " node" + (nodes->size() == 1 ? "" : "s"));
  }
  parts.push_back("run " + RunLabel(run));
  for (size_t i = 0; i < parts.size(); ++i) h += (i ? " · " : "") + E(parts[i]);
  h += "</div><div class=\"facts\">";
  auto fact = [&](const std::string& value, const std::string& label) {
    h += "<div class=\"fact\"><b>" + E(value) + "</b><span>" + E(label) + "</span></div>";
  };
  if (const Json* stats = FindChecker(run, "stats"); stats && Field(*stats, "count")) {
    fact(Thousands(IntField(*stats, "count")), "operations");
    fact(Thousands(IntField(*stats, "ok_count")), "ok");
    fact(Thousands(IntField(*stats, "fail_count")), "fail");
    fact(Thousands(IntField(*stats, "info_count") + IntField(*stats, "unfinished_count")),
         "info / unfinished");
  }
  if (const Json* perf = FindChecker(run, "perf")) {
    if (const Json* range = Field(*perf, "time_range")) {
      fact(FormatDuration(IntField(*range, "end")), "duration");
    }
    const Json* nemesis = Field(*perf, "nemesis");
    const Json* intervals = nemesis ? Field(*nemesis, "intervals") : nullptr;
    if (intervals && intervals->is_array()) {
      fact(std::to_string(intervals->size()), "fault periods");
    }
  }
  if (const Json* seed = Field(run.test, "seed"); seed && !seed->is_null()) {
    fact(ShortJson(*seed, 24, true), "seed");
  }
  h += "</div></header>";
}

void Problems(const RunData& run, std::string* out) {
  if (const std::string note = Interruption(run); !note.empty()) {
    *out += "<section class=\"notice\" id=\"interrupted\"><p>" + E(note) + ".</p></section>";
  }
  const std::vector<std::string> problems = HarnessProblems(run);
  if (problems.empty()) return;
  std::string& h = *out;
  h += "<section class=\"problems\" id=\"problems\"><h2>Harness errors</h2><ul>";
  for (const std::string& p : problems) h += "<li><code>" + E(p) + "</code></li>";
  h += "</ul>";
  if (!run.harness_log_tail.empty()) {
    h += "<h3>End of <a href=\"harness.log\">harness.log</a></h3><pre>";
    for (const std::string& line : run.harness_log_tail) h += E(line) + "\n";
    h += "</pre>";
  }
  h += "</section>";
}

void Checkers(const RunData& run, std::string* out) {
  std::string& h = *out;
  h += "<section id=\"checkers\"><h2>Checkers</h2>";
  const auto checkers = OrderedCheckers(run);
  if (checkers.empty()) {
    h += "<p class=\"muted\">results.json lists no checker: nothing was checked.</p></section>";
    return;
  }
  h += "<table><tr><th>checker</th><th>verdict</th><th>summary</th></tr>";
  for (const auto& [name, result] : checkers) {
    const std::string verdict = VerdictOf(*result);
    std::string name_cell = E(name);
    if (Field(*result, "explanation") || Field(*result, "explanation_text")) {
      name_cell = "<a href=\"#explain-" + HrefPath(name) + "\">" + name_cell + "</a>";
    }
    h += "<tr><td><b>" + name_cell + "</b></td><td>" + Pill(verdict) + "</td><td>" +
         E(CheckerSummary(name, *result)) + "</td></tr>";
  }
  h += "</table></section>";
}

// One op of an explanation: {"index","line","process","f","value","key"?,
// "type","result","completion_index","state_after"?,"possible_now"?}.
std::string OpRow(const Json& op, bool with_key, bool with_possible, const char* row_class) {
  std::string r =
      std::string("<tr") + (row_class ? " class=\"" + std::string(row_class) + "\"" : "") + ">";
  r += "<td class=\"num\">" + Thousands(IntField(op, "index")) + "</td>";
  r += "<td class=\"num\">" + Thousands(IntField(op, "line")) + "</td>";
  const Json* process = Field(op, "process");
  r += "<td class=\"num\">" + E(process ? ShortJson(*process, 20, true) : "?") + "</td>";
  r += "<td>" + E(StringField(op, "f", "?")) + "</td>";
  if (with_key) {
    const Json* key = Field(op, "key");
    r += key ? JsonCell(*key, 60) : "<td></td>";
  }
  const Json* value = Field(op, "value");
  r += value ? JsonCell(*value) : "<td></td>";
  const std::string type = StringField(op, "type", "?");
  const Json* result = Field(op, "result");
  r += "<td><span class=\"dot\" style=\"background:" + std::string(OutcomeColor(type)) +
       "\"></span>" + E(type);
  if (result && !result->is_null()) r += " <code>" + E(ShortJson(*result, 120)) + "</code>";
  r += "</td>";
  if (with_possible) {
    const Json* possible = Field(op, "possible_now");
    const bool yes = possible && possible->is_boolean() && possible->get<bool>();
    r += std::string("<td>") + (yes ? "possible" : "<span class=\"muted\">impossible</span>") +
         "</td>";
  }
  const Json* state = Field(op, "state_after");
  r += "<td>" + (state ? "<code>" + E(ShortJson(*state, 120, true)) + "</code>" : "") + "</td>";
  return r + "</tr>";
}

std::string OpTable(const std::vector<const Json*>& ops, bool with_possible,
                    const Json* highlighted = nullptr) {
  const bool with_key = std::any_of(ops.begin(), ops.end(), [](const Json* op) {
    const Json* key = Field(*op, "key");
    return key && !key->is_null();
  });
  std::string t =
      "<table><tr><th class=\"num\">index</th><th class=\"num\">line</th>"
      "<th class=\"num\">process</th><th>f</th>";
  if (with_key) t += "<th>key</th>";
  t += "<th>value</th><th>outcome</th>";
  if (with_possible) t += "<th>here</th>";
  t += "<th>state after</th></tr>";
  for (const Json* op : ops) {
    t += OpRow(*op, with_key, with_possible, op == highlighted ? "blocked" : nullptr);
  }
  return t + "</table>";
}

void Explanation(const std::string& name, const Json& result, std::string* out) {
  const Json* ex = Field(result, "explanation");
  const std::string text = StringField(result, "explanation_text");
  if (!ex && text.empty()) return;
  std::string& h = *out;
  h += "<section id=\"explain-" + HrefPath(name) + "\"><h2>Why " + E(name) + " is " +
       VerdictText(VerdictOf(result)) + "</h2>";
  if (ex && ex->is_object()) {
    const Json* op = Field(*ex, "op");
    const Json* key = Field(*ex, "partition_key");
    if (op && op->is_object()) {
      h += "<p>This operation cannot be linearized";
      if (key && !key->is_null()) h += " on key <code>" + E(ShortJson(*key, 80)) + "</code>";
      h += ": no order of the operations concurrent with it explains what it returned.</p>";
      h += OpTable({op}, false, op);
      h += FailingWindowHtml(*ex);
    }
    const Json* state = Field(*ex, "state");
    h += "<p>The longest linearizable prefix has <b>" + Thousands(IntField(*ex, "prefix_length")) +
         "</b> operations";
    if (state) h += " and leaves the state <code>" + E(ShortJson(*state, 160, true)) + "</code>";
    h += ".</p>";
    if (const Json* tail = Field(*ex, "prefix_tail"); tail && tail->is_array() && !tail->empty()) {
      std::vector<const Json*> ops;
      for (const Json& o : *tail) {
        if (o.is_object()) ops.push_back(&o);
      }
      h += "<h3>Its last " + std::to_string(ops.size()) + " operations</h3>" + OpTable(ops, false);
    }
    if (const Json* conc = Field(*ex, "concurrent"); conc && conc->is_array() && !conc->empty()) {
      std::vector<const Json*> ops;
      for (const Json& o : *conc) {
        if (o.is_object()) ops.push_back(&o);
      }
      const int64_t total = IntField(*ex, "concurrent_total", static_cast<int64_t>(ops.size()));
      h += "<h3>Concurrent operations not yet linearized (" + Thousands(total) +
           (total > static_cast<int64_t>(ops.size())
                ? ", the " + std::to_string(ops.size()) + " invoked nearest to it shown"
                : "") +
           "); \"here\" says whether each could take effect in that state</h3>" +
           OpTable(ops, true);
    }
  }
  if (!text.empty()) h += "<h3>As text</h3><pre>" + E(text) + "</pre>";
  h += "</section>";
}

void Charts(const RunData& run, std::string* out) {
  std::string& h = *out;
  const Json* perf = FindChecker(run, "perf");
  h += "<section id=\"latency\"><h2>Latency over time</h2>";
  if (!perf) {
    h += "<p class=\"muted\">No \"perf\" checker in results.json.</p></section>";
    return;
  }
  const std::string latency = LatencyChartSvg(*perf);
  const auto kinds = NemesisKindColors(*perf);
  auto nemesis_legend = [&] {
    std::string l;
    for (const auto& [kind, color] : kinds) {
      l += "<span><span class=\"swatch\" style=\"background:" + color + ";opacity:.55\"></span>" +
           E(kind) + "</span>";
    }
    return l;
  };
  if (latency.empty()) {
    h += "<p class=\"muted\">No completed operation with times.</p>";
  } else {
    h += "<div class=\"legend\">";
    for (const char* type : {"ok", "fail", "info"}) {
      h += "<span><span class=\"swatch\" style=\"background:" + std::string(OutcomeColor(type)) +
           "\"></span>" + type + "</span>";
    }
    const std::vector<std::string> fs = FunctionOrder(*perf);
    for (size_t i = 0; i < fs.size(); ++i)
      h += "<span>" + MarkerSvg(i, "#4b5563") + E(fs[i]) + "</span>";
    h += nemesis_legend() + "</div>" + latency;
    const Json* points = Field(*perf, "points");
    if (points && IntField(*points, "kept") < IntField(*points, "total")) {
      h += "<p class=\"muted\">A sample of " + Thousands(IntField(*points, "kept")) + " of " +
           Thousands(IntField(*points, "total")) +
           " operations is plotted (every failed and indeterminate one that fits, the slowest, "
           "and an even spread of the rest); the percentiles below use all of them.</p>";
    }
  }
  h += "<p class=\"muted\">Each point is one operation at its invocation time. Shaded bands are "
       "fault periods, from the nemesis invoking the fault to the completion of its recovery; "
       "hover a band for details.</p>";
  if (latency.find("url(#clock-strobe)") != std::string::npos ||
      latency.find(">clock ") != std::string::npos) {
    h += "<p class=\"muted\">A lane \"clock nK\" shows node nK's wall clock offset set by the "
         "clock nemesis: orange ahead, blue behind, striped while strobing between two "
         "offsets.</p>";
  }
  h += "</section>";

  h += "<section id=\"throughput\"><h2>Throughput over time</h2>";
  const std::string throughput = ThroughputChartSvg(*perf);
  if (throughput.empty()) {
    h += "<p class=\"muted\">No completed operation with times.</p>";
  } else {
    h += "<div class=\"legend\">";
    for (const char* type : {"ok", "fail", "info"}) {
      h += "<span><span class=\"swatch\" style=\"background:" + std::string(OutcomeColor(type)) +
           "\"></span>" + type + "</span>";
    }
    const Json* tp = Field(*perf, "throughput");
    h += nemesis_legend() + "<span class=\"muted\">completions per second, in buckets of " +
         E(FormatDuration(IntField(*tp, "bucket_ns", 1000000000))) + "</span></div>" + throughput;
  }
  h += "</section>";
}

void Percentiles(const RunData& run, std::string* out) {
  const Json* perf = FindChecker(run, "perf");
  const Json* latency = perf ? Field(*perf, "latency") : nullptr;
  if (!latency) return;
  std::string& h = *out;
  h += "<section id=\"percentiles\"><h2>Latency percentiles</h2><table><tr><th>f</th>"
       "<th>outcome</th><th class=\"num\">count</th><th class=\"num\">min</th>"
       "<th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">p99</th>"
       "<th class=\"num\">max</th><th class=\"num\">mean</th></tr>";
  auto rows = [&](const std::string& f, const Json& per_type, bool total) {
    for (const char* type : {"ok", "fail", "info"}) {
      const Json* q = Field(per_type, type);
      if (!q) continue;
      h += std::string("<tr") + (total ? " class=\"total\"" : "") + "><td>" + E(f) +
           "</td><td><span class=\"dot\" style=\"background:" + OutcomeColor(type) + "\"></span>" +
           type + "</td>" + Num(IntField(*q, "count"));
      for (const char* k : {"min", "p50", "p95", "p99", "max", "mean"}) {
        h += "<td class=\"num\">" + E(FormatDuration(IntField(*q, k))) + "</td>";
      }
      h += "</tr>";
    }
  };
  if (const Json* by_f = Field(*latency, "by_f"); by_f && by_f->is_object()) {
    for (const auto& [f, per_type] : by_f->items()) rows(f, per_type, false);
  }
  if (const Json* all = Field(*latency, "all")) rows("all", *all, true);
  h += "</table></section>";
}

std::string StackBar(int64_t ok, int64_t fail, int64_t info, int64_t count) {
  if (count <= 0) return "";
  auto part = [&](int64_t n, const char* color) {
    if (n <= 0) return std::string();
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.2f",
                  100.0 * static_cast<double>(n) / static_cast<double>(count));
    return "<i style=\"width:" + std::string(pct) + "%;background:" + color + "\"></i>";
  };
  return "<div class=\"stack\">" + part(ok, kOkColor) + part(fail, kFailColor) +
         part(info, kInfoColor) + "</div>";
}

void Stats(const RunData& run, std::string* out) {
  const Json* stats = FindChecker(run, "stats");
  if (!stats) return;
  std::string& h = *out;
  h += "<section id=\"stats\"><h2>Operations</h2>";
  const std::string header =
      "<tr><th>f</th><th class=\"num\">count</th><th class=\"num\">ok</th>"
      "<th class=\"num\">fail</th><th class=\"num\">info</th><th class=\"num\">unfinished</th>"
      "<th class=\"num\">ok %</th><th></th></tr>";
  auto row = [&](const std::string& f, const Json& c, bool client, const char* cls) {
    const int64_t count = IntField(c, "count"), ok = IntField(c, "ok", IntField(c, "ok_count"));
    const int64_t fail = IntField(c, "fail", IntField(c, "fail_count"));
    const int64_t info = IntField(c, "info", IntField(c, "info_count"));
    const int64_t unfinished = IntField(c, "unfinished", IntField(c, "unfinished_count"));
    const char* row_class = cls ? cls : (client && ok == 0 ? "bad" : nullptr);
    // The nemesis records its actions as info by convention: no ok rate.
    char pct[32] = "";
    if (client && count > 0)
      std::snprintf(pct, sizeof pct, "%.1f",
                    100.0 * static_cast<double>(ok) / static_cast<double>(count));
    h += std::string("<tr") + (row_class ? " class=\"" + std::string(row_class) + "\"" : "") +
         "><td>" + E(f) + "</td>" + Num(count) + Num(ok) + Num(fail) + Num(info) + Num(unfinished) +
         "<td class=\"num\">" + pct + "</td><td>" + StackBar(ok, fail, info + unfinished, count) +
         "</td></tr>";
  };
  const Json* by_f = Field(*stats, "by_f");
  if (by_f && by_f->is_object() && !by_f->empty()) {
    h += "<table>" + header;
    for (const auto& [f, c] : by_f->items()) row(f, c, true, nullptr);
    row("all", *stats, true, "total");
    h += "</table>";
    h += "<p class=\"muted\">info: the outcome is unknown (e.g. a timeout); unfinished: never "
         "completed before the history ended. A function with no ok operation is marked.</p>";
  } else {
    const std::string reason = StringField(*stats, "reason", "no client operation");
    h += "<p class=\"muted\">" + E(reason) + "</p>";
  }
  const Json* nemesis = Field(*stats, "nemesis");
  if (nemesis && nemesis->is_object() && !nemesis->empty()) {
    h += "<h3>Nemesis actions</h3><table>" + header;
    for (const auto& [f, c] : nemesis->items()) row(f, c, false, nullptr);
    h += "</table>";
  }
  h += "</section>";
}

void Phases(const RunData& run, std::string* out) {
  const Json* phases = Field(run.results, "phases");
  if (!phases || !phases->is_array() || phases->empty()) return;
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = std::numeric_limits<int64_t>::min();
  for (const Json& p : *phases) {
    if (const Json* s = Field(p, "start_ns"); s && s->is_number())
      first = std::min(first, IntField(p, "start_ns"));
    if (const Json* e = Field(p, "end_ns"); e && e->is_number())
      last = std::max(last, IntField(p, "end_ns"));
  }
  const bool timed = first != std::numeric_limits<int64_t>::max() && last > first;
  std::string& h = *out;
  h += "<section id=\"phases\"><h2>Phases</h2><table><tr><th>phase</th><th>status</th>"
       "<th class=\"num\">start</th><th class=\"num\">duration</th><th>timeline</th><th>error</th>"
       "</tr>";
  for (const Json& p : *phases) {
    const std::string status = StringField(p, "status", "unknown");
    const std::string cls = status == "ok" ? "ok" : status == "skipped" ? "skipped" : "failed";
    const bool has_start = Field(p, "start_ns") && Field(p, "start_ns")->is_number();
    const bool has_end = Field(p, "end_ns") && Field(p, "end_ns")->is_number();
    const int64_t start = IntField(p, "start_ns"), end = IntField(p, "end_ns");
    h += "<tr" + std::string(cls == "failed" ? " class=\"bad\"" : "") + "><td>" +
         E(StringField(p, "name")) + "</td><td><span class=\"pill " + cls + "\">" + E(status) +
         "</span></td>";
    h += "<td class=\"num\">" +
         (has_start && timed ? E(FormatSeconds(static_cast<double>(start - first) / 1e9)) + " s"
                             : "") +
         "</td>";
    h += "<td class=\"num\">" + (has_start && has_end ? E(FormatDuration(end - start)) : "") +
         "</td>";
    h += "<td>";
    if (timed && has_start && has_end) {
      char left[32], width[32];
      const double span = static_cast<double>(last - first);
      std::snprintf(left, sizeof left, "%.2f", 100.0 * static_cast<double>(start - first) / span);
      std::snprintf(width, sizeof width, "%.2f",
                    std::max(0.0, 100.0 * static_cast<double>(end - start) / span));
      h += "<div class=\"timeline\"><i style=\"left:" + std::string(left) + "%;width:" + width +
           "%;background:" + (cls == "failed" ? "var(--invalid)" : "#74a7e8") + "\"></i></div>";
    }
    h += "</td><td>" + E(StringField(p, "error")) + "</td></tr>";
  }
  h += "</table></section>";
}

void Configuration(const RunData& run, std::string* out) {
  std::string& h = *out;
  h += "<section id=\"configuration\"><h2>Configuration</h2>";
  if (!run.test.is_object() || run.test.empty()) {
    h += "<p class=\"muted\">test.json is empty.</p></section>";
    return;
  }
  static const char* kFirst[] = {"name",       "target", "workload",
                                 "nemesis",    "nodes",  "concurrency",
                                 "time_limit", "seed",   "nemesis_interval"};
  std::vector<std::string> keys;
  for (const char* k : kFirst) {
    if (run.test.contains(k)) keys.push_back(k);
  }
  for (const auto& [k, v] : run.test.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  h += "<table>";
  for (const std::string& k : keys) {
    const Json& v = run.test[k];
    const bool structured =
        v.is_object() || (v.is_array() && !std::all_of(v.begin(), v.end(), [](const Json& x) {
                            return x.is_primitive();
                          }));
    const std::string cell =
        structured ? "<code>" + E(ShortJson(v, 600)) + "</code>" : E(ListOrJson(v, 600));
    h += "<tr><td class=\"key\">" + E(k) + "</td><td>" + cell + "</td></tr>";
  }
  h += "</table></section>";
}

void Files(const RunData& run, std::string* out) {
  std::string& h = *out;
  h += "<section id=\"files\"><h2>Files</h2><ul class=\"files\">";
  auto link = [&](const std::string& path, const std::string& what) {
    h += "<li><a href=\"" + HrefPath(path) + "\">" + E(path) + "</a> <span class=\"muted\">" +
         E(what) + "</span></li>";
  };
  if (run.has_history) {
    link("history.jsonl", "every operation, one JSON object per line");
  } else {
    h += "<li class=\"muted\">history.jsonl is missing</li>";
  }
  link("results.json", "the verdicts this page shows");
  link("test.json", "the configuration");
  if (run.has_harness_log) link("harness.log", "the harness's own log");
  link("junit.xml", "JUnit XML for CI");
  h += "</ul>";
  if (!run.node_files.empty()) {
    h += "<h3>Node logs</h3><table><tr><th>node</th><th>files</th></tr>";
    std::string current;
    std::string cell;
    auto flush = [&] {
      if (!current.empty()) h += "<tr><td>" + E(current) + "</td><td>" + cell + "</td></tr>";
      cell.clear();
    };
    for (const std::string& path : run.node_files) {
      // nodes/<node>/<file...>
      const size_t a = path.find('/');
      const size_t b = a == std::string::npos ? a : path.find('/', a + 1);
      const std::string node = b == std::string::npos ? "?" : path.substr(a + 1, b - a - 1);
      const std::string file = b == std::string::npos ? path : path.substr(b + 1);
      if (node != current) {
        flush();
        current = node;
      }
      cell += (cell.empty() ? "" : " · ") + std::string("<a href=\"") + HrefPath(path) + "\">" +
              E(file) + "</a>";
    }
    flush();
    h += "</table>";
    if (run.node_files_omitted > 0) {
      h += "<p class=\"muted\">" + Thousands(static_cast<int64_t>(run.node_files_omitted)) +
           " more files under nodes/ are not listed.</p>";
    }
  } else {
    h += "<p class=\"muted\">No node logs were stored (nodes/ is empty or missing).</p>";
  }
  h += "</section>";
}

// The set checker's lost and unexpected elements, and the lock-set
// workload's overlapping holders: who held the lock at once, and when.
void SetAndLockDetails(const RunData& run, std::string* out) {
  std::string& h = *out;
  if (const Json* set = FindChecker(run, "set")) {
    const Json* lost = Field(*set, "lost");
    const Json* unexpected = Field(*set, "unexpected");
    const bool any = (lost && lost->is_array() && !lost->empty()) ||
                     (unexpected && unexpected->is_array() && !unexpected->empty());
    if (any) {
      h += "<section id=\"set-elements\"><h2>Set: lost and unexpected elements</h2><p>" +
           E(CheckerSummary("set", *set)) + ".</p><table><tr><th>class</th><th>key</th>"
           "<th>element</th><th>detail</th></tr>";
      auto rows = [&](const Json* list, const char* kind) {
        if (!list || !list->is_array()) return;
        for (const Json& l : *list) {
          std::string detail;
          if (l.contains("acknowledged_at_index")) {
            detail = "acknowledged at history index " +
                     ShortJson(l["acknowledged_at_index"], 20, true) +
                     ", absent from the final read at index " +
                     ShortJson(l.value("final_read_index", Json()), 20, true);
          } else if (l.contains("note")) {
            detail = ShortJson(l["note"], 80, true);
          } else {
            detail = "read, but never added";
          }
          h += std::string("<tr><td>") + kind + "</td>" + JsonCell(l.value("key", Json())) +
               JsonCell(l.value("element", Json())) + "<td>" + E(detail) + "</td></tr>";
        }
      };
      rows(lost, "lost");
      rows(unexpected, "unexpected");
      h += "</table><p class=\"muted\">Only the first few of each class are listed; counts are "
           "in results.json.</p></section>";
    }
  }
  if (const Json* holders = FindChecker(run, "holders")) {
    const Json* overlaps = Field(*holders, "overlaps");
    if (overlaps && overlaps->is_array() && !overlaps->empty()) {
      h += "<section id=\"holders\"><h2>Overlapping lock holders</h2><p>" +
           E(CheckerSummary("holders", *holders)) +
           ". Each row is two clients that both believed they held the lock at the same time "
           "(their read-sleep-write intervals overlap on the controller's clock).</p>"
           "<table><tr><th>first holder</th><th>interval (s)</th><th>second holder</th>"
           "<th>interval (s)</th><th>overlap</th></tr>";
      auto holder = [&](const Json& x) {
        return "<td>process " + E(ShortJson(x.value("process", Json()), 12, true)) + " on " +
               E(x.value("node", std::string("?"))) + ", element " +
               E(ShortJson(x.value("element", Json()), 20, true)) + "</td><td>" +
               E(std::to_string(x.value("start_s", 0.0)).substr(0, 8)) + " – " +
               E(std::to_string(x.value("end_s", 0.0)).substr(0, 8)) + "</td>";
      };
      for (const Json& o : *overlaps) {
        h += "<tr>" + holder(o.value("first", Json::object())) +
             holder(o.value("second", Json::object())) + "<td>" +
             E(std::to_string(static_cast<int64_t>(o.value("overlap_ms", 0.0)))) +
             " ms</td></tr>";
      }
      h += "</table></section>";
    }
  }
}

std::string BuildHtmlPage(const RunData& run) {
  std::string h;
  h.reserve(1 << 20);
  const std::string verdict = VerdictOf(run.results);
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       "<title>" +
       E(VerdictText(verdict) + " · " + TestName(run) + " · faultline") + "</title><style>" +
       kStyle + "</style></head><body>";
  h += "<main>";
  Banner(run, &h);
  h += "<nav><a href=\"#checkers\">Checkers</a>";
  for (const auto& [name, result] : OrderedCheckers(run)) {
    if (Field(*result, "explanation") || Field(*result, "explanation_text")) {
      h += "<a href=\"#explain-" + HrefPath(name) + "\">Why " + E(name) + "</a>";
    }
  }
  if (FindChecker(run, "failover") || FindChecker(run, "at-most-once")) {
    h += "<a href=\"#balance\">Balancer</a>";
  }
  h += "<a href=\"#latency\">Latency</a><a href=\"#throughput\">Throughput</a>"
       "<a href=\"#percentiles\">Percentiles</a><a href=\"#stats\">Operations</a>"
       "<a href=\"#phases\">Phases</a><a href=\"#configuration\">Configuration</a>"
       "<a href=\"#files\">Files</a></nav>";
  Problems(run, &h);
  Checkers(run, &h);
  for (const auto& [name, result] : OrderedCheckers(run)) Explanation(name, *result, &h);
  SetAndLockDetails(run, &h);
  Charts(run, &h);
  BalanceSection(run.results, &h);
  Percentiles(run, &h);
  Stats(run, &h);
  Phases(run, &h);
  Configuration(run, &h);
  Files(run, &h);
  h += "<footer>faultline report, drawn from the stored test.json and results.json of " +
       E(run.run_dir) + "</footer></main></body></html>\n";
  return h;
}

}  // namespace

std::string RenderHtml(const RunData& run) {
  try {
    return BuildHtmlPage(run);
  } catch (const std::exception& e) {
    return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>faultline report</title>"
           "</head><body><h1>The report could not be drawn</h1><p>" +
           E(e.what()) + "</p></body></html>\n";
  }
}

}  // namespace faultline::report
