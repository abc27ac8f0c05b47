// The failing window of a linearizability result, drawn as a timeline: the
// operation that cannot be linearized, the last operations of the longest
// linearizable prefix and the operations concurrent with it, each a bar from
// its invocation to its completion on one lane per process (the picture
// Porcupine and Knossos draw). Hovering a bar shows its details (SVG <title>),
// so the report still needs no script.
//
// Input: a checker's "explanation" object (checkers/linearizability.h):
//   {"op": {...}, "prefix_length": N, "prefix_tail": [{...}], "concurrent": [{...}],
//    "state": "...", "partition_key"?: ...}
// where each op holds "index", "process", "f", "value", "type", "result"?,
// "completion_index"?, "time"? and "completion_time"? (ns since the test
// started), "state_after"?, "possible_now"?. With times on every op the x axis
// is time; otherwise it is the position in the history.
//
// Pure functions, thread-safe; odd or missing fields never throw: an
// explanation without an "op" object gives an empty string.
#pragma once

#include <string>

#include "harness/report/text_util.h"

namespace faultline::report {

// The inline <svg class="chart window"> alone; empty when there is nothing to draw.
std::string FailingWindowSvg(const Json& explanation);

// A heading, a legend and FailingWindowSvg, for report.html; empty when the
// SVG is.
std::string FailingWindowHtml(const Json& explanation);

}  // namespace faultline::report
