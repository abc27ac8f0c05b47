// The "Balancer" section of report.html: charts and tables drawn from the
// balance workload's checkers in results.json (checkers/balance_checker.h):
// detection time per fault against the failover bound, client errors per
// fault, each backend's share of requests, keys moved per removal with hash
// balancing, and the at-most-once counts. Nothing when the run has none of
// those checkers. Pure, thread-safe; odd fields are skipped, never thrown on.
#pragma once

#include <string>

#include "harness/report/text_util.h"

namespace faultline::report {

// Appends the section (a <section id="balance">) to `out`.
void BalanceSection(const Json& results, std::string* out);

}  // namespace faultline::report
