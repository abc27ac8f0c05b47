#include "harness/generator/combinators.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <memory>
#include <utility>

namespace faultline::gen {
namespace {

using Kind = Step::Kind;

// Stream numbers for a combinator's own randomness, apart from its children's
// (which use their index).
constexpr uint64_t kOwnStream = std::numeric_limits<uint64_t>::max();

// Turns `op` into a step of `kind` for the first free thread of `ctx`, or
// pending when every thread of the view is busy. The caller sets `next`.
Step OnFreeThread(const Context& ctx, Op op, Kind kind) {
  const ThreadId thread = ctx.FirstFreeThread();
  if (thread == kNoThread) return Step::Pending();
  op.index = -1;
  op.type = OpType::kInvoke;
  op.process = ctx.ProcessOf(thread);
  op.time = ctx.time();
  Step step;
  step.kind = kind;
  step.op = std::move(op);
  return step;
}

// Whether `candidate` should replace `best` among the steps a combinator with
// several children could give: the op due soonest wins; ties go to the one
// found first.
bool Sooner(const Step& candidate, const Step& best) {
  if (!best.has_op()) return true;
  return candidate.op.time < best.op.time;
}

Status NullChild(std::string_view function, size_t index) {
  return Status::InvalidArgument(std::string(function) + ": generator #" + std::to_string(index) +
                                 " is null");
}

// Children checked for null; the first null one is reported.
std::optional<Status> CheckChildren(std::string_view function, const std::vector<GenPtr>& gens) {
  for (size_t i = 0; i < gens.size(); ++i) {
    if (!gens[i]) return NullChild(function, i);
  }
  return std::nullopt;
}

// ---- Leaves ------------------------------------------------------------------------

class EmptyGen final : public Generator {
 public:
  Step Next(const Context&) const override { return Step::Done(); }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t) const override { return self(); }
};

class InvalidGen final : public Generator {
 public:
  explicit InvalidGen(Status status) : status_(std::move(status)) {}
  Step Next(const Context&) const override { return Step::Error(status_); }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t) const override { return self(); }

 private:
  Status status_;
};

// A fixed list of op templates, in order; or one template forever.
class OpsGen final : public Generator {
 public:
  OpsGen(std::shared_ptr<const std::vector<Op>> ops, size_t index, bool forever)
      : ops_(std::move(ops)), index_(index), forever_(forever) {}

  Step Next(const Context& ctx) const override {
    if (index_ >= ops_->size()) return Step::Done();
    Step step = OnFreeThread(ctx, (*ops_)[index_], Kind::kInvoke);
    if (step.kind != Kind::kInvoke) return step;
    step.next = forever_ ? self() : std::make_shared<OpsGen>(ops_, index_ + 1, false);
    return step;
  }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t) const override { return self(); }

 private:
  std::shared_ptr<const std::vector<Op>> ops_;
  size_t index_;
  bool forever_;
};

class FnGen final : public Generator {
 public:
  FnGen(std::shared_ptr<const OpFn> fn, Rng rng, int64_t index)
      : fn_(std::move(fn)), rng_(rng), index_(index) {}

  Step Next(const Context& ctx) const override {
    if (ctx.FirstFreeThread() == kNoThread) return Step::Pending();
    Rng rng = rng_;
    std::optional<Op> op;
    try {
      op = (*fn_)(rng, index_);
    } catch (const std::exception& e) {
      return Step::Error(Status::Internal("FromFn: the op function threw for op #" +
                                          std::to_string(index_) + ": " + e.what()));
    }
    if (!op) return Step::Done();
    Step step = OnFreeThread(ctx, std::move(*op), Kind::kInvoke);
    step.next = std::make_shared<FnGen>(fn_, rng, index_ + 1);
    return step;
  }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<FnGen>(fn_, Rng(seed), index_);
  }

 private:
  std::shared_ptr<const OpFn> fn_;
  Rng rng_;
  int64_t index_;
};

class SleepGen final : public Generator {
 public:
  explicit SleepGen(int64_t dt) : dt_(dt) {}

  Step Next(const Context& ctx) const override {
    Step step = OnFreeThread(ctx, MakeOp("sleep", dt_), Kind::kSleep);
    if (step.kind == Kind::kSleep) step.next = Empty();
    return step;
  }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t) const override { return self(); }

 private:
  int64_t dt_;
};

class LogGen final : public Generator {
 public:
  explicit LogGen(std::string message) : message_(std::move(message)) {}

  Step Next(const Context& ctx) const override {
    Step step;
    step.kind = Kind::kLog;
    step.op = MakeOp("log", message_);
    step.op.time = ctx.time();
    step.next = Empty();
    return step;
  }
  GenPtr Update(const Context&, const Op&) const override { return self(); }
  GenPtr WithSeed(uint64_t) const override { return self(); }

 private:
  std::string message_;
};

// ---- Sequencing --------------------------------------------------------------------

class SeqGen final : public Generator {
 public:
  SeqGen(std::shared_ptr<const std::vector<GenPtr>> gens, size_t index, GenPtr current)
      : gens_(std::move(gens)), index_(index), current_(std::move(current)) {}

  Step Next(const Context& ctx) const override {
    size_t index = index_;
    GenPtr current = current_;
    while (true) {
      Step step = current->Next(ctx);
      if (step.kind == Kind::kDone) {
        if (++index >= gens_->size()) return step;
        current = (*gens_)[index];
        continue;
      }
      if (step.has_op()) step.next = std::make_shared<SeqGen>(gens_, index, std::move(step.next));
      return step;
    }
  }

  // Only the current element hears of events: the later ones have not started.
  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = current_->Update(ctx, event);
    if (updated == current_) return self();
    return std::make_shared<SeqGen>(gens_, index_, std::move(updated));
  }

  GenPtr WithSeed(uint64_t seed) const override {
    auto seeded = std::make_shared<std::vector<GenPtr>>();
    seeded->reserve(gens_->size());
    for (size_t i = 0; i < gens_->size(); ++i) {
      seeded->push_back((*gens_)[i]->WithSeed(DeriveSeed(seed, i)));
    }
    GenPtr current = current_->WithSeed(DeriveSeed(seed, index_));
    return std::make_shared<SeqGen>(std::move(seeded), index_, std::move(current));
  }

 private:
  std::shared_ptr<const std::vector<GenPtr>> gens_;
  size_t index_;
  GenPtr current_;
};

class RepeatGen final : public Generator {
 public:
  RepeatGen(GenPtr body, uint64_t seed, int64_t times, int64_t round, GenPtr current)
      : body_(std::move(body)),
        seed_(seed),
        times_(times),
        round_(round),
        current_(std::move(current)) {}

  Step Next(const Context& ctx) const override {
    int64_t round = round_;
    GenPtr current = current_;
    bool fresh = false;
    while (true) {
      Step step = current->Next(ctx);
      if (step.kind == Kind::kDone) {
        // A fresh round with nothing in it would make us loop forever.
        if (fresh) return step;
        if (times_ >= 0 && round + 1 >= times_) return step;
        ++round;
        current = body_->WithSeed(DeriveSeed(seed_, static_cast<uint64_t>(round)));
        fresh = true;
        continue;
      }
      if (step.has_op()) {
        step.next = std::make_shared<RepeatGen>(body_, seed_, times_, round, std::move(step.next));
      }
      return step;
    }
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = current_->Update(ctx, event);
    if (updated == current_) return self();
    return std::make_shared<RepeatGen>(body_, seed_, times_, round_, std::move(updated));
  }

  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<RepeatGen>(body_, seed, times_, round_,
                                       body_->WithSeed(DeriveSeed(seed, round_)));
  }

 private:
  GenPtr body_;  // unseeded; each round is body_->WithSeed(DeriveSeed(seed_, round))
  uint64_t seed_;
  int64_t times_;  // -1: forever
  int64_t round_;
  GenPtr current_;
};

class SynchronizeGen final : public Generator {
 public:
  explicit SynchronizeGen(GenPtr gen) : gen_(std::move(gen)) {}

  Step Next(const Context& ctx) const override {
    if (!ctx.AllFree()) return Step::Pending();
    // Once all threads were free together, the barrier is passed for good:
    // the next state is the child's, without this wrapper.
    return gen_->Next(ctx);
  }
  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = gen_->Update(ctx, event);
    if (updated == gen_) return self();
    return std::make_shared<SynchronizeGen>(std::move(updated));
  }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<SynchronizeGen>(gen_->WithSeed(seed));
  }

 private:
  GenPtr gen_;
};

// ---- Choice and concurrency ----------------------------------------------------------

class MixGen final : public Generator {
 public:
  MixGen(std::shared_ptr<const std::vector<GenPtr>> gens, size_t chosen, Rng rng)
      : gens_(std::move(gens)), chosen_(chosen), rng_(rng) {}

  static GenPtr Make(std::vector<GenPtr> gens, Rng rng) {
    const size_t chosen = rng.Below(gens.size());
    return std::make_shared<MixGen>(std::make_shared<const std::vector<GenPtr>>(std::move(gens)),
                                    chosen, rng);
  }

  Step Next(const Context& ctx) const override {
    std::shared_ptr<const std::vector<GenPtr>> gens = gens_;
    size_t chosen = chosen_;
    Rng rng = rng_;
    while (true) {
      if (gens->empty()) return Step::Done();
      Step step = (*gens)[chosen]->Next(ctx);
      if (step.kind == Kind::kDone) {
        auto remaining = std::make_shared<std::vector<GenPtr>>(*gens);
        remaining->erase(remaining->begin() + static_cast<std::ptrdiff_t>(chosen));
        gens = std::move(remaining);
        chosen = rng.Below(gens->size());
        continue;
      }
      if (step.has_op()) {
        auto updated = std::make_shared<std::vector<GenPtr>>(*gens);
        (*updated)[chosen] = std::move(step.next);
        const size_t next_choice = rng.Below(updated->size());
        step.next = std::make_shared<MixGen>(std::move(updated), next_choice, rng);
      }
      return step;
    }
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    std::shared_ptr<std::vector<GenPtr>> updated;
    for (size_t i = 0; i < gens_->size(); ++i) {
      GenPtr child = (*gens_)[i]->Update(ctx, event);
      if (child == (*gens_)[i]) continue;
      if (!updated) updated = std::make_shared<std::vector<GenPtr>>(*gens_);
      (*updated)[i] = std::move(child);
    }
    if (!updated) return self();
    return std::make_shared<MixGen>(std::move(updated), chosen_, rng_);
  }

  GenPtr WithSeed(uint64_t seed) const override {
    std::vector<GenPtr> seeded;
    seeded.reserve(gens_->size());
    for (size_t i = 0; i < gens_->size(); ++i) {
      seeded.push_back((*gens_)[i]->WithSeed(DeriveSeed(seed, i)));
    }
    return Make(std::move(seeded), Rng(DeriveSeed(seed, kOwnStream)));
  }

 private:
  std::shared_ptr<const std::vector<GenPtr>> gens_;
  size_t chosen_;  // drawn after each op, so asking twice asks the same child
  Rng rng_;
};

class AnyGen final : public Generator {
 public:
  explicit AnyGen(std::vector<GenPtr> gens) : gens_(std::move(gens)) {}

  Step Next(const Context& ctx) const override {
    Step best = Step::Done();
    size_t best_index = 0;
    int64_t wake = kNever;
    bool pending = false;
    for (size_t i = 0; i < gens_.size(); ++i) {
      Step step = gens_[i]->Next(ctx);
      switch (step.kind) {
        case Kind::kError:
          return step;
        case Kind::kDone:
          break;
        case Kind::kPending:
          pending = true;
          wake = std::min(wake, step.wake_time);
          break;
        default:
          if (Sooner(step, best)) {
            best = std::move(step);
            best_index = i;
          }
      }
    }
    if (best.has_op()) {
      std::vector<GenPtr> updated = gens_;
      updated[best_index] = std::move(best.next);
      best.next = std::make_shared<AnyGen>(std::move(updated));
      return best;
    }
    return pending ? Step::Pending(wake) : Step::Done();
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    std::optional<std::vector<GenPtr>> updated;
    for (size_t i = 0; i < gens_.size(); ++i) {
      GenPtr child = gens_[i]->Update(ctx, event);
      if (child == gens_[i]) continue;
      if (!updated) updated = gens_;
      (*updated)[i] = std::move(child);
    }
    if (!updated) return self();
    return std::make_shared<AnyGen>(std::move(*updated));
  }

  GenPtr WithSeed(uint64_t seed) const override {
    std::vector<GenPtr> seeded;
    seeded.reserve(gens_.size());
    for (size_t i = 0; i < gens_.size(); ++i) {
      seeded.push_back(gens_[i]->WithSeed(DeriveSeed(seed, i)));
    }
    return std::make_shared<AnyGen>(std::move(seeded));
  }

 private:
  std::vector<GenPtr> gens_;
};

class OnThreadsGen final : public Generator {
 public:
  OnThreadsGen(ThreadSet threads, GenPtr gen) : threads_(threads), gen_(std::move(gen)) {}

  Step Next(const Context& ctx) const override {
    Step step = gen_->Next(ctx.Restrict(threads_));
    if (step.has_op()) step.next = std::make_shared<OnThreadsGen>(threads_, std::move(step.next));
    return step;
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    const Context view = ctx.Restrict(threads_);
    if (!view.Contains(ctx.ThreadOf(event.process))) return self();
    GenPtr updated = gen_->Update(view, event);
    if (updated == gen_) return self();
    return std::make_shared<OnThreadsGen>(threads_, std::move(updated));
  }

  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<OnThreadsGen>(threads_, gen_->WithSeed(seed));
  }

 private:
  ThreadSet threads_;
  GenPtr gen_;
};

// Per-thread state is kept by slot: client thread t at t, the nemesis after
// the clients.
size_t SlotOf(const Context& ctx, ThreadId thread) {
  return thread == kNemesisThread ? static_cast<size_t>(ctx.workers().client_count())
                                  : static_cast<size_t>(thread);
}

class EachThreadGen final : public Generator {
 public:
  // `copies` may be null (no thread started yet); a null entry is a thread
  // whose copy has not started.
  EachThreadGen(GenPtr body, uint64_t seed, std::shared_ptr<const std::vector<GenPtr>> copies)
      : body_(std::move(body)), seed_(seed), copies_(std::move(copies)) {}

  Step Next(const Context& ctx) const override {
    Step best = Step::Done();
    ThreadId best_thread = kNoThread;
    bool waiting = false;
    int64_t wake = kNever;
    std::optional<Status> error;
    ctx.ForEachThread([&](ThreadId thread) {
      if (error) return;
      if (!ctx.workers().IsFree(thread)) {
        waiting = true;  // its copy may still have ops once this one completes
        return;
      }
      Step step = CopyFor(ctx, thread)->Next(ctx.Restrict(ThreadSet::Single(thread)));
      switch (step.kind) {
        case Kind::kError:
          error = step.error;
          return;
        case Kind::kDone:
          return;
        case Kind::kPending:
          waiting = true;
          wake = std::min(wake, step.wake_time);
          return;
        default:
          if (Sooner(step, best)) {
            best = std::move(step);
            best_thread = thread;
          }
      }
    });
    if (error) return Step::Error(*error);
    if (best.has_op()) {
      best.next = WithCopy(ctx, best_thread, std::move(best.next));
      return best;
    }
    return waiting ? Step::Pending(wake) : Step::Done();
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    const ThreadId thread = ctx.ThreadOf(event.process);
    if (!ctx.Contains(thread)) return self();
    GenPtr copy = CopyFor(ctx, thread);
    GenPtr updated = copy->Update(ctx.Restrict(ThreadSet::Single(thread)), event);
    if (updated == copy) return self();
    return WithCopy(ctx, thread, std::move(updated));
  }

  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<EachThreadGen>(body_, seed, nullptr);
  }

 private:
  GenPtr CopyFor(const Context& ctx, ThreadId thread) const {
    const size_t slot = SlotOf(ctx, thread);
    if (copies_ && slot < copies_->size() && (*copies_)[slot]) return (*copies_)[slot];
    return body_->WithSeed(DeriveSeed(seed_, slot));
  }

  GenPtr WithCopy(const Context& ctx, ThreadId thread, GenPtr copy) const {
    const size_t slot = SlotOf(ctx, thread);
    auto copies = copies_ ? std::make_shared<std::vector<GenPtr>>(*copies_)
                          : std::make_shared<std::vector<GenPtr>>();
    if (copies->size() <= slot)
      copies->resize(static_cast<size_t>(ctx.workers().client_count()) + 1);
    (*copies)[slot] = std::move(copy);
    return std::make_shared<EachThreadGen>(body_, seed_, std::move(copies));
  }

  GenPtr body_;  // unseeded; thread slot s runs body_->WithSeed(DeriveSeed(seed_, s))
  uint64_t seed_;
  std::shared_ptr<const std::vector<GenPtr>> copies_;
};

class IndependentGen final : public Generator {
 public:
  struct Group {
    int64_t key = -1;
    GenPtr gen;             // null: needs its next key
    bool finished = false;  // keys ran out
  };
  using Groups = std::vector<Group>;

  IndependentGen(IndependentOptions options, GenPtr body, uint64_t seed, int64_t next_key,
                 std::shared_ptr<const Groups> groups)
      : options_(options),
        body_(std::move(body)),
        seed_(seed),
        next_key_(next_key),
        groups_(std::move(groups)) {}

  Step Next(const Context& ctx) const override {
    const size_t group_count = GroupCount(ctx);
    if (group_count == 0) return Step::Done();
    int64_t next_key = next_key_;
    // Groups that moved to a new key while we looked. They are kept in the
    // next state, so that the same question asked again hands out the same keys.
    std::vector<std::pair<size_t, Group>> moved;
    Step best = Step::Done();
    size_t best_group = 0;
    int64_t best_key = -1;
    bool waiting = false;
    int64_t wake = kNever;
    for (size_t g = 0; g < group_count; ++g) {
      const Group* stored = groups_ && g < groups_->size() ? &(*groups_)[g] : nullptr;
      if (stored && stored->finished) continue;
      const Context view = ctx.Restrict(GroupThreads(ctx, g));
      if (view.FirstFreeThread() == kNoThread) {
        // All its threads are busy: it can only wait for their completions,
        // so it is not asked (this keeps many-group tests cheap).
        waiting = true;
        continue;
      }
      Group group = stored ? *stored : Group();
      bool changed = false;
      Step step = Step::Done();
      while (!group.finished) {
        if (!group.gen) {
          changed = true;
          if (options_.key_count >= 0 && next_key >= options_.key_count) {
            group.finished = true;
            break;
          }
          group.key = next_key++;
          group.gen = CopyForKey(group.key);
        }
        step = group.gen->Next(view);
        if (step.kind != Kind::kDone) break;
        group.gen = nullptr;
      }
      const bool finished = group.finished;
      const int64_t key = group.key;
      if (changed) moved.emplace_back(g, std::move(group));
      if (finished) continue;
      switch (step.kind) {
        case Kind::kError:
          return step;
        case Kind::kPending:
          waiting = true;
          wake = std::min(wake, step.wake_time);
          break;
        default:
          if (Sooner(step, best)) {
            best = std::move(step);
            best_group = g;
            best_key = key;
          }
      }
      // An op already due is as good as any later group's: stop asking, so
      // that a test with many groups costs one group's work per op.
      if (best.has_op() && best.op.time <= ctx.time()) break;
    }
    if (best.has_op()) {
      auto groups = groups_ ? std::make_shared<Groups>(*groups_) : std::make_shared<Groups>();
      groups->resize(group_count);
      for (auto& [g, group] : moved) (*groups)[g] = std::move(group);
      (*groups)[best_group].gen = std::move(best.next);
      if (best.kind == Kind::kInvoke) best.op.key = best_key;
      best.next =
          std::make_shared<IndependentGen>(options_, body_, seed_, next_key, std::move(groups));
      return best;
    }
    return waiting ? Step::Pending(wake) : Step::Done();
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    if (!groups_) return self();
    const ThreadId thread = ctx.ThreadOf(event.process);
    if (thread == kNemesisThread || !ctx.Contains(thread)) return self();
    const size_t g =
        static_cast<size_t>((thread - ctx.threads().client_begin) / options_.threads_per_key);
    if (g >= groups_->size()) return self();
    const Group& group = (*groups_)[g];
    // Completions of a key this group already left belong to no live copy.
    if (!group.gen || !event.key.is_number_integer() || event.key.get<int64_t>() != group.key) {
      return self();
    }
    GenPtr updated = group.gen->Update(ctx.Restrict(GroupThreads(ctx, g)), event);
    if (updated == group.gen) return self();
    auto groups = std::make_shared<Groups>(*groups_);
    (*groups)[g].gen = std::move(updated);
    return std::make_shared<IndependentGen>(options_, body_, seed_, next_key_, std::move(groups));
  }

  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<IndependentGen>(options_, body_, seed, 0, nullptr);
  }

 private:
  size_t GroupCount(const Context& ctx) const {
    const int clients = ctx.threads().client_count();
    return static_cast<size_t>((clients + options_.threads_per_key - 1) / options_.threads_per_key);
  }

  ThreadSet GroupThreads(const Context& ctx, size_t g) const {
    const int begin = ctx.threads().client_begin + static_cast<int>(g) * options_.threads_per_key;
    return ThreadSet::Clients(begin,
                              std::min(begin + options_.threads_per_key, ctx.threads().client_end));
  }

  GenPtr CopyForKey(int64_t key) const {
    GenPtr copy = body_->WithSeed(DeriveSeed(seed_, static_cast<uint64_t>(key)));
    return options_.ops_per_key > 0 ? Limit(options_.ops_per_key, std::move(copy)) : copy;
  }

  IndependentOptions options_;
  GenPtr body_;  // unseeded; key k runs body_->WithSeed(DeriveSeed(seed_, k))
  uint64_t seed_;
  int64_t next_key_;
  std::shared_ptr<const Groups> groups_;  // null until the first op
};

// ---- Limits and timing ---------------------------------------------------------------

class LimitGen final : public Generator {
 public:
  LimitGen(int64_t remaining, GenPtr gen) : remaining_(remaining), gen_(std::move(gen)) {}

  Step Next(const Context& ctx) const override {
    if (remaining_ <= 0) return Step::Done();
    Step step = gen_->Next(ctx);
    if (step.has_op()) {
      const int64_t remaining = remaining_ - (step.kind == Kind::kInvoke ? 1 : 0);
      step.next = std::make_shared<LimitGen>(remaining, std::move(step.next));
    }
    return step;
  }
  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = gen_->Update(ctx, event);
    if (updated == gen_) return self();
    return std::make_shared<LimitGen>(remaining_, std::move(updated));
  }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<LimitGen>(remaining_, gen_->WithSeed(seed));
  }

 private:
  int64_t remaining_;
  GenPtr gen_;
};

class TimeLimitGen final : public Generator {
 public:
  static constexpr int64_t kNoCutoff = std::numeric_limits<int64_t>::min();

  TimeLimitGen(int64_t limit, int64_t cutoff, GenPtr gen)
      : limit_(limit), cutoff_(cutoff), gen_(std::move(gen)) {}

  Step Next(const Context& ctx) const override {
    if (cutoff_ != kNoCutoff && ctx.time() >= cutoff_) return Step::Done();
    Step step = gen_->Next(ctx);
    if (step.kind == Kind::kPending) {
      // Wake at the cutoff at the latest, to say we are done.
      if (cutoff_ != kNoCutoff) step.wake_time = std::min(step.wake_time, cutoff_);
      return step;
    }
    if (!step.has_op()) return step;
    const int64_t cutoff = cutoff_ != kNoCutoff ? cutoff_ : step.op.time + limit_;
    if (step.op.time >= cutoff) return Step::Done();
    if (step.kind == Kind::kSleep) {
      step.op.value = std::min(step.op.value.get<int64_t>(), cutoff - step.op.time);
    }
    step.next = std::make_shared<TimeLimitGen>(limit_, cutoff, std::move(step.next));
    return step;
  }
  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = gen_->Update(ctx, event);
    if (updated == gen_) return self();
    return std::make_shared<TimeLimitGen>(limit_, cutoff_, std::move(updated));
  }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<TimeLimitGen>(limit_, cutoff_, gen_->WithSeed(seed));
  }

 private:
  int64_t limit_;
  int64_t cutoff_;  // first step's time + limit_, once there was a first step
  GenPtr gen_;
};

// Delay (fixed gaps) and Stagger (gaps uniform in [0, 2 dt)).
class SpacingGen final : public Generator {
 public:
  static constexpr int64_t kNoneYet = std::numeric_limits<int64_t>::min();

  SpacingGen(int64_t gap, bool random, int64_t next_time, Rng rng, GenPtr gen)
      : gap_(gap), random_(random), next_time_(next_time), rng_(rng), gen_(std::move(gen)) {}

  Step Next(const Context& ctx) const override {
    Step step = gen_->Next(ctx);
    if (!step.has_op()) return step;
    if (step.kind != Kind::kInvoke) {
      step.next =
          std::make_shared<SpacingGen>(gap_, random_, next_time_, rng_, std::move(step.next));
      return step;
    }
    step.op.time = std::max(step.op.time, next_time_);
    Rng rng = rng_;
    const int64_t gap =
        random_ ? static_cast<int64_t>(rng.Below(2 * static_cast<uint64_t>(gap_))) : gap_;
    step.next =
        std::make_shared<SpacingGen>(gap_, random_, step.op.time + gap, rng, std::move(step.next));
    return step;
  }
  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = gen_->Update(ctx, event);
    if (updated == gen_) return self();
    return std::make_shared<SpacingGen>(gap_, random_, next_time_, rng_, std::move(updated));
  }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<SpacingGen>(gap_, random_, next_time_,
                                        Rng(DeriveSeed(seed, kOwnStream)),
                                        gen_->WithSeed(DeriveSeed(seed, 0)));
  }

 private:
  int64_t gap_;  // Delay: the gap; Stagger: the mean gap
  bool random_;
  int64_t next_time_;  // the next invocation is due no earlier than this
  Rng rng_;
  GenPtr gen_;
};

// ---- Reacting to outcomes --------------------------------------------------------------

class UntilOkGen final : public Generator {
 public:
  UntilOkGen(GenPtr gen, std::vector<int64_t> running, bool succeeded)
      : gen_(std::move(gen)), running_(std::move(running)), succeeded_(succeeded) {}

  Step Next(const Context& ctx) const override {
    if (succeeded_) return Step::Done();
    Step step = gen_->Next(ctx);
    if (!step.has_op()) return step;
    std::vector<int64_t> running = running_;
    if (step.kind == Kind::kInvoke) running.push_back(step.op.process);
    step.next = std::make_shared<UntilOkGen>(std::move(step.next), std::move(running), false);
    return step;
  }

  GenPtr Update(const Context& ctx, const Op& event) const override {
    if (succeeded_) return self();
    GenPtr updated = gen_->Update(ctx, event);
    auto mine = std::find(running_.begin(), running_.end(), event.process);
    if (event.is_invoke() || mine == running_.end()) {
      if (updated == gen_) return self();
      return std::make_shared<UntilOkGen>(std::move(updated), running_, false);
    }
    std::vector<int64_t> running = running_;
    running.erase(running.begin() + (mine - running_.begin()));
    return std::make_shared<UntilOkGen>(std::move(updated), std::move(running),
                                        event.type == OpType::kOk);
  }

  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<UntilOkGen>(gen_->WithSeed(seed), running_, succeeded_);
  }

 private:
  GenPtr gen_;
  std::vector<int64_t> running_;  // processes running one of our invocations
  bool succeeded_;
};

class MapGen final : public Generator {
 public:
  using Fn = std::function<void(Op&)>;
  MapGen(std::shared_ptr<const Fn> fn, GenPtr gen) : fn_(std::move(fn)), gen_(std::move(gen)) {}

  Step Next(const Context& ctx) const override {
    Step step = gen_->Next(ctx);
    if (!step.has_op()) return step;
    if (step.kind == Kind::kInvoke) {
      try {
        (*fn_)(step.op);
      } catch (const std::exception& e) {
        return Step::Error(Status::Internal("Map: the function threw for op " +
                                            DescribeOp(step.op) + ": " + e.what()));
      }
    }
    step.next = std::make_shared<MapGen>(fn_, std::move(step.next));
    return step;
  }
  GenPtr Update(const Context& ctx, const Op& event) const override {
    GenPtr updated = gen_->Update(ctx, event);
    if (updated == gen_) return self();
    return std::make_shared<MapGen>(fn_, std::move(updated));
  }
  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<MapGen>(fn_, gen_->WithSeed(seed));
  }

 private:
  std::shared_ptr<const Fn> fn_;
  GenPtr gen_;
};

GenPtr NegativeDuration(std::string_view function, Duration dt) {
  return Invalid(Status::InvalidArgument(std::string(function) +
                                         ": duration must be >= 0 ns, got " +
                                         std::to_string(dt.count()) + " ns"));
}

}  // namespace

Op MakeOp(std::string_view f, Json value, Json key) {
  Op op;
  op.f = std::string(f);
  op.value = std::move(value);
  op.key = std::move(key);
  return op;
}

GenPtr Empty() {
  static const GenPtr empty = std::make_shared<EmptyGen>();
  return empty;
}

GenPtr Invalid(Status status) { return std::make_shared<InvalidGen>(std::move(status)); }

GenPtr Once(Op op) { return Ops({std::move(op)}); }

GenPtr Repeat(Op op) {
  return std::make_shared<OpsGen>(std::make_shared<const std::vector<Op>>(1, std::move(op)), 0,
                                  true);
}

GenPtr Ops(std::vector<Op> ops) {
  return std::make_shared<OpsGen>(std::make_shared<const std::vector<Op>>(std::move(ops)), 0,
                                  false);
}

GenPtr FromFn(OpFn fn) {
  if (!fn) return Invalid(Status::InvalidArgument("FromFn: the op function is empty"));
  return std::make_shared<FnGen>(std::make_shared<const OpFn>(std::move(fn)), Rng(), 0);
}

GenPtr Sleep(Duration dt) {
  if (dt.count() < 0) return NegativeDuration("Sleep", dt);
  return std::make_shared<SleepGen>(dt.count());
}

GenPtr Log(std::string message) { return std::make_shared<LogGen>(std::move(message)); }

GenPtr Seq(std::vector<GenPtr> gens) {
  if (auto error = CheckChildren("Seq", gens)) return Invalid(*error);
  if (gens.empty()) return Empty();
  GenPtr first = gens.front();
  return std::make_shared<SeqGen>(std::make_shared<const std::vector<GenPtr>>(std::move(gens)), 0,
                                  std::move(first));
}

GenPtr Repeat(GenPtr gen) {
  if (!gen) return Invalid(NullChild("Repeat", 0));
  GenPtr first = gen->WithSeed(DeriveSeed(0, 0));
  return std::make_shared<RepeatGen>(std::move(gen), 0, -1, 0, std::move(first));
}

GenPtr Repeat(int64_t times, GenPtr gen) {
  if (!gen) return Invalid(NullChild("Repeat", 0));
  if (times < 0) {
    return Invalid(
        Status::InvalidArgument("Repeat: times must be >= 0, got " + std::to_string(times)));
  }
  if (times == 0) return Empty();
  GenPtr first = gen->WithSeed(DeriveSeed(0, 0));
  return std::make_shared<RepeatGen>(std::move(gen), 0, times, 0, std::move(first));
}

GenPtr Synchronize(GenPtr gen) {
  if (!gen) return Invalid(NullChild("Synchronize", 0));
  return std::make_shared<SynchronizeGen>(std::move(gen));
}

GenPtr Phases(std::vector<GenPtr> gens) {
  if (auto error = CheckChildren("Phases", gens)) return Invalid(*error);
  for (GenPtr& gen : gens) gen = Synchronize(std::move(gen));
  return Seq(std::move(gens));
}

GenPtr Then(GenPtr first, GenPtr second) {
  if (!first) return Invalid(NullChild("Then", 0));
  if (!second) return Invalid(NullChild("Then", 1));
  return Seq({std::move(first), Synchronize(std::move(second))});
}

GenPtr Mix(std::vector<GenPtr> gens) {
  if (auto error = CheckChildren("Mix", gens)) return Invalid(*error);
  if (gens.empty()) return Empty();
  return MixGen::Make(std::move(gens), Rng(DeriveSeed(0, kOwnStream)));
}

GenPtr Any(std::vector<GenPtr> gens) {
  if (auto error = CheckChildren("Any", gens)) return Invalid(*error);
  if (gens.empty()) return Empty();
  if (gens.size() == 1) return gens.front();
  return std::make_shared<AnyGen>(std::move(gens));
}

GenPtr OnThreads(ThreadSet threads, GenPtr gen) {
  if (!gen) return Invalid(NullChild("OnThreads", 0));
  return std::make_shared<OnThreadsGen>(threads, std::move(gen));
}

GenPtr Clients(GenPtr gen) {
  return OnThreads(ThreadSet::Clients(0, std::numeric_limits<int>::max()), std::move(gen));
}

GenPtr Nemesis(GenPtr gen) { return OnThreads(ThreadSet::NemesisOnly(), std::move(gen)); }

GenPtr ClientsAndNemesis(GenPtr clients, GenPtr nemesis) {
  return Any({Clients(std::move(clients)), Nemesis(std::move(nemesis))});
}

GenPtr EachThread(GenPtr gen) {
  if (!gen) return Invalid(NullChild("EachThread", 0));
  return std::make_shared<EachThreadGen>(std::move(gen), 0, nullptr);
}

GenPtr Independent(IndependentOptions options, GenPtr per_key) {
  if (!per_key) return Invalid(NullChild("Independent", 0));
  if (options.threads_per_key <= 0) {
    return Invalid(Status::InvalidArgument("Independent: threads_per_key must be >= 1, got " +
                                           std::to_string(options.threads_per_key)));
  }
  if (options.ops_per_key < 0) {
    return Invalid(Status::InvalidArgument("Independent: ops_per_key must be >= 0, got " +
                                           std::to_string(options.ops_per_key)));
  }
  if (options.key_count < -1) {
    return Invalid(
        Status::InvalidArgument("Independent: key_count must be >= 0, or -1 for unbounded, got " +
                                std::to_string(options.key_count)));
  }
  return std::make_shared<IndependentGen>(options, std::move(per_key), 0, 0, nullptr);
}

GenPtr Limit(int64_t n, GenPtr gen) {
  if (!gen) return Invalid(NullChild("Limit", 0));
  if (n < 0) {
    return Invalid(Status::InvalidArgument("Limit: n must be >= 0, got " + std::to_string(n)));
  }
  return std::make_shared<LimitGen>(n, std::move(gen));
}

GenPtr TimeLimit(Duration dt, GenPtr gen) {
  if (!gen) return Invalid(NullChild("TimeLimit", 0));
  if (dt.count() < 0) return NegativeDuration("TimeLimit", dt);
  return std::make_shared<TimeLimitGen>(dt.count(), TimeLimitGen::kNoCutoff, std::move(gen));
}

GenPtr Delay(Duration dt, GenPtr gen) {
  if (!gen) return Invalid(NullChild("Delay", 0));
  if (dt.count() < 0) return NegativeDuration("Delay", dt);
  return std::make_shared<SpacingGen>(dt.count(), false, SpacingGen::kNoneYet, Rng(),
                                      std::move(gen));
}

GenPtr Rate(double ops_per_second, GenPtr gen) {
  if (!(ops_per_second > 0) || ops_per_second > 1e9) {
    return Invalid(Status::InvalidArgument("Rate: ops_per_second must be in (0, 1e9], got " +
                                           std::to_string(ops_per_second)));
  }
  return Delay(Duration(static_cast<int64_t>(1e9 / ops_per_second)), std::move(gen));
}

GenPtr Stagger(Duration dt, GenPtr gen) {
  if (!gen) return Invalid(NullChild("Stagger", 0));
  if (dt.count() < 0) return NegativeDuration("Stagger", dt);
  if (dt.count() == 0) return gen;
  return std::make_shared<SpacingGen>(dt.count(), true, SpacingGen::kNoneYet,
                                      Rng(DeriveSeed(0, kOwnStream)), std::move(gen));
}

GenPtr UntilOk(GenPtr gen) {
  if (!gen) return Invalid(NullChild("UntilOk", 0));
  return std::make_shared<UntilOkGen>(std::move(gen), std::vector<int64_t>(), false);
}

GenPtr Map(std::function<void(Op&)> fn, GenPtr gen) {
  if (!gen) return Invalid(NullChild("Map", 0));
  if (!fn) return Invalid(Status::InvalidArgument("Map: the function is empty"));
  return std::make_shared<MapGen>(std::make_shared<const MapGen::Fn>(std::move(fn)),
                                  std::move(gen));
}

GenPtr StartStopCycle(Duration interval, Op start, Op stop) {
  if (interval.count() < 0) return NegativeDuration("StartStopCycle", interval);
  return Repeat(
      Seq({Sleep(interval), Once(std::move(start)), Sleep(interval), Once(std::move(stop))}));
}

}  // namespace faultline::gen
