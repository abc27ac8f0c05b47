#include <utility>

#include "workloads/balance_workload.h"
#include "workloads/workload.h"

namespace faultline {

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
