#include "nemesis/composite_nemesis.h"

#include <map>
#include <string>

#include "nemesis/util.h"

namespace faultline {
namespace {

using nemesis_internal::Join;
using nemesis_internal::Outcomes;
using nemesis_internal::Summarize;

class CompositeNemesis final : public Nemesis {
 public:
  CompositeNemesis(std::vector<std::unique_ptr<Nemesis>> children,
                   std::map<std::string, Nemesis*> by_f)
      : children_(std::move(children)), by_f_(std::move(by_f)) {}

  std::string name() const override {
    std::string out;
    for (const auto& child : children_) out += (out.empty() ? "" : "+") + child->name();
    return out.empty() ? "none" : out;
  }

  std::vector<std::string> fs() const override {
    std::vector<std::string> out;
    for (const auto& child : children_) {
      for (const std::string& f : child->fs()) out.push_back(f);
    }
    return out;
  }

  Status Setup(const NemesisContext& ctx) override {
    for (const auto& child : children_) {
      Status st = child->Setup(ctx);
      if (!st.ok()) {
        return StatusWithCode(st.code(), "nemesis " + child->name() + " setup: " + st.message());
      }
    }
    return Status::Ok();
  }

  Op Invoke(const NemesisContext& ctx, const Op& op) override {
    auto it = by_f_.find(op.f);
    if (it == by_f_.end()) {
      return CompleteNemesisOp(op, OpType::kFail, nullptr,
                               "unsupported: no nemesis handles \"" + op.f + "\" (enabled: " +
                                   (fs().empty() ? std::string("none") : Join(fs())) + ")");
    }
    return it->second->Invoke(ctx, op);
  }

  Status Heal(const NemesisContext& ctx) override {
    Outcomes outcomes;
    for (const auto& child : children_) outcomes.emplace_back(child->name(), child->Heal(ctx));
    return Summarize("heal", outcomes);
  }

  Status Teardown(const NemesisContext& ctx) override {
    Outcomes outcomes;
    for (const auto& child : children_) outcomes.emplace_back(child->name(), child->Teardown(ctx));
    return Summarize("nemesis teardown", outcomes);
  }

 private:
  const std::vector<std::unique_ptr<Nemesis>> children_;
  const std::map<std::string, Nemesis*> by_f_;
};

}  // namespace

Result<std::unique_ptr<Nemesis>> MakeCompositeNemesis(
    std::vector<std::unique_ptr<Nemesis>> children) {
  std::map<std::string, Nemesis*> by_f;
  for (size_t i = 0; i < children.size(); ++i) {
    if (children[i] == nullptr) {
      return Status::InvalidArgument("composite nemesis: child #" + std::to_string(i) + " is null");
    }
    for (const std::string& f : children[i]->fs()) {
      auto [it, fresh] = by_f.emplace(f, children[i].get());
      if (!fresh) {
        return Status::InvalidArgument("composite nemesis: nemeses " + it->second->name() +
                                       " and " + children[i]->name() + " both handle \"" + f +
                                       "\"");
      }
    }
  }
  return std::unique_ptr<Nemesis>(
      std::make_unique<CompositeNemesis>(std::move(children), std::move(by_f)));
}

}  // namespace faultline
