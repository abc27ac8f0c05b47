// faultline test: run a test end to end; faultline analyze: re-check a run.
// Flags are parsed here (CLI11); everything they mean is resolved by the
// runner, and the reports are written by the reporters.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "harness/cli/commands.h"
#include "harness/cluster/local_cluster.h"
#include "harness/report/index_page.h"
#include "harness/report/report.h"
#include "harness/runner/runner.h"

namespace faultline::cli {
namespace {

std::atomic<bool> g_test_interrupted{false};

void OnSignal(int) { g_test_interrupted.store(true); }

int ExitCodeFor(const TestOutcome& outcome) {
  switch (outcome.valid) {
    case Validity::kValid: return kExitValid;
    case Validity::kInvalid: return kExitInvalid;
    case Validity::kUnknown:
      if (outcome.harness_error.ok()) return kExitUnknown;
      return outcome.harness_error.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitInternal;
  }
  return kExitInternal;
}

// The reporters, on what the runner stored: report.html, junit.xml and the
// console summary.
void Report(const char* cmd, const TestOutcome& outcome) {
  if (Status s = report::WriteReport(outcome.run_dir); !s.ok()) {
    std::fprintf(stderr, "faultline %s: report: %s\n", cmd, s.ToString().c_str());
  }
  if (Result<report::RunData> run = report::LoadRun(outcome.run_dir); run.ok()) {
    std::printf("%s", report::ConsoleSummary(*run).c_str());
  }
  for (const std::string& w : outcome.results.warnings) {
    std::fprintf(stderr, "faultline %s: warning: %s\n", cmd, w.c_str());
  }
  // The store's index lists the run (store/<test>/<run>): always after a test,
  // after analyze only in a store that has an index.
  const std::filesystem::path store =
      std::filesystem::path(outcome.run_dir).parent_path().parent_path();
  std::error_code ec;
  if (std::string(cmd) == "test" || std::filesystem::exists(store / "index.html", ec)) {
    if (Status s = report::WriteStoreIndex(store.string()); !s.ok()) {
      std::fprintf(stderr, "faultline %s: store index: %s\n", cmd, s.ToString().c_str());
    }
  }
}

// The local cluster's nodes file, when the default cluster is up.
std::string LocalClusterNodesFile() {
  cluster::LocalCluster local;
  auto status = local.GetStatus(cluster::kDefaultClusterName);
  if (status.ok() && status->up()) return status->nodes_file;
  return "";
}

}  // namespace

// A plain decimal number (no hex, no "inf" or "nan"), so that 0x10 is not
// silently 16.
bool ParseDecimal(const std::string& text, double* out) {
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string::npos) {
    return false;
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

CLI::Validator Seconds(bool zero_ok) {
  return CLI::Validator(
      [zero_ok](std::string& text) -> std::string {
        double v = 0;
        if (!ParseDecimal(text, &v) || !(zero_ok ? v >= 0 : v > 0) || v > 1e9) {
          return std::string("expected seconds ") + (zero_ok ? ">= 0" : "> 0") +
                 " and at most 1e9, got \"" + text + "\"";
        }
        return "";
      },
      zero_ok ? "SECONDS>=0" : "SECONDS>0");
}

CLI::Validator NonNegative(const std::string& what, double max) {
  return CLI::Validator(
      [what, max](std::string& text) -> std::string {
        double v = 0;
        if (!ParseDecimal(text, &v) || v < 0 || v > max) {
          char bound[32];
          std::snprintf(bound, sizeof bound, "%g", max);
          return "expected " + what + " >= 0 and at most " + bound + ", got \"" + text + "\"";
        }
        return "";
      },
      "NUMBER>=0");
}

CLI::Validator WholeNumber(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        long long v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo ||
            v > hi) {
          return "expected a whole number from " + std::to_string(lo) + " to " +
                 std::to_string(hi) + ", got \"" + text + "\"";
        }
        return "";
      },
      "INT");
}

namespace {

// Edit distance, for "did you mean" on a misspelled option.
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "unexpected argument '--targt' (did you mean --target?)", the arguments in
// the order they were given (CLI11's own message lists them reversed).
std::string ExtrasMessage(const CLI::App& app, const std::vector<std::string>& extras) {
  std::string list;
  for (const std::string& a : extras) list += (list.empty() ? "'" : " '") + a + "'";
  std::string msg = std::string("unexpected argument") + (extras.size() > 1 ? "s " : " ") + list;
  for (const std::string& a : extras) {
    if (a.rfind("--", 0) != 0) continue;
    const std::string word = a.substr(0, a.find('='));
    std::string best;
    size_t best_d = 3;  // at most two edits away
    for (const CLI::Option* o : app.get_options()) {
      for (const std::string& name : o->get_lnames()) {
        const size_t d = Distance(word, "--" + name);
        if (d < best_d) {
          best_d = d;
          best = "--" + name;
        }
      }
    }
    msg += best.empty() ? "; " + word + " is not an option"
                        : "; " + word + " is not an option (did you mean " + best + "?)";
    break;
  }
  return msg;
}

}  // namespace

int ParseAndRun(CLI::App& app, const Args& args, const char* cmd,
                const std::function<int()>& body) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  // Extras are collected rather than thrown, so that they are reported in
  // order, with a suggestion, and before a "required" error they caused.
  app.allow_extras();
  auto usage = [&](const std::string& what) {
    std::fprintf(stderr, "faultline %s: %s\nRun 'faultline %s --help' for the options.\n", cmd,
                 what.c_str(), cmd);
    return kExitUsage;
  };
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return kExitValid;
  } catch (const CLI::ParseError& e) {
    if (const auto extras = app.remaining(); !extras.empty()) {
      return usage(ExtrasMessage(app, extras));
    }
    return usage(e.what());
  }
  if (const auto extras = app.remaining(); !extras.empty()) {
    return usage(ExtrasMessage(app, extras));
  }
  return body();
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool terminal, double line_interval_s)
    : out_(out), terminal_(terminal), line_interval_s_(line_interval_s) {}

std::string FormatProgress(const Progress& p) {
  char line[256];
  std::snprintf(line, sizeof line, "[%6.1fs] %-8s ok %lld  fail %lld  info %lld  nemesis %s",
                p.elapsed_s, p.phase.c_str(), static_cast<long long>(p.ok),
                static_cast<long long>(p.fail), static_cast<long long>(p.info),
                p.nemesis.empty() ? "-" : p.nemesis.c_str());
  return line;
}

void ProgressPrinter::Update(const Progress& p) {
  if (terminal_) {
    // One line rewritten in place.
    std::fprintf(out_, "\r%-100s", FormatProgress(p).c_str());
    std::fflush(out_);
    printed_ = true;
    return;
  }
  // A log or a pipe: whole lines, now and then.
  if (last_line_s_ >= 0 && p.elapsed_s - last_line_s_ < line_interval_s_) return;
  last_line_s_ = p.elapsed_s;
  std::fprintf(out_, "%s\n", FormatProgress(p).c_str());
  std::fflush(out_);
}

void ProgressPrinter::Finish() {
  if (terminal_ && printed_) std::fputc('\n', out_);
}

int RunTest(const Args& args) {
  TestConfig config;
  CLI::App app(
      "Deploys target T on the nodes, runs workload W while the nemesis injects\n"
      "faults, records the history, checks it, and writes a report.\n"
      "Exit: 0 valid, 1 invalid, 2 unknown, 254 bad usage or input, 255 harness error.",
      "faultline test");
  std::string nemesis = "none";
  std::string nodes;
  std::string seed_text;
  app.add_option("--target", config.target,
                 "etcd, memory, memory-unsafe, zookeeper, redis, redis-sentinel, redis-cluster, "
                 "haproxy, nginx")
      ->capture_default_str();
  std::vector<std::string> target_options;
  app.add_option("--target-option", target_options,
                 "KEY=VALUE, a target option (repeatable); VALUE is JSON, or else a string, "
                 "e.g. zk_sync_reads=false")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            const size_t eq = v.find('=');
            return eq == std::string::npos || eq == 0 ? "expected KEY=VALUE, got '" + v + "'"
                                                      : "";
          },
          "KEY=VALUE"));
  app.add_option("--workload", config.workload, "register, set, lock, lock-set, balance")
      ->capture_default_str();
  app.add_option("--nemesis", nemesis,
                 "comma-separated: partition, kill, pause, clock, packet-loss; or none")
      ->capture_default_str();
  std::optional<int> lock_ttl_s;
  app.add_option("--lock-ttl", lock_ttl_s,
                 "lock clients' lease TTL in whole seconds (etcd, zookeeper; default 2)")
      ->check(WholeNumber(1, 9999));
  std::optional<int> lock_hold_ms;
  app.add_option("--lock-hold", lock_hold_ms,
                 "lock, lock-set: longest hold in ms (default 100 / 2000)")
      ->check(WholeNumber(1, 9999999));
  app.add_option("--time-limit", config.time_limit_s, "seconds of workload")
      ->capture_default_str()
      ->check(Seconds(false));
  app.add_option("--nemesis-interval", config.nemesis_interval_s,
                 "seconds between a fault and its recovery")
      ->capture_default_str()
      ->check(Seconds(false));
  app.add_option("--nodes-file", config.nodes_file,
                 "nodes to use (default: the local cluster's, when one is up)");
  app.add_option("--nodes", nodes,
                 "node names for in-process targets, comma-separated (default n1,n2,n3)");
  app.add_option("--concurrency", config.concurrency, "client threads: N, or Nn for N per node")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            Result<int> n = ResolveConcurrency(text, 1);
            if (n.ok()) return "";
            // CLI11 names the flag already.
            std::string m = n.status().message();
            if (m.rfind("--concurrency: ", 0) == 0) m = m.substr(15);
            return m;
          },
          "N|Nn"));
  app.add_option("--seed", seed_text,
                 "seed for the generator and the nemesis, 0 to 18446744073709551615 "
                 "(default: the time)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            uint64_t v = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            return !text.empty() && ec == std::errc() && end == text.data() + text.size()
                       ? ""
                       : "expected a whole number from 0 to 18446744073709551615, got \"" +
                             text + "\"";
          },
          "SEED"));
  app.add_option("--store", config.store, "where runs are stored")->capture_default_str();
  app.add_option("--rate", config.rate,
                 "ops/s over all clients; 0: the default (unthrottled; balance: 300/s; "
                 "in-process targets: 10000/s)")
      ->capture_default_str()
      ->check(NonNegative("ops/s", 1e9));
  app.add_option("--name", config.name, "test name (default <target>-<workload>)");
  app.add_option("--check-time-limit", config.check_time_limit_s,
                 "bound on the linearizability search; 0: none")
      ->capture_default_str()
      ->check(Seconds(true));
  app.add_flag("--leave-running", config.leave_running, "do not tear the target down");

  return ParseAndRun(app, args, "test", [&]() -> int {
    auto bad = [](const std::string& what) {
      std::fprintf(stderr, "faultline test: %s\n", what.c_str());
      return kExitUsage;
    };
    // An empty list is a mistake (an unset shell variable), not "none".
    if (app.count("--nemesis") > 0 && nemesis.find_first_not_of(" \t") == std::string::npos) {
      return bad("--nemesis: expected a comma-separated list of partition, kill, pause, clock, "
                 "packet-loss, or none; got an empty string");
    }
    if (app.count("--name") > 0 && config.name.empty()) {
      return bad("--name: expected a test name; got an empty string");
    }
    if (app.count("--nodes") > 0 && nodes.empty()) {
      return bad("--nodes: expected comma-separated node names such as n1,n2,n3; got an empty "
                 "string");
    }
    config.nemesis = {nemesis};
    for (const std::string& option : target_options) {
      const size_t eq = option.find('=');
      const std::string key = option.substr(0, eq);
      const std::string text = option.substr(eq + 1);
      if (config.target_options.contains(key)) {
        return bad("--target-option " + key + " is given twice; expected each key once");
      }
      Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      config.target_options[key] = parsed.is_discarded() ? Json(text) : parsed;
    }
    if (lock_ttl_s && config.target_options.contains("lock_ttl_s")) {
      return bad("--lock-ttl and --target-option lock_ttl_s both set the lock TTL; give one");
    }
    if (lock_ttl_s) config.target_options["lock_ttl_s"] = *lock_ttl_s;
    if (lock_hold_ms) config.workload_options["hold_max_ms"] = *lock_hold_ms;
    if (!nodes.empty()) {
      for (size_t start = 0;;) {
        const size_t comma = nodes.find(',', start);
        config.local_nodes.push_back(nodes.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    config.seed = static_cast<uint64_t>(std::time(nullptr));
    if (!seed_text.empty()) std::from_chars(seed_text.data(), seed_text.data() + seed_text.size(), config.seed);

    TestEnv env;
    env.default_nodes_file = LocalClusterNodesFile;
    env.notice = [](const std::string& line) {
      std::fprintf(stderr, "faultline test: %s\n", line.c_str());
    };
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    ProgressPrinter printer(stderr, ::isatty(STDERR_FILENO) == 1);
    Result<TestOutcome> outcome = faultline::RunTest(
        config, env, &g_test_interrupted, [&](const Progress& p) { printer.Update(p); });
    printer.Finish();
    if (!outcome.ok()) {
      std::fprintf(stderr, "faultline test: %s\n", outcome.status().ToString().c_str());
      return outcome.status().code() == Status::Code::kInvalidArgument ? kExitUsage
                                                                       : kExitInternal;
    }
    Report("test", *outcome);
    if (!outcome->harness_error.ok()) {
      std::fprintf(stderr, "faultline test: harness error: %s (see %s/harness.log)\n",
                   outcome->harness_error.message().c_str(), outcome->run_dir.c_str());
    }
    return ExitCodeFor(*outcome);
  });
}

int RunAnalyze(const Args& args) {
  CLI::App app(
      "Re-checks a stored run (test.json + history.jsonl) and rewrites its\n"
      "results.json, report.html and junit.xml. A run that never completed is\n"
      "unknown. Exit as for `faultline test`.",
      "faultline analyze");
  std::string run_dir;
  app.add_option("RUN_DIR", run_dir, "a run directory, e.g. store/latest")->required();
  return ParseAndRun(app, args, "analyze", [&]() -> int {
    Result<TestOutcome> outcome = AnalyzeRun(run_dir);
    if (!outcome.ok()) {
      std::fprintf(stderr, "faultline analyze: %s\n", outcome.status().ToString().c_str());
      const auto code = outcome.status().code();
      return code == Status::Code::kInvalidArgument || code == Status::Code::kNotFound
                 ? kExitUsage
                 : kExitInternal;
    }
    Report("analyze", *outcome);
    return ExitCodeFor(*outcome);
  });
}

}  // namespace faultline::cli
