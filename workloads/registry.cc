#include <utility>

#include "workloads/balance_workload.h"
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

std::vector<std::string> WorkloadNames() { return {"register", "set", "lock", "lock-set", "balance"}; }

Result<std::unique_ptr<Workload>> MakeWorkload(const std::string& name,
                                               const WorkloadOptions& options) {
  if (name == "register") return MakeRegisterWorkload(options);
  if (name == "set") return MakeSetWorkload(options);
  if (name == "lock") return MakeLockWorkload(options);
  if (name == "lock-set") return MakeLockSetWorkload(options);
  if (name == "balance") return MakeBalanceWorkload(options);
  std::string known;
  for (const std::string& n : WorkloadNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown workload \"" + name + "\"; expected one of: " + known);
}

}  // namespace faultline
