// The lock workloads.
//
// lock: every client thread, over and over, acquires the lock, holds it for a
// random time up to hold_max (a sleep in the generator), releases it, and
// pauses briefly. The acquire / release history is checked for
// linearizability against the mutex model.
//
// lock-set: the same cycle, but the hold is an "add" op performed by a wrapper
// around the target's lock client: it reads a set that lives in the
// controller, sleeps a random time up to hold_max, and writes the set back
// with its own element, all while it believes it holds the lock. A lost
// element (SetChecker) or two adds overlapping in time (HolderOverlapChecker)
// means two clients held the lock at once. It works with any target that
// offers lock clients: the shared value is the controller's own.
#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "checkers/lock_checker.h"
#include "checkers/perf.h"
#include "checkers/set_checker.h"
#include "checkers/stats.h"
#include "harness/generator/combinators.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

constexpr std::chrono::milliseconds kLockHoldDefault{100};
constexpr std::chrono::milliseconds kLockSetHoldDefault{2000};
// A client's pause between a release and its next acquire.
constexpr std::chrono::milliseconds kGapMax{20};
const Json kLockName = 0;

// The acquire / hold / release cycle of every client thread. Pure: each
// thread's phase and count are part of the state; randomness comes from the
// state's Rng. lock-set elements are count * threads + thread, unique in the
// test without shared counters.
class LockCycleGen final : public gen::Generator {
 public:
  struct Config {
    int64_t hold_max_ns = 0;
    int64_t gap_max_ns = 0;
    bool add = false;  // lock-set: the hold is an "add" op
  };
  struct Thread {
    uint8_t phase = 0;  // 0 acquire, 1 hold, 2 release, 3 gap
    int64_t count = 0;  // completed cycles
  };

  LockCycleGen(std::shared_ptr<const Config> config, gen::Rng rng, std::vector<Thread> threads)
      : config_(std::move(config)), rng_(rng), threads_(std::move(threads)) {}

  gen::Step Next(const gen::Context& ctx) const override {
    const gen::ThreadId t = ctx.FirstFreeThread();
    if (t == gen::kNoThread) return gen::Step::Pending();
    if (t < 0) return gen::Step::Error(Status::InvalidArgument("lock cycle: clients only"));
    std::vector<Thread> threads = threads_;
    if (threads.size() <= static_cast<size_t>(t)) threads.resize(t + 1);
    Thread& th = threads[t];
    gen::Rng rng = rng_;
    gen::Step step;
    step.kind = gen::Step::Kind::kInvoke;
    switch (th.phase) {
      case 0:
        step.op = gen::MakeOp("acquire", nullptr, kLockName);
        break;
      case 1:
        if (config_->add) {
          const int64_t n = ctx.workers().client_count();
          step.op = gen::MakeOp("add", Json(th.count * n + t), kLockName);
        } else {
          step.kind = gen::Step::Kind::kSleep;
          step.op = gen::MakeOp(
              "sleep", Json(static_cast<int64_t>(rng.Below(config_->hold_max_ns + 1))));
        }
        break;
      case 2:
        step.op = gen::MakeOp("release", nullptr, kLockName);
        break;
      default:
        step.kind = gen::Step::Kind::kSleep;
        step.op =
            gen::MakeOp("sleep", Json(static_cast<int64_t>(rng.Below(config_->gap_max_ns + 1))));
        ++th.count;
        break;
    }
    th.phase = static_cast<uint8_t>((th.phase + 1) % 4);
    step.op.type = OpType::kInvoke;
    step.op.process = ctx.ProcessOf(t);
    step.op.time = ctx.time();
    step.next = std::make_shared<LockCycleGen>(config_, rng, std::move(threads));
    return step;
  }
  gen::GenPtr Update(const gen::Context&, const Op&) const override { return self(); }
  gen::GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<LockCycleGen>(config_, gen::Rng(seed), threads_);
  }

 private:
  std::shared_ptr<const Config> config_;
  gen::Rng rng_;
  std::vector<Thread> threads_;
};

gen::GenPtr LockCycle(std::chrono::milliseconds hold_max, bool add) {
  auto config = std::make_shared<LockCycleGen::Config>();
  config->hold_max_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(hold_max).count();
  config->gap_max_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(kGapMax).count();
  config->add = add;
  return std::make_shared<LockCycleGen>(config, gen::Rng(0), std::vector<LockCycleGen::Thread>{});
}

Result<std::unique_ptr<Client>> NewLockClient(Target& target, const std::string& workload) {
  LockClientFactory* factory = target.lock_clients();
  if (factory == nullptr) {
    return Status::Unsupported("target " + target.name() + " offers no lock clients; the " +
                               workload + " workload needs them");
  }
  return factory->NewLockClient();
}

class LockWorkload : public Workload {
 public:
  explicit LockWorkload(const WorkloadOptions& options) : options_(options) {}
  std::string name() const override { return "lock"; }

  gen::GenPtr Generator() override {
    return LockCycle(options_.hold_max.count() > 0 ? options_.hold_max : kLockHoldDefault, false);
  }

  // Every client releases what it may still hold, so the last holder's
  // release is in the history.
  gen::GenPtr FinalGenerator(std::function<std::vector<Json>()>) override {
    return gen::EachThread(gen::Once(gen::MakeOp("release", nullptr, kLockName)));
  }

  Result<std::unique_ptr<Client>> NewClient(Target& target) override {
    return NewLockClient(target, "lock");
  }

  std::vector<std::unique_ptr<Checker>> Checkers() override {
    std::vector<std::unique_ptr<Checker>> checkers;
    checkers.push_back(
        std::make_unique<LinearizabilityChecker>("mutex", Json(), options_.linearizability));
    checkers.push_back(std::make_unique<StatsChecker>());
    checkers.push_back(std::make_unique<PerfChecker>());
    return checkers;
  }

 private:
  WorkloadOptions options_;
};

// The value the lock protects: held by the controller, so that only the lock
// stands between two clients' read-modify-write.
struct SharedSet {
  std::mutex mu;
  std::vector<int64_t> elements;
};

// How long the holder of element e sleeps between its read and its write: a
// fixed function of e (so a run is reproducible), spread over [0, max].
std::chrono::milliseconds SleepFor(int64_t element, std::chrono::milliseconds max) {
  uint64_t z = static_cast<uint64_t>(element) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return std::chrono::milliseconds(z % static_cast<uint64_t>(max.count() + 1));
}

// A lock client plus the read-sleep-write of the shared set. It tracks whether
// its lock client said it holds the lock; an add without it fails (nothing
// is written), as does one on a client whose acquire was unknown.
class LockSetClient final : public Client {
 public:
  LockSetClient(std::unique_ptr<Client> lock, std::shared_ptr<SharedSet> shared,
                std::chrono::milliseconds sleep_max)
      : lock_(std::move(lock)), shared_(std::move(shared)), sleep_max_(sleep_max) {}

  Status Open(const NodeInfo& node) override {
    node_ = node.name;
    return lock_->Open(node);
  }

  Op Invoke(const Op& op) override {
    if (op.f == "acquire" || op.f == "release") {
      Op done = lock_->Invoke(op);
      if (op.f == "acquire") holding_ = done.type == OpType::kOk;
      if (op.f == "release" && (done.type == OpType::kOk || done.error == "not-held")) {
        holding_ = false;
      }
      return done;
    }
    if (op.f == "read") {
      std::lock_guard<std::mutex> g(shared_->mu);
      return CompleteOk(op, node_, Json(shared_->elements));
    }
    if (op.f == "add") {
      if (!op.value.is_number_integer()) {
        return CompleteFail(op, node_, "invalid: add needs an integer, got " + op.value.dump());
      }
      if (!holding_) return CompleteFail(op, node_, "not-held: the lock was not acquired");
      std::vector<int64_t> seen;
      {
        std::lock_guard<std::mutex> g(shared_->mu);
        seen = shared_->elements;
      }
      std::this_thread::sleep_for(SleepFor(op.value.get<int64_t>(), sleep_max_));
      seen.push_back(op.value.get<int64_t>());
      {
        std::lock_guard<std::mutex> g(shared_->mu);
        shared_->elements = std::move(seen);
      }
      return CompleteOk(op, node_, op.value);
    }
    return CompleteFail(op, node_,
                        "unsupported: f '" + op.f + "' is not one of acquire, release, add, read");
  }

  void Close() override {
    holding_ = false;
    lock_->Close();
  }

 private:
  std::unique_ptr<Client> lock_;
  std::shared_ptr<SharedSet> shared_;
  std::chrono::milliseconds sleep_max_;
  std::string node_;
  bool holding_ = false;
};

class LockSetWorkload : public Workload {
 public:
  explicit LockSetWorkload(const WorkloadOptions& options)
      : options_(options),
        hold_max_(options.hold_max.count() > 0 ? options.hold_max : kLockSetHoldDefault),
        shared_(std::make_shared<SharedSet>()) {}
  std::string name() const override { return "lock-set"; }

  gen::GenPtr Generator() override { return LockCycle(hold_max_, true); }

  gen::GenPtr FinalGenerator(std::function<std::vector<Json>()>) override {
    return gen::Seq({gen::EachThread(gen::Once(gen::MakeOp("release", nullptr, kLockName))),
                     gen::Once(gen::MakeOp("read", nullptr, kLockName))});
  }

  Result<std::unique_ptr<Client>> NewClient(Target& target) override {
    Result<std::unique_ptr<Client>> lock = NewLockClient(target, "lock-set");
    if (!lock.ok()) return lock.status();
    return std::unique_ptr<Client>(new LockSetClient(std::move(*lock), shared_, hold_max_));
  }

  std::vector<std::unique_ptr<Checker>> Checkers() override {
    std::vector<std::unique_ptr<Checker>> checkers;
    checkers.push_back(std::make_unique<SetChecker>());
    checkers.push_back(std::make_unique<HolderOverlapChecker>());
    checkers.push_back(std::make_unique<FilteredChecker>(
        std::set<std::string>{"acquire", "release"},
        std::make_unique<LinearizabilityChecker>("mutex", Json(), options_.linearizability)));
    checkers.push_back(std::make_unique<StatsChecker>());
    checkers.push_back(std::make_unique<PerfChecker>());
    return checkers;
  }

 private:
  WorkloadOptions options_;
  std::chrono::milliseconds hold_max_;
  std::shared_ptr<SharedSet> shared_;
};

}  // namespace

std::unique_ptr<Workload> MakeLockWorkload(const WorkloadOptions& options) {
  return std::make_unique<LockWorkload>(options);
}

std::unique_ptr<Workload> MakeLockSetWorkload(const WorkloadOptions& options) {
  return std::make_unique<LockSetWorkload>(options);
}

}  // namespace faultline
