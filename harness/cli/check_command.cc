// faultline check: linearizability of stored histories.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "checkers/linearizability.h"
#include "checkers/model.h"
#include "harness/cli/commands.h"
#include "harness/history/reader.h"

namespace faultline::cli {

int RunCheck(const Args& args) {
  CLI::App app(
      "Checks each history FILE for linearizability against model M.\n"
      "Exit: 0 all valid, 1 any invalid, 2 any unknown (none invalid), 254 bad usage or input.",
      "faultline check");
  std::string model_name;
  std::string init_text = "null";
  std::string format_name = "auto";
  double time_limit_s = 0;
  double memory_limit_mib = 4096;
  unsigned threads = 0;
  bool json = false;
  std::vector<std::string> files;
  app.add_option("--model", model_name,
                 "register, cas-register, multi-register, kv, mutex, set, fifo-queue")
      ->required();
  app.add_option("--init", init_text, "initial value as JSON (null: absent / empty / free)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return Json::parse(v, nullptr, false).is_discarded()
                       ? "\"" + v + "\" is not valid JSON"
                       : "";
          },
          "JSON"));
  app.add_option("--format", format_name, "auto, jsonl, edn, jepsen-log")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "jsonl", "edn", "jepsen-log"}));
  app.add_option("--time-limit", time_limit_s,
                 "give up with verdict unknown after S seconds per file (0: none)")
      ->capture_default_str()
      ->check(Seconds(/*zero_ok=*/true));
  app.add_option("--memory-limit", memory_limit_mib,
                 "give up with verdict unknown past M MiB resident, whole process")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double v = 0;
            return ParseDecimal(text, &v) && v >= 1 && v <= 1e9
                       ? ""
                       : "expected MiB from 1 to 1e9, got \"" + text + "\"";
          },
          "MIB"));
  app.add_option("--threads", threads, "partitions checked in parallel (0: one per core)")
      ->capture_default_str()
      ->check(WholeNumber(0, 1024));
  bool all_keys = false;
  app.add_flag("--all-keys", all_keys,
               "check every key even after one is proven invalid (default: stop at the first "
               "invalid key and list the others as unchecked)");
  app.add_flag("--json", json, "one JSON object per file on stdout");
  app.add_option("FILE", files, "history files")->required();

  return ParseAndRun(app, args, "check", [&]() -> int {
  const Json init = Json::parse(init_text);
  const HistoryFormat format = *ParseHistoryFormat(format_name);
  LinearizabilityOptions options;
  if (time_limit_s > 0) {
    options.time_limit = std::chrono::milliseconds(static_cast<int64_t>(time_limit_s * 1000));
  }
  options.memory_limit_bytes = static_cast<size_t>(memory_limit_mib * (1 << 20));
  if (threads > 0) options.threads = threads;
  options.all_keys = all_keys;
  Result<std::unique_ptr<Model>> model = MakeModel(model_name);
  if (!model.ok()) {
    std::fprintf(stderr, "faultline check: %s\n", model.status().message().c_str());
    return kExitUsage;
  }

  int exit_code = kExitValid;
  bool any_unknown = false, any_invalid = false;
  for (const std::string& file : files) {
    Result<History> history = ReadHistoryFile(file, format);
    if (!history.ok()) {
      std::fprintf(stderr, "faultline check: %s\n", history.status().message().c_str());
      return kExitUsage;
    }
    // Nothing recorded proves nothing: an empty file (or /dev/null) is bad
    // input, not a valid history.
    if (history->ops.empty()) {
      std::fprintf(stderr, "faultline check: no operations in %s\n", file.c_str());
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
  });
}

}  // namespace faultline::cli
