#include "harness/report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace faultline::report {
namespace {

constexpr double kWidth = 1100;
constexpr double kLeft = 78, kRight = 18;
constexpr double kLaneHeight = 16, kLaneGap = 3;
constexpr double kAxisHeight = 40;
constexpr size_t kShapes = 5;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// 1, 2 or 5 times a power of ten, at least `raw`.
double NiceStep(double raw) {
  if (!(raw > 0)) return 1;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10 * mag;
}

struct Interval {
  std::string kind, f, end_f;
  double start = 0, end = 0;  // seconds
  bool closed = true;
  std::string value;
};

struct Event {
  double time = 0;
  std::string f, value;
};

// A stretch of time during which one node's clock was off (clock nemesis:
// bump, strobe, reset; see nemesis/clock_nemesis.h).
struct ClockSpan {
  double start = 0, end = -1;  // seconds; end < 0: until the end of the test
  double offset_ms = 0;
  bool strobe = false;
  double other_ms = 0;  // strobe: the second offset it flipped to
};

struct Nemesis {
  std::vector<Interval> intervals;
  std::vector<Event> events;  // other than the clock's
  std::vector<std::string> clock_nodes;  // one lane each, in order of first skew
  std::map<std::string, std::vector<ClockSpan>> clock_spans;
};

bool IsClockF(const std::string& f) { return f == "bump" || f == "strobe" || f == "reset"; }

// Turns the clock nemesis's events (value: node -> offset in ms, or for a
// strobe node -> {"strobe_ms": [a, b], "for_ms": ...}) into per-node spans of
// non-zero offset.
void AddClockEvent(double time, const Json& value, Nemesis* n) {
  if (!value.is_object()) return;
  for (const auto& [node, v] : value.items()) {
    std::vector<ClockSpan>& spans = n->clock_spans[node];
    double offset = 0;
    bool known = false;
    if (v.is_number()) {
      offset = v.get<double>();
      known = true;
    }
    const bool strobe = v.is_object() && v.contains("strobe_ms") && v["strobe_ms"].is_array() &&
                        v["strobe_ms"].size() == 2 && v["strobe_ms"][0].is_number() &&
                        v["strobe_ms"][1].is_number();
    if (!known && !strobe) continue;
    // The stretch before this event ends here.
    if (!spans.empty() && spans.back().end < 0) spans.back().end = time;
    double from = time;
    if (strobe) {
      ClockSpan s;
      s.start = time;
      s.strobe = true;
      s.offset_ms = v["strobe_ms"][0].get<double>();
      s.other_ms = v["strobe_ms"][1].get<double>();
      s.end = time + NumberField(v, "for_ms") / 1e3;
      spans.push_back(s);
      offset = s.offset_ms;
      from = s.end;
    }
    if (offset != 0) spans.push_back(ClockSpan{from, -1, offset, false, 0});
    if ((strobe || offset != 0) &&
        std::find(n->clock_nodes.begin(), n->clock_nodes.end(), node) == n->clock_nodes.end()) {
      n->clock_nodes.push_back(node);
    }
  }
}

std::string FormatOffset(double ms) {
  const double a = std::fabs(ms);
  char buf[48];
  if (a >= 1000) {
    std::snprintf(buf, sizeof buf, "%+.*f s", a >= 100000 ? 0 : 1, ms / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%+.0f ms", ms);
  }
  return buf;
}

Nemesis ReadNemesis(const Json& perf) {
  Nemesis n;
  const Json* nemesis = Field(perf, "nemesis");
  if (!nemesis) return n;
  if (const Json* iv = Field(*nemesis, "intervals"); iv && iv->is_array()) {
    for (const Json& j : *iv) {
      if (!j.is_object()) continue;
      Interval i;
      i.kind = StringField(j, "kind", "?");
      i.f = StringField(j, "f", i.kind);
      i.end_f = StringField(j, "end_f");
      i.start = NumberField(j, "start") / 1e9;
      i.end = std::max(i.start, NumberField(j, "end") / 1e9);
      const Json* closed = Field(j, "closed");
      i.closed = !closed || !closed->is_boolean() || closed->get<bool>();
      if (const Json* v = Field(j, "value"); v && !v->is_null()) i.value = ShortJson(*v, 120, true);
      n.intervals.push_back(std::move(i));
    }
  }
  if (const Json* ev = Field(*nemesis, "events"); ev && ev->is_array()) {
    for (const Json& j : *ev) {
      if (!j.is_object()) continue;
      Event e;
      e.time = NumberField(j, "time") / 1e9;
      e.f = StringField(j, "f", "?");
      if (IsClockF(e.f)) {
        if (const Json* v = Field(j, "value")) AddClockEvent(e.time, *v, &n);
        continue;
      }
      if (const Json* v = Field(j, "value"); v && !v->is_null()) e.value = ShortJson(*v, 120, true);
      n.events.push_back(std::move(e));
    }
  }
  return n;
}

// The time axis (seconds) every chart of one report shares.
double TimeMax(const Json& perf, const Nemesis& nemesis) {
  double t = 0;
  if (const Json* range = Field(perf, "time_range")) t = NumberField(*range, "end") / 1e9;
  if (const Json* tp = Field(perf, "throughput")) {
    const Json* buckets = Field(*tp, "buckets");
    if (buckets && buckets->is_array() && !buckets->empty()) {
      t = std::max(
          t, (NumberField(buckets->back(), "time") + NumberField(*tp, "bucket_ns", 1e9)) / 1e9);
    }
  }
  for (const Interval& i : nemesis.intervals) t = std::max(t, i.end);
  for (const Event& e : nemesis.events) t = std::max(t, e.time);
  for (const auto& [node, spans] : nemesis.clock_spans) {
    for (const ClockSpan& c : spans) t = std::max({t, c.start, c.end});
  }
  return t > 0 ? t : 1;
}

struct Frame {
  double x0 = kLeft, x1 = kWidth - kRight;
  double y0 = 0, y1 = 0;  // plot top and bottom
  double t_max = 1;
  double X(double seconds) const { return x0 + std::clamp(seconds / t_max, 0.0, 1.0) * (x1 - x0); }
};

std::string KindColor(const std::vector<std::pair<std::string, std::string>>& colors,
                      const std::string& kind) {
  for (const auto& [k, c] : colors) {
    if (k == kind) return c;
  }
  return "#868e96";
}

std::string IntervalTitle(const Interval& i) {
  std::string t = i.f + (i.end_f.empty() ? "" : " … " + i.end_f) + ": " + FormatSeconds(i.start) +
                  " s – " + FormatSeconds(i.end) + " s" + (i.closed ? "" : " (never ended)");
  if (!i.value.empty()) t += "\n" + i.value;
  return t;
}

// Lanes above the plot: one per nemesis kind, one per node whose clock was
// skewed, plus one for events.
double LaneCount(const Nemesis& n, const std::vector<std::pair<std::string, std::string>>& kinds) {
  return static_cast<double>(kinds.size() + n.clock_nodes.size() + (n.events.empty() ? 0 : 1));
}

// Ahead: warm; behind: cool; a strobe: striped between the two.
constexpr const char* kClockAhead = "#d9480f";
constexpr const char* kClockBehind = "#1c7ed6";

void DrawClockLanes(const Nemesis& n, const Frame& fr, double top, std::string* svg) {
  std::string& s = *svg;
  if (!n.clock_nodes.empty()) {
    s += "<defs><pattern id=\"clock-strobe\" width=\"6\" height=\"6\" "
         "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
         "<rect width=\"3\" height=\"6\" fill=\"" + std::string(kClockAhead) +
         "\"/><rect x=\"3\" width=\"3\" height=\"6\" fill=\"" + std::string(kClockBehind) +
         "\"/></pattern></defs>";
  }
  for (size_t lane = 0; lane < n.clock_nodes.size(); ++lane) {
    const std::string& node = n.clock_nodes[lane];
    const double y = top + static_cast<double>(lane) * (kLaneHeight + kLaneGap);
    s += "<text class=\"lane\" x=\"" + Num(fr.x0 - 6) + "\" y=\"" + Num(y + 12) +
         "\" text-anchor=\"end\">" + HtmlEscape("clock " + node) + "</text>";
    s += "<rect x=\"" + Num(fr.x0) + "\" y=\"" + Num(y) + "\" width=\"" + Num(fr.x1 - fr.x0) +
         "\" height=\"" + Num(kLaneHeight) + "\" fill=\"#f3f4f6\"/>";
    for (const ClockSpan& c : n.clock_spans.at(node)) {
      const double end = c.end < 0 ? fr.t_max : c.end;
      const double x = fr.X(c.start), w = std::max(2.0, fr.X(end) - x);
      const std::string label =
          c.strobe ? "strobe " + FormatOffset(c.offset_ms) + " / " + FormatOffset(c.other_ms)
                   : FormatOffset(c.offset_ms);
      const std::string title = node + " clock " + label + ": " + FormatSeconds(c.start) +
                                " s – " + FormatSeconds(end) + " s" +
                                (c.end < 0 ? " (never reset)" : "");
      const std::string fill = c.strobe ? "url(#clock-strobe)"
                               : c.offset_ms > 0 ? kClockAhead
                                                 : kClockBehind;
      s += "<g><title>" + HtmlEscape(title) + "</title><rect x=\"" + Num(x) + "\" y=\"" + Num(y) +
           "\" width=\"" + Num(w) + "\" height=\"" + Num(kLaneHeight) + "\" rx=\"3\" fill=\"" +
           fill + "\" fill-opacity=\"0.7\"/>";
      const size_t fit = w > 10 ? static_cast<size_t>((w - 8) / 6) : 0;
      if (fit >= label.size()) {
        s += "<text class=\"bar\" x=\"" + Num(x + 4) + "\" y=\"" + Num(y + 12) + "\">" +
             HtmlEscape(label) + "</text>";
      }
      s += "</g>";
    }
  }
}

// The lanes and the shading of each period inside the plot.
void DrawNemesis(const Nemesis& n, const std::vector<std::pair<std::string, std::string>>& kinds,
                 const Frame& fr, double lanes_top, std::string* svg) {
  std::string& s = *svg;
  // Shading first, so the data draws over it.
  for (const Interval& i : n.intervals) {
    const double x = fr.X(i.start), w = std::max(1.0, fr.X(i.end) - x);
    s += "<rect x=\"" + Num(x) + "\" y=\"" + Num(fr.y0) + "\" width=\"" + Num(w) + "\" height=\"" +
         Num(fr.y1 - fr.y0) + "\" fill=\"" + KindColor(kinds, i.kind) +
         "\" fill-opacity=\"0.13\"/>";
  }
  for (size_t lane = 0; lane < kinds.size(); ++lane) {
    const double y = lanes_top + static_cast<double>(lane) * (kLaneHeight + kLaneGap);
    s += "<text class=\"lane\" x=\"" + Num(fr.x0 - 6) + "\" y=\"" + Num(y + 12) +
         "\" text-anchor=\"end\">" + HtmlEscape(kinds[lane].first) + "</text>";
    s += "<rect x=\"" + Num(fr.x0) + "\" y=\"" + Num(y) + "\" width=\"" + Num(fr.x1 - fr.x0) +
         "\" height=\"" + Num(kLaneHeight) + "\" fill=\"#f3f4f6\"/>";
    for (const Interval& i : n.intervals) {
      if (i.kind != kinds[lane].first) continue;
      const double x = fr.X(i.start), w = std::max(2.0, fr.X(i.end) - x);
      s += "<g><title>" + HtmlEscape(IntervalTitle(i)) + "</title><rect x=\"" + Num(x) + "\" y=\"" +
           Num(y) + "\" width=\"" + Num(w) + "\" height=\"" + Num(kLaneHeight) +
           "\" rx=\"3\" fill=\"" + kinds[lane].second + "\" fill-opacity=\"0.7\"" +
           (i.closed ? "" : " stroke=\"#333\" stroke-dasharray=\"3 2\"") + "/>";
      // A label only where it fits (about 6 px per character at 10 px).
      std::string label = i.f;
      if (!i.value.empty()) label += " " + i.value;
      const size_t fit = w > 10 ? static_cast<size_t>((w - 8) / 6) : 0;
      if (fit >= 4) {
        if (label.size() > fit) label = ShortJson(Json(label), fit - 1, true);
        s += "<text class=\"bar\" x=\"" + Num(x + 4) + "\" y=\"" + Num(y + 12) + "\">" +
             HtmlEscape(label) + "</text>";
      }
      s += "</g>";
    }
  }
  DrawClockLanes(n, fr, lanes_top + static_cast<double>(kinds.size()) * (kLaneHeight + kLaneGap),
                 svg);
  if (!n.events.empty()) {
    const double y =
        lanes_top + static_cast<double>(kinds.size() + n.clock_nodes.size()) * (kLaneHeight + kLaneGap);
    s += "<text class=\"lane\" x=\"" + Num(fr.x0 - 6) + "\" y=\"" + Num(y + 12) +
         "\" text-anchor=\"end\">events</text>";
    s += "<rect x=\"" + Num(fr.x0) + "\" y=\"" + Num(y) + "\" width=\"" + Num(fr.x1 - fr.x0) +
         "\" height=\"" + Num(kLaneHeight) + "\" fill=\"#f3f4f6\"/>";
    for (const Event& e : n.events) {
      std::string title = e.f + " at " + FormatSeconds(e.time) + " s";
      if (!e.value.empty()) title += "\n" + e.value;
      s += "<g><title>" + HtmlEscape(title) + "</title><rect x=\"" + Num(fr.X(e.time) - 1) +
           "\" y=\"" + Num(y) + "\" width=\"2.5\" height=\"" + Num(kLaneHeight) +
           "\" fill=\"#495057\"/></g>";
    }
  }
}

void DrawTimeAxis(const Frame& fr, std::string* svg) {
  std::string& s = *svg;
  const double step = NiceStep(fr.t_max / 10);
  for (double t = 0; t <= fr.t_max + step * 1e-9; t += step) {
    const double x = fr.X(t);
    s += "<line class=\"grid\" x1=\"" + Num(x) + "\" y1=\"" + Num(fr.y0) + "\" x2=\"" + Num(x) +
         "\" y2=\"" + Num(fr.y1) + "\"/>";
    s += "<text x=\"" + Num(x) + "\" y=\"" + Num(fr.y1 + 15) + "\" text-anchor=\"middle\">" +
         FormatSeconds(t) + "</text>";
  }
  s += "<line class=\"axis\" x1=\"" + Num(fr.x0) + "\" y1=\"" + Num(fr.y1) + "\" x2=\"" +
       Num(fr.x1) + "\" y2=\"" + Num(fr.y1) + "\"/>";
  s += "<line class=\"axis\" x1=\"" + Num(fr.x0) + "\" y1=\"" + Num(fr.y0) + "\" x2=\"" +
       Num(fr.x0) + "\" y2=\"" + Num(fr.y1) + "\"/>";
  s += "<text class=\"title\" x=\"" + Num((fr.x0 + fr.x1) / 2) + "\" y=\"" + Num(fr.y1 + 33) +
       "\" text-anchor=\"middle\">seconds since the test started</text>";
}

void YTitle(const Frame& fr, const std::string& title, std::string* svg) {
  const double cy = (fr.y0 + fr.y1) / 2;
  *svg += "<text class=\"title\" transform=\"translate(14 " + Num(cy) +
          ") rotate(-90)\" text-anchor=\"middle\">" + HtmlEscape(title) + "</text>";
}

// Appends one marker of `shape` centred at (x, y) to a path.
void Marker(size_t shape, double x, double y, std::string* d) {
  constexpr double r = 2.6;
  switch (shape % kShapes) {
    case 0:  // circle
      *d += "M" + Num(x - r) + " " + Num(y) + "a2.6 2.6 0 1 0 5.2 0a2.6 2.6 0 1 0-5.2 0";
      break;
    case 1:  // square
      *d += "M" + Num(x - 2.3) + " " + Num(y - 2.3) + "h4.6v4.6h-4.6z";
      break;
    case 2:  // triangle
      *d += "M" + Num(x) + " " + Num(y - 3.2) + "l3 5.4h-6z";
      break;
    case 3:  // diamond
      *d += "M" + Num(x) + " " + Num(y - 3.3) + "l3.3 3.3-3.3 3.3-3.3-3.3z";
      break;
    default:  // triangle pointing down
      *d += "M" + Num(x) + " " + Num(y + 3.2) + "l3-5.4h-6z";
      break;
  }
}

std::string OpenSvg(double height, const std::string& label) {
  return "<svg class=\"chart\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(height) +
         "\" role=\"img\" aria-label=\"" + HtmlEscape(label) + "\">";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> NemesisKindColors(const Json& perf) {
  static const std::map<std::string, std::string> kKnown = {
      {"partition", "#f59f00"}, {"kill", "#e03131"},  {"pause", "#7048e8"},
      {"start", "#f59f00"},     {"clock", "#0c8599"}, {"loss", "#5c940d"}};
  static const char* kPalette[] = {"#1098ad", "#ae3ec9", "#74b816", "#f76707", "#4263eb"};
  std::vector<std::pair<std::string, std::string>> out;
  size_t next = 0;
  for (const Interval& i : ReadNemesis(perf).intervals) {
    if (std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == i.kind; })) {
      continue;
    }
    auto known = kKnown.find(i.kind);
    out.emplace_back(
        i.kind, known != kKnown.end() ? known->second : kPalette[next++ % std::size(kPalette)]);
  }
  return out;
}

std::vector<std::string> FunctionOrder(const Json& perf) {
  std::vector<std::string> fs;
  const Json* points = Field(perf, "points");
  const Json* rows = points ? Field(*points, "rows") : nullptr;
  if (!rows || !rows->is_array()) return fs;
  for (const Json& row : *rows) {
    if (row.is_array() && row.size() >= 4 && row[2].is_string()) {
      fs.push_back(row[2].get<std::string>());
    }
  }
  std::sort(fs.begin(), fs.end());
  fs.erase(std::unique(fs.begin(), fs.end()), fs.end());
  return fs;
}

std::string MarkerSvg(size_t shape, const std::string& color) {
  std::string d;
  Marker(shape, 6, 6, &d);
  return "<svg class=\"marker\" viewBox=\"2 2 8 8\" width=\"12\" height=\"12\"><path d=\"" + d +
         "\" fill=\"" + color + "\"/></svg>";
}

std::string LatencyChartSvg(const Json& perf) {
  struct Point {
    double t, latency;
    size_t shape;
    int outcome;  // 0 ok, 1 fail, 2 info
  };
  const std::vector<std::string> fs = FunctionOrder(perf);
  std::vector<Point> points;
  const Json* pts = Field(perf, "points");
  const Json* rows = pts ? Field(*pts, "rows") : nullptr;
  if (!rows || !rows->is_array()) return "";
  for (const Json& row : *rows) {
    if (!row.is_array() || row.size() < 4 || !row[0].is_number() || !row[1].is_number() ||
        !row[2].is_string() || !row[3].is_string()) {
      continue;
    }
    const std::string type = row[3].get<std::string>();
    const int outcome = type == "ok" ? 0 : type == "fail" ? 1 : 2;
    const size_t shape = static_cast<size_t>(
        std::lower_bound(fs.begin(), fs.end(), row[2].get<std::string>()) - fs.begin());
    points.push_back(
        Point{row[0].get<double>() / 1e9, std::max(row[1].get<double>(), 1.0), shape, outcome});
  }
  if (points.empty()) return "";

  const Nemesis nemesis = ReadNemesis(perf);
  const auto kinds = NemesisKindColors(perf);
  Frame fr;
  fr.t_max = TimeMax(perf, nemesis);
  const double lanes = LaneCount(nemesis, kinds);
  const double lanes_top = 8;
  fr.y0 = lanes_top + lanes * (kLaneHeight + kLaneGap) + (lanes > 0 ? 8 : 4);
  fr.y1 = fr.y0 + 330;
  const double height = fr.y1 + kAxisHeight;

  double lo = points[0].latency, hi = lo;
  for (const Point& p : points) {
    lo = std::min(lo, p.latency);
    hi = std::max(hi, p.latency);
  }
  const int lo_exp = static_cast<int>(std::floor(std::log10(lo)));
  int hi_exp = static_cast<int>(std::ceil(std::log10(hi)));
  if (hi_exp <= lo_exp) hi_exp = lo_exp + 1;
  // A few pixels of air above the top decade, so that points at exactly its
  // value (timeouts, typically) do not sit on the frame.
  constexpr double kTopAir = 7;
  auto y_of = [&](double ns) {
    const double f = (std::log10(ns) - lo_exp) / (hi_exp - lo_exp);
    return fr.y1 - f * (fr.y1 - fr.y0 - kTopAir);
  };

  std::string s = OpenSvg(height, "latency of each operation over time");
  DrawNemesis(nemesis, kinds, fr, lanes_top, &s);
  for (int e = lo_exp; e <= hi_exp; ++e) {
    const double y = y_of(std::pow(10, e));
    s += "<line class=\"grid\" x1=\"" + Num(fr.x0) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(fr.x1) +
         "\" y2=\"" + Num(y) + "\"/>";
    s += "<text x=\"" + Num(fr.x0 - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
         HtmlEscape(FormatDuration(static_cast<int64_t>(std::llround(std::pow(10, e))))) +
         "</text>";
    if (e == hi_exp) break;
    for (int m = 2; m <= 9; ++m) {
      const double ym = y_of(m * std::pow(10, e));
      s += "<line class=\"minor\" x1=\"" + Num(fr.x0) + "\" y1=\"" + Num(ym) + "\" x2=\"" +
           Num(fr.x1) + "\" y2=\"" + Num(ym) + "\"/>";
    }
  }
  DrawTimeAxis(fr, &s);
  YTitle(fr, "latency (log scale)", &s);

  // One path per (outcome, f); ok first so that rarer outcomes stay visible.
  static const char* kColors[] = {kOkColor, kFailColor, kInfoColor};
  static const char* kOpacity[] = {"0.45", "0.85", "0.85"};
  for (int outcome = 0; outcome < 3; ++outcome) {
    for (size_t shape = 0; shape < std::max<size_t>(fs.size(), 1); ++shape) {
      std::string d;
      for (const Point& p : points) {
        if (p.outcome == outcome && p.shape == shape) Marker(shape, fr.X(p.t), y_of(p.latency), &d);
      }
      if (d.empty()) continue;
      s += "<path d=\"" + d + "\" fill=\"" + kColors[outcome] + "\" fill-opacity=\"" +
           kOpacity[outcome] + "\"/>";
    }
  }
  s += "</svg>";
  return s;
}

std::string ThroughputChartSvg(const Json& perf) {
  const Json* tp = Field(perf, "throughput");
  const Json* buckets = tp ? Field(*tp, "buckets") : nullptr;
  if (!buckets || !buckets->is_array() || buckets->empty()) return "";
  const double bucket_s = std::max(NumberField(*tp, "bucket_ns", 1e9), 1.0) / 1e9;

  const Nemesis nemesis = ReadNemesis(perf);
  const auto kinds = NemesisKindColors(perf);
  Frame fr;
  fr.t_max = TimeMax(perf, nemesis);
  const double lanes = LaneCount(nemesis, kinds);
  const double lanes_top = 8;
  fr.y0 = lanes_top + lanes * (kLaneHeight + kLaneGap) + (lanes > 0 ? 8 : 4);
  fr.y1 = fr.y0 + 220;
  const double height = fr.y1 + kAxisHeight;

  static const char* kKeys[] = {"ok", "fail", "info"};
  static const char* kColors[] = {kOkColor, kFailColor, kInfoColor};
  double max_rate = 0;
  for (const Json& b : *buckets) {
    for (const char* k : kKeys) max_rate = std::max(max_rate, NumberField(b, k) / bucket_s);
  }
  const double step = NiceStep(std::max(max_rate, 1.0) / 5);
  const double y_top = std::max(step, std::ceil(max_rate / step) * step);
  auto y_of = [&](double rate) { return fr.y1 - rate / y_top * (fr.y1 - fr.y0); };

  std::string s = OpenSvg(height, "completed operations per second over time");
  DrawNemesis(nemesis, kinds, fr, lanes_top, &s);
  for (double r = 0; r <= y_top + step * 1e-9; r += step) {
    const double y = y_of(r);
    s += "<line class=\"grid\" x1=\"" + Num(fr.x0) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(fr.x1) +
         "\" y2=\"" + Num(y) + "\"/>";
    s += "<text x=\"" + Num(fr.x0 - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
         FormatSeconds(r) + "</text>";
  }
  DrawTimeAxis(fr, &s);
  YTitle(fr, "operations per second", &s);
  for (int k = 0; k < 3; ++k) {
    std::string d;
    bool any = false;
    for (const Json& b : *buckets) {
      const double t = NumberField(b, "time") / 1e9;
      const double rate = NumberField(b, kKeys[k]) / bucket_s;
      any = any || rate > 0;
      d += (d.empty() ? "M" + Num(fr.X(t)) + " " : "V") + Num(y_of(rate)) + "H" +
           Num(fr.X(t + bucket_s));
    }
    if (!any && k > 0) continue;  // no line for an outcome that never happened
    s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + kColors[k] +
         "\" stroke-width=\"1.6\" stroke-linejoin=\"round\"/>";
  }
  s += "</svg>";
  return s;
}

}  // namespace faultline::report
