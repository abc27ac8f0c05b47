// faultline suite FILE: many tests one after another, one JUnit file, the
// worst verdict as the exit code.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "harness/cli/commands.h"
#include "harness/cluster/local_cluster.h"
#include "harness/control/nodes_file.h"
#include "harness/report/index_page.h"
#include "harness/report/report.h"
#include "harness/report/summary.h"
#include "harness/runner/runner.h"
#include "harness/suite/suite_file.h"
#include "nemesis/nemesis_factory.h"
#include "targets/registry.h"
#include "workloads/workload.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;
using suite::Expect;
using suite::Suite;
using suite::SuiteRun;

std::atomic<bool> g_suite_interrupted{false};
void OnSuiteSignal(int) { g_suite_interrupted.store(true); }

// What the suite knows of one run once it is over.
struct RunRecord {
  const SuiteRun* run = nullptr;
  // valid / invalid / unknown / error (harness) / skipped (interrupted before it started)
  std::string verdict = "skipped";
  std::string run_dir;
  std::string report;          // report.html, when written
  std::string checker_summary;  // the checkers that did not pass, one line each
  std::string error;           // harness problem
  int64_t ops = -1;
  double seconds = 0;

  // Whether the run ended the way the suite file expects.
  bool AsExpected() const {
    if (verdict == "error" || verdict == "skipped") return false;
    switch (run->expect) {
      case Expect::kAny: return true;
      case Expect::kValid: return verdict == "valid";
      case Expect::kInvalid: return verdict == "invalid";
    }
    return false;
  }
  // What this run adds to the suite's exit code: 0 as expected, 1 a wrong
  // verdict (also a positive control that passed), 2 undecided, 255 harness.
  int ExitCode() const {
    if (verdict == "error") return kExitInternal;
    if (verdict == "skipped") return kExitUnknown;
    if (AsExpected()) return kExitValid;
    if (verdict == "unknown") return kExitUnknown;
    return kExitInvalid;
  }
};

// The one reader of a stored run (results.json through the report library).
void ReadStoredRun(const std::string& run_dir, RunRecord* rec) {
  Result<report::RunData> run = report::LoadRun(run_dir);
  if (!run.ok()) {
    if (rec->error.empty()) rec->error = run.status().ToString();
    return;
  }
  for (const auto& [name, result] : report::OrderedCheckers(*run)) {
    if (report::VerdictOf(*result) == "valid") continue;
    rec->checker_summary += (rec->checker_summary.empty() ? "" : "\n") + name + " " +
                            report::VerdictOf(*result) + ": " +
                            report::CheckerSummary(name, *result);
  }
  const std::vector<std::string> problems = report::HarnessProblems(*run);
  if (!problems.empty() && rec->error.empty()) rec->error = problems.front();
  if (const Json* checkers = report::Field(run->results, "checkers")) {
    if (const Json* stats = report::Field(*checkers, "stats")) {
      rec->ops = report::IntField(*stats, "count", -1);
    }
  }
  if (fs::exists(fs::path(run_dir) / "report.html")) {
    rec->report = (fs::path(run_dir) / "report.html").string();
  }
}

// The one adapter to the runner's public API (harness/runner/runner.h).
// `nodes_file` is empty for in-memory targets.
RunRecord RunOne(const SuiteRun& r, const std::string& nodes_file, int node_count,
                 const std::string& store) {
  RunRecord rec;
  rec.run = &r;
  TestConfig config;
  config.name = r.name;
  config.target = r.target;
  config.target_options = r.target_options;
  config.workload = r.workload;
  config.nemesis = r.nemesis;
  config.time_limit_s = r.time_limit_s;
  config.nemesis_interval_s = r.nemesis_interval_s;
  config.concurrency = std::to_string(r.Threads(node_count));
  config.seed = r.seed;
  config.store = store;
  config.rate = r.rate;
  config.check_time_limit_s = r.check_time_limit_s;
  if (nodes_file.empty()) {
    for (int i = 1; i <= node_count; ++i) config.local_nodes.push_back("n" + std::to_string(i));
  } else {
    config.nodes_file = nodes_file;
  }
  const auto start = std::chrono::steady_clock::now();
  TestEnv env;
  Result<TestOutcome> outcome = faultline::RunTest(config, env, &g_suite_interrupted, nullptr);
  // The runner stores results; the reporters write the report from them.
  if (outcome.ok()) {
    if (Status st = report::WriteReport(outcome->run_dir); !st.ok()) {
      std::fprintf(stderr, "faultline suite: report: %s\n", st.ToString().c_str());
    }
  }
  rec.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!outcome.ok()) {
    rec.verdict = "error";
    rec.error = outcome.status().ToString();
    return rec;
  }
  rec.run_dir = outcome->run_dir;
  switch (outcome->valid) {
    case Validity::kValid: rec.verdict = "valid"; break;
    case Validity::kInvalid: rec.verdict = "invalid"; break;
    case Validity::kUnknown:
      rec.verdict = outcome->harness_error.ok() ? "unknown" : "error";
      break;
  }
  if (!outcome->harness_error.ok()) rec.error = outcome->harness_error.message();
  ReadStoredRun(outcome->run_dir, &rec);
  return rec;
}

// Checks every run's names against the registries before anything runs, so
// a typo fails in a second, not an hour into the night.
Status CheckNames(const Suite& s) {
  const std::vector<std::string> workloads = WorkloadNames();
  for (const SuiteRun& r : s.runs) {
    const std::string where = s.source + ": " + r.entry + ": ";
    Result<std::unique_ptr<Target>> target = MakeTarget(r.target, r.target_options);
    if (!target.ok()) return Status::InvalidArgument(where + target.status().message());
    if (std::find(workloads.begin(), workloads.end(), r.workload) == workloads.end()) {
      std::string known;
      for (const auto& w : workloads) known += (known.empty() ? "" : ", ") + w;
      return Status::InvalidArgument(where + "workload \"" + r.workload +
                                     "\": expected one of " + known);
    }
    // A workload the target cannot serve (balance on memory) would fail every
    // night at run time; making a client connects nothing.
    WorkloadOptions wopts;
    Result<std::unique_ptr<Workload>> workload = MakeWorkload(r.workload, wopts);
    if (!workload.ok()) return Status::InvalidArgument(where + workload.status().message());
    if (Result<std::unique_ptr<Client>> probe = (*workload)->NewClient(**target); !probe.ok()) {
      return Status::InvalidArgument(where + "workload " + r.workload + " with target " +
                                     r.target + ": " + probe.status().message());
    }
    Result<std::unique_ptr<Nemesis>> nemesis = MakeNemesis(r.nemesis, **target);
    if (!nemesis.ok()) return Status::InvalidArgument(where + nemesis.status().message());
  }
  return Status::Ok();
}

// The node count of a nodes file that ReadNodesFile accepted (0 otherwise).
int NodesInFile(const std::string& path) {
  Result<NodesFile> nodes = ReadNodesFile(path);
  return nodes.ok() ? static_cast<int>(nodes->nodes.size()) : 0;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

std::string SuiteJunit(const Suite& s, const std::vector<RunRecord>& records, double seconds) {
  int failures = 0, errors = 0, skipped = 0;
  for (const RunRecord& r : records) {
    if (r.verdict == "skipped") {
      ++skipped;
    } else if (r.ExitCode() == kExitInvalid) {
      ++failures;
    } else if (r.ExitCode() != kExitValid) {
      ++errors;
    }
  }
  using report::XmlEscape;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" +
                  XmlEscape(s.name) + "\" tests=\"" + std::to_string(records.size()) +
                  "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
                  std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
                  "\" time=\"" + Seconds(seconds) + "\">\n";
  x += "  <testsuite name=\"" + XmlEscape(s.name) + "\" tests=\"" +
       std::to_string(records.size()) + "\" failures=\"" + std::to_string(failures) +
       "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
       "\" time=\"" + Seconds(seconds) + "\">\n";
  for (const RunRecord& r : records) {
    x += "    <testcase classname=\"" + XmlEscape("suite." + s.name) + "\" name=\"" +
         XmlEscape(r.run->name) + "\" time=\"" + Seconds(r.seconds) + "\">\n";
    const std::string where = r.report.empty() ? r.run_dir : r.report;
    std::string detail = "target " + r.run->target + ", workload " + r.run->workload +
                         ", seed " + std::to_string(r.run->seed) + "\n";
    if (!r.checker_summary.empty()) detail += r.checker_summary + "\n";
    if (!r.error.empty()) detail += "harness: " + r.error + "\n";
    if (!where.empty()) detail += "report: " + where + "\n";
    if (r.verdict == "skipped") {
      x += "      <skipped message=\"the suite was interrupted before this run\"/>\n";
    } else if (r.ExitCode() == kExitValid) {
      if (r.run->expect == Expect::kInvalid) {
        x += "      <system-out>" +
             XmlEscape("positive control: invalid as expected\n" + detail) + "</system-out>\n";
      }
    } else {
      std::string message;
      std::string tag = "failure";
      std::string type = r.verdict;
      if (r.verdict == "error") {
        tag = "error";
        message = "harness error: " + r.error;
      } else if (r.verdict == "unknown") {
        tag = "error";
        message = "unknown: the checkers could not decide";
      } else if (r.run->expect == Expect::kInvalid) {
        type = "control-not-caught";
        message = "positive control came out " + r.verdict +
                  ": the planted bug was not caught";
      } else {
        message = r.verdict;
      }
      const std::string first = r.checker_summary.substr(0, r.checker_summary.find('\n'));
      if (!first.empty()) message += "; " + first;
      if (!where.empty()) message += "; report: " + where;
      x += "      <" + tag + " type=\"" + XmlEscape(type) + "\" message=\"" +
           XmlEscape(message) + "\">" + XmlEscape(detail) + "</" + tag + ">\n";
    }
    x += "    </testcase>\n";
  }
  return x + "  </testsuite>\n</testsuites>\n";
}

void PrintTable(const std::vector<RunRecord>& records) {
  size_t width = 4;
  for (const RunRecord& r : records) width = std::max(width, r.run->name.size());
  std::printf("\n%-*s  %-8s  %-7s  %-6s  %9s  %8s  %s\n", static_cast<int>(width), "test",
              "verdict", "expect", "result", "ops", "seconds", "report");
  for (const RunRecord& r : records) {
    const char* result = r.verdict == "skipped" ? "skip"
                         : r.ExitCode() == 0   ? "pass"
                                               : "FAIL";
    std::printf("%-*s  %-8s  %-7s  %-6s  %9s  %8s  %s\n", static_cast<int>(width),
                r.run->name.c_str(), r.verdict.c_str(), suite::ExpectName(r.run->expect), result,
                r.ops >= 0 ? report::Thousands(r.ops).c_str() : "-", Seconds(r.seconds).c_str(),
                r.report.empty() ? (r.error.empty() ? "-" : r.error.substr(0, 80).c_str())
                                 : r.report.c_str());
  }
}

Status WriteText(const std::string& path, const std::string& text) {
  std::error_code ec;
  if (const fs::path parent = fs::path(path).parent_path(); !parent.empty()) {
    fs::create_directories(parent, ec);
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IoError(tmp + ": cannot write");
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError(path + ": cannot rename into place: " + ec.message());
  return Status::Ok();
}

}  // namespace

int RunSuite(const Args& args) {
  CLI::App app{"Runs every test a suite file lists, one after another, and writes one JUnit "
               "file for the suite.",
               "faultline suite"};
  std::string file, store = "store", junit, cluster = cluster::kDefaultClusterName, nodes_file;
  bool dry_run = false, keep_clusters = false;
  app.add_option("FILE", file, "the suite file (JSON; see README \"Nightly runs\")")->required();
  app.add_option("--store", store, "where runs are stored (default ./store)");
  app.add_option("--junit", junit, "the suite's JUnit file (default STORE/suite-NAME.xml)");
  app.add_option("--nodes-file", nodes_file,
                 "run targets on these nodes instead of local clusters");
  app.add_option("--cluster", cluster,
                 "local cluster name to bring up or reuse (default faultline; a suite needing "
                 "N nodes other than 3 uses NAME-nN)");
  app.add_flag("--keep-clusters", keep_clusters, "leave clusters the suite brought up running");
  app.add_flag("--dry-run", dry_run, "list the runs and check the names; run nothing");
  app.footer(
      "Exit: 0 every run as expected; 1 a run invalid (or a positive control valid); 2 a run\n"
      "unknown or the suite interrupted; 255 a harness error; 254 bad usage or a bad suite file.");
  constexpr int kParsed = -1;  // ParseAndRun's body: go on
  if (const int code = ParseAndRun(app, args, "suite", [] { return kParsed; }); code != kParsed) {
    return code;
  }
  Result<Suite> parsed = suite::LoadSuite(file);
  if (!parsed.ok()) {
    const bool toml = fs::path(file).extension() == ".toml";
    std::fprintf(stderr, "faultline suite: %s%s\n", parsed.status().message().c_str(),
                 toml ? " (suite files are JSON; TOML is not read)" : "");
    return kExitUsage;
  }
  const Suite& s = *parsed;
  if (Status names = CheckNames(s); !names.ok()) {
    std::fprintf(stderr, "faultline suite: %s\n", names.message().c_str());
    return kExitUsage;
  }
  if (!nodes_file.empty()) {
    Result<NodesFile> nodes = ReadNodesFile(nodes_file);
    if (nodes.ok() && nodes->nodes.empty()) {
      nodes = Status::InvalidArgument(nodes_file + ": \"nodes\" is empty");
    }
    if (!nodes.ok()) {
      std::fprintf(stderr, "faultline suite: --nodes-file: %s\n",
                   nodes.status().message().c_str());
      return kExitUsage;
    }
  }
  if (junit.empty()) junit = (fs::path(store) / ("suite-" + s.name + ".xml")).string();
  // Where the results go must be writable before an hour of runs, not after.
  if (!dry_run) {
    std::error_code ec;
    fs::create_directories(store, ec);
    if (ec || !fs::is_directory(store, ec)) {
      std::fprintf(stderr, "faultline suite: --store %s: cannot create it%s%s\n", store.c_str(),
                   ec ? ": " : "", ec ? ec.message().c_str() : "");
      return kExitUsage;
    }
    const fs::path parent = fs::path(junit).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    const std::string probe = junit + ".tmp";
    const bool writable = static_cast<bool>(std::ofstream(probe, std::ios::app));
    fs::remove(probe, ec);
    if (!writable) {
      std::fprintf(stderr, "faultline suite: --junit %s: cannot write there\n", junit.c_str());
      return kExitUsage;
    }
  }
  std::printf("suite %s: %zu runs, at least %s min of workload (%s)\n", s.name.c_str(), s.runs.size(),
              Seconds(s.WorkloadSeconds() / 60).c_str(), s.source.c_str());
  if (dry_run) {
    for (const SuiteRun& r : s.runs) {
      std::string faults;
      for (const auto& k : r.nemesis) faults += (faults.empty() ? "" : ",") + k;
      std::printf("  %-40s target %-14s workload %-10s nemesis %-22s seed %-6llu %ss expect %s\n",
                  r.name.c_str(), r.target.c_str(), r.workload.c_str(),
                  faults.empty() ? "none" : faults.c_str(),
                  static_cast<unsigned long long>(r.seed), Seconds(r.time_limit_s).c_str(),
                  suite::ExpectName(r.expect));
    }
    return kExitValid;
  }

  std::signal(SIGINT, OnSuiteSignal);
  std::signal(SIGTERM, OnSuiteSignal);
  cluster::LocalCluster local(cluster::kDefaultStateRoot, [](const std::string& line) {
    std::fprintf(stderr, "cluster: %s\n", line.c_str());
  });
  // Clusters by node count: their nodes file, and whether the suite made them.
  struct Cluster {
    std::string name, nodes_file;
    bool ours = false;
  };
  std::map<int, Cluster> clusters;
  auto cluster_for = [&](int nodes) -> Result<Cluster> {
    if (auto it = clusters.find(nodes); it != clusters.end()) return it->second;
    Cluster c;
    // The suite's usual size (3) gets the plain name; other sizes their own cluster.
    c.name = nodes == 3 ? cluster : cluster + "-n" + std::to_string(nodes);
    Result<cluster::ClusterStatus> status = local.GetStatus(c.name);
    if (status.ok() && status->up()) {
      if (static_cast<int>(status->state.nodes.size()) != nodes) {
        return Status::InvalidArgument("cluster " + c.name + " is up with " +
                                       std::to_string(status->state.nodes.size()) +
                                       " nodes; the suite needs " + std::to_string(nodes) +
                                       " (take it down, or pass --cluster)");
      }
      std::fprintf(stderr, "faultline suite: reusing cluster %s (%d nodes)\n", c.name.c_str(),
                   nodes);
      c.nodes_file = status->nodes_file;
    } else {
      std::fprintf(stderr, "faultline suite: bringing cluster %s up (%d nodes)\n",
                   c.name.c_str(), nodes);
      cluster::UpOptions up;
      up.name = c.name;
      up.nodes = nodes;
      up.cancel = &g_suite_interrupted;
      Result<cluster::ClusterState> state = local.Up(up);
      if (!state.ok()) return state.status();
      c.ours = true;
      Result<cluster::ClusterStatus> after = local.GetStatus(c.name);
      if (!after.ok()) return after.status();
      c.nodes_file = after->nodes_file;
    }
    clusters[nodes] = c;
    return c;
  };

  const auto start = std::chrono::steady_clock::now();
  std::vector<RunRecord> records;
  for (size_t i = 0; i < s.runs.size(); ++i) {
    const SuiteRun& r = s.runs[i];
    if (g_suite_interrupted.load()) {
      RunRecord skipped;
      skipped.run = &r;
      records.push_back(skipped);
      continue;
    }
    std::fprintf(stderr, "[%zu/%zu] %s\n", i + 1, s.runs.size(), r.name.c_str());
    std::string nodes;
    int node_count = r.nodes;
    if (!r.InMemory()) {
      if (!nodes_file.empty()) {
        nodes = nodes_file;
        node_count = NodesInFile(nodes_file);
      } else {
        Result<Cluster> c = cluster_for(r.nodes);
        if (!c.ok()) {
          RunRecord failed;
          failed.run = &r;
          failed.verdict = "error";
          failed.error = "cluster: " + c.status().ToString();
          std::fprintf(stderr, "faultline suite: %s: %s\n", r.name.c_str(), failed.error.c_str());
          records.push_back(failed);
          continue;
        }
        nodes = c->nodes_file;
      }
    }
    RunRecord rec = RunOne(r, nodes, node_count, store);
    if (!rec.run_dir.empty()) {
      // What the suite expected, for the store's index (a caught positive
      // control is a pass there too).
      const Json note = {{"suite", s.name}, {"expect", suite::ExpectName(r.expect)}};
      if (Status w = WriteText((fs::path(rec.run_dir) / "suite.json").string(), note.dump(2) + "\n");
          !w.ok()) {
        std::fprintf(stderr, "faultline suite: %s\n", w.ToString().c_str());
      }
      (void)report::WriteStoreIndex(store);
    }
    std::fprintf(stderr, "[%zu/%zu] %s: %s%s\n", i + 1, s.runs.size(), r.name.c_str(),
                 rec.verdict.c_str(),
                 rec.ExitCode() == 0 ? "" : (rec.AsExpected() ? "" : " (not as expected)"));
    records.push_back(std::move(rec));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& [n, c] : clusters) {
    if (!c.ours || keep_clusters) continue;
    if (Status down = local.Down(c.name); !down.ok()) {
      std::fprintf(stderr, "faultline suite: cluster %s down: %s\n", c.name.c_str(),
                   down.ToString().c_str());
    }
  }

  int code = kExitValid;
  bool any_error = false, any_invalid = false, any_unknown = false;
  for (const RunRecord& r : records) {
    const int c = r.ExitCode();
    any_error |= c == kExitInternal;
    any_invalid |= c == kExitInvalid;
    any_unknown |= c == kExitUnknown;
  }
  code = any_error ? kExitInternal : any_invalid ? kExitInvalid : any_unknown ? kExitUnknown : 0;

  PrintTable(records);
  std::error_code ec;
  if (fs::is_directory(store, ec)) {
    if (Status idx = report::WriteStoreIndex(store); !idx.ok()) {
      std::fprintf(stderr, "faultline suite: index: %s\n", idx.ToString().c_str());
    }
  }
  if (Status w = WriteText(junit, SuiteJunit(s, records, seconds)); !w.ok()) {
    std::fprintf(stderr, "faultline suite: %s\n", w.ToString().c_str());
    code = kExitInternal;
  }
  int passed = 0;
  for (const RunRecord& r : records) passed += r.ExitCode() == 0 ? 1 : 0;
  std::printf("\nsuite %s: %d of %zu runs as expected in %s s%s; exit %d\n", s.name.c_str(),
              passed, records.size(), Seconds(seconds).c_str(),
              g_suite_interrupted.load() ? " (interrupted)" : "", code);
  std::printf("junit: %s\nindex: %s\n", junit.c_str(),
              (fs::path(store) / "index.html").string().c_str());
  return code;
}

}  // namespace faultline::cli
