// faultline check: linearizability of stored histories.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "harness/cli/commands.h"
#include "harness/history/reader.h"

namespace faultline::cli {
namespace {

constexpr const char* kUsage =
    "usage: faultline check --model M [--init JSON] [--format F] [--time-limit S]\n"
    "                       [--memory-limit MIB] [--threads N] [--all-keys] [--json] FILE...\n"
    "\n"
    "Checks each history FILE for linearizability against model M.\n"
    "  --model M         register, cas-register, multi-register, kv, mutex, set, fifo-queue\n"
    "  --init JSON       initial value (default null: absent / empty / free)\n"
    "  --format F        auto (default), jsonl, edn, jepsen-log\n"
    "  --time-limit S    give up with verdict unknown after S seconds per file (default: none)\n"
    "  --memory-limit M  give up with verdict unknown past M MiB of search state (default 4096)\n"
    "  --all-keys        check every key even after one is proven invalid (default: stop\n"
    "                    at the first invalid key and list the others as unchecked)\n"
    "  --threads N       partitions checked in parallel (default: one per core)\n"
    "  --json            one JSON object per file on stdout\n"
    "Exit: 0 all valid, 1 any invalid, 2 any unknown (none invalid), 254 bad usage or input.\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "faultline check: %s\n%s", error.c_str(), kUsage);
  return kExitUsage;
}

bool ParseNumber(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0' && *out >= 0;
}

}  // namespace

int RunCheck(const Args& args) {
  std::string model_name;
  Json init;
  HistoryFormat format = HistoryFormat::kAuto;
  LinearizabilityOptions options;
  bool json = false;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--model") {
      if (!value(&model_name)) return Usage("--model needs a value");
    } else if (a == "--init") {
      if (!value(&v)) return Usage("--init needs a JSON value");
      init = Json::parse(v, nullptr, false);
      if (init.is_discarded()) return Usage("--init: \"" + v + "\" is not valid JSON");
    } else if (a == "--format") {
      if (!value(&v)) return Usage("--format needs a value");
      auto f = ParseHistoryFormat(v);
      if (!f) return Usage("--format: unknown format \"" + v + "\"; expected auto, jsonl, edn, jepsen-log");
      format = *f;
    } else if (a == "--time-limit") {
      double s;
      if (!value(&v) || !ParseNumber(v, &s)) return Usage("--time-limit needs seconds (a number >= 0)");
      options.time_limit = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
    } else if (a == "--memory-limit") {
      double m;
      if (!value(&v) || !ParseNumber(v, &m) || m < 1) return Usage("--memory-limit needs MiB (a number >= 1)");
      options.memory_limit_bytes = static_cast<size_t>(m * (1 << 20));
    } else if (a == "--threads") {
      double t;
      if (!value(&v) || !ParseNumber(v, &t) || t < 1) return Usage("--threads needs a number >= 1");
      options.threads = static_cast<unsigned>(t);
    } else if (a == "--all-keys") {
      options.all_keys = true;
    } else if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return Usage("unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (model_name.empty()) return Usage("--model is required");
  if (files.empty()) return Usage("no history FILE given");
  Result<std::unique_ptr<Model>> model = MakeModel(model_name);
  if (!model.ok()) return Usage(model.status().message());

  int exit_code = kExitValid;
  bool any_unknown = false, any_invalid = false;
  for (const std::string& file : files) {
    Result<History> history = ReadHistoryFile(file, format);
    if (!history.ok()) {
      std::fprintf(stderr, "faultline check: %s\n", history.status().message().c_str());
      return kExitUsage;
    }
    const auto start = std::chrono::steady_clock::now();
    Result<LinearizabilityResult> result = CheckLinearizability(*history, **model, init, options);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    if (!result.ok()) {
      std::fprintf(stderr, "faultline check: %s\n", result.status().message().c_str());
      return kExitUsage;
    }
    any_invalid |= result->valid == Validity::kInvalid;
    any_unknown |= result->valid == Validity::kUnknown;
    if (json) {
      Json j = result->ToJson();
      j["file"] = file;
      j["model"] = model_name;
      j["ops"] = history->ops.size();
      j["check_ms"] = ms;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s: %s (%zu ops, %zu partitions, %.1f ms)\n", file.c_str(),
                  ValidityName(result->valid), history->ops.size(), result->partitions, ms);
      if (result->valid == Validity::kUnknown) std::printf("  %s\n", result->reason.c_str());
      if (result->valid == Validity::kInvalid) {
        if (result->partitions > 1) {
          std::printf("  %zu of %zu keys proven not linearizable: %s\n", result->keys_invalid,
                      result->partitions, result->invalid_keys.dump().c_str());
        }
        if (result->keys_unchecked > 0) {
          std::printf("  %zu keys not checked to the end (stopped at the first invalid key; "
                      "--all-keys checks every key): %s%s\n",
                      result->keys_unchecked, result->unchecked_keys.dump().c_str(),
                      result->keys_unchecked > result->unchecked_keys.size() ? " ..." : "");
        }
        std::printf("%s", result->explanation_text.c_str());
      }
    }
    std::fflush(stdout);
  }
  if (any_invalid) {
    exit_code = kExitInvalid;
  } else if (any_unknown) {
    exit_code = kExitUnknown;
  }
  return exit_code;
}

}  // namespace faultline::cli
