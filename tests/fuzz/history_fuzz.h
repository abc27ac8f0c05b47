// Shared body of the history-reader fuzz targets: parse the input in one
// format and check properties that must hold for any input, aborting (which
// libFuzzer reports as a crash) when one does not:
//   - a failure is InvalidArgument "fuzz:<line>: ...; expected ..." in UTF-8;
//   - a success has ops numbered 0..n-1 with lines in order, and each op
//     written as JSONL reads back as the same op;
//   - PairOps and DescribeOp accept whatever the reader produced.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "harness/history/op.h"
#include "harness/history/reader.h"
#include "harness/history/writer.h"

namespace faultline::fuzz {

[[noreturn]] inline void Violation(const char* what, const std::string& detail) {
  std::fprintf(stderr, "property violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline bool SameOp(const Op& a, const Op& b) {
  return a.time == b.time && a.type == b.type && a.process == b.process && a.f == b.f &&
         a.value == b.value && a.key == b.key && a.error == b.error && a.node == b.node;
}

inline int FuzzHistoryReader(const uint8_t* data, size_t size, HistoryFormat format) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<History> history = ParseHistory(text, "fuzz", format);
  if (!history.ok()) {
    const Status& status = history.status();
    const std::string& message = status.message();
    if (status.code() != Status::Code::kInvalidArgument) Violation("error code", status.ToString());
    if (message.rfind("fuzz:", 0) != 0) Violation("error names no source", message);
    if (message.find("expected") == std::string::npos)
      Violation("error says nothing expected", message);
    try {
      (void)Json(message).dump();  // throws on invalid UTF-8
    } catch (const std::exception&) {
      Violation("error message is not UTF-8", message);
    }
    return 0;
  }
  std::string jsonl;
  int64_t previous_line = 0;
  for (size_t i = 0; i < history->ops.size(); ++i) {
    const Op& op = history->ops[i];
    if (op.index != static_cast<int64_t>(i)) Violation("index", std::to_string(op.index));
    if (op.line < 1 || op.line < previous_line) Violation("line", std::to_string(op.line));
    previous_line = op.line;
    if (op.f.empty()) Violation("empty f", DescribeOp(op));
    (void)DescribeOp(op);
    std::string line;
    try {
      line = OpToJson(op).dump();  // strict: throws on invalid UTF-8
    } catch (const std::exception& e) {
      Violation("op is not valid JSON", e.what());
    }
    jsonl += OpToJsonLine(op);
    jsonl += '\n';
  }
  Result<History> again = ParseHistory(jsonl, "roundtrip", HistoryFormat::kJsonl);
  if (!again.ok()) Violation("JSONL round trip does not parse", again.status().ToString());
  if (again->ops.size() != history->ops.size()) Violation("round trip op count", jsonl);
  for (size_t i = 0; i < history->ops.size(); ++i) {
    if (!SameOp(again->ops[i], history->ops[i])) {
      Violation("round trip changed an op", OpToJsonLine(history->ops[i]));
    }
  }
  (void)PairOps(*history);
  return 0;
}

}  // namespace faultline::fuzz
