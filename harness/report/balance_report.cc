#include "harness/report/balance_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "harness/report/charts.h"
#include "harness/report/summary.h"

namespace faultline::report {
namespace {

struct Bar {
  std::string label;
  std::vector<std::pair<double, std::string>> parts;  // stacked (value, color)
  std::string note;                                   // text after the bar
};

std::string Fmt(double v, const char* f = "%.0f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Horizontal (stacked) bars, one per row, scaled to the largest total or to
// `reference` when larger; `reference` >= 0 draws a dashed line labelled
// `reference_label` (a bound, an equal share).
std::string Bars(const std::vector<Bar>& bars, double reference, const std::string& reference_label) {
  if (bars.empty()) return "";
  const int label_w = 170, plot_w = 400, note_w = 330, row_h = 22, top = 18;
  double max = std::max(reference, 0.0);
  for (const Bar& b : bars) {
    double t = 0;
    for (const auto& [v, c] : b.parts) t += std::max(v, 0.0);
    max = std::max(max, t);
  }
  if (max <= 0) max = 1;
  const int h = top + row_h * static_cast<int>(bars.size()) + 6;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(label_w + plot_w + note_w) + "\" height=\"" + std::to_string(h) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">";
  int y = top;
  for (const Bar& b : bars) {
    s += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + 14) +
         "\" text-anchor=\"end\">" + HtmlEscape(b.label) + "</text>";
    double x = label_w;
    for (const auto& [v, color] : b.parts) {
      const double w = std::max(v, 0.0) / max * plot_w;
      s += "<rect x=\"" + Fmt(x, "%.1f") + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
           Fmt(w, "%.1f") + "\" height=\"15\" fill=\"" + color + "\"/>";
      x += w;
    }
    s += "<text x=\"" + Fmt(x + 5, "%.1f") + "\" y=\"" + std::to_string(y + 14) + "\">" +
         HtmlEscape(b.note) + "</text>";
    y += row_h;
  }
  if (reference >= 0) {
    const double rx = label_w + reference / max * plot_w;
    s += "<line x1=\"" + Fmt(rx, "%.1f") + "\" y1=\"12\" x2=\"" + Fmt(rx, "%.1f") + "\" y2=\"" +
         std::to_string(h - 4) + "\" stroke=\"#c92a2a\" stroke-dasharray=\"4 3\"/>";
    s += "<text x=\"" + Fmt(rx, "%.1f") + "\" y=\"10\" text-anchor=\"middle\" fill=\"#c92a2a\">" +
         HtmlEscape(reference_label) + "</text>";
  }
  return s + "</svg>";
}

std::string Verdict(const Json& checker) {
  const std::string v = VerdictOf(checker);
  return " <span class=\"pill " + v + "\">" + v + "</span>";
}

std::string KindColor(const std::string& kind) {
  if (kind == "kill") return "#d6336c";
  if (kind == "pause") return "#e8890c";
  if (kind == "partition") return "#7048e8";
  return "#868e96";
}

// Who held the virtual address over the run: a row per node (its holding
// runs), a row of the intervals with two holders, a row of the faults that
// hit a holder; seconds on the x axis.
std::string VipTimeline(const Json& vrrp) {
  const double end = std::max(NumberField(vrrp, "end_ms"), 1.0);
  const int label_w = 120, plot_w = 700, row_h = 22, top = 8;
  struct Row {
    std::string label, color;
    std::vector<std::pair<double, double>> spans;
  };
  std::vector<Row> rows;
  if (const Json* held = Field(vrrp, "held"); held && held->is_object()) {
    for (const auto& [node, list] : held->items()) {
      Row r{node + " holds", "#2f9e44", {}};
      if (list.is_array()) {
        for (const Json& h : list) r.spans.push_back({NumberField(h, "start_ms"), NumberField(h, "end_ms")});
      }
      rows.push_back(std::move(r));
    }
  }
  Row split{"two holders", "#c92a2a", {}};
  if (const Json* sb = Field(vrrp, "split_brain"); sb && sb->is_array()) {
    for (const Json& x : *sb) split.spans.push_back({NumberField(x, "start_ms"), NumberField(x, "end_ms")});
  }
  rows.push_back(std::move(split));
  Row faults{"fault on holder", "#7048e8", {}};
  if (const Json* fo = Field(vrrp, "failovers"); fo && fo->is_array()) {
    for (const Json& f : *fo) faults.spans.push_back({NumberField(f, "start_ms"), NumberField(f, "end_ms")});
  }
  rows.push_back(std::move(faults));
  const int h = top + row_h * static_cast<int>(rows.size()) + 24;
  auto X = [&](double ms) { return label_w + std::clamp(ms / end, 0.0, 1.0) * plot_w; };
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(label_w + plot_w + 20) +
                  "\" height=\"" + std::to_string(h) + "\" font-family=\"sans-serif\" font-size=\"12\">";
  int y = top;
  for (const Row& r : rows) {
    s += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + 14) +
         "\" text-anchor=\"end\">" + HtmlEscape(r.label) + "</text>";
    s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
         std::to_string(plot_w) + "\" height=\"15\" fill=\"#f1f3f5\"/>";
    for (const auto& [a, b] : r.spans) {
      // At least 2 px, so that a short interval still shows.
      const double w = std::max(X(b) - X(a), 2.0);
      s += "<rect x=\"" + Fmt(X(a), "%.1f") + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
           Fmt(w, "%.1f") + "\" height=\"15\" fill=\"" + r.color + "\"><title>" +
           Fmt(a / 1000, "%.2f") + " s to " + Fmt(b / 1000, "%.2f") + " s</title></rect>";
    }
    y += row_h;
  }
  for (int i = 0; i <= 10; ++i) {
    const double ms = end * i / 10;
    s += "<text x=\"" + Fmt(X(ms), "%.1f") + "\" y=\"" + std::to_string(y + 14) +
         "\" text-anchor=\"middle\" fill=\"#868e96\">" + Fmt(ms / 1000, "%.0f") + "s</text>";
  }
  return s + "</svg>";
}

void VrrpPart(const Json& vrrp, std::string* out) {
  std::string& h = *out;
  h += "<h3>VRRP: who held the virtual address " + HtmlEscape(StringField(vrrp, "vip")) +
       Verdict(vrrp) + "</h3>";
  h += VipTimeline(vrrp);
  const Json* sb = Field(vrrp, "split_brain");
  if (sb && sb->is_array() && !sb->empty()) {
    h += "<p><strong>Split brain:</strong> two nodes held the address at once " +
         std::to_string(sb->size()) + " time(s), " + Fmt(NumberField(vrrp, "split_brain_ms")) +
         " ms in all (observed; a lower bound).</p>"
         "<table><tr><th>nodes</th><th>from</th><th>to</th><th>observed</th><th>at most</th>"
         "<th>during</th></tr>";
    for (const Json& x : *sb) {
      std::string nodes, during;
      if (const Json* n = Field(x, "nodes"); n && n->is_array()) {
        for (const Json& v : *n) nodes += (nodes.empty() ? "" : ", ") + ShortJson(v, 20, true);
      }
      if (const Json* d = Field(x, "during"); d && d->is_array()) {
        for (const Json& v : *d) during += (during.empty() ? "" : "; ") + ShortJson(v, 60, true);
      }
      h += "<tr><td>" + HtmlEscape(nodes) + "</td><td class=\"num\">" +
           Fmt(NumberField(x, "start_ms") / 1000, "%.2f") + " s</td><td class=\"num\">" +
           Fmt(NumberField(x, "end_ms") / 1000, "%.2f") + " s" +
           (Field(x, "open") && (*Field(x, "open")) == true ? " (history ends)" : "") +
           "</td><td class=\"num\">" + Fmt(NumberField(x, "duration_ms")) +
           " ms</td><td class=\"num\">" + Fmt(NumberField(x, "max_duration_ms")) +
           " ms</td><td>" + HtmlEscape(during.empty() ? "no fault" : during) + "</td></tr>";
    }
    h += "</table>";
  } else {
    h += "<p>No two nodes were seen holding the address at once.</p>";
  }
  if (const Json* fo = Field(vrrp, "failovers"); fo && fo->is_array() && !fo->empty()) {
    h += "<table><tr><th>fault on the holder</th><th>at</th><th>taken over by</th><th>after</th>"
         "<th>status</th></tr>";
    for (const Json& f : *fo) {
      h += "<tr><td>" + HtmlEscape(StringField(f, "kind") + " " + StringField(f, "holder")) +
           "</td><td class=\"num\">" + Fmt(NumberField(f, "start_ms") / 1000, "%.2f") +
           " s</td><td>" + HtmlEscape(StringField(f, "by", "-")) + "</td><td class=\"num\">" +
           (Field(f, "takeover_ms") ? Fmt(NumberField(f, "takeover_ms")) + " ms" : std::string("-")) +
           "</td><td>" + HtmlEscape(StringField(f, "status")) + "</td></tr>";
    }
    h += "</table><p>Takeover bound " + Fmt(NumberField(vrrp, "bound_ms")) +
         " ms (3 adverts + the backup's skew + margin).</p>";
  }
  if (const Json* none = Field(vrrp, "no_holder"); none && none->is_array() && !none->empty()) {
    h += "<p>No holder: " + std::to_string(none->size()) + " interval(s), " +
         HtmlEscape(ShortJson(*none, 400)) + "</p>";
  }
  h += "<p class=\"muted\">Each balancer node reads its interface (<code>ip -o -4 addr show</code>) "
       "every 100 ms; the \"vip\" op fetches those readings every 100 ms (median spacing between "
       "readings " + Fmt(NumberField(vrrp, "resolution_ms")) + " ms). A node held the address from the "
       "first to the last reading that showed it, so intervals are lower bounds; \"at most\" comes "
       "from the readings just outside.</p>";
}

}  // namespace

void BalanceSection(const Json& results, std::string* out) {
  const Json* checkers = Field(results, "checkers");
  if (!checkers) return;
  const Json* failover = Field(*checkers, "failover");
  const Json* errors = Field(*checkers, "balance-errors");
  const Json* dist = Field(*checkers, "distribution");
  const Json* hash = Field(*checkers, "hash-stability");
  const Json* amo = Field(*checkers, "at-most-once");
  const Json* vrrp = Field(*checkers, "vrrp-split-brain");
  if (!failover && !errors && !dist && !hash && !amo && !vrrp) return;
  std::string& h = *out;
  h += "<section id=\"balance\"><h2>Balancer</h2>";
  if (vrrp && Field(*vrrp, "applicable") && (*vrrp)["applicable"] == true) VrrpPart(*vrrp, &h);

  if (failover) {
    h += "<h3>Failover: detection time per fault" + Verdict(*failover) + "</h3>";
    const Json* faults = Field(*failover, "faults");
    std::vector<Bar> bars;
    if (faults && faults->is_array()) {
      for (const Json& f : *faults) {
        const std::string kind = StringField(f, "kind");
        Bar b;
        b.label = kind + " " + StringField(f, "node") + " @" +
                  FormatSeconds(NumberField(f, "start_ms") / 1000) + "s";
        if (Field(f, "detect_ms")) {
          b.parts.push_back({NumberField(f, "detect_ms"), KindColor(kind)});
          b.note = Fmt(NumberField(f, "detect_ms")) + " ms";
        } else {
          b.note = StringField(f, "status");
        }
        if (IntField(f, "sessions_after_bound") > 0) {
          b.note += ", " + std::to_string(IntField(f, "sessions_after_bound")) + " sent after bound";
        }
        bars.push_back(std::move(b));
      }
    }
    const double bound = NumberField(*failover, "bound_ms", -1);
    if (!bars.empty()) {
      h += Bars(bars, bound, "bound " + Fmt(bound) + " ms");
    } else {
      h += "<p class=\"muted\">" +
           HtmlEscape(StringField(*failover, "reason", "No backend was faulted.")) + "</p>";
    }
    if (const Json* d = Field(*failover, "detect_ms"); d && d->is_object()) {
      h += "<p>Detection: median " + Fmt(NumberField(*d, "median")) + " ms, max " +
           Fmt(NumberField(*d, "max")) + " ms over " + std::to_string(IntField(*d, "count")) +
           " faults; bound " + Fmt(bound) + " ms (fall &times; (inter + check timeout) + margin).</p>";
    }
  }

  if (errors) {
    h += "<h3>Client errors per fault" + Verdict(*errors) + "</h3>";
    std::vector<Bar> bars;
    if (const Json* ws = Field(*errors, "windows"); ws && ws->is_array()) {
      for (const Json& w : *ws) {
        const int64_t ok = IntField(w, "ok"), fail = IntField(w, "fail"), info = IntField(w, "info");
        Bar b;
        b.label = StringField(w, "kind") + " " + StringField(w, "node") + " @" +
                  FormatSeconds(NumberField(w, "start_ms") / 1000) + "s";
        b.parts = {{static_cast<double>(ok), kOkColor},
                   {static_cast<double>(fail), kFailColor},
                   {static_cast<double>(info), kInfoColor}};
        b.note = Thousands(fail + info) + " errors of " + Thousands(ok + fail + info);
        if (IntField(w, "errors_after_bound") > 0) {
          b.note += ", " + std::to_string(IntField(w, "errors_after_bound")) + " after bound";
        }
        bars.push_back(std::move(b));
      }
    }
    if (const Json* o = Field(*errors, "outside_faults")) {
      const int64_t n = IntField(*o, "requests"), e = IntField(*o, "errors");
      bars.push_back({"no fault", {{static_cast<double>(n - e), kOkColor}, {static_cast<double>(e), kInfoColor}},
                      Thousands(e) + " errors of " + Thousands(n)});
    }
    h += Bars(bars, -1, "");
    h += "<p class=\"muted\">Requests invoked during each fault (until it was undone): ok in blue, "
         "fail in red, info (unknown outcome) in orange. Where retries are on (retry-on, "
         "redispatch) a fault that refuses connections shows few errors: retries hid them.</p>";
  }

  if (dist) {
    h += "<h3>Distribution (" + HtmlEscape(StringField(*dist, "algorithm")) + ")" + Verdict(*dist) +
         "</h3>";
    std::vector<Bar> bars;
    double equal = -1;
    if (const Json* bs = Field(*dist, "backends"); bs && bs->is_object()) {
      if (!bs->empty()) equal = 100.0 / static_cast<double>(bs->size());
      for (const auto& [node, v] : bs->items()) {
        bars.push_back({node, {{NumberField(v, "share") * 100, kOkColor}},
                        Fmt(NumberField(v, "share") * 100, "%.1f") + "% (" +
                            Thousands(IntField(v, "requests")) + ")"});
      }
    }
    h += Bars(bars, equal, "equal share");
    h += "<p>Max deviation from an equal share " +
         Fmt(NumberField(*dist, "max_deviation") * 100, "%.1f") + "% (bound " +
         Fmt(NumberField(*dist, "max_deviation_bound") * 100, "%.0f") + "%, " +
         (Field(*dist, "judged") && (*dist)["judged"] == true ? "judged" : "measured only") +
         "), chi-square " + Fmt(NumberField(*dist, "chi_square"), "%.2f") + " with " +
         std::to_string(IntField(*dist, "degrees_of_freedom")) + " degrees of freedom, over " +
         Thousands(IntField(*dist, "requests")) + " requests outside faults.</p>";
  }

  if (hash && Field(*hash, "applicable") && (*hash)["applicable"] == true) {
    h += "<h3>Hash stability (" + HtmlEscape(StringField(*hash, "hash_type")) + ")" +
         Verdict(*hash) + "</h3>";
    std::vector<Bar> bars;
    if (const Json* rs = Field(*hash, "removals"); rs && rs->is_array()) {
      for (const Json& r : *rs) {
        if (StringField(r, "status") != "measured") continue;
        std::string removed;
        if (const Json* list = Field(r, "removed"); list && list->is_array()) {
          for (const Json& n : *list) removed += (removed.empty() ? "" : ",") + ShortJson(n, 20, true);
        }
        bars.push_back({"without " + removed + " @" + FormatSeconds(NumberField(r, "start_ms") / 1000) + "s",
                        {{NumberField(r, "moved_fraction") * 100, "#7048e8"}},
                        Fmt(NumberField(r, "moved_fraction") * 100) + "% of " +
                            std::to_string(IntField(r, "keys")) + " keys moved (removed " +
                            Fmt(NumberField(r, "expected_fraction") * 100) + "%), " +
                            std::to_string(IntField(r, "unaffected_moved")) + " of others"});
      }
    }
    if (!bars.empty()) {
      h += Bars(bars, -1, "");
      h += "<p class=\"muted\">Keys whose backend changed while the removed backends were out of "
           "the pool. Consistent hashing may move only the removed backends' keys (\"of others\" "
           "must be 0); map-based hashing moves most keys.</p>";
    } else {
      h += "<p class=\"muted\">No removal was measured (no fault detected).</p>";
    }
  }

  if (amo) {
    h += "<h3>At-most-once" + Verdict(*amo) + "</h3><table><tr><th>requests</th><th>applied</th>"
         "<th>applied twice or more</th><th>failed but applied</th><th>ok, not in any log</th></tr><tr>";
    for (const char* f : {"requests", "applied", "duplicated", "failed_but_applied", "ok_not_applied"}) {
      h += "<td class=\"num\">" + Thousands(IntField(*amo, f)) + "</td>";
    }
    h += "</tr></table>";
    if (const Json* d = Field(*amo, "duplicates"); d && d->is_array() && !d->empty()) {
      h += "<p>Duplicated request ids (first ones): " + HtmlEscape(ShortJson(*d, 600)) + "</p>";
    }
    if (const Json* r = Field(*amo, "reason")) h += "<p class=\"muted\">" + HtmlEscape(ShortJson(*r)) + "</p>";
  }
  h += "</section>";
}

}  // namespace faultline::report
