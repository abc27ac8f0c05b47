#include "harness/runner/runner.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "harness/control/local_remote.h"
#include "harness/control/nodes_file.h"
#include "harness/generator/combinators.h"
#include "harness/generator/driver.h"
#include "harness/history/reader.h"
#include "harness/history/writer.h"
#include "harness/report/index_page.h"
#include "harness/report/report.h"
#include "harness/runner/store.h"
#include "nemesis/nemesis.h"
#include "nemesis/nemesis_factory.h"
#include "nemesis/schedule.h"
#include "targets/registry.h"
#include "workloads/workload.h"

namespace faultline {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How long the runner waits for operations in flight once it stops issuing
// new ones; clients have their own (shorter) timeouts, this bounds a client
// that ignores them.
constexpr auto kDrainTimeout = std::chrono::seconds(30);
// How many of the most recently used keys the final reads cover.
constexpr size_t kFinalKeys = 5;
// History lines are written in batches at most this old (one write per batch
// instead of one per line); Ctrl-C, SIGTERM and errors still write them all.
// A controller killed outright loses at most this much of the history's end.
constexpr auto kHistoryGroupCommit = std::chrono::milliseconds(5);

// harness.log: every line stamped with seconds since the test started.
class HarnessLog {
 public:
  HarnessLog(const std::string& path, Clock::time_point start) : out_(path), start_(start) {}
  void Line(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "[%9.3f] ", s);
    out_ << stamp << text << "\n";
    out_.flush();
  }

 private:
  std::mutex mu_;
  std::ofstream out_;
  Clock::time_point start_;
};

// One client or nemesis thread: takes invocations from its mailbox, performs
// them, and posts completions to the shared queue.
class Worker {
 public:
  using Perform = std::function<Op(const Op&)>;
  Worker(Perform perform, std::function<void(Op)> post)
      : perform_(std::move(perform)), post_(std::move(post)), thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Give(Op op) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      mailbox_ = std::move(op);
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    while (true) {
      Op op;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || mailbox_.has_value(); });
        if (!mailbox_) return;
        op = std::move(*mailbox_);
        mailbox_.reset();
      }
      post_(perform_(op));
    }
  }

  Perform perform_;
  std::function<void(Op)> post_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Op> mailbox_;
  bool stop_ = false;
  std::thread thread_;
};

// Runs every checker of `workload` on `history`: their details by name, each
// with "valid" and "duration_ns"; *valid becomes the combined verdict.
Json RunCheckers(Workload& workload, const History& history, Validity* valid) {
  Json checkers = Json::object();
  *valid = Validity::kValid;
  for (auto& checker : workload.Checkers()) {
    const auto t0 = Clock::now();
    CheckResult r = checker->Check(history);
    r.details["valid"] = ValidityToJson(r.valid);
    r.details["duration_ns"] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    checkers[checker->name()] = r.details;
    *valid = Combine(*valid, r.valid);
  }
  return checkers;
}

struct Phase {
  std::string name;
  int64_t start_ns = 0, end_ns = 0;
  std::string status = "ok";
  std::string error;
};

class TestRun {
 public:
  TestRun(const TestConfig& config, const std::atomic<bool>* interrupt,
          const std::function<void(const Progress&)>& progress)
      : config_(config), interrupt_(interrupt), progress_(progress), start_(Clock::now()) {}

  Result<TestOutcome> Run();

 private:
  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  bool Interrupted() const { return interrupt_ && interrupt_->load(); }
  // Runs `body` as a named phase: logged, timed and recorded in results.
  Status RunPhase(const std::string& name, const std::function<Status()>& body);
  Status Connect();
  Status OpenWorkers();
  Status Generate();
  void Record(Op& op);
  void Heal(const std::string& why);
  Status DownloadLogs();
  void WriteResults(Validity valid, const Json& checkers);

  TestConfig config_;
  const std::atomic<bool>* interrupt_;
  std::function<void(const Progress&)> progress_;
  Clock::time_point start_;

  std::string run_dir_;
  std::unique_ptr<HarnessLog> log_;
  std::unique_ptr<JsonlHistoryWriter> history_;
  std::vector<Phase> phases_;
  std::vector<std::string> errors_;

  std::unique_ptr<Target> target_;
  std::unique_ptr<Workload> workload_;
  ClusterInfo cluster_;
  std::vector<std::shared_ptr<Remote>> remotes_;
  std::unique_ptr<Nemesis> nemesis_;
  NemesisContext nemesis_ctx_;
  bool target_set_up_ = false;
  bool interrupted_ = false;

  // Completions posted by workers, consumed by the coordinating thread.
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<Op> done_;
  std::vector<std::unique_ptr<Worker>> workers_;  // clients, then the nemesis
  Progress stats_;
  std::deque<Json> recent_keys_;
};

Status TestRun::RunPhase(const std::string& name, const std::function<Status()>& body) {
  Phase phase{name, Now()};
  log_->Line("phase " + name + ": start");
  Status status;
  try {
    status = body();
  } catch (const std::exception& e) {
    status = Status::Internal(name + ": " + e.what());
  }
  phase.end_ns = Now();
  if (status.code() == Status::Code::kCancelled) {
    // Ctrl-C or SIGTERM: not a harness error; the partial history is checked.
    phase.status = "interrupted";
    phase.error = status.message();
    interrupted_ = true;
    log_->Line("phase " + name + ": interrupted: " + status.message());
  } else if (!status.ok()) {
    phase.status = "failed";
    phase.error = status.ToString();
    errors_.push_back(name + ": " + status.ToString());
    log_->Line("phase " + name + ": FAILED: " + status.ToString());
  } else {
    log_->Line("phase " + name + ": done");
  }
  phases_.push_back(phase);
  return status;
}

Status TestRun::Connect() {
  if (!config_.nodes_file.empty()) {
    Result<NodesFile> nodes = ReadNodesFile(config_.nodes_file);
    if (!nodes.ok()) return nodes.status();
    bool any_non_root = false;
    for (const NodeSpec& spec : nodes->nodes) {
      Result<std::shared_ptr<Remote>> remote = ConnectNode(spec);
      if (!remote.ok()) return Status(remote.status());
      remotes_.push_back(*remote);
      cluster_.nodes.push_back(NodeInfo{spec.name, spec.host, ""});
      any_non_root |= spec.user != "root";
    }
    cluster_.sudo = any_non_root;
    // Prove every node answers before touching anything.
    std::vector<std::string> failures;
    std::mutex mu;
    std::vector<std::thread> probes;
    for (size_t i = 0; i < remotes_.size(); ++i) {
      probes.emplace_back([&, i] {
        Command c = Command::Argv({"true"});
        c.timeout = std::chrono::seconds(15);
        auto r = remotes_[i]->Run(c);
        if (!r.ok() || !r->ok()) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(cluster_.nodes[i].name + ": " +
                             (r.ok() ? "`true` exited " + std::to_string(r->exit_status)
                                     : r.status().ToString()));
        }
      });
    }
    for (auto& t : probes) t.join();
    if (!failures.empty()) {
      std::string msg;
      for (const auto& f : failures) msg += (msg.empty() ? "" : "; ") + f;
      return Status::Unreachable(msg);
    }
    return Status::Ok();
  }
  for (const std::string& name : config_.local_nodes) {
    remotes_.push_back(std::make_shared<LocalRemote>(name));
    cluster_.nodes.push_back(NodeInfo{name, "127.0.0.1", run_dir_ + "/nodes/" + name});
  }
  return Status::Ok();
}

void TestRun::Record(Op& op) {
  op.time = Now();
  Status s = history_->Append(op);
  if (!s.ok() && errors_.empty()) errors_.push_back("history: " + s.ToString());
  if (op.is_invoke() && !op.is_nemesis() && !op.key.is_null()) {
    if (recent_keys_.empty() || recent_keys_.back() != op.key) {
      for (auto it = recent_keys_.begin(); it != recent_keys_.end(); ++it) {
        if (*it == op.key) {
          recent_keys_.erase(it);
          break;
        }
      }
      recent_keys_.push_back(op.key);
      if (recent_keys_.size() > kFinalKeys) recent_keys_.pop_front();
    }
  }
  if (op.is_nemesis()) {
    if (op.is_invoke()) stats_.nemesis = op.f;
    return;
  }
  switch (op.type) {
    case OpType::kOk: ++stats_.ok; break;
    case OpType::kFail: ++stats_.fail; break;
    case OpType::kInfo: ++stats_.info; break;
    case OpType::kInvoke: break;
  }
}

Status TestRun::OpenWorkers() {
  const int n = config_.concurrency;
  auto post = [this](Op op) {
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      done_.push_back(std::move(op));
    }
    done_cv_.notify_one();
  };
  for (int t = 0; t < n; ++t) {
    const NodeInfo node = cluster_.nodes[t % cluster_.nodes.size()];
    // The client is replaced after an info: Jepsen retires a process whose
    // outcome is unknown, and its successor starts with a fresh connection.
    auto client = std::make_shared<std::unique_ptr<Client>>();
    auto open = [this, client, node]() -> Status {
      Result<std::unique_ptr<Client>> c = workload_->NewClient(*target_);
      if (!c.ok()) return c.status();
      Status s = (*c)->Open(node);
      if (!s.ok()) return s;
      *client = std::move(*c);
      return Status::Ok();
    };
    Status s = open();
    if (!s.ok()) return StatusWithCode(s.code(), "client " + std::to_string(t) + " on " + node.name +
                                             ": " + s.message());
    workers_.push_back(std::make_unique<Worker>(
        [client, open, node](const Op& invocation) {
          // A client that could not be reopened is retried before each op;
          // until it opens, ops fail honestly: nothing was sent.
          if (!*client) {
            Status s = open();
            if (!s.ok()) return CompleteFail(invocation, node.name, "client: " + s.ToString());
          }
          Op done = (*client)->Invoke(invocation);
          if (done.type == OpType::kInfo) {
            (*client)->Close();
            client->reset();
            (void)open();
          }
          return done;
        },
        post));
  }
  workers_.push_back(std::make_unique<Worker>(
      [this](const Op& invocation) {
        if (!nemesis_) {
          Op done = invocation;
          done.type = OpType::kInfo;
          done.error = "no nemesis configured";
          return done;
        }
        // The final heal is the runner's own op: it heals every fault kind.
        Op done;
        if (invocation.f == "heal") {
          Status s = nemesis_->Heal(nemesis_ctx_);
          done = CompleteNemesisOp(invocation, s.ok() ? OpType::kOk : OpType::kInfo,
                                   nullptr, s.ok() ? Json() : Json(s.ToString()));
        } else {
          done = nemesis_->Invoke(nemesis_ctx_, invocation);
        }
        log_->Line("nemesis " + invocation.f + " " + invocation.value.dump() + " -> " +
                   done.value.dump() + (done.error.is_null() ? "" : " error " + done.error.dump()));
        return done;
      },
      post));
  return Status::Ok();
}

Status TestRun::Generate() {
  const auto limit = std::chrono::nanoseconds(static_cast<int64_t>(config_.time_limit_s * 1e9));
  gen::GenPtr clients = gen::Clients(workload_->Generator());
  gen::GenPtr main = clients;
  if (nemesis_) {
    main = gen::Any({clients, gen::Nemesis(NemesisGenerator(
                                  config_.nemesis, std::chrono::nanoseconds(static_cast<int64_t>(
                                                       config_.nemesis_interval_s * 1e9))))});
  }
  auto keys = [this] { return std::vector<Json>(recent_keys_.begin(), recent_keys_.end()); };
  gen::GenPtr whole = gen::Phases({gen::TimeLimit(limit, main),
                                   gen::Nemesis(gen::Once(gen::MakeOp("heal"))),
                                   gen::Log("final operations"),
                                   gen::Clients(workload_->FinalGenerator(keys))});
  gen::Driver driver(whole, {.client_count = config_.concurrency, .nemesis = true,
                             .seed = config_.seed});
  const size_t nemesis_slot = workers_.size() - 1;
  auto last_progress = Clock::now();
  std::string phase = "main";
  bool stopping = false;
  std::optional<Clock::time_point> drain_deadline;

  auto take_completions = [&](Clock::time_point until) -> Status {
    std::unique_lock<std::mutex> lock(done_mu_);
    done_cv_.wait_until(lock, until, [&] { return !done_.empty(); });
    std::deque<Op> batch;
    batch.swap(done_);
    lock.unlock();
    for (Op& op : batch) {
      op.index = -1;
      Record(op);
      if (op.is_nemesis() && op.f == "heal") phase = "final";
      Status s = driver.Complete(op);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  };

  while (true) {
    if (progress_ && Clock::now() - last_progress > std::chrono::seconds(1)) {
      last_progress = Clock::now();
      stats_.elapsed_s = std::chrono::duration<double>(last_progress - start_).count();
      stats_.phase = stopping ? "stopping" : phase;
      progress_(stats_);
    }
    if (Interrupted() && !stopping) {
      stopping = true;
      drain_deadline = Clock::now() + kDrainTimeout;
      log_->Line("interrupted: no new operations; waiting for " +
                 std::to_string(driver.in_flight()) + " in flight");
    }
    if (stopping) {
      if (driver.in_flight() == 0) return Status::Cancelled("interrupted");
      if (Clock::now() > *drain_deadline) {
        return Status::Cancelled("interrupted; " + std::to_string(driver.in_flight()) +
                                 " operations never completed (left as crashed)");
      }
      Status s = take_completions(Clock::now() + std::chrono::milliseconds(100));
      if (!s.ok()) return s;
      continue;
    }
    Result<gen::Driver::Decision> d = driver.Next(Now());
    if (!d.ok()) return Status::Internal("generator: " + d.status().message());
    switch (d->kind) {
      case gen::Driver::Decision::Kind::kInvoke: {
        Op op = d->op;
        Record(op);
        const size_t slot =
            d->thread == gen::kNemesisThread ? nemesis_slot : static_cast<size_t>(d->thread);
        workers_[slot]->Give(op);
        break;
      }
      case gen::Driver::Decision::Kind::kLog:
        log_->Line(d->op.value.is_string() ? d->op.value.get<std::string>() : d->op.value.dump());
        break;
      case gen::Driver::Decision::Kind::kWait: {
        auto until = Clock::now() + std::chrono::milliseconds(200);
        if (d->wake_time != gen::kNever) {
          until = std::min(until, start_ + std::chrono::nanoseconds(d->wake_time));
        }
        Status s = take_completions(until);
        if (!s.ok()) return s;
        break;
      }
      case gen::Driver::Decision::Kind::kDone:
        return Status::Ok();
    }
  }
}

void TestRun::Heal(const std::string& why) {
  if (!nemesis_ || nemesis_ctx_.remotes.empty()) return;  // never reached the nodes
  Status s = nemesis_->Heal(nemesis_ctx_);
  log_->Line("heal (" + why + "): " + (s.ok() ? "ok" : s.ToString()));
  if (!s.ok()) errors_.push_back("heal: " + s.ToString());
}

Status TestRun::DownloadLogs() {
  HasLogFiles* logs = target_->log_files();
  if (!logs) return Status::Ok();
  std::string failures;
  for (size_t i = 0; i < remotes_.size(); ++i) {
    NodeContext ctx{*remotes_[i], cluster_.nodes[i], cluster_};
    Result<std::vector<std::string>> files = logs->LogFiles(ctx);
    if (!files.ok()) {
      failures += cluster_.nodes[i].name + ": " + files.status().message() + "; ";
      continue;
    }
    const std::string dir = run_dir_ + "/nodes/" + cluster_.nodes[i].name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    for (const std::string& path : *files) {
      const std::string local = dir + "/" + fs::path(path).filename().string();
      Status s = remotes_[i]->Download(path, local);
      if (!s.ok()) log_->Line("log " + cluster_.nodes[i].name + ":" + path + ": " + s.ToString());
    }
  }
  if (!failures.empty()) return Status::IoError(failures);
  return Status::Ok();
}

void TestRun::WriteResults(Validity valid, const Json& checkers) {
  Json results = {{"valid", ValidityToJson(valid)}, {"checkers", checkers}};
  Json phases = Json::array();
  for (const Phase& p : phases_) {
    Json j = {{"name", p.name}, {"start_ns", p.start_ns}, {"end_ns", p.end_ns},
              {"status", p.status}};
    if (!p.error.empty()) j["error"] = p.error;
    phases.push_back(j);
  }
  results["phases"] = phases;
  if (!errors_.empty()) results["errors"] = errors_;
  if (interrupted_) results["interrupted"] = true;
  Status s = WriteJsonFile(run_dir_ + "/results.json", results);
  if (!s.ok()) log_->Line("results.json: " + s.ToString());
}

Result<TestOutcome> TestRun::Run() {
  // Configuration errors come first, before anything is made.
  Result<std::unique_ptr<Target>> target = MakeTarget(config_.target, config_.target_options);
  if (!target.ok()) return target.status();
  target_ = std::move(*target);
  WorkloadOptions wopts;
  wopts.concurrency = config_.concurrency;
  wopts.rate = config_.rate;
  wopts.linearizability.time_limit =
      std::chrono::milliseconds(static_cast<int64_t>(config_.check_time_limit_s * 1000));
  if (Status st = ApplyWorkloadOptions(config_.workload_options, &wopts); !st.ok()) return st;
  Result<std::unique_ptr<Workload>> workload = MakeWorkload(config_.workload, wopts);
  if (!workload.ok()) return workload.status();
  workload_ = std::move(*workload);
  // A workload the target cannot serve is bad usage: say so before any node
  // is touched (making a client connects nothing).
  if (Result<std::unique_ptr<Client>> probe = workload_->NewClient(*target_); !probe.ok()) {
    return Status::InvalidArgument("--workload " + config_.workload + " with --target " +
                                   config_.target + ": " + probe.status().message());
  }
  if (!config_.nemesis.empty()) {
    // The nodes' addresses let a nemesis refuse what cannot work there (the
    // clock on a shared kernel) before anything is touched.
    NemesisOptions nemesis_options;
    if (!config_.nodes_file.empty()) {
      if (Result<NodesFile> nodes = ReadNodesFile(config_.nodes_file); nodes.ok()) {
        for (const NodeSpec& spec : nodes->nodes) nemesis_options.hosts.push_back(spec.host);
      }
    } else {
      // In-process nodes (memory targets) live on this machine.
      nemesis_options.hosts.assign(config_.local_nodes.size(), "localhost");
    }
    Result<std::unique_ptr<Nemesis>> nemesis =
        MakeNemesis(config_.nemesis, *target_, nemesis_options);
    if (!nemesis.ok()) return nemesis.status();
    nemesis_ = std::move(*nemesis);
  }

  Result<std::string> dir = CreateRunDir(config_.store, config_.name);
  if (!dir.ok()) return dir.status();
  run_dir_ = *dir;
  log_ = std::make_unique<HarnessLog>(run_dir_ + "/harness.log", start_);
  log_->Line("faultline test " + config_.name + " in " + run_dir_);
  Status s = WriteJsonFile(run_dir_ + "/test.json", config_.ToJson());
  if (!s.ok()) return s;
  Result<std::unique_ptr<JsonlHistoryWriter>> history =
      JsonlHistoryWriter::Open(run_dir_ + "/history.jsonl", {.group_commit = kHistoryGroupCommit});
  if (!history.ok()) return history.status();
  history_ = std::move(*history);

  bool ok = RunPhase("connect", [&] { return Connect(); }).ok();
  if (ok && nemesis_) {
    nemesis_ctx_.cluster = cluster_;
    nemesis_ctx_.remotes = remotes_;
    nemesis_ctx_.target = target_.get();
    nemesis_ctx_.seed = config_.seed;
    nemesis_ctx_.log = [this](const std::string& line) { log_->Line(line); };
  }
  if (ok) {
    ok = RunPhase("setup", [&] {
           target_set_up_ = true;
           return SetupAll(*target_, remotes_, cluster_);
         }).ok();
  }
  if (ok && nemesis_) {
    ok = RunPhase("nemesis setup", [&] { return nemesis_->Setup(nemesis_ctx_); }).ok();
  }
  if (ok) ok = RunPhase("open clients", [&] { return OpenWorkers(); }).ok();
  if (ok && !Interrupted()) {
    ok = RunPhase("run", [&] { return Generate(); }).ok();
  }
  // Whatever happened, the cluster is healed and the workers stopped.
  RunPhase("heal", [&] {
    Heal(ok ? "final" : "after error or interrupt");
    return Status::Ok();
  });
  RunPhase("close clients", [&] {
    workers_.clear();
    // Completions posted after the generator stopped are still recorded.
    std::lock_guard<std::mutex> lock(done_mu_);
    for (Op& op : done_) Record(op);
    done_.clear();
    return Status::Ok();
  });
  history_->Close();
  if (nemesis_ && target_set_up_) {
    RunPhase("nemesis teardown", [&] { return nemesis_->Teardown(nemesis_ctx_); });
  }
  if (target_set_up_) RunPhase("download logs", [&] { return DownloadLogs(); });
  if (target_set_up_ && !config_.leave_running) {
    RunPhase("teardown", [&] { return TeardownAll(*target_, remotes_, cluster_); });
  }

  // Check what is on disk: the same file `faultline analyze` would read.
  Json checkers = Json::object();
  Validity valid = Validity::kValid;
  RunPhase("check", [&]() -> Status {
    Result<History> h = ReadHistoryFile(run_dir_ + "/history.jsonl", HistoryFormat::kJsonl);
    if (!h.ok()) return h.status();
    checkers = RunCheckers(*workload_, *h, &valid);
    for (const auto& [name, details] : checkers.items()) {
      log_->Line("checker " + name + ": " + details["valid"].dump());
    }
    return Status::Ok();
  });
  // A run whose phases failed, or that was cut short, cannot be called valid;
  // a violation found in a partial history still stands.
  if ((!errors_.empty() || interrupted_) && valid == Validity::kValid) valid = Validity::kUnknown;
  WriteResults(valid, checkers);
  Status report = report::WriteReport(run_dir_);
  if (!report.ok()) log_->Line("report: " + report.ToString());
  s = UpdateLatestLink(config_.store, run_dir_);
  if (!s.ok()) log_->Line("latest link: " + s.ToString());
  s = report::WriteStoreIndex(config_.store);
  if (!s.ok()) log_->Line("store index: " + s.ToString());

  TestOutcome outcome;
  outcome.valid = valid;
  outcome.run_dir = run_dir_;
  if (!errors_.empty()) outcome.harness_error = Status::Internal(errors_.front());
  if (Result<report::RunData> run = report::LoadRun(run_dir_); run.ok()) {
    outcome.summary = report::ConsoleSummary(*run);
  }
  return outcome;
}

}  // namespace

Json TestConfig::ToJson() const {
  return {{"name", name},
          {"target", target},
          {"target_options", target_options},
          {"workload", workload},
          {"workload_options", workload_options},
          {"nemesis", nemesis},
          {"time_limit_s", time_limit_s},
          {"nemesis_interval_s", nemesis_interval_s},
          {"concurrency", concurrency},
          {"seed", seed},
          {"store", store},
          {"nodes_file", nodes_file},
          {"local_nodes", local_nodes},
          {"leave_running", leave_running},
          {"rate", rate},
          {"check_time_limit_s", check_time_limit_s}};
}

Result<TestConfig> TestConfig::FromJson(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("test.json: expected a JSON object");
  TestConfig c;
  try {
    c.name = j.value("name", c.name);
    c.target = j.value("target", c.target);
    c.target_options = j.value("target_options", Json::object());
    c.workload = j.value("workload", c.workload);
    c.workload_options = j.value("workload_options", Json::object());
    c.nemesis = j.value("nemesis", std::vector<std::string>{});
    c.time_limit_s = j.value("time_limit_s", c.time_limit_s);
    c.nemesis_interval_s = j.value("nemesis_interval_s", c.nemesis_interval_s);
    c.concurrency = j.value("concurrency", c.concurrency);
    c.seed = j.value("seed", c.seed);
    c.store = j.value("store", c.store);
    c.nodes_file = j.value("nodes_file", c.nodes_file);
    c.local_nodes = j.value("local_nodes", std::vector<std::string>{});
    c.leave_running = j.value("leave_running", c.leave_running);
    c.rate = j.value("rate", c.rate);
    c.check_time_limit_s = j.value("check_time_limit_s", c.check_time_limit_s);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("test.json: a field has the wrong type: ") +
                                   e.what());
  }
  return c;
}

Result<TestOutcome> RunTest(const TestConfig& config, const std::atomic<bool>* interrupt,
                            const std::function<void(const Progress&)>& progress) {
  TestConfig c = config;
  if (c.name.empty()) c.name = c.target + "-" + c.workload;
  if (c.nodes_file.empty() && c.local_nodes.empty()) {
    return Status::InvalidArgument(
        "no nodes: give --nodes-file (or bring up a local cluster with `faultline cluster up`)");
  }
  if (c.time_limit_s <= 0) return Status::InvalidArgument("--time-limit must be > 0 seconds");
  if (c.nemesis_interval_s <= 0) {
    return Status::InvalidArgument("--nemesis-interval must be > 0 seconds");
  }
  TestRun run(c, interrupt, progress);
  return run.Run();
}

Result<TestOutcome> AnalyzeRun(const std::string& run_dir) {
  Result<Json> test = ReadJsonFile(run_dir + "/test.json");
  if (!test.ok()) return test.status();
  Result<TestConfig> config = TestConfig::FromJson(*test);
  if (!config.ok()) return config.status();
  WorkloadOptions wopts;
  wopts.linearizability.time_limit =
      std::chrono::milliseconds(static_cast<int64_t>(config->check_time_limit_s * 1000));
  if (Status st = ApplyWorkloadOptions(config->workload_options, &wopts); !st.ok()) return st;
  Result<std::unique_ptr<Workload>> workload = MakeWorkload(config->workload, wopts);
  if (!workload.ok()) return workload.status();
  Result<History> history = ReadHistoryFile(run_dir + "/history.jsonl", HistoryFormat::kJsonl);
  if (!history.ok()) return history.status();
  // Keep the run's phases and errors; replace the verdicts.
  Json results = Json::object();
  if (Result<Json> old = ReadJsonFile(run_dir + "/results.json"); old.ok() && old->is_object()) {
    results = *old;
  }
  Validity valid = Validity::kValid;
  const Json checkers = RunCheckers(**workload, *history, &valid);
  if ((results.contains("errors") || results.value("interrupted", false)) &&
      valid == Validity::kValid) {
    valid = Validity::kUnknown;
  }
  results["valid"] = ValidityToJson(valid);
  results["checkers"] = checkers;
  Status s = WriteJsonFile(run_dir + "/results.json", results);
  if (!s.ok()) return s;
  s = report::WriteReport(run_dir);
  if (!s.ok()) return s;
  // A run inside a store (store/<test>/<run>) changes that store's index.
  if (const std::filesystem::path store = std::filesystem::path(run_dir).parent_path().parent_path();
      std::filesystem::exists(store / "index.html")) {
    (void)report::WriteStoreIndex(store.string());
  }
  TestOutcome outcome;
  outcome.valid = valid;
  outcome.run_dir = run_dir;
  if (Result<report::RunData> run = report::LoadRun(run_dir); run.ok()) {
    outcome.summary = report::ConsoleSummary(*run);
  }
  return outcome;
}

}  // namespace faultline
