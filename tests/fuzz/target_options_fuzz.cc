// libFuzzer target: the option readers of targets and workloads, on a JSON
// text as --target-options / --workload-options or a suite's target_options
// give it. The first byte picks one:
//   0  OptionReader, read the way MakeTarget reads options (integers with
//      ranges, strings, booleans, string lists, per-node nested objects)
//   1  ApplyWorkloadOptions
// Properties: a failure is InvalidArgument naming the target (or "workload")
// and the option, in UTF-8; on success every value returned is the one given
// and inside its range, and every option given was read.
#include <limits>

#include "targets/option_reader.h"
#include "tests/fuzz/fuzz_util.h"
#include "workloads/workload.h"

namespace {

using faultline::Json;
using faultline::OptionReader;
using faultline::fuzz::Fail;

void CheckInt(const Json& options, const char* name, int64_t got, int64_t fallback, int64_t min,
              int64_t max) {
  if (!options.is_object() || !options.contains(name)) {
    if (got != fallback) Fail("absent int not the fallback", name);
    return;
  }
  const Json& v = options[name];
  if (got < min || got > max) Fail("int out of range", std::string(name) + "=" + v.dump());
  // Json compares an unsigned with a signed number after a cast, so
  // 18446744073709551615 would equal -1: compare the text.
  if (v.dump() != Json(got).dump())
    Fail("int differs from the option", std::string(name) + "=" + v.dump());
}

void Target(const Json& options) {
  OptionReader r("fuzz", options);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t port = r.Int("port", 2379, 1, 65535);
  const int64_t timeout = r.Int("timeout_ms", 1000, 1, kMax);
  const int64_t offset = r.Int("offset", 0, -1000, 1000);
  const std::string dir = r.String("dir_name", "etcd");
  const bool flag = r.Bool("appendonly", false);
  const std::vector<std::string> args = r.Strings("extra_args");
  std::vector<std::pair<std::string, int64_t>> nested_ports;
  if (const Json* per_node = r.Take("node_ports")) {
    if (!per_node->is_object()) {
      r.Fail("node_ports", "expected an object keyed by node name", *per_node);
    } else {
      for (const auto& [node, ports] : per_node->items()) {
        OptionReader nested("fuzz", ports, "node_ports." + node + ".");
        const int64_t p = nested.Int("client", port, 1, 65535);
        faultline::Status st = nested.Finish();
        if (!st.ok()) {
          faultline::fuzz::CheckError(st, "target fuzz: ", faultline::Status::Code::kInvalidArgument,
                                      false);
          if (st.message().find("node_ports." + node) == std::string::npos)
            Fail("nested error does not name the node", st.message());
          return;
        }
        nested_ports.emplace_back(node, p);
      }
    }
  }
  faultline::Status st = r.Finish();
  if (!st.ok()) {
    faultline::fuzz::CheckError(st, "target fuzz: ", faultline::Status::Code::kInvalidArgument,
                                false);
    if (st.message().find("option") == std::string::npos) Fail("error names no option", st.message());
    return;
  }
  if (!options.is_null() && !options.is_object()) Fail("non-object options accepted", options.dump());
  CheckInt(options, "port", port, 2379, 1, 65535);
  CheckInt(options, "timeout_ms", timeout, 1000, 1, kMax);
  CheckInt(options, "offset", offset, 0, -1000, 1000);
  if (dir.empty()) Fail("empty string accepted", "dir_name");
  if (options.is_object() && options.contains("dir_name") && options["dir_name"] != dir)
    Fail("string differs", dir);
  if (options.is_object() && options.contains("appendonly") && options["appendonly"] != flag)
    Fail("bool differs", options.dump());
  if (options.is_object() && options.contains("extra_args") && options["extra_args"] != Json(args))
    Fail("strings differ", options.dump());
  for (const auto& [node, p] : nested_ports) {
    if (p < 1 || p > 65535) Fail("nested port", node);
  }
  if (options.is_object()) {
    for (const auto& [name, value] : options.items()) {
      static const std::set<std::string> kRead = {"port", "timeout_ms", "offset", "dir_name",
                                                  "appendonly", "extra_args", "node_ports"};
      if (!kRead.count(name)) Fail("unknown option accepted", name);
    }
  }
}

void Workload(const Json& options) {
  faultline::WorkloadOptions o;
  faultline::Status st = faultline::ApplyWorkloadOptions(options, &o);
  if (!st.ok()) {
    faultline::fuzz::CheckError(st, "", faultline::Status::Code::kInvalidArgument, false);
    if (st.message().find("workload option") == std::string::npos)
      Fail("error names no workload option", st.message());
    return;
  }
  if (options.is_object() && options.contains("hold_max_ms") &&
      (o.hold_max.count() < 1 || Json(o.hold_max.count()) != options["hold_max_ms"])) {
    Fail("hold_max_ms", options.dump());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text = faultline::fuzz::AsText(data + 1, size - 1);
  const Json options = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (options.is_discarded()) return 0;  // the CLI's JSON parse error, not the readers'
  if (data[0] % 2 == 0) {
    Target(options);
  } else {
    Workload(options);
  }
  return 0;
}
