// The harness's cost on a real target, measured fairly: the same clients,
// the same target set up the same way, the same concurrency and duration, run
// straight ("raw": one loop per thread, nothing recorded) and through the
// runner ("harness": RunTest, exactly what `faultline test` runs: generator,
// driver, worker threads, every op recorded to history.jsonl with group
// commit). The two modes alternate A/B/A/B so that other load on the machine
// drifts into both; the medians and their ratio are reported.
//
//   faultline cluster up --nodes 3 --name hc1
//   build/bench/harness_cost_bench --nodes-file /var/lib/faultline/clusters/hc1/nodes.json
//       [--target haproxy] [--workload balance|register] [--pairs 5] [--seconds 10]
//       [--clients 8] [--rate 100000] [--store-parent /tmp]
//
// Both modes do the same work in their timed window. balance: `clients`
// request threads (unique ids, keys k0..k31, as the workload) plus one thread
// reading the balancer's health every 100 ms (the workload's `backends` op on
// its own thread: --concurrency clients+1). register (e.g. --target
// redis-sentinel): `clients` threads of reads, writes and CASes 2:1:1, two
// threads per key, a fresh key every 200 ops, as the register workload. No
// nemesis. The window is the run phase only: from about 1 s after the first
// op to the time limit, sampled on the runner's coordinating thread through
// its progress callback (so setup, final reads, log download, teardown and
// the checkers are outside it); the raw mode samples at the same instants.
// Per window: completed ops per second, and the process's CPU time per op
// (getrusage: every thread of the controller, user + system), which other
// load on the machine disturbs much less than the rate.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/control/nodes_file.h"
#include "harness/runner/runner.h"
#include "targets/client.h"
#include "targets/registry.h"
#include "workloads/balance_workload.h"

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string nodes_file;
  std::string target = "haproxy";
  std::string workload = "balance";  // or register
  int pairs = 5;
  double seconds = 10;
  int clients = 8;
  double rate = 100000;
  std::string store_parent = "/tmp";  // where the runs' store is made
};

// The processes of the local cluster's nodes (the target: HAProxy, nginx,
// Redis, ...): those in the PID namespace of a node's first process, as the
// cluster's state.json next to the nodes file lists them. Found once per run,
// at its first sample (they do not change during the run phase), and read
// at every sample, so their CPU per op is known too.
class ClusterCpu {
 public:
  explicit ClusterCpu(const std::string& nodes_file) {
    std::ifstream in(std::filesystem::path(nodes_file).parent_path() / "state.json");
    Json state = Json::parse(in, nullptr, false);
    if (!state.is_object() || !state["nodes"].is_array()) return;
    for (const Json& node : state["nodes"]) {
      if (!node.contains("init_pid") || !node["init_pid"].is_number_integer()) continue;
      const std::string ns = PidNamespace(node["init_pid"].get<int64_t>());
      if (!ns.empty()) namespaces_.insert(ns);
    }
  }
  bool known() const { return !namespaces_.empty(); }
  // Starts a run: the cluster's processes are looked up at the next Seconds().
  void Reset() { pids_.reset(); }
  // User + system CPU seconds of the cluster's processes so far.
  double Seconds() {
    if (!known()) return 0;
    if (!pids_) {
      pids_.emplace();
      for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const int64_t pid = std::stoll(name);
        if (namespaces_.count(PidNamespace(pid))) pids_->push_back(pid);
      }
    }
    double ticks = 0;
    for (int64_t pid : *pids_) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      const size_t paren = text.rfind(')');
      if (paren == std::string::npos) continue;  // gone
      std::istringstream fields(text.substr(paren + 2));
      std::string f;
      // After "pid (comm) ": state is field 3; utime and stime are 14 and 15.
      for (int i = 3; i <= 13 && fields >> f; ++i) {
      }
      double utime = 0, stime = 0;
      fields >> utime >> stime;
      ticks += utime + stime;
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  static std::string PidNamespace(int64_t pid) {
    std::error_code ec;
    const auto target =
        std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/pid", ec);
    return ec ? std::string() : target.string();
  }

  std::set<std::string> namespaces_;
  std::optional<std::vector<int64_t>> pids_;
};

struct Sample {
  Clock::time_point at;
  double cpu_s = 0;          // this process (the controller)
  double cluster_cpu_s = 0;  // the target's processes on the nodes
  int64_t ops = 0;
  int64_t switches = 0;  // voluntary + involuntary context switches
};

Sample Take(int64_t ops, ClusterCpu& cluster) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return {Clock::now(), secs(u.ru_utime) + secs(u.ru_stime), cluster.Seconds(), ops,
          u.ru_nvcsw + u.ru_nivcsw};
}

struct Window {
  double ops_per_s = 0;
  double cpu_us_per_op = 0;
  double cluster_cpu_us_per_op = 0;
  double switches_per_op = 0;
};

Window Between(const Sample& a, const Sample& b) {
  const double wall = std::chrono::duration<double>(b.at - a.at).count();
  const double ops = static_cast<double>(b.ops - a.ops);
  Window w;
  if (wall <= 0 || ops <= 0) return w;
  w.ops_per_s = ops / wall;
  w.cpu_us_per_op = (b.cpu_s - a.cpu_s) * 1e6 / ops;
  w.cluster_cpu_us_per_op = (b.cluster_cpu_s - a.cluster_cpu_s) * 1e6 / ops;
  w.switches_per_op = static_cast<double>(b.switches - a.switches) / ops;
  return w;
}

// The target set up on the nodes, for the raw mode.
struct Nodes {
  std::vector<std::shared_ptr<Remote>> remotes;
  ClusterInfo cluster;
  std::unique_ptr<Target> target;
};

Result<Nodes> Connect(const Flags& flags) {
  Result<NodesFile> file = ReadNodesFile(flags.nodes_file);
  if (!file.ok()) return file.status();
  Nodes n;
  for (const NodeSpec& spec : file->nodes) {
    Result<std::shared_ptr<Remote>> r = ConnectNode(spec);
    if (!r.ok()) return Status::Unreachable(spec.name + ": " + r.status().ToString());
    n.remotes.push_back(*r);
    n.cluster.nodes.push_back({spec.name, spec.host, ""});
  }
  Result<std::unique_ptr<Target>> t = MakeTarget(flags.target);
  if (!t.ok()) return t.status();
  n.target = std::move(*t);
  if (n.target->in_process()) {
    return Status::InvalidArgument("--target " + flags.target +
                                   " runs in this process; give a target that runs on the nodes");
  }
  const bool balance = flags.workload == "balance";
  if (balance ? n.target->balance_clients() == nullptr : n.target->register_clients() == nullptr) {
    return Status::InvalidArgument("--target " + flags.target + " offers no " + flags.workload +
                                   " clients");
  }
  return n;
}

// Raw: a fresh setup (as each `faultline test` makes), then the threads in a
// loop; the window from 1 s after the start to `seconds`.
Result<Window> RunRaw(const Flags& flags, Nodes& nodes, ClusterCpu& cluster) {
  if (Status s = SetupAll(*nodes.target, nodes.remotes, nodes.cluster); !s.ok()) return s;
  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next_id{1};
  std::vector<std::thread> threads;
  const size_t n = nodes.cluster.nodes.size();
  const bool balance = flags.workload == "balance";
  // balance: thread 0 is the health reader (the workload's own thread for it).
  const int threads_total = balance ? flags.clients + 1 : flags.clients;
  for (int t = 0; t < threads_total; ++t) {
    threads.emplace_back([&, t] {
      const NodeInfo& node = nodes.cluster.nodes[static_cast<size_t>(t) % n];
      auto open = [&] {
        std::unique_ptr<Client> c = balance
                                        ? nodes.target->balance_clients()->NewBalanceClient()
                                        : nodes.target->register_clients()->NewRegisterClient();
        (void)c->Open(node);
        return c;
      };
      std::unique_ptr<Client> client = open();
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
      Op op;
      op.process = t;
      auto last = Clock::now();
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (!balance) {
          // The register workload's mix: reads, writes and CASes 2:1:1, two
          // threads per key, a fresh key after 200 ops of the pair; values
          // unique per key, CASes against a recent value so some succeed.
          op.key = (static_cast<int64_t>(t / 2) << 32) + i / 100;
          const int64_t v = 2 * (i % 100) + (t % 2) * 1000;
          switch (rng() % 4) {
            case 0:
            case 1: op.f = "read"; op.value = nullptr; break;
            case 2: op.f = "write"; op.value = v + 1; break;
            default: op.f = "cas"; op.value = Json::array({v - 1, v + 2}); break;
          }
        } else if (t == 0) {  // the health reader: one every 100 ms
          std::this_thread::sleep_until(last + std::chrono::milliseconds(100));
          last = Clock::now();
          op.f = "backends";
        } else {
          op.f = "request";
          op.value = Json{{"id", next_id.fetch_add(1)}};
          op.key = "k" + std::to_string(rng() % kBalanceKeys);
        }
        Op completion = client->Invoke(op);
        done.fetch_add(1, std::memory_order_relaxed);
        if (completion.type == OpType::kInfo) {  // as the runner: a new client
          client->Close();
          client = open();
        }
      }
      client->Close();
    });
  }
  // Sampled every second, as the runner calls its progress callback.
  const auto start = Clock::now();
  cluster.Reset();
  std::this_thread::sleep_until(start + std::chrono::seconds(1));
  const Sample a = Take(done.load(), cluster);
  Sample b = a;
  for (int i = 2; i <= static_cast<int>(flags.seconds); ++i) {
    std::this_thread::sleep_until(start + std::chrono::seconds(i));
    b = Take(done.load(), cluster);
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  return Between(a, b);
}

// Harness: RunTest as `faultline test --target T --workload W --concurrency
// clients(+1 for balance) --rate R --time-limit seconds` runs it.
Result<Window> RunHarness(const Flags& flags, const std::string& store, uint64_t seed,
                          ClusterCpu& cluster) {
  TestConfig config;
  config.target = flags.target;
  config.workload = flags.workload;
  config.nodes_file = flags.nodes_file;
  config.time_limit_s = flags.seconds;
  config.concurrency = std::to_string(flags.workload == "balance" ? flags.clients + 1 : flags.clients);
  config.rate = flags.rate;
  config.seed = seed;
  config.store = store;
  config.leave_running = true;  // the next setup wipes it; saves a teardown
  bool have_first = false;
  Sample a, b;
  cluster.Reset();
  auto progress = [&](const Progress& p) {
    if (p.phase != "main") return;
    b = Take(p.ok + p.fail + p.info, cluster);
    if (!have_first) {
      a = b;
      have_first = true;
    }
  };
  Result<TestOutcome> outcome = RunTest(config, TestEnv{}, nullptr, progress);
  if (!outcome.ok()) return outcome.status();
  // A failed or invalid run is kept (with its store) for a look.
  if (!outcome->harness_error.ok()) {
    return Status::Internal(outcome->harness_error.ToString() + " (run " + outcome->run_dir + ")");
  }
  if (outcome->valid != Validity::kValid) {
    return Status::Internal("the harness run was not valid: " + outcome->run_dir);
  }
  std::error_code ec;
  std::filesystem::remove_all(outcome->run_dir, ec);
  if (!have_first) return Status::Internal("no progress samples in the run phase");
  return Between(a, b);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double LoadAverage() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

int Usage(const std::string& why) {
  std::cerr << "harness_cost_bench: " << why
            << "\nusage: harness_cost_bench --nodes-file FILE [--target T] [--workload balance|register] "
               "[--pairs N] [--seconds S] [--clients N] [--rate R] [--store-parent DIR]\n";
  return 254;
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(arg + ": expected a value after it");
    const std::string v = argv[++i];
    char* end = nullptr;
    const double num = std::strtod(v.c_str(), &end);
    const bool numeric = end != v.c_str() && *end == '\0' && num > 0;
    if (arg == "--nodes-file") {
      flags.nodes_file = v;
    } else if (arg == "--target") {
      flags.target = v;
    } else if (arg == "--workload") {
      flags.workload = v;
    } else if (arg == "--store-parent") {
      flags.store_parent = v;
    } else if (!numeric) {
      return Usage(arg + " " + v + ": expected a number > 0");
    } else if (arg == "--pairs") {
      flags.pairs = static_cast<int>(num);
    } else if (arg == "--seconds") {
      flags.seconds = num;
    } else if (arg == "--clients") {
      flags.clients = static_cast<int>(num);
    } else if (arg == "--rate") {
      flags.rate = num;
    } else {
      return Usage("unknown flag " + arg);
    }
  }
  if (flags.nodes_file.empty()) return Usage("--nodes-file is required");
  if (flags.workload != "balance" && flags.workload != "register") {
    return Usage("--workload " + flags.workload + ": expected balance or register");
  }
  if (flags.seconds < 3) return Usage("--seconds must be at least 3 (the window starts at 1 s)");
  if (flags.pairs < 1 || flags.clients < 1) return Usage("--pairs and --clients must be >= 1");
  Result<Nodes> nodes = Connect(flags);
  if (!nodes.ok()) {
    std::cerr << "harness_cost_bench: " << nodes.status().ToString() << "\n";
    return nodes.status().code() == Status::Code::kInvalidArgument ? 254 : 255;
  }
  std::string store_template = flags.store_parent + "/faultline-harness-cost-XXXXXX";
  char* store = mkdtemp(store_template.data());
  if (store == nullptr) {
    std::cerr << "harness_cost_bench: --store-parent " << flags.store_parent
              << ": cannot create a directory there\n";
    return 254;
  }
  std::printf("%s %s, %d client threads%s, %.0f s per run, --rate %.0f\n", flags.target.c_str(),
              flags.workload.c_str(), flags.clients,
              flags.workload == "balance" ? " + 1 health reader" : "", flags.seconds, flags.rate);
  ClusterCpu cluster(flags.nodes_file);
  if (!cluster.known()) {
    std::printf("(no cluster state.json beside the nodes file: target CPU not measured)\n");
  }
  std::printf("pair  mode     ops/s  controller  target  total us/op  switches/op  load\n");
  std::vector<double> raw_rate, raw_cpu, raw_total, h_rate, h_cpu, h_total, ratios, cpu_ratios;
  int status = 0;
  for (int pair = 1; pair <= flags.pairs && status == 0; ++pair) {
    for (const bool harness : {false, true}) {
      Result<Window> w = harness
                             ? RunHarness(flags, store, static_cast<uint64_t>(pair), cluster)
                             : RunRaw(flags, *nodes, cluster);
      if (!w.ok()) {
        std::cerr << "harness_cost_bench: " << (harness ? "harness" : "raw") << " run: "
                  << w.status().ToString() << "\n";
        status = 255;
        break;
      }
      const double total = w->cpu_us_per_op + w->cluster_cpu_us_per_op;
      std::printf("%4d  %-7s %7.0f  %10.1f  %6.1f  %11.1f  %11.2f  %4.1f\n", pair,
                  harness ? "harness" : "raw", w->ops_per_s, w->cpu_us_per_op,
                  w->cluster_cpu_us_per_op, total, w->switches_per_op, LoadAverage());
      std::fflush(stdout);
      (harness ? h_rate : raw_rate).push_back(w->ops_per_s);
      (harness ? h_cpu : raw_cpu).push_back(w->cpu_us_per_op);
      (harness ? h_total : raw_total).push_back(total);
      if (harness) {
        ratios.push_back(w->ops_per_s / raw_rate.back());
        cpu_ratios.push_back(raw_total.back() / total);
      }
    }
  }
  (void)TeardownAll(*nodes->target, nodes->remotes, nodes->cluster);
  std::error_code ec;
  if (status == 0) std::filesystem::remove_all(store, ec);
  if (status != 0 || ratios.empty()) return status ? status : 255;
  const double raw = Median(raw_rate), h = Median(h_rate);
  std::printf("median  raw %.0f ops/s, controller %.1f, total %.1f cpu us/op; harness %.0f ops/s, "
              "controller %.1f, total %.1f cpu us/op\n",
              raw, Median(raw_cpu), Median(raw_total), h, Median(h_cpu), Median(h_total));
  std::printf("harness/raw ops/s: median of per-pair ratios %.3f, ratio of medians %.3f\n",
              Median(ratios), h / raw);
  // Where controller and target share saturated cores, ops/s follows the
  // CPU all of them spend per op; other load on the machine cancels out.
  std::printf("harness/raw by CPU per op (controller + target): median of per-pair ratios %.3f "
              "(cost %.1f %%); extra controller cpu per op %.1f us\n",
              Median(cpu_ratios), (1 - Median(cpu_ratios)) * 100, Median(h_cpu) - Median(raw_cpu));
  return 0;
}

}  // namespace
}  // namespace faultline

int main(int argc, char** argv) { return faultline::Main(argc, argv); }
