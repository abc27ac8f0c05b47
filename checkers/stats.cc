#include "checkers/stats.h"

#include <map>

#include "checkers/perf.h"

namespace faultline {
namespace {

struct Counts {
  int64_t count = 0, ok = 0, fail = 0, info = 0, unfinished = 0;

  void Add(const std::optional<OpType>& outcome) {
    ++count;
    if (!outcome) {
      ++unfinished;
    } else if (*outcome == OpType::kOk) {
      ++ok;
    } else if (*outcome == OpType::kFail) {
      ++fail;
    } else {
      ++info;
    }
  }

  Json ToJson() const {
    return {
        {"count", count}, {"ok", ok}, {"fail", fail}, {"info", info}, {"unfinished", unfinished}};
  }
};

}  // namespace

CheckResult StatsChecker::Check(const History& history) {
  CheckResult result;
  Result<std::vector<OpPair>> pairs = PairOps(history);
  if (!pairs.ok()) {
    result.valid = Validity::kUnknown;
    result.details = {{"valid", ValidityToJson(result.valid)},
                      {"reason", "cannot pair operations: " + pairs.status().message()}};
    return result;
  }

  Counts total;
  std::map<std::string, Counts> by_f;
  for (const OpPair& pair : *pairs) {
    const Op& invoke = history.ops[pair.invoke];
    std::optional<OpType> outcome;
    if (pair.completion) outcome = history.ops[*pair.completion].type;
    by_f[invoke.f].Add(outcome);
    total.Add(outcome);
  }
  std::map<std::string, Counts> nemesis;
  for (const NemesisAction& action : PairNemesisOps(history)) {
    std::optional<OpType> outcome;
    if (action.completion) outcome = history.ops[*action.completion].type;
    nemesis[action.f].Add(outcome);
  }

  Validity verdict = Validity::kValid;
  Json details = Json::object();
  Json by_f_json = Json::object();
  std::vector<std::string> never_ok;
  for (const auto& [f, counts] : by_f) {
    Json j = counts.ToJson();
    j["valid"] = counts.ok > 0;
    by_f_json[f] = std::move(j);
    if (counts.ok == 0) never_ok.push_back(f);
  }
  if (total.count == 0) {
    verdict = Validity::kUnknown;
    details["reason"] = "the history has no client operations";
  } else if (!never_ok.empty()) {
    std::string list;
    for (const std::string& f : never_ok) list += (list.empty() ? "" : ", ") + f;
    details["reason"] = "never succeeded: " + list;
    if (options_.require_ok_per_f) verdict = Validity::kInvalid;
  }
  details["valid"] = ValidityToJson(verdict);
  details["count"] = total.count;
  details["ok_count"] = total.ok;
  details["fail_count"] = total.fail;
  details["info_count"] = total.info;
  details["unfinished_count"] = total.unfinished;
  details["by_f"] = std::move(by_f_json);
  Json nemesis_json = Json::object();
  for (const auto& [f, counts] : nemesis) nemesis_json[f] = counts.ToJson();
  details["nemesis"] = std::move(nemesis_json);
  result.valid = verdict;
  result.details = std::move(details);
  return result;
}

}  // namespace faultline
