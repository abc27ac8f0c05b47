// libFuzzer target: RunResults::FromJson on results.json text (what
// `faultline analyze` and the reports read from a stored run).
// Properties: a failure is InvalidArgument naming the file and what was
// expected, in UTF-8; a success round-trips: FromJson(ToJson(r)) gives r
// back, and ToJson is strict JSON.
#include "harness/report/run_results.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using faultline::RunResults;
using faultline::fuzz::Fail;

bool Same(const RunResults& a, const RunResults& b) {
  if (a.valid != b.valid || a.checkers != b.checkers || a.errors != b.errors ||
      a.interrupted != b.interrupted || a.interrupted_at != b.interrupted_at ||
      a.warnings != b.warnings || a.extra != b.extra || a.phases.size() != b.phases.size()) {
    return false;
  }
  for (size_t i = 0; i < a.phases.size(); ++i) {
    const auto& p = a.phases[i];
    const auto& q = b.phases[i];
    if (p.name != q.name || p.start_ns != q.start_ns || p.end_ns != q.end_ns ||
        p.status != q.status || p.error != q.error) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = faultline::fuzz::AsText(data, size);
  // As the store reads it: invalid JSON is the store's error, not FromJson's.
  faultline::Json json = faultline::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  faultline::Result<RunResults> r = RunResults::FromJson(json, "results.json");
  if (!r.ok()) {
    faultline::fuzz::CheckError(r.status(), "results.json: ");
    return 0;
  }
  faultline::Json out = r->ToJson();
  std::string dumped;
  try {
    dumped = out.dump();
  } catch (const std::exception& e) {
    Fail("ToJson is not valid JSON", e.what());
  }
  faultline::Result<RunResults> again = RunResults::FromJson(out, "again");
  if (!again.ok()) Fail("ToJson does not read back", again.status().ToString());
  if (!Same(*r, *again)) Fail("round trip changed the results", dumped);
  return 0;
}
