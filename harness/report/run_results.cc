#include "harness/report/run_results.h"

#include "harness/report/text_util.h"

namespace faultline {
namespace {

using report::Field;
using report::ShortJson;

bool IsVerdict(const Json& v) { return v.is_boolean() || v == "unknown"; }

Validity VerdictOf(const Json& v) {
  if (v == true) return Validity::kValid;
  if (v == false) return Validity::kInvalid;
  return Validity::kUnknown;
}

const char* const kKnown[] = {"valid",       "checkers",       "phases",  "errors",
                              "interrupted", "interrupted_at", "warnings"};

}  // namespace

Json RunResults::ToJson() const {
  Json j = extra.is_object() ? extra : Json::object();
  j["valid"] = ValidityToJson(valid);
  j["checkers"] = checkers;
  Json ps = Json::array();
  for (const PhaseRecord& p : phases) {
    Json pj = {{"name", p.name}, {"start_ns", p.start_ns}, {"end_ns", p.end_ns},
               {"status", p.status}};
    if (!p.error.empty()) pj["error"] = p.error;
    ps.push_back(std::move(pj));
  }
  j["phases"] = std::move(ps);
  if (!errors.empty()) j["errors"] = errors;
  if (interrupted) j["interrupted"] = true;
  if (!interrupted_at.empty()) j["interrupted_at"] = interrupted_at;
  if (!warnings.empty()) j["warnings"] = warnings;
  return j;
}

Result<RunResults> RunResults::FromJson(const Json& results, const std::string& source) {
  auto bad = [&](const std::string& field, const std::string& expected) {
    return Status::InvalidArgument(source + ": " + field + ": expected " + expected);
  };
  if (!results.is_object()) return bad("top level", "a JSON object");
  RunResults r;
  const Json* valid = Field(results, "valid");
  if (!valid) return bad("\"valid\"", "true, false or \"unknown\" (it is missing)");
  if (!IsVerdict(*valid))
    return bad("\"valid\" is " + ShortJson(*valid, 40), "true, false or \"unknown\"");
  r.valid = VerdictOf(*valid);
  if (const Json* checkers = Field(results, "checkers")) {
    if (!checkers->is_object()) return bad("\"checkers\"", "an object {name: result}");
    for (const auto& [name, result] : checkers->items()) {
      const std::string where = "checkers." + name;
      if (!result.is_object()) return bad(where, "an object with \"valid\"");
      const Json* v = Field(result, "valid");
      if (!v || !IsVerdict(*v)) return bad(where + ".valid", "true, false or \"unknown\"");
    }
    r.checkers = *checkers;
  }
  if (const Json* phases = Field(results, "phases")) {
    if (!phases->is_array())
      return bad("\"phases\"", "an array of {name, start_ns, end_ns, status}");
    for (size_t i = 0; i < phases->size(); ++i) {
      const Json& p = (*phases)[i];
      const std::string where = "phases[" + std::to_string(i) + "]";
      if (!p.is_object() || !Field(p, "name") || !(*Field(p, "name")).is_string()) {
        return bad(where, "an object with a string \"name\"");
      }
      PhaseRecord rec;
      rec.name = p["name"].get<std::string>();
      rec.start_ns = report::IntField(p, "start_ns");
      rec.end_ns = report::IntField(p, "end_ns");
      rec.status = report::StringField(p, "status", "ok");
      rec.error = report::StringField(p, "error");
      r.phases.push_back(std::move(rec));
    }
  }
  for (const char* key : {"errors", "warnings"}) {
    const Json* list = Field(results, key);
    if (!list) continue;
    if (!list->is_array()) return bad(std::string("\"") + key + "\"", "an array of strings");
    for (const Json& e : *list) {
      (std::string(key) == "errors" ? r.errors : r.warnings)
          .push_back(e.is_string() ? e.get<std::string>() : e.dump());
    }
  }
  if (const Json* i = Field(results, "interrupted")) {
    if (!i->is_boolean()) return bad("\"interrupted\"", "true or false");
    r.interrupted = i->get<bool>();
  }
  r.interrupted_at = report::StringField(results, "interrupted_at");
  for (const auto& [key, value] : results.items()) {
    bool known = false;
    for (const char* k : kKnown) known |= key == k;
    if (!known) r.extra[key] = value;
  }
  return r;
}

}  // namespace faultline
