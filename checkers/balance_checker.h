// Checkers of the balance workload (workloads/balance_workload.h): what a
// load balancer promises while backends fail, judged from the history alone.
// The history carries everything: "request" ops (which backend answered),
// "backends" ops (the balancer's configuration, its failover bound and, for
// HAProxy, each backend's health and request count as it saw them), nemesis
// ops (which backend was faulted when) and a final "applied" op (the request
// ids each backend applied). See targets/client.h, BalanceClientFactory.
//
// Fault windows: a kill, pause or partition puts a backend in a window from
// the fault op's completion (the fault is surely in place) to the invocation
// of its recovery op (start, resume, stop-partition or the final heal); a
// partition affects the backends cut off from the balancer node. A window
// "settles" settle_ms (from the "backends" op; else (rise + 1) x inter + 1 s)
// after its recovery completed.
//
//   failover        for each faulted backend: detection time (the first
//                   health read showing it DOWN, minus the window's start).
//                   Invalid when it stays UP past the bound, or the balancer
//                   sends it requests (its request count grows) after the
//                   bound. Not applicable (valid, "applicable": false) when
//                   the balancer reports no health (nginx).
//   balance-errors  client errors (fail and info requests) in each window and
//                   outside windows. Invalid when a request invoked after
//                   window start + bound, while the fault lasts, fails: by
//                   then the backend should be out of the pool.
//   distribution    each backend's share of ok requests invoked while no
//                   window is open or settling; max relative deviation from
//                   an equal share and chi-square. Judged for roundrobin
//                   (max deviation <= options.max_deviation, given at least
//                   20 requests per backend; else unknown); measured only for
//                   leastconn and hash.
//   hash-stability  algorithm hash only: each key's backend before a window
//                   and during it (after detection). Keys of unfaulted
//                   backends that moved; with hash-type consistent any such
//                   move is a violation; map-based is measured (most move).
//   at-most-once    the final "applied" read: a request id applied twice, or
//                   applied although its request completed as fail, is a
//                   violation. Unknown without an ok "applied" op.
//   vrrp-split-brain  redundant balancers (VRRP): from the "vip" ops, each
//                   balancer node's readings of its interface, dated on the
//                   node (op completion - age_ms). A node "held" the address
//                   from the first to the last of consecutive readings that
//                   show it (a reading that does not, or a gap of more than
//                   1 s without readings, ends the run), so intervals are
//                   lower bounds; each also gets an upper bound (from the
//                   readings just outside it). Two nodes holding it at once
//                   (their runs intersect) is a violation, listed with start,
//                   end, duration, nodes and the faults in force; "open"
//                   when the history ends inside it. Also: intervals with no
//                   holder (every node read, none holding), and per fault
//                   that hits the holder (kill or pause of it, a partition
//                   cutting it from another balancer node) the takeover time
//                   (first reading of another node holding it, minus the
//                   fault op's completion); a takeover later than bound_ms
//                   (or none while the fault lasts longer) is a violation.
//                   Not applicable (valid) without "vip" ops.
//
// Thread-safety: Check may be called concurrently on different histories.
#pragma once

#include <memory>

#include "checkers/checker.h"

namespace faultline {

struct BalanceCheckOptions {
  double max_deviation = 0.15;  // distribution, roundrobin
  int64_t min_per_backend = 20; // distribution: fewer requests per backend -> unknown
};

std::unique_ptr<Checker> MakeFailoverChecker();
std::unique_ptr<Checker> MakeBalanceErrorsChecker();
std::unique_ptr<Checker> MakeDistributionChecker(BalanceCheckOptions options = {});
std::unique_ptr<Checker> MakeHashStabilityChecker();
std::unique_ptr<Checker> MakeAtMostOnceChecker();
std::unique_ptr<Checker> MakeVrrpSplitBrainChecker();

}  // namespace faultline
