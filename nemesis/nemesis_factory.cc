#include "nemesis/nemesis_factory.h"

#include <algorithm>
#include <set>

#include "nemesis/clock_nemesis.h"
#include "nemesis/composite_nemesis.h"
#include "nemesis/packet_loss_nemesis.h"
#include "nemesis/partition_nemesis.h"
#include "nemesis/process_nemesis.h"
#include "nemesis/util.h"

namespace faultline {
namespace {

Status Unknown(const std::string& name) {
  return Status::InvalidArgument("unknown nemesis \"" + name +
                                 "\"; expected a comma-separated list of " +
                                 nemesis_internal::Join(NemesisKinds()) + " (or none)");
}

std::string Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::vector<std::string> NemesisKinds() { return {"partition", "kill", "pause", "clock", "packet-loss"}; }

Result<std::vector<std::string>> ParseNemesisList(std::string_view text) {
  const std::string whole = Trim(text);
  if (whole.empty() || whole == "none") return std::vector<std::string>{};
  const std::vector<std::string> kinds = NemesisKinds();
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = whole.find(',', start);
    const std::string name = Trim(std::string_view(whole).substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (name.empty()) {
      return Status::InvalidArgument("nemesis list \"" + whole +
                                     "\" has an empty entry; expected names separated by commas");
    }
    if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) return Unknown(name);
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<std::unique_ptr<Nemesis>> MakeNemesis(const std::vector<std::string>& names,
                                             Target& target) {
  return MakeNemesis(names, target, NemesisOptions{});
}

Result<std::unique_ptr<Nemesis>> MakeNemesis(const std::vector<std::string>& names,
                                             Target& target, const NemesisOptions& options) {
  const std::vector<std::string> kinds = NemesisKinds();
  std::set<std::string> wanted;
  for (const std::string& name : names) {
    if (std::find(kinds.begin(), kinds.end(), name) == kinds.end()) return Unknown(name);
    wanted.insert(name);
  }
  std::vector<std::unique_ptr<Nemesis>> children;
  if (wanted.count("partition")) children.push_back(MakePartitionNemesis());
  if (wanted.count("packet-loss")) children.push_back(MakePacketLossNemesis());
  for (const auto& [name, make] :
       {std::pair{"pause", &MakePauseNemesis}, std::pair{"kill", &MakeKillNemesis}}) {
    if (!wanted.count(name)) continue;
    Result<std::unique_ptr<Nemesis>> child = make(target);
    if (!child.ok()) return child.status();
    children.push_back(std::move(*child));
  }
  if (wanted.count("clock")) {
    Result<ClockPlan> plan = ChooseClockMechanism(target, options.hosts);
    if (!plan.ok()) return plan.status();
    Result<std::unique_ptr<Nemesis>> clock = MakeClockNemesis(target, *plan);
    if (!clock.ok()) return clock.status();
    children.push_back(std::move(*clock));
  }
  return MakeCompositeNemesis(std::move(children));
}

}  // namespace faultline
