// The set workload: clients add unique integers to sets on rotating keys
// (like register: a group of threads per key, a fresh key after a number of
// ops), with an occasional read during the run; after the last heal every key
// used is read. Checked by SetChecker (Jepsen's set checker).
#include <algorithm>
#include <optional>

#include "checkers/perf.h"
#include "checkers/set_checker.h"
#include "checkers/stats.h"
#include "harness/generator/combinators.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

// One op in this many on a key is a read during the run.
constexpr uint64_t kReadEvery = 20;
// Final reads per key: a second chance when the first fails.
constexpr int64_t kFinalReadsPerKey = 2;

class SetWorkload : public Workload {
 public:
  explicit SetWorkload(const WorkloadOptions& options) : options_(options) {}
  std::string name() const override { return "set"; }

  gen::GenPtr Generator() override {
    // Elements are unique per key without shared state: Independent gives
    // every key its own copy of this generator, whose op index is unique
    // among that key's ops (reads skip an index, which is harmless).
    gen::GenPtr per_key = gen::FromFn([](gen::Rng& rng, int64_t i) -> std::optional<Op> {
      if (rng.Below(kReadEvery) == 0) return gen::MakeOp("read");
      return gen::MakeOp("add", Json(i));
    });
    gen::GenPtr keyed = gen::Independent(
        {.threads_per_key = options_.threads_per_key, .ops_per_key = options_.ops_per_key},
        per_key);
    if (options_.rate > 0) keyed = gen::Rate(options_.rate, keyed);
    return keyed;
  }

  gen::GenPtr FinalGenerator(std::function<std::vector<Json>()> recent_keys) override {
    // Keys are 0, 1, 2, ... in the order groups took them, so every key used
    // is at most the largest recent one: read them all, each twice, on
    // whichever client is free.
    auto last_key = std::make_shared<std::optional<int64_t>>();
    return gen::FromFn([last_key, recent_keys](gen::Rng&, int64_t i) -> std::optional<Op> {
      if (!*last_key) {
        int64_t last = -1;
        for (const Json& k : recent_keys()) {
          if (k.is_number_integer()) last = std::max(last, k.get<int64_t>());
        }
        *last_key = last;
      }
      const int64_t key = i / kFinalReadsPerKey;
      if (key > **last_key) return std::nullopt;
      return gen::MakeOp("read", nullptr, Json(key));
    });
  }

  Result<std::unique_ptr<Client>> NewClient(Target& target) override {
    SetClientFactory* factory = target.set_clients();
    if (factory == nullptr) {
      return Status::Unsupported("target " + target.name() +
                                 " offers no set clients; the set workload needs them");
    }
    return factory->NewSetClient();
  }

  std::vector<std::unique_ptr<Checker>> Checkers() override {
    std::vector<std::unique_ptr<Checker>> checkers;
    checkers.push_back(std::make_unique<SetChecker>());
    checkers.push_back(std::make_unique<StatsChecker>());
    checkers.push_back(std::make_unique<PerfChecker>());
    return checkers;
  }

 private:
  WorkloadOptions options_;
};

}  // namespace

std::unique_ptr<Workload> MakeSetWorkload(const WorkloadOptions& options) {
  return std::make_unique<SetWorkload>(options);
}

}  // namespace faultline
