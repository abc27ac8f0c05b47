#include "workloads/balance_workload.h"

#include <atomic>
#include <optional>

#include "checkers/balance_checker.h"
#include "checkers/perf.h"
#include "checkers/stats.h"
#include "harness/generator/combinators.h"

namespace faultline {
namespace {

class BalanceWorkload : public Workload {
 public:
  explicit BalanceWorkload(const WorkloadOptions& options) : options_(options) {}
  std::string name() const override { return "balance"; }

  gen::GenPtr Generator() override {
    // Ids are unique over the whole test: an id seen twice in the backends'
    // effects is a request applied twice.
    auto next_id = std::make_shared<std::atomic<int64_t>>(1);
    gen::GenPtr requests = gen::FromFn([next_id](gen::Rng& rng, int64_t) -> std::optional<Op> {
      return gen::MakeOp("request", Json{{"id", next_id->fetch_add(1)}},
                         Json("k" + std::to_string(rng.Below(kBalanceKeys))));
    });
    const double rate = options_.rate > 0 ? options_.rate : kBalanceDefaultRate;
    gen::GenPtr health = gen::Delay(std::chrono::milliseconds(100), gen::Repeat(gen::MakeOp("backends")));
    requests = gen::Rate(rate, requests);
    // Health reads get a client thread of their own: while a paused backend
    // holds every request thread for a whole server timeout, the reads that
    // time its detection must go on. So do reads of who holds the virtual
    // address, with redundant balancers.
    if (vip_) {
      gen::GenPtr vip = gen::Delay(std::chrono::milliseconds(100), gen::Repeat(gen::MakeOp("vip")));
      if (options_.concurrency >= 3) {
        return gen::Any({gen::OnThreads(gen::ThreadSet::Clients(0, 1), health),
                         gen::OnThreads(gen::ThreadSet::Clients(1, 2), vip),
                         gen::OnThreads(gen::ThreadSet::Clients(2, options_.concurrency), requests)});
      }
      health = gen::Any({health, vip});
    }
    if (options_.concurrency >= 2) {
      return gen::Any({gen::OnThreads(gen::ThreadSet::Clients(0, 1), health),
                       gen::OnThreads(gen::ThreadSet::Clients(1, options_.concurrency), requests)});
    }
    return gen::Any({health, requests});  // health first: it wins ties
  }

  gen::GenPtr FinalGenerator(std::function<std::vector<Json>()>) override {
    gen::GenPtr applied = gen::Limit(10, gen::UntilOk(gen::Delay(std::chrono::milliseconds(500),
                                                                 gen::Repeat(gen::MakeOp("applied")))));
    if (!vip_) return applied;
    // After the final heal, who holds the virtual address for a while more:
    // a split brain the time limit cut into is seen to end (or not).
    gen::GenPtr vip = gen::TimeLimit(
        std::chrono::seconds(kBalanceFinalVipSeconds),
        gen::Delay(std::chrono::milliseconds(100), gen::Repeat(gen::MakeOp("vip"))));
    return gen::Phases({vip, applied});
  }

  Result<std::unique_ptr<Client>> NewClient(Target& target) override {
    BalanceClientFactory* factory = target.balance_clients();
    if (factory == nullptr) {
      return Status::Unsupported("target " + target.name() +
                                 " offers no balance clients; the balance workload needs a load "
                                 "balancer target (haproxy, nginx)");
    }
    // The runner asks for a client (a probe) before it asks for the
    // generator, so the generator knows whether to read the address.
    vip_ = factory->ObservesVip();
    return factory->NewBalanceClient();
  }

  std::vector<std::unique_ptr<Checker>> Checkers() override {
    std::vector<std::unique_ptr<Checker>> checkers;
    checkers.push_back(MakeFailoverChecker());
    checkers.push_back(MakeBalanceErrorsChecker());
    checkers.push_back(MakeDistributionChecker());
    checkers.push_back(MakeHashStabilityChecker());
    checkers.push_back(MakeAtMostOnceChecker());
    checkers.push_back(MakeVrrpSplitBrainChecker());
    checkers.push_back(std::make_unique<StatsChecker>());
    checkers.push_back(std::make_unique<PerfChecker>());
    return checkers;
  }

 private:
  WorkloadOptions options_;
  bool vip_ = false;
};

}  // namespace

std::unique_ptr<Workload> MakeBalanceWorkload(const WorkloadOptions& options) {
  return std::make_unique<BalanceWorkload>(options);
}

}  // namespace faultline
