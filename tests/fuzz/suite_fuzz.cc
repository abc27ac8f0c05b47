// libFuzzer target: suite::ParseSuite (suite files, `faultline suite FILE`).
// Properties: a failure is InvalidArgument naming the file and what was
// expected, in UTF-8; a success has at least one run, run names unique and
// every field inside the ranges suite_file.h documents.
#include <cmath>
#include <set>

#include "harness/suite/suite_file.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using faultline::fuzz::Fail;
using faultline::suite::SuiteRun;

bool IsName(const std::string& s) {
  if (s.empty() || s.size() > 100 || s == "." || s == "..") return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

void CheckRun(const SuiteRun& r) {
  if (!IsName(r.target)) Fail("target name", r.target);
  if (!IsName(r.workload)) Fail("workload name", r.workload);
  if (r.entry.rfind("tests[", 0) != 0) Fail("entry", r.entry);
  std::set<std::string> kinds;
  for (const std::string& k : r.nemesis) {
    if (!IsName(k) || k == "none") Fail("nemesis kind", k);
    if (!kinds.insert(k).second) Fail("nemesis kind twice", k);
  }
  if (!(r.time_limit_s > 0 && r.time_limit_s <= 7 * 24 * 3600)) Fail("time_limit", r.name);
  if (!(r.nemesis_interval_s > 0 && r.nemesis_interval_s <= 7 * 24 * 3600))
    Fail("nemesis_interval", r.name);
  if (!(r.check_time_limit_s >= 0 && r.check_time_limit_s <= 7 * 24 * 3600))
    Fail("check_time_limit", r.name);
  if (!(r.rate >= 0 && std::isfinite(r.rate))) Fail("rate", r.name);
  if (r.nodes < 1 || r.nodes > 9) Fail("nodes", r.name);
  if (r.concurrency < 1 || r.concurrency > 1000) Fail("concurrency", r.name);
  if (!r.target_options.is_object()) Fail("target_options", r.target_options.dump());
  if (r.Threads(r.nodes) < 1) Fail("threads", r.name);
  const std::string suffix = "-s" + std::to_string(r.seed);
  if (r.name.size() <= suffix.size() ||
      r.name.compare(r.name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    Fail("run name does not end in its seed", r.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = faultline::fuzz::AsText(data, size);
  faultline::Result<faultline::suite::Suite> suite = faultline::suite::ParseSuite(text, "fuzz.json");
  if (!suite.ok()) {
    // The JSON library's own syntax messages do not always say "expected".
    const bool syntax = suite.status().message().find("not valid JSON") != std::string::npos;
    faultline::fuzz::CheckError(suite.status(), "fuzz.json:",
                                faultline::Status::Code::kInvalidArgument, !syntax);
    return 0;
  }
  if (!IsName(suite->name)) Fail("suite name", suite->name);
  if (suite->source != "fuzz.json") Fail("source", suite->source);
  if (suite->runs.empty()) Fail("no runs", text);
  std::set<std::string> names;
  for (const SuiteRun& r : suite->runs) {
    CheckRun(r);
    if (!names.insert(r.name).second) Fail("run name twice", r.name);
  }
  if (!(suite->WorkloadSeconds() > 0)) Fail("workload seconds", text);
  return 0;
}
