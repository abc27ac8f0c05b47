// Charts for report.html, drawn here as inline SVG from PerfChecker details
// (see checkers/perf.h), so the report needs no script and no network.
// Pure functions, thread-safe; missing or odd fields give an empty chart
// (an empty string), never an exception.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/report/text_util.h"

namespace faultline::report {

// Colors of the outcomes, shared by charts, legends and tables.
inline constexpr const char* kOkColor = "#2f6fd0";
inline constexpr const char* kFailColor = "#d6336c";
inline constexpr const char* kInfoColor = "#e8890c";

// Nemesis kinds ("partition", "kill", ...) in order of first appearance in
// perf["nemesis"]["intervals"], each with its shading color.
std::vector<std::pair<std::string, std::string>> NemesisKindColors(const Json& perf);

// Latency of each sampled op against its invocation time: log-scale y,
// color by outcome, marker shape by f (FunctionOrder gives the order), nemesis
// periods shaded and labeled in lanes above the plot. Empty when there are no
// points.
std::string LatencyChartSvg(const Json& perf);
// Completions per second per outcome over time, with the same nemesis lanes
// and shading. Empty when there are no buckets.
std::string ThroughputChartSvg(const Json& perf);

// The functions in the sampled points, sorted; the i-th gets marker shape i % 5.
std::vector<std::string> FunctionOrder(const Json& perf);
// A small standalone SVG of marker shape `shape` in `color`, for legends.
std::string MarkerSvg(size_t shape, const std::string& color);

}  // namespace faultline::report
