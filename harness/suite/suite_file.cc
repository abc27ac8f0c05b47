// Suite files: parsing and expansion into runs.
#include "harness/suite/suite_file.h"

#include "harness/base/input_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace faultline::suite {
namespace {

// `text` with each byte that is not UTF-8 replaced by U+FFFD: the JSON
// library's messages quote the bytes it last read, which may be half a
// character.
std::string Utf8Text(const std::string& text) {
  return Json::parse(Json(text).dump(-1, ' ', false, Json::error_handler_t::replace))
      .get<std::string>();
}

// More runs than a suite could run in weeks: a typo in a matrix, not a plan.
constexpr uint64_t kMaxRuns = 10000;

// What a value is, for "got ..." in messages.
std::string Got(const Json& v) {
  std::string text = v.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Status Error(const std::string& where, const std::string& expected, const Json* got) const {
    std::string msg = source_ + ": " + where + ": expected " + expected;
    if (got) msg += ", got " + Got(*got);
    return Status::InvalidArgument(msg);
  }

  Result<Suite> Parse(const Json& root) {
    Suite suite;
    suite.source = source_;
    if (!root.is_object()) return Error("top level", "an object {\"name\", \"tests\"}", &root);
    for (const auto& [key, value] : root.items()) {
      if (key != "name" && key != "defaults" && key != "tests" && key != "description") {
        return Error("\"" + key + "\"", "one of the keys name, description, defaults, tests",
                     nullptr);
      }
    }
    const Json* name = root.contains("name") ? &root["name"] : nullptr;
    if (!name || !name->is_string() || !IsName(name->get<std::string>())) {
      return Error("name", "a suite name of letters, digits, '.', '_' and '-'", name);
    }
    suite.name = name->get<std::string>();
    Json defaults = Json::object();
    if (root.contains("defaults")) {
      defaults = root["defaults"];
      if (!defaults.is_object()) return Error("defaults", "an object of test fields", &defaults);
    }
    const Json* tests = root.contains("tests") ? &root["tests"] : nullptr;
    if (!tests || !tests->is_array() || tests->empty()) {
      return Error("tests", "a non-empty array of test entries", tests);
    }
    std::set<std::string> names;
    for (size_t i = 0; i < tests->size(); ++i) {
      const std::string where = "tests[" + std::to_string(i) + "]";
      const Json& entry = (*tests)[i];
      if (!entry.is_object()) return Error(where, "an object", &entry);
      // The entry's own fields override the defaults'.
      Json merged = defaults;
      for (const auto& [k, v] : entry.items()) merged[k] = v;
      Status s = Expand(merged, entry, where, &suite.runs);
      if (!s.ok()) return s;
    }
    for (const SuiteRun& r : suite.runs) {
      if (!names.insert(r.name).second) {
        return Error(r.entry, "runs with distinct names; \"" + r.name +
                                  "\" appears twice (give the entries distinct \"name\"s)",
                     nullptr);
      }
    }
    return suite;
  }

 private:
  static bool IsName(const std::string& s) {
    return !s.empty() && s.size() <= 100 && s != "." && s != ".." &&
           std::all_of(s.begin(), s.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                    c == '-';
           });
  }

  // Where a field came from: the entry itself, or the defaults.
  std::string Where(const Json& entry, const std::string& where, const std::string& key) const {
    return entry.contains(key) ? where + "." + key : "defaults." + key;
  }

  // A field given singly ("seed": 1) or as a list ("seeds": [1, 2]).
  Result<std::vector<Json>> List(const Json& m, const Json& entry, const std::string& where,
                                 const std::string& one, const std::string& many) {
    if (m.contains(one) && m.contains(many) && entry.contains(one) == entry.contains(many)) {
      return Error(where, "either \"" + one + "\" or \"" + many + "\", not both", nullptr);
    }
    // The entry's own choice wins over the defaults' other spelling.
    const bool use_many = m.contains(many) && (!m.contains(one) || entry.contains(many));
    if (use_many) {
      const Json& v = m[many];
      if (!v.is_array() || v.empty()) {
        return Error(Where(entry, where, many), "a non-empty array", &v);
      }
      return std::vector<Json>(v.begin(), v.end());
    }
    if (m.contains(one)) return std::vector<Json>{m[one]};
    return std::vector<Json>{};
  }

  Result<double> Seconds(const Json& m, const Json& entry, const std::string& where,
                         const std::string& key, double fallback, bool zero_ok) {
    if (!m.contains(key)) return fallback;
    const Json& v = m[key];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0 ||
        (!zero_ok && v.get<double>() == 0) || v.get<double>() > 7 * 24 * 3600) {
      return Error(Where(entry, where, key),
                   std::string("a number of seconds ") + (zero_ok ? ">= 0" : "> 0"), &v);
    }
    return v.get<double>();
  }

  Status Expand(const Json& m, const Json& entry, const std::string& where,
                std::vector<SuiteRun>* out) {
    static const std::set<std::string> kKeys = {
        "name",     "target",           "targets",        "workload", "workloads",
        "nemesis",  "nemeses",          "seed",           "seeds",    "time_limit",
        "nemesis_interval", "concurrency", "nodes",       "rate",     "check_time_limit",
        "target_options",   "expect",   "description"};
    for (const auto& [k, v] : m.items()) {
      if (!kKeys.count(k)) {
        return Error(Where(entry, where, k),
                     "a known field (name, targets, workloads, nemeses, seeds, time_limit, "
                     "nemesis_interval, concurrency, nodes, rate, check_time_limit, "
                     "target_options, expect, description)",
                     nullptr);
      }
    }
    SuiteRun base;
    base.entry = where;
    Result<std::vector<Json>> targets = List(m, entry, where, "target", "targets");
    if (!targets.ok()) return targets.status();
    if (targets->empty()) return Error(where, "\"targets\": [\"etcd\", ...] (or \"target\")", nullptr);
    Result<std::vector<Json>> workloads = List(m, entry, where, "workload", "workloads");
    if (!workloads.ok()) return workloads.status();
    if (workloads->empty()) workloads->push_back("register");
    Result<std::vector<Json>> nemeses = List(m, entry, where, "nemesis", "nemeses");
    if (!nemeses.ok()) return nemeses.status();
    if (nemeses->empty()) nemeses->push_back("none");
    Result<std::vector<Json>> seeds = List(m, entry, where, "seed", "seeds");
    if (!seeds.ok()) return seeds.status();
    if (seeds->empty()) seeds->push_back(1);

    Result<double> d = Seconds(m, entry, where, "time_limit", 60, false);
    if (!d.ok()) return d.status();
    base.time_limit_s = *d;
    d = Seconds(m, entry, where, "nemesis_interval", 10, false);
    if (!d.ok()) return d.status();
    base.nemesis_interval_s = *d;
    d = Seconds(m, entry, where, "check_time_limit", 0, true);
    if (!d.ok()) return d.status();
    base.check_time_limit_s = *d;
    if (m.contains("rate")) {
      const Json& v = m["rate"];
      if (!v.is_number() || v.get<double>() < 0 || !std::isfinite(v.get<double>())) {
        return Error(Where(entry, where, "rate"), "operations per second >= 0", &v);
      }
      base.rate = v.get<double>();
    }
    if (m.contains("nodes")) {
      const Json& v = m["nodes"];
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 9) {
        return Error(Where(entry, where, "nodes"), "a node count from 1 to 9", &v);
      }
      base.nodes = v.get<int>();
    }
    if (m.contains("concurrency")) {
      const Json& v = m["concurrency"];
      bool ok = false;
      if (v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 1000) {
        base.concurrency = v.get<int>();
        base.concurrency_per_node = false;
        ok = true;
      } else if (v.is_string()) {
        std::string s = v.get<std::string>();
        const bool per_node = !s.empty() && s.back() == 'n';
        if (per_node) s.pop_back();
        if (!s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string::npos &&
            std::stoi(s) >= 1) {
          base.concurrency = std::stoi(s);
          base.concurrency_per_node = per_node;
          ok = true;
        }
      }
      if (!ok) {
        return Error(Where(entry, where, "concurrency"),
                     "a thread count (1 to 1000) or \"Nn\" for N per node", &v);
      }
    }
    if (m.contains("target_options")) {
      if (!m["target_options"].is_object()) {
        return Error(Where(entry, where, "target_options"), "an object", &m["target_options"]);
      }
      base.target_options = m["target_options"];
    }
    if (m.contains("expect")) {
      const Json& v = m["expect"];
      const std::string e = v.is_string() ? v.get<std::string>() : "";
      if (e == "valid") {
        base.expect = Expect::kValid;
      } else if (e == "invalid") {
        base.expect = Expect::kInvalid;
      } else if (e == "any") {
        base.expect = Expect::kAny;
      } else {
        return Error(Where(entry, where, "expect"), "\"valid\", \"invalid\" or \"any\"", &v);
      }
    }
    std::string entry_name;
    if (m.contains("name")) {
      const Json& v = m["name"];
      if (!v.is_string() || !IsName(v.get<std::string>())) {
        return Error(Where(entry, where, "name"),
                     "a name of letters, digits, '.', '_' and '-'", &v);
      }
      entry_name = v.get<std::string>();
    }

    auto names = [&](const std::vector<Json>& list, const std::string& key,
                     std::vector<std::string>* into) -> Status {
      for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string() || !IsName(list[i].get<std::string>())) {
          return Error(Where(entry, where, key) + "[" + std::to_string(i) + "]",
                       "a name such as \"etcd\" or \"register\"", &list[i]);
        }
        into->push_back(list[i].get<std::string>());
      }
      return Status::Ok();
    };
    std::vector<std::string> target_names, workload_names;
    const std::string tkey = m.contains("targets") ? "targets" : "target";
    const std::string wkey = m.contains("workloads") ? "workloads" : "workload";
    if (Status s = names(*targets, tkey, &target_names); !s.ok()) return s;
    if (Status s = names(*workloads, wkey, &workload_names); !s.ok()) return s;

    const std::string nkey = m.contains("nemeses") ? "nemeses" : "nemesis";
    std::vector<std::vector<std::string>> nemesis_lists;
    for (size_t i = 0; i < nemeses->size(); ++i) {
      const Json& v = (*nemeses)[i];
      const std::string at = Where(entry, where, nkey) + "[" + std::to_string(i) + "]";
      std::vector<std::string> kinds;
      std::vector<std::string> parts;
      if (v.is_string()) {
        std::stringstream in(v.get<std::string>());
        std::string part;
        while (std::getline(in, part, ',')) parts.push_back(part);
      } else if (v.is_array()) {
        for (const Json& k : v) {
          if (!k.is_string()) return Error(at, "nemesis kinds as strings", &v);
          parts.push_back(k.get<std::string>());
        }
      } else {
        return Error(at, "a nemesis list such as \"partition,kill\", [\"pause\"] or \"none\"", &v);
      }
      for (std::string part : parts) {
        part.erase(0, part.find_first_not_of(" \t"));
        part.erase(part.find_last_not_of(" \t") + 1);
        if (part.empty() || part == "none") continue;
        if (!IsName(part)) return Error(at, "nemesis kinds of letters and '-'", &v);
        if (std::find(kinds.begin(), kinds.end(), part) == kinds.end()) kinds.push_back(part);
      }
      nemesis_lists.push_back(kinds);
    }
    const std::string skey = m.contains("seeds") ? "seeds" : "seed";
    std::vector<uint64_t> seed_values;
    for (size_t i = 0; i < seeds->size(); ++i) {
      const Json& v = (*seeds)[i];
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
        return Error(Where(entry, where, skey) + "[" + std::to_string(i) + "]",
                     "a non-negative integer seed", &v);
      }
      seed_values.push_back(v.get<uint64_t>());
    }

    // Checked before expanding: a 1.3 KB file of four 60-item lists would
    // otherwise expand to 13 million runs (found while fuzzing: minutes and
    // gigabytes before any message).
    const uint64_t count = uint64_t{target_names.size()} * workload_names.size() *
                           nemesis_lists.size() * seed_values.size();
    if (out->size() + count > kMaxRuns) {
      return Error(where, "at most " + std::to_string(kMaxRuns) +
                              " runs in a suite; this entry adds " + std::to_string(count) +
                              " (targets x workloads x nemeses x seeds)",
                   nullptr);
    }
    for (const std::string& target : target_names) {
      for (const std::string& workload : workload_names) {
        for (const auto& kinds : nemesis_lists) {
          for (uint64_t seed : seed_values) {
            SuiteRun r = base;
            r.target = target;
            r.workload = workload;
            r.nemesis = kinds;
            r.seed = seed;
            std::string faults;
            for (const std::string& k : kinds) faults += (faults.empty() ? "" : "-") + k;
            // Names tell an entry's runs apart and stay the same night after
            // night, so the store's trend follows each of them.
            std::string stem = target + "-" + workload;
            if (!entry_name.empty()) {
              stem = target_names.size() > 1 || workload_names.size() > 1
                         ? entry_name + "-" + stem
                         : entry_name;
            }
            r.name = stem + "-" + (faults.empty() ? "none" : faults) + "-s" + std::to_string(seed);
            out->push_back(std::move(r));
          }
        }
      }
    }
    return Status::Ok();
  }

  std::string source_;
};

}  // namespace

const char* ExpectName(Expect e) {
  switch (e) {
    case Expect::kValid: return "valid";
    case Expect::kInvalid: return "invalid";
    case Expect::kAny: return "any";
  }
  return "?";
}

double Suite::WorkloadSeconds() const {
  double total = 0;
  for (const SuiteRun& r : runs) total += r.time_limit_s;
  return total;
}

Result<Suite> ParseSuite(const std::string& text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::out_of_range& e) {
    // A number beyond a double (1e400): valid JSON syntax, not a usable value.
    std::string what = e.what();
    if (const size_t at = what.find("number overflow"); at != std::string::npos) {
      what = what.substr(at);
    }
    return Status::InvalidArgument(source + ": " + what + "; expected numbers a double can hold");
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based; turn it into line:column.
    const size_t upto = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    size_t line = 1, col = 1;
    for (size_t i = 0; i < upto; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = Utf8Text(e.what());
    if (const size_t at = what.find("syntax error"); at != std::string::npos) what = what.substr(at);
    return Status::InvalidArgument(source + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                   ": not valid JSON (" + what + ")");
  } catch (const Json::exception& e) {
    // Not a syntax error but the same to the user: a number too large for a
    // double (1e999) is out_of_range, and used to escape as an exception.
    return Status::InvalidArgument(source + ": not valid JSON (" + Utf8Text(e.what()) +
                                   "); expected numbers a double can hold");
  }
  return Parser(source).Parse(root);
}

Result<Suite> LoadSuite(const std::string& path) {
  Result<std::string> text = ReadInputFile(path, "a JSON suite file");
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) {
      return Status::NotFound(path + ": cannot open the suite file");
    }
    return text.status();
  }
  return ParseSuite(*text, path);
}

}  // namespace faultline::suite
