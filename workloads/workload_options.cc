// ApplyWorkloadOptions (workload.h), apart from the workload registry so
// that its fuzzer (tests/fuzz) builds it alone.
#include "workloads/workload.h"

namespace faultline {

Status ApplyWorkloadOptions(const Json& json, WorkloadOptions* options) {
  if (json.is_null()) return Status::Ok();
  if (!json.is_object()) {
    return Status::InvalidArgument("workload options: expected a JSON object, got " + json.dump());
  }
  for (const auto& [name, value] : json.items()) {
    if (name == "hold_max_ms") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1) {
        return Status::InvalidArgument(
            "workload option hold_max_ms: expected an integer >= 1 (milliseconds), got " +
            value.dump());
      }
      options->hold_max = std::chrono::milliseconds(value.get<int64_t>());
    } else {
      return Status::InvalidArgument("unknown workload option '" + name +
                                     "'; known options: hold_max_ms");
    }
  }
  return Status::Ok();
}

}  // namespace faultline
