// The balance workload: requests with unique ids and hash keys through a load
// balancer (a target with BalanceClientFactory: haproxy, nginx), the
// balancer's view of its backends read every 100 ms, and after the final heal
// the ids every backend applied; checked by checkers/balance_checker.h
// (failover, balance-errors, distribution, hash-stability, at-most-once,
// vrrp-split-brain), stats and perf.
//
//   request   value {"id": n}, key: one of 32 keys ("k0".."k31"), drawn
//             uniformly; at WorkloadOptions::rate ops/s, or kDefaultRate when
//             that is 0 (enough for the distribution, light on 2 cores)
//   backends  every 100 ms on whichever client is free
//   vip       with redundant balancers (BalanceClientFactory::ObservesVip):
//             every 100 ms on a thread of its own, and in the final phase
//             for kBalanceFinalVipSeconds after the heal
//   applied   final phase, until one is ok (at most 10 tries, 0.5 s apart)
#pragma once

#include <memory>

#include "workloads/workload.h"

namespace faultline {

inline constexpr double kBalanceDefaultRate = 300;
inline constexpr int kBalanceKeys = 32;
inline constexpr int kBalanceFinalVipSeconds = 3;

std::unique_ptr<Workload> MakeBalanceWorkload(const WorkloadOptions& options);

}  // namespace faultline
