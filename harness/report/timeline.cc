// The failing window as inline SVG.
#include "harness/report/timeline.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <set>
#include <vector>

#include "harness/report/summary.h"

namespace faultline::report {
namespace {

constexpr const char* kPrefixColor = "#5c9e6e";
constexpr const char* kBlockedColor = "#c92a2a";
constexpr const char* kPossibleColor = "#e8890c";
constexpr const char* kImpossibleColor = "#adb5bd";

enum class Role { kPrefix, kBlocked, kConcurrent };

struct WindowBar {
  const Json* op = nullptr;
  Role role = Role::kConcurrent;
  int64_t prefix_position = 0;  // 1-based position in the prefix, for kPrefix
  int64_t process = 0;
  std::string process_label;
  double start = 0;
  double end = 0;
  bool open_end = false;  // never completed or info: may take effect until the end
  bool clipped = false;   // invoked before the window starts
};

std::string PxText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Whether every op carries its times, so the x axis can be time.
bool AllTimed(const std::vector<const Json*>& ops) {
  for (const Json* op : ops) {
    const Json* t = Field(*op, "time");
    if (!t || !t->is_number()) return false;
    const std::string type = StringField(*op, "type");
    const Json* c = Field(*op, "completion_time");
    if (type != "never completed" && (!c || !c->is_number())) return false;
  }
  return true;
}

std::string DescribeBar(const WindowBar& b, bool timed) {
  const Json& op = *b.op;
  std::string text = "process " + b.process_label + ": " + StringField(op, "f", "?");
  if (const Json* v = Field(op, "value"); v && !v->is_null()) text += " " + ShortJson(*v, 80);
  if (const Json* k = Field(op, "key"); k && !k->is_null()) text += " (key " + ShortJson(*k, 40) + ")";
  const std::string type = StringField(op, "type", "?");
  text += " -> " + type;
  if (const Json* r = Field(op, "result"); r && !r->is_null()) text += " " + ShortJson(*r, 80);
  text += "\nhistory index " + std::to_string(IntField(op, "index"));
  if (const Json* c = Field(op, "completion_index"); c && c->is_number()) {
    text += " to " + std::to_string(IntField(op, "completion_index"));
  }
  if (timed) {
    text += "\ninvoked at " + FormatSeconds(NumberField(op, "time") / 1e9) + " s";
    if (const Json* c = Field(op, "completion_time"); c && c->is_number()) {
      text += ", completed at " + FormatSeconds(NumberField(op, "completion_time") / 1e9) +
              " s (" + FormatDuration(IntField(op, "completion_time") - IntField(op, "time")) + ")";
    }
  }
  switch (b.role) {
    case Role::kPrefix:
      text += "\nop " + std::to_string(b.prefix_position) + " of the longest linearizable prefix";
      break;
    case Role::kBlocked:
      text += "\ncannot be linearized after the prefix";
      break;
    case Role::kConcurrent: {
      const Json* p = Field(op, "possible_now");
      const bool possible = p && p->is_boolean() && p->get<bool>();
      text += possible ? "\nconcurrent, not linearized; could take effect after the prefix"
                       : "\nconcurrent, not linearized; impossible after the prefix";
      break;
    }
  }
  if (const Json* s = Field(op, "state_after"); s && !s->is_null()) {
    text += "\nstate after: " + ShortJson(*s, 120, true);
  }
  if (b.clipped) text += "\ninvoked before this window begins";
  if (b.open_end) {
    text += type == "info" ? "\noutcome unknown: it may take effect at any later time"
                           : "\nnever completed: it may take effect at any later time";
  }
  return text;
}

// Short label inside a bar: "cas [1,2] -> fail".
std::string WindowBarLabel(const Json& op) {
  std::string s = StringField(op, "f", "?");
  if (const Json* v = Field(op, "value"); v && !v->is_null()) s += " " + ShortJson(*v, 40, true);
  const std::string type = StringField(op, "type");
  const Json* r = Field(op, "result");
  if (StringField(op, "f") == "read" && r && !r->is_null() && type == "ok") {
    s = "read -> " + ShortJson(*r, 40, true);
  } else if (type == "fail" || type == "info") {
    s += " -> " + type;
  } else if (type == "never completed") {
    s += " -> ?";
  }
  return s;
}

std::string RenderWindow(const Json& ex) {
  const Json* blocked = Field(ex, "op");
  if (!blocked || !blocked->is_object()) return "";
  std::vector<WindowBar> bars;
  std::set<int64_t> seen;
  const int64_t prefix_length = IntField(ex, "prefix_length");
  auto add = [&](const Json& op, Role role, int64_t position) {
    if (!op.is_object()) return;
    const int64_t index = IntField(op, "index", -1);
    if (!seen.insert(index).second) return;
    WindowBar b;
    b.op = &op;
    b.role = role;
    b.prefix_position = position;
    const Json* p = Field(op, "process");
    b.process = p && p->is_number_integer() ? p->get<int64_t>() : -1;
    b.process_label = p ? ShortJson(*p, 20, true) : "?";
    bars.push_back(b);
  };
  add(*blocked, Role::kBlocked, 0);
  if (const Json* tail = Field(ex, "prefix_tail"); tail && tail->is_array()) {
    const int64_t first = prefix_length - static_cast<int64_t>(tail->size()) + 1;
    for (size_t i = 0; i < tail->size(); ++i) {
      add((*tail)[i], Role::kPrefix, first + static_cast<int64_t>(i));
    }
  }
  if (const Json* conc = Field(ex, "concurrent"); conc && conc->is_array()) {
    for (const Json& op : *conc) add(op, Role::kConcurrent, 0);
  }
  std::vector<const Json*> ops;
  for (const WindowBar& b : bars) ops.push_back(b.op);
  const bool timed = AllTimed(ops);
  const char* start_key = timed ? "time" : "index";
  const char* end_key = timed ? "completion_time" : "completion_index";

  // The window spans the completed ops; an op whose outcome is unknown may
  // have been invoked long before (a crashed write stays pending for the
  // rest of the test), so it does not stretch the window: it is clipped at
  // the left edge instead.
  double lo = 0, hi = 0;
  bool any = false;
  for (WindowBar& b : bars) {
    b.start = NumberField(*b.op, start_key);
    const Json* e = Field(*b.op, end_key);
    b.end = e && e->is_number() ? e->get<double>() : b.start;
    const std::string type = StringField(*b.op, "type");
    b.open_end = type == "info" || type == "never completed";
    if (b.open_end && b.role != Role::kBlocked) continue;
    lo = any ? std::min(lo, b.start) : b.start;
    hi = any ? std::max(hi, b.end) : b.end;
    any = true;
  }
  for (WindowBar& b : bars) {
    hi = std::max(hi, b.start);
    b.clipped = b.start < lo;
    if (b.clipped) b.start = lo;
  }
  // Room on the right for ops that may take effect later.
  const double span0 = std::max(hi - lo, timed ? 1.0 : 1.0);
  const double right = hi + span0 * 0.08;
  for (WindowBar& b : bars) {
    if (b.open_end) b.end = right;
  }
  const double span = std::max(right - lo, 1e-9);

  // Lanes: one per process, in numeric order (the nemesis never appears here).
  std::map<std::pair<int64_t, std::string>, int> lanes;
  for (const WindowBar& b : bars) lanes.emplace(std::make_pair(b.process, b.process_label), 0);
  int lane_count = 0;
  for (auto& [k, v] : lanes) v = lane_count++;

  constexpr double kWidth = 1000, kLeft = 92, kRight = 14, kTop = 40, kLane = 30, kBar = 20;
  const double plot_w = kWidth - kLeft - kRight;
  const double height = kTop + kLane * lane_count + 34;
  auto x = [&](double v) { return kLeft + (v - lo) / span * plot_w; };

  std::string s;
  s += "<svg class=\"chart window\" viewBox=\"0 0 " + PxText(kWidth) + " " + PxText(height) +
       "\" role=\"img\" aria-label=\"failing window: operations per process over time\""
       ">";
  // Lanes.
  for (const auto& [k, lane] : lanes) {
    const double y = kTop + kLane * lane;
    if (lane % 2 == 0) {
      s += "<rect x=\"" + PxText(kLeft) + "\" y=\"" + PxText(y) + "\" width=\"" + PxText(plot_w) +
           "\" height=\"" + PxText(kLane) + "\" fill=\"#f8f9fa\"/>";
    }
    s += "<text class=\"lane\" x=\"" + PxText(kLeft - 8) + "\" y=\"" + PxText(y + kLane / 2 + 4) +
         "\" text-anchor=\"end\">process " + HtmlEscape(k.second) + "</text>";
  }
  // Axis with a handful of ticks.
  const double axis_y = kTop + kLane * lane_count + 4;
  s += "<line class=\"axis\" x1=\"" + PxText(kLeft) + "\" y1=\"" + PxText(axis_y) + "\" x2=\"" +
       PxText(kLeft + plot_w) + "\" y2=\"" + PxText(axis_y) + "\"/>";
  constexpr int kTicks = 6;
  for (int i = 0; i <= kTicks; ++i) {
    const double v = lo + (hi - lo) * i / kTicks;
    const double tx = x(v);
    s += "<line class=\"grid\" x1=\"" + PxText(tx) + "\" y1=\"" + PxText(kTop) + "\" x2=\"" +
         PxText(tx) + "\" y2=\"" + PxText(axis_y) + "\"/>";
    const std::string label =
        timed ? FormatSeconds(v / 1e9) + " s" : std::to_string(static_cast<int64_t>(v + 0.5));
    s += "<text x=\"" + PxText(tx) + "\" y=\"" + PxText(axis_y + 14) +
         "\" text-anchor=\"middle\">" + HtmlEscape(label) + "</text>";
  }
  s += "<text x=\"" + PxText(kLeft + plot_w) + "\" y=\"" + PxText(axis_y + 28) +
       "\" text-anchor=\"end\">" +
       std::string(timed ? "time since the test started" : "position in the history") +
       "</text>";
  // The prefix's extent: a bracket above the lanes over its shown ops.
  double p_lo = 0, p_hi = 0;
  bool any_prefix = false;
  for (const WindowBar& b : bars) {
    if (b.role != Role::kPrefix) continue;
    p_lo = any_prefix ? std::min(p_lo, b.start) : b.start;
    p_hi = any_prefix ? std::max(p_hi, b.end) : b.end;
    any_prefix = true;
  }
  if (any_prefix) {
    const double x1 = x(p_lo), x2 = std::max(x(p_hi), x1 + 2);
    s += "<g class=\"prefix-mark\"><title>" +
         HtmlEscape("The longest linearizable prefix has " + Thousands(prefix_length) +
                    " operations; its last ones are drawn in green. After them the model state "
                    "is " + ShortJson(Field(ex, "state") ? *Field(ex, "state") : Json(), 120, true)) +
         "</title><path d=\"M" + PxText(x1) + " 30 V22 H" + PxText(x2) + " V30\" fill=\"none\" "
         "stroke=\"" + kPrefixColor + "\" stroke-width=\"2\"/>"
         "<line x1=\"" + PxText(x2) + "\" y1=\"22\" x2=\"" + PxText(x2) + "\" y2=\"" +
         PxText(axis_y) + "\" stroke=\"" + kPrefixColor + "\" stroke-dasharray=\"4 3\"/>"
         "<text x=\"" + PxText(x1) + "\" y=\"16\" style=\"fill:" + kPrefixColor + "\">" +
         HtmlEscape("longest linearizable prefix: " + Thousands(prefix_length) + " ops") +
         "</text></g>";
  }
  // Bars, the blocked op last so it is on top.
  std::stable_sort(bars.begin(), bars.end(), [](const WindowBar& a, const WindowBar& b) {
    return (a.role == Role::kBlocked) < (b.role == Role::kBlocked);
  });
  for (const WindowBar& b : bars) {
    const int lane = lanes[std::make_pair(b.process, b.process_label)];
    const double y = kTop + kLane * lane + (kLane - kBar) / 2;
    const double x1 = x(b.start);
    const double w = std::max(x(b.end) - x1, 3.0);
    const char* color = kImpossibleColor;
    std::string cls = "op concurrent";
    if (b.role == Role::kPrefix) {
      color = kPrefixColor;
      cls = "op prefix";
    } else if (b.role == Role::kBlocked) {
      color = kBlockedColor;
      cls = "op blocked";
    } else {
      const Json* p = Field(*b.op, "possible_now");
      if (p && p->is_boolean() && p->get<bool>()) color = kPossibleColor;
    }
    s += "<g class=\"" + cls + "\"><title>" + HtmlEscape(DescribeBar(b, timed)) + "</title>";
    s += "<rect x=\"" + PxText(x1) + "\" y=\"" + PxText(y) + "\" width=\"" + PxText(w) +
         "\" height=\"" + PxText(kBar) + "\" rx=\"3\" fill=\"" + color + "\"" +
         (b.open_end ? " fill-opacity=\"0.45\" stroke-dasharray=\"5 3\"" : " fill-opacity=\"0.85\"") +
         " stroke=\"" + color + "\"" +
         (b.role == Role::kBlocked ? " stroke-width=\"2.5\"" : "") + "/>";
    if (b.clipped) {
      s += "<path d=\"M" + PxText(x1 - 7) + " " + PxText(y + kBar / 2) + " l7 -6 v12 z\" fill=\"" +
           color + "\"/>";
    }
    std::string label = WindowBarLabel(*b.op);
    if (b.role == Role::kPrefix) label = "#" + std::to_string(b.prefix_position) + " " + label;
    const size_t fits = static_cast<size_t>(std::max(0.0, (w - 6) / 6.2));
    // The op the window is about is always named in full: inside its bar
    // when it fits, else beside it.
    if (fits >= 3 && (b.role != Role::kBlocked || fits >= label.size())) {
      if (label.size() > fits) label = label.substr(0, fits - 1) + "…";
      s += "<text class=\"bar\" x=\"" + PxText(x1 + 4) + "\" y=\"" + PxText(y + kBar / 2 + 3.5) +
           "\">" + HtmlEscape(label) + "</text>";
    } else if (b.role == Role::kBlocked) {
      if (label.size() > 40) label = label.substr(0, 39) + "…";
      const bool left = x1 - kLeft > plot_w / 2;
      s += "<text class=\"bar\" x=\"" + PxText(left ? x1 - 4 : x1 + w + 4) + "\" y=\"" +
           PxText(y + kBar / 2 + 3.5) + "\" text-anchor=\"" + (left ? "end" : "start") +
           "\" style=\"fill:" + kBlockedColor + "\">" + HtmlEscape(label) + "</text>";
    }
    s += "</g>";
  }
  s += "</svg>";
  return s;
}

}  // namespace

std::string FailingWindowSvg(const Json& explanation) {
  try {
    return RenderWindow(explanation);
  } catch (const std::exception&) {
    return "";  // a report without the picture beats no report
  }
}

std::string FailingWindowHtml(const Json& explanation) {
  const std::string svg = FailingWindowSvg(explanation);
  if (svg.empty()) return "";
  auto swatch = [](const char* color, const char* what, bool dashed = false) {
    return std::string("<span><span class=\"swatch\" style=\"background:") + color +
           (dashed ? ";opacity:.45;outline:1px dashed " + std::string(color) : std::string()) +
           "\"></span>" + what + "</span>";
  };
  return "<h3>The failing window</h3><p class=\"muted\">Each bar runs from an operation's "
         "invocation to its completion, one lane per process; hover a bar for its details.</p>"
         "<div class=\"legend\">" +
         swatch(kPrefixColor, "end of the longest linearizable prefix") +
         swatch(kBlockedColor, "cannot be linearized") +
         swatch(kPossibleColor, "concurrent, possible after the prefix") +
         swatch(kImpossibleColor, "concurrent, impossible after the prefix") +
         swatch(kImpossibleColor, "outcome unknown (may take effect later)", true) + "</div>" +
         svg;
}

}  // namespace faultline::report
