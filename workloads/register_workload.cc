// The register workload: reads, writes and compare-and-sets on rotating keys,
// every written value unique, checked per key against a cas-register.
#include <atomic>
#include <optional>

#include "checkers/perf.h"
#include "checkers/stats.h"
#include "harness/generator/combinators.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

class RegisterWorkload : public Workload {
 public:
  explicit RegisterWorkload(const WorkloadOptions& options) : options_(options) {}
  std::string name() const override { return "register"; }

  gen::GenPtr Generator() override {
    // Unique values make crashed writes cheap to check (see the checker's
    // forced-write rule) and make every read attributable to one write.
    auto next_value = std::make_shared<std::atomic<int64_t>>(1);
    gen::GenPtr write = gen::FromFn([next_value](gen::Rng&, int64_t) -> std::optional<Op> {
      return gen::MakeOp("write", Json(next_value->fetch_add(1)));
    });
    gen::GenPtr cas = gen::FromFn([next_value](gen::Rng& rng, int64_t) -> std::optional<Op> {
      // Compare against a recent value so that some CASes succeed.
      const int64_t latest = next_value->load();
      const int64_t back = static_cast<int64_t>(rng.Below(5));
      const int64_t expected = latest - 1 - back > 0 ? latest - 1 - back : 1;
      return gen::MakeOp("cas", Json::array({expected, next_value->fetch_add(1)}));
    });
    gen::GenPtr ops =
        gen::Mix({gen::Repeat(gen::MakeOp("read")), gen::Repeat(gen::MakeOp("read")), write, cas});
    gen::GenPtr keyed = gen::Independent(
        {.threads_per_key = options_.threads_per_key, .ops_per_key = options_.ops_per_key}, ops);
    if (options_.rate > 0) keyed = gen::Rate(options_.rate, keyed);
    return keyed;
  }

  gen::GenPtr FinalGenerator(std::function<std::vector<Json>()> recent_keys) override {
    // After the heal every client reads each recent key once. The keys are
    // looked up when the phase starts, not when the test is built.
    auto keys = std::make_shared<std::optional<std::vector<Json>>>();
    return gen::EachThread(
        gen::FromFn([keys, recent_keys](gen::Rng&, int64_t i) -> std::optional<Op> {
          if (!*keys) *keys = recent_keys();
          if (i >= static_cast<int64_t>((*keys)->size())) return std::nullopt;
          return gen::MakeOp("read", nullptr, (**keys)[i]);
        }));
  }

  Result<std::unique_ptr<Client>> NewClient(Target& target) override {
    RegisterClientFactory* factory = target.register_clients();
    if (factory == nullptr) {
      return Status::Unsupported("target " + target.name() +
                                 " offers no register clients; the register workload needs them");
    }
    return factory->NewRegisterClient();
  }

  std::vector<std::unique_ptr<Checker>> Checkers() override {
    std::vector<std::unique_ptr<Checker>> checkers;
    checkers.push_back(
        std::make_unique<LinearizabilityChecker>("cas-register", Json(), options_.linearizability));
    checkers.push_back(std::make_unique<StatsChecker>());
    checkers.push_back(std::make_unique<PerfChecker>());
    return checkers;
  }

 private:
  WorkloadOptions options_;
};

}  // namespace

std::unique_ptr<Workload> MakeRegisterWorkload(const WorkloadOptions& options) {
  return std::make_unique<RegisterWorkload>(options);
}

}  // namespace faultline
