#include "nemesis/schedule.h"

#include <algorithm>
#include <memory>

#include "harness/generator/rng.h"
#include "nemesis/clock_nemesis.h"
#include "nemesis/grudge.h"
#include "nemesis/nemesis_factory.h"
#include "nemesis/packet_loss_nemesis.h"
#include "nemesis/partition_nemesis.h"
#include "nemesis/process_nemesis.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

using gen::GenPtr;

// Why a stream of its own: the chosen child is seeded from stream 0 of the
// same seed, and the two draws must not be correlated.
constexpr uint64_t kChoiceStream = 0x6f6e656f66;  // "oneof"

class OneOfGen final : public gen::Generator {
 public:
  OneOfGen(std::shared_ptr<const std::vector<GenPtr>> choices, uint64_t seed)
      : choices_(std::move(choices)), chosen_(Choose(*choices_, seed)) {}

  gen::Step Next(const gen::Context& ctx) const override { return chosen_->Next(ctx); }

  // Once a choice is made the wrapper has nothing left to do: later states
  // are the chosen child's own.
  GenPtr Update(const gen::Context& ctx, const Op& event) const override {
    GenPtr updated = chosen_->Update(ctx, event);
    return updated == chosen_ ? self() : updated;
  }

  GenPtr WithSeed(uint64_t seed) const override {
    return std::make_shared<OneOfGen>(choices_, seed);
  }

 private:
  static GenPtr Choose(const std::vector<GenPtr>& choices, uint64_t seed) {
    gen::Rng rng(gen::DeriveSeed(seed, kChoiceStream));
    return choices[static_cast<size_t>(rng.Below(choices.size()))]->WithSeed(
        gen::DeriveSeed(seed, 0));
  }

  std::shared_ptr<const std::vector<GenPtr>> choices_;
  GenPtr chosen_;
};

// Ok when every kind is known.
Status CheckKinds(const std::string& who, const std::vector<std::string>& kinds) {
  const std::vector<std::string> known = NemesisKinds();
  for (const std::string& kind : kinds) {
    if (std::find(known.begin(), known.end(), kind) == known.end()) {
      return Status::InvalidArgument(who + ": unknown nemesis \"" + kind + "\"; expected " +
                                     nemesis_internal::Join(known));
    }
  }
  return Status::Ok();
}

bool Has(const std::vector<std::string>& kinds, const std::string& kind) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace

GenPtr OneOf(std::vector<GenPtr> choices) {
  if (choices.empty()) return gen::Invalid(Status::InvalidArgument("OneOf: no choices"));
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == nullptr) {
      return gen::Invalid(
          Status::InvalidArgument("OneOf: choice #" + std::to_string(i) + " is null"));
    }
  }
  return std::make_shared<OneOfGen>(std::make_shared<const std::vector<GenPtr>>(std::move(choices)),
                                    0);
}

GenPtr NemesisGenerator(const std::vector<std::string>& kinds, gen::Duration interval,
                        const NemesisScheduleOptions& options) {
  const std::string who = "NemesisGenerator";
  if (Status st = CheckKinds(who, kinds); !st.ok()) return gen::Invalid(st);
  if (interval.count() <= 0) {
    return gen::Invalid(Status::InvalidArgument(who + ": the interval must be positive, got " +
                                                std::to_string(interval.count()) + " ns"));
  }
  if (kinds.empty()) return gen::Empty();

  auto round = [&](GenPtr fault, Op recovery) {
    return gen::Seq({gen::Sleep(interval), std::move(fault), gen::Sleep(interval),
                     gen::Once(std::move(recovery))});
  };
  std::vector<GenPtr> rounds;
  // The kinds in the canonical order, so that the draw does not depend on
  // the order the user listed them in.
  for (const std::string& kind : NemesisKinds()) {
    if (!Has(kinds, kind)) continue;
    if (kind == "partition") {
      if (options.partition_shapes.empty()) {
        return gen::Invalid(Status::InvalidArgument(who + ": no partition shapes to choose from"));
      }
      const std::vector<std::string> known = AllPartitionShapes();
      std::vector<GenPtr> shapes;
      for (const std::string& shape : options.partition_shapes) {
        if (std::find(known.begin(), known.end(), shape) == known.end()) {
          return gen::Invalid(Status::InvalidArgument(who + ": unknown partition shape \"" + shape +
                                                      "\"; expected " +
                                                      nemesis_internal::Join(known)));
        }
        shapes.push_back(gen::Once(gen::MakeOp(kStartPartition, shape)));
      }
      rounds.push_back(round(OneOf(std::move(shapes)), gen::MakeOp(kStopPartition)));
    } else if (kind == "kill") {
      rounds.push_back(
          round(gen::Once(gen::MakeOp(kKill, options.kill_targets)), gen::MakeOp(kStart)));
    } else if (kind == "pause") {
      rounds.push_back(
          round(gen::Once(gen::MakeOp(kPause, options.pause_targets)), gen::MakeOp(kResume)));
    } else if (kind == "clock") {
      rounds.push_back(round(OneOf({gen::Once(gen::MakeOp(kBump)), gen::Once(gen::MakeOp(kStrobe))}),
                             gen::MakeOp(kReset)));
    } else if (kind == "packet-loss") {
      rounds.push_back(round(gen::Once(gen::MakeOp(kStartPacketLoss)), gen::MakeOp(kStopPacketLoss)));
    }
  }
  return gen::Nemesis(gen::Repeat(OneOf(std::move(rounds))));
}

GenPtr FinalHealGenerator(const std::vector<std::string>& kinds) {
  if (Status st = CheckKinds("FinalHealGenerator", kinds); !st.ok()) return gen::Invalid(st);
  std::vector<Op> ops;
  if (Has(kinds, "partition")) ops.push_back(gen::MakeOp(kStopPartition));
  if (Has(kinds, "packet-loss")) ops.push_back(gen::MakeOp(kStopPacketLoss));
  if (Has(kinds, "pause")) ops.push_back(gen::MakeOp(kResume));
  if (Has(kinds, "kill")) ops.push_back(gen::MakeOp(kStart));
  if (Has(kinds, "clock")) ops.push_back(gen::MakeOp(kReset));
  if (ops.empty()) return gen::Empty();
  return gen::Nemesis(gen::Ops(std::move(ops)));
}

}  // namespace faultline
