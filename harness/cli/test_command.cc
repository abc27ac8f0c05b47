// faultline test: run a test end to end; faultline analyze: re-check a run.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/cli/commands.h"
#include "harness/cluster/local_cluster.h"
#include "harness/runner/runner.h"

namespace faultline::cli {
namespace {

constexpr const char* kTestUsage =
    "usage: faultline test [--target T] [--workload W] [--nemesis LIST] [--time-limit S]\n"
    "                      [--nemesis-interval S] [--nodes-file F | --nodes n1,n2,...]\n"
    "                      [--concurrency N|Nn] [--seed N] [--store DIR] [--rate OPS]\n"
    "                      [--name NAME] [--check-time-limit S] [--leave-running]\n"
    "                      [--lock-ttl S] [--lock-hold MS] [--target-option KEY=VALUE]...\n"
    "\n"
    "Deploys target T on the nodes, runs workload W while the nemesis injects\n"
    "faults, records the history, checks it, and writes a report.\n"
    "  --target T           etcd (default), memory, memory-unsafe, zookeeper,\n"
    "                       redis, redis-sentinel, redis-cluster, haproxy, nginx\n"
    "  --target-option K=V  a target option (repeatable); V is JSON, or else a string,\n"
    "                       e.g. --target-option zk_sync_reads=false\n"
    "  --workload W         register (default), set, lock, lock-set, balance\n"
    "  --nemesis LIST       comma-separated: partition, kill, pause, clock (default: none)\n"
    "  --time-limit S       seconds of workload (default 60)\n"
    "  --nemesis-interval S seconds between a fault and its recovery (default 10)\n"
    "  --nodes-file F       nodes to use (default: the local cluster's, when one is up)\n"
    "  --nodes LIST         node names for in-memory targets (default n1,n2,n3)\n"
    "  --concurrency N|Nn   client threads, or N per node (default 2n)\n"
    "  --seed N             seed for the generator and the nemesis (default: time)\n"
    "  --store DIR          where runs are stored (default ./store)\n"
    "  --lock-ttl S         etcd lock clients' lease TTL in whole seconds (default 2)\n"
    "  --lock-hold MS       lock, lock-set: longest hold in ms (default 100 / 2000)\n"
    "Exit: 0 valid, 1 invalid, 2 unknown, 254 bad usage, 255 harness error.\n";

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

int Usage(const char* cmd, const std::string& error, const char* usage) {
  std::fprintf(stderr, "faultline %s: %s\n%s", cmd, error.c_str(), usage);
  return kExitUsage;
}

bool ParseDouble(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0';
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int ExitCodeFor(const TestOutcome& outcome) {
  switch (outcome.valid) {
    case Validity::kValid: return kExitValid;
    case Validity::kInvalid: return kExitInvalid;
    case Validity::kUnknown: return outcome.harness_error.ok() ? kExitUnknown : kExitInternal;
  }
  return kExitInternal;
}

}  // namespace

int RunTest(const Args& args) {
  TestConfig config;
  std::string concurrency = "2n";
  bool seed_given = false;
  std::string nodes_list;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= args.size()) return false;
      v = args[++i];
      return true;
    };
    double d = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kTestUsage, stdout);
      return 0;
    } else if (a == "--target") {
      if (!value()) return Usage("test", "--target needs a value", kTestUsage);
      config.target = v;
    } else if (a == "--target-option") {
      if (!value()) return Usage("test", "--target-option needs KEY=VALUE", kTestUsage);
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Usage("test", "--target-option: expected KEY=VALUE, got '" + v + "'", kTestUsage);
      }
      const std::string text = v.substr(eq + 1);
      nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      config.target_options[v.substr(0, eq)] = parsed.is_discarded() ? nlohmann::json(text) : parsed;
    } else if (a == "--workload") {
      if (!value()) return Usage("test", "--workload needs a value", kTestUsage);
      config.workload = v;
    } else if (a == "--nemesis") {
      if (!value()) return Usage("test", "--nemesis needs a list", kTestUsage);
      config.nemesis = SplitList(v);
      if (config.nemesis.size() == 1 && config.nemesis[0] == "none") config.nemesis.clear();
    } else if (a == "--time-limit") {
      if (!value() || !ParseDouble(v, &d) || d <= 0) {
        return Usage("test", "--time-limit needs seconds > 0", kTestUsage);
      }
      config.time_limit_s = d;
    } else if (a == "--nemesis-interval") {
      if (!value() || !ParseDouble(v, &d) || d <= 0) {
        return Usage("test", "--nemesis-interval needs seconds > 0", kTestUsage);
      }
      config.nemesis_interval_s = d;
    } else if (a == "--check-time-limit") {
      if (!value() || !ParseDouble(v, &d) || d < 0) {
        return Usage("test", "--check-time-limit needs seconds >= 0", kTestUsage);
      }
      config.check_time_limit_s = d;
    } else if (a == "--rate") {
      if (!value() || !ParseDouble(v, &d) || d < 0) {
        return Usage("test", "--rate needs ops/s >= 0", kTestUsage);
      }
      config.rate = d;
    } else if (a == "--nodes-file") {
      if (!value()) return Usage("test", "--nodes-file needs a path", kTestUsage);
      config.nodes_file = v;
    } else if (a == "--nodes") {
      if (!value()) return Usage("test", "--nodes needs a list", kTestUsage);
      nodes_list = v;
    } else if (a == "--concurrency") {
      if (!value()) return Usage("test", "--concurrency needs N or Nn", kTestUsage);
      concurrency = v;
    } else if (a == "--seed") {
      if (!value() || v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
        return Usage("test", "--seed needs a non-negative integer", kTestUsage);
      }
      config.seed = std::strtoull(v.c_str(), nullptr, 10);
      seed_given = true;
    } else if (a == "--store") {
      if (!value()) return Usage("test", "--store needs a directory", kTestUsage);
      config.store = v;
    } else if (a == "--name") {
      if (!value()) return Usage("test", "--name needs a value", kTestUsage);
      config.name = v;
    } else if (a == "--lock-ttl") {
      if (!value() || v.empty() || v.size() > 4 ||
          v.find_first_not_of("0123456789") != std::string::npos || std::atoi(v.c_str()) < 1) {
        return Usage("test", "--lock-ttl needs whole seconds >= 1, got " + v, kTestUsage);
      }
      config.target_options["lock_ttl_s"] = std::atoi(v.c_str());
    } else if (a == "--lock-hold") {
      if (!value() || v.empty() || v.size() > 7 ||
          v.find_first_not_of("0123456789") != std::string::npos || std::atoi(v.c_str()) < 1) {
        return Usage("test", "--lock-hold needs milliseconds >= 1, got " + v, kTestUsage);
      }
      config.workload_options["hold_max_ms"] = std::atoi(v.c_str());
    } else if (a == "--leave-running") {
      config.leave_running = true;
    } else {
      return Usage("test", "unknown argument " + a, kTestUsage);
    }
  }
  if (!seed_given) config.seed = static_cast<uint64_t>(std::time(nullptr));
  const bool in_memory = config.target.rfind("memory", 0) == 0;
  if (in_memory) {
    config.local_nodes = SplitList(nodes_list.empty() ? "n1,n2,n3" : nodes_list);
  } else if (config.nodes_file.empty()) {
    cluster::LocalCluster local;
    auto status = local.GetStatus(cluster::kDefaultClusterName);
    if (status.ok() && status->up()) {
      config.nodes_file = status->nodes_file;
      std::fprintf(stderr, "faultline test: using the local cluster's nodes file %s\n",
                   config.nodes_file.c_str());
    } else {
      return Usage("test",
                   "no --nodes-file given and no local cluster is up; run `faultline cluster up` "
                   "first or pass --nodes-file",
                   kTestUsage);
    }
  }
  // Concurrency: "N" threads, or "Nn" threads per node.
  size_t node_count = config.local_nodes.size();
  if (!config.nodes_file.empty()) {
    std::ifstream probe(config.nodes_file);
    nlohmann::json j = nlohmann::json::parse(probe, nullptr, false);
    node_count = j.is_object() && j.contains("nodes") && j["nodes"].is_array() ? j["nodes"].size() : 0;
    if (node_count == 0) {
      return Usage("test", config.nodes_file + ": expected a nodes file with a \"nodes\" array",
                   kTestUsage);
    }
  }
  {
    const bool per_node = !concurrency.empty() && concurrency.back() == 'n';
    const std::string digits = per_node ? concurrency.substr(0, concurrency.size() - 1) : concurrency;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        std::atoi(digits.c_str()) <= 0 || digits.size() > 4) {
      return Usage("test", "--concurrency: expected N or Nn (N per node), got " + concurrency,
                   kTestUsage);
    }
    config.concurrency = std::atoi(digits.c_str()) * (per_node ? static_cast<int>(node_count) : 1);
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto progress = [](const Progress& p) {
    std::fprintf(stderr, "\r[%6.1fs] %-8s ok %lld  fail %lld  info %lld  nemesis %-16s",
                 p.elapsed_s, p.phase.c_str(), static_cast<long long>(p.ok),
                 static_cast<long long>(p.fail), static_cast<long long>(p.info),
                 p.nemesis.c_str());
    std::fflush(stderr);
  };
  Result<TestOutcome> outcome = faultline::RunTest(config, &g_interrupted, progress);
  std::fprintf(stderr, "\n");
  if (!outcome.ok()) {
    std::fprintf(stderr, "faultline test: %s\n", outcome.status().ToString().c_str());
    return outcome.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitInternal;
  }
  std::printf("%s", outcome->summary.c_str());
  if (!outcome->harness_error.ok()) {
    std::fprintf(stderr, "faultline test: harness error: %s (see %s/harness.log)\n",
                 outcome->harness_error.message().c_str(), outcome->run_dir.c_str());
  }
  return ExitCodeFor(*outcome);
}

int RunAnalyze(const Args& args) {
  constexpr const char* kUsage =
      "usage: faultline analyze RUN_DIR\n"
      "Re-checks a stored run (test.json + history.jsonl) and rewrites its\n"
      "results.json, report.html and junit.xml. Exit as for `faultline test`.\n";
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.size() != 1) return Usage("analyze", "expected exactly one RUN_DIR", kUsage);
  Result<TestOutcome> outcome = AnalyzeRun(args[0]);
  if (!outcome.ok()) {
    std::fprintf(stderr, "faultline analyze: %s\n", outcome.status().ToString().c_str());
    const auto code = outcome.status().code();
    return code == Status::Code::kInvalidArgument || code == Status::Code::kNotFound
               ? kExitUsage
               : kExitInternal;
  }
  std::printf("%s", outcome->summary.c_str());
  return ExitCodeFor(*outcome);
}

}  // namespace faultline::cli
