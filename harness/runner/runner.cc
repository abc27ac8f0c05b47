#include "harness/runner/runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "harness/base/parallel.h"
#include "harness/control/local_remote.h"
#include "harness/control/net.h"
#include "harness/control/nodes_file.h"
#include "harness/generator/combinators.h"
#include "harness/generator/driver.h"
#include "harness/history/reader.h"
#include "harness/history/writer.h"
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
// A client whose ops fail (its node is down or cut off) waits before its next
// op, doubling from the first to the last bound and reset by a success, so a
// node down for 10 s costs hundreds of failed ops, not a busy loop.
constexpr auto kFirstBackoff = std::chrono::milliseconds(10);
constexpr auto kMaxBackoff = std::chrono::seconds(1);

// Whether a completed client op says the node could not serve it (back off),
// rather than a definite answer about the data (a CAS whose compare failed,
// a lock that is busy or not held).
bool ShouldBackOff(const Op& op) {
  if (op.is_nemesis()) return false;
  if (op.type == OpType::kInfo) return true;
  if (op.type != OpType::kFail) return false;
  if (!op.error.is_string()) return true;
  const std::string& e = op.error.get_ref<const std::string&>();
  return e != kCasMismatchError && e != "lock-busy" && e != "not-held";
}

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
// them, and posts each completion. Posting may hand back the thread's next
// invocation (already recorded), which it then performs at once: at high
// rates most ops go from one to the next without waking another thread.
class Worker {
 public:
  using Perform = std::function<Op(const Op&)>;
  using Post = std::function<std::optional<Op>(size_t, Op)>;
  Worker(size_t slot, Perform perform, Post post)
      : slot_(slot), perform_(std::move(perform)), post_(std::move(post)),
        thread_([this] { Loop(); }) {}
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
      std::optional<Op> op;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || mailbox_.has_value(); });
        if (!mailbox_) return;
        op = std::move(mailbox_);
        mailbox_.reset();
      }
      while (op) op = post_(slot_, perform_(*op));
    }
  }

  const size_t slot_;
  Perform perform_;
  Post post_;
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

// Reads a run's history.jsonl. A last line cut mid-way (a controller killed
// while writing it) is left out with a warning in *warnings; any other
// malformed line is an error.
Result<History> ReadRunHistory(const std::string& path, std::vector<std::string>* warnings) {
  if (std::error_code ec; fs::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory; expected a history file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!text.empty() && text.back() != '\n') {
    const size_t cut = text.rfind('\n');
    const size_t kept = cut == std::string::npos ? 0 : cut + 1;
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + kept, '\n'));
    warnings->push_back(path + ":" + std::to_string(line) + ": the last line was cut mid-way (" +
                        std::to_string(text.size() - kept) +
                        " bytes, no newline); analyzed without it");
    text.resize(kept);
  }
  return ParseHistory(text, path, HistoryFormat::kJsonl);
}

// Seconds to milliseconds for the checker's bound; a value that does not fit
// (1e300, nan from a hand-edited test.json) is bad input, not a cast's
// undefined behaviour.
Result<std::chrono::milliseconds> CheckTimeLimit(double seconds, const std::string& what) {
  if (!(seconds >= 0 && seconds <= 1e9)) {
    return Status::InvalidArgument(what + ": expected seconds from 0 to 1e9, got " +
                                   Json(seconds).dump());
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

using Phase = PhaseRecord;

class TestRun {
 public:
  TestRun(const TestConfig& config, const TestEnv& env, const std::atomic<bool>* interrupt,
          const std::function<void(const Progress&)>& progress)
      : config_(config), env_(env), interrupt_(interrupt), progress_(progress),
        start_(Clock::now()) {}

  // Resolves the configuration; InvalidArgument for bad input. Makes nothing.
  Status Resolve();
  // Runs the resolved test.
  Result<TestOutcome> Run();

 private:
  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  bool Interrupted() const { return interrupt_ && interrupt_->load(); }
  // Runs `body` as a named phase: logged, timed and recorded in results.
  Status RunPhase(const std::string& name, const std::function<Status()>& body);
  Status Connect();
  Status ResetNodes();
  Status OpenWorkers();
  Status Generate();
  // A worker's completion (from its thread). While the generator runs, a
  // client completion that needs no backoff is recorded and handed to the
  // driver right here, and what the driver decides next is dispatched from
  // this thread too: the worker's own next invocation is returned, others go
  // to their workers. Everything else is queued for the coordinating thread.
  std::optional<Op> Post(size_t slot, Op op);
  // Requires mu_. Asks the driver until it waits or is done: invocations are
  // recorded and given to their workers, except one for slot `own` (when
  // set), which is put in *mine instead and ends the dispatch; log lines are
  // written. Returns the wait or done decision (kInvoke when *mine was
  // filled).
  Result<gen::Driver::Decision> DispatchLocked(std::optional<size_t> own, std::optional<Op>* mine);
  void Record(Op& op);
  void Heal(const std::string& why);
  Status DownloadLogs();

  TestConfig config_;
  TestEnv env_;
  const std::atomic<bool>* interrupt_;
  std::function<void(const Progress&)> progress_;
  Clock::time_point start_;

  // Resolved from the configuration.
  int clients_ = 0;
  std::vector<NodeSpec> node_specs_;  // from the nodes file; empty in process
  std::vector<std::string> nemesis_kinds_;
  std::shared_ptr<RunStore> store_;

  std::optional<RunDir> run_;
  std::string run_dir_;
  std::unique_ptr<HarnessLog> log_;
  std::unique_ptr<JsonlHistoryWriter> history_;
  std::vector<Phase> phases_;
  std::vector<std::string> errors_;
  Status::Code first_error_code_ = Status::Code::kInternal;
  std::vector<std::string> warnings_;

  std::unique_ptr<Target> target_;
  std::unique_ptr<Workload> workload_;
  ClusterInfo cluster_;
  std::vector<std::shared_ptr<Remote>> remotes_;
  std::unique_ptr<Nemesis> nemesis_;
  NemesisContext nemesis_ctx_;
  bool target_set_up_ = false;
  bool interrupted_ = false;

  // mu_ guards the driver and the history (Record) while the generator runs,
  // and everything below up to workers_: the coordinating thread holds it
  // except while it waits on wake_, and workers take it in Post.
  std::mutex mu_;
  std::condition_variable wake_;  // the coordinating thread waits on it
  std::deque<std::pair<size_t, Op>> done_;  // (worker slot, completion) for the coordinator
  gen::Driver* driver_ = nullptr;  // while Generate runs
  bool workers_dispatch_ = false;  // Post may complete and dispatch itself
  Status dispatch_error_;          // the first failure of a worker's dispatch
  std::vector<std::chrono::milliseconds> backoff_;  // per worker slot
  std::string gen_phase_ = "main";
  // When the sleeping coordinator looks at the driver next, in Now() ns;
  // kAwake while it is not waiting. A worker whose dispatch ends in a wait
  // that is due earlier (or in done) pokes it.
  static constexpr int64_t kAwake = std::numeric_limits<int64_t>::min();
  int64_t coordinator_wake_ns_ = kAwake;
  bool poked_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;  // clients, then the nemesis
  Progress stats_;
  std::deque<Json> recent_keys_;
};

Status TestRun::RunPhase(const std::string& name, const std::function<Status()>& body) {
  Phase phase;
  phase.name = name;
  phase.start_ns = Now();
  if (Status s = run_->MarkPhase(name); !s.ok()) log_->Line("state.json: " + s.ToString());
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
    if (errors_.empty()) first_error_code_ = status.code();
    errors_.push_back(name + ": " + status.ToString());
    log_->Line("phase " + name + ": FAILED: " + status.ToString());
  } else {
    log_->Line("phase " + name + ": done");
  }
  phases_.push_back(phase);
  return status;
}

Status TestRun::Connect() {
  const bool in_process = target_->in_process();
  std::vector<NetNode> net_nodes;
  if (!in_process) {
    bool any_non_root = false;
    for (const NodeSpec& spec : node_specs_) {
      Result<std::shared_ptr<Remote>> remote = env_.connector->Connect(spec);
      if (!remote.ok()) return StatusWithCode(remote.status().code(),
                                              spec.name + ": " + remote.status().message());
      remotes_.push_back(*remote);
      cluster_.nodes.push_back(NodeInfo{spec.name, spec.host, ""});
      net_nodes.push_back({spec.name, spec.host, *remote});
      any_non_root |= spec.user != "root";
    }
    cluster_.sudo = any_non_root;
    // Prove every node answers before touching anything.
    std::vector<std::string> names;
    for (const NodeInfo& node : cluster_.nodes) names.push_back(node.name);
    Status s = OnEach("connecting", names, [&](size_t i) -> Status {
      Command c = Command::Argv({"true"});
      c.timeout = std::chrono::seconds(15);
      auto r = remotes_[i]->Run(c);
      // Keep the code: an auth failure, a host-key mismatch or a timeout is
      // reported as such, not as "unreachable".
      if (!r.ok()) return r.status();
      if (!r->ok()) return Status::Unreachable("`true` exited " + std::to_string(r->exit_status));
      return Status::Ok();
    });
    if (!s.ok()) return s;
  } else {
    for (const std::string& name : config_.local_nodes) {
      Result<std::shared_ptr<Remote>> remote = env_.connector->ConnectInProcess(name);
      if (!remote.ok()) return remote.status();
      Result<std::string> dir = run_->node_dir(name);
      if (!dir.ok()) return dir.status();
      remotes_.push_back(*remote);
      cluster_.nodes.push_back(NodeInfo{name, "127.0.0.1", *dir});
      net_nodes.push_back({name, "127.0.0.1", *remote});
    }
  }
  cluster_.net = env_.make_net(net_nodes, in_process);
  if (cluster_.net) {
    Status usable = cluster_.net->Usable();
    log_->Line("network: " + cluster_.net->name() +
               (usable.ok() ? "" : " (cannot partition: " + usable.message() + ")"));
  }
  return Status::Ok();
}

// Setup always starts from healed nodes: an earlier controller killed during
// a partition or a pause leaves DROP rules and stopped processes behind, and
// the target's setup would then time out without saying why.
Status TestRun::ResetNodes() {
  if (cluster_.net) {
    Result<std::vector<std::string>> left = cluster_.net->Reset();
    if (!left.ok()) return left.status();
    if (!left->empty()) {
      std::string names;
      for (const std::string& n : *left) names += (names.empty() ? "" : ", ") + n;
      const std::string line = "setup: cleared the partition (" + cluster_.net->name() +
                               ") left by an earlier test on " + names;
      log_->Line(line);
      warnings_.push_back(line);
      if (env_.notice) env_.notice(line);
    }
  }
  if (Pausable* pausable = target_->pausable()) {
    std::vector<std::string> names;
    for (const NodeInfo& node : cluster_.nodes) names.push_back(node.name);
    std::vector<Status> resumed = ParallelMap(names.size(), [&](size_t i) {
      return pausable->Resume(NodeContext{*remotes_[i], cluster_.nodes[i], cluster_});
    });
    // NotFound: nothing of the target runs there (the usual case).
    LabelledStatuses failures;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!resumed[i].ok() && resumed[i].code() != Status::Code::kNotFound) {
        failures.emplace_back(names[i], resumed[i]);
      }
    }
    if (Status s = MergeErrors("resuming stopped processes", failures); !s.ok()) {
      log_->Line("setup: " + s.ToString());
    } else {
      log_->Line("setup: resumed any stopped " + target_->name() + " processes");
    }
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
  const int n = clients_;
  auto post = [this](size_t slot, Op op) { return Post(slot, std::move(op)); };
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
        static_cast<size_t>(t), [client, open, node](const Op& invocation) {
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
      workers_.size(), [this](const Op& invocation) {
        if (!nemesis_) {
          Op done = invocation;
          done.type = OpType::kInfo;
          done.error = "no nemesis configured";
          return done;
        }
        Op done = nemesis_->Invoke(nemesis_ctx_, invocation);
        log_->Line("nemesis " + invocation.f + " " + invocation.value.dump() + " -> " +
                   done.value.dump() + (done.error.is_null() ? "" : " error " + done.error.dump()));
        return done;
      },
      post));
  return Status::Ok();
}

std::optional<Op> TestRun::Post(size_t slot, Op op) {
  std::unique_lock<std::mutex> lock(mu_);
  // The coordinator handles what needs its clock or its judgement: backoffs
  // (held completions), the nemesis, an interrupt, a failed dispatch, and
  // completions after the generator stopped.
  if (!workers_dispatch_ || op.is_nemesis() || ShouldBackOff(op) || Interrupted() ||
      slot >= backoff_.size()) {
    done_.emplace_back(slot, std::move(op));
    lock.unlock();
    wake_.notify_one();
    return std::nullopt;
  }
  op.index = -1;
  Record(op);
  backoff_[slot] = std::chrono::milliseconds(0);
  std::optional<Op> mine;
  Status s = driver_->Complete(op);
  if (s.ok()) {
    Result<gen::Driver::Decision> d = DispatchLocked(slot, &mine);
    if (!d.ok()) {
      s = d.status();
    } else if (!mine && coordinator_wake_ns_ != kAwake &&
               (d->kind == gen::Driver::Decision::Kind::kDone ||
                (d->wake_time != gen::kNever && d->wake_time < coordinator_wake_ns_))) {
      poked_ = true;
      lock.unlock();
      wake_.notify_one();
      return std::nullopt;
    }
  }
  if (!s.ok()) {
    dispatch_error_ = s;
    workers_dispatch_ = false;
    poked_ = true;
    lock.unlock();
    wake_.notify_one();
  }
  return mine;
}

Result<gen::Driver::Decision> TestRun::DispatchLocked(std::optional<size_t> own,
                                                      std::optional<Op>* mine) {
  const size_t nemesis_slot = workers_.size() - 1;
  while (true) {
    Result<gen::Driver::Decision> d = driver_->Next(Now());
    if (!d.ok()) return Status::Internal("generator: " + d.status().message());
    switch (d->kind) {
      case gen::Driver::Decision::Kind::kInvoke: {
        Op op = std::move(d->op);
        Record(op);
        const size_t slot =
            d->thread == gen::kNemesisThread ? nemesis_slot : static_cast<size_t>(d->thread);
        if (own && *own == slot) {
          *mine = std::move(op);
          return d;
        }
        workers_[slot]->Give(std::move(op));
        break;
      }
      case gen::Driver::Decision::Kind::kLog: {
        const std::string line =
            d->op.value.is_string() ? d->op.value.get<std::string>() : d->op.value.dump();
        if (line == "final operations") gen_phase_ = "final";
        log_->Line(line);
        break;
      }
      case gen::Driver::Decision::Kind::kWait:
      case gen::Driver::Decision::Kind::kDone:
        return d;
    }
  }
}

Status TestRun::Generate() {
  const auto limit = std::chrono::nanoseconds(static_cast<int64_t>(config_.time_limit_s * 1e9));
  gen::GenPtr clients = gen::Clients(workload_->Generator());
  gen::GenPtr main = clients;
  const auto interval =
      std::chrono::nanoseconds(static_cast<int64_t>(config_.nemesis_interval_s * 1e9));
  // After the time limit the nemesis schedule itself ends every fault it may
  // have left (stop-partition, resume, start), as recorded ops, before the
  // final operations.
  gen::GenPtr final_heal = gen::Empty();
  if (nemesis_) {
    main = gen::Any({clients, NemesisGenerator(nemesis_kinds_, interval)});
    final_heal = FinalHealGenerator(nemesis_kinds_);
  }
  auto keys = [this] { return std::vector<Json>(recent_keys_.begin(), recent_keys_.end()); };
  gen::GenPtr whole = gen::Phases({gen::TimeLimit(limit, main), final_heal,
                                   gen::Log("final operations"),
                                   gen::Clients(workload_->FinalGenerator(keys))});
  gen::Driver driver(whole, {.client_count = clients_, .nemesis = true, .seed = config_.seed});
  auto last_progress = Clock::now();
  bool stopping = false;
  std::optional<Clock::time_point> drain_deadline;

  std::unique_lock<std::mutex> lock(mu_);
  driver_ = &driver;
  backoff_.assign(workers_.size(), std::chrono::milliseconds(0));
  gen_phase_ = "main";
  dispatch_error_ = Status::Ok();
  workers_dispatch_ = true;
  // Whatever way this returns, workers stop dispatching: their later
  // completions are queued for the close-clients phase.
  struct StopDispatch {
    TestRun* run;
    ~StopDispatch() {
      run->workers_dispatch_ = false;
      run->driver_ = nullptr;
      run->coordinator_wake_ns_ = kAwake;
    }
  } stop_dispatch{this};

  // Completions whose worker is held back (recorded at once; handed to the
  // driver, which then gives the worker its next op, only when the backoff
  // is over).
  std::vector<std::pair<Clock::time_point, Op>> held;
  auto release_held = [&](bool all) -> Status {
    const auto now = Clock::now();
    for (auto it = held.begin(); it != held.end();) {
      if (!all && it->first > now) {
        ++it;
        continue;
      }
      Status s = driver.Complete(it->second);
      if (!s.ok()) return s;
      it = held.erase(it);
    }
    return Status::Ok();
  };
  auto next_release = [&]() {
    auto t = Clock::time_point::max();
    for (const auto& h : held) t = std::min(t, h.first);
    return t;
  };

  // Sleeps until `until`, a queued completion or a worker's poke, then
  // handles the queued completions.
  auto take_completions = [&](Clock::time_point until) -> Status {
    until = std::min(until, next_release());
    coordinator_wake_ns_ =
        until == Clock::time_point::max()
            ? std::numeric_limits<int64_t>::max()
            : std::chrono::duration_cast<std::chrono::nanoseconds>(until - start_).count();
    poked_ = false;
    wake_.wait_until(lock, until, [&] { return !done_.empty() || poked_; });
    coordinator_wake_ns_ = kAwake;
    std::deque<std::pair<size_t, Op>> batch;
    batch.swap(done_);
    for (auto& [slot, op] : batch) {
      op.index = -1;
      Record(op);
      if (slot < backoff_.size() && !op.is_nemesis()) {
        if (ShouldBackOff(op) && !stopping) {
          backoff_[slot] = std::min<std::chrono::milliseconds>(
              kMaxBackoff, backoff_[slot].count() == 0 ? kFirstBackoff : backoff_[slot] * 2);
          held.emplace_back(Clock::now() + backoff_[slot], op);
          continue;
        }
        backoff_[slot] = std::chrono::milliseconds(0);
      }
      Status s = driver.Complete(op);
      if (!s.ok()) return s;
    }
    return release_held(stopping);
  };

  while (true) {
    if (!dispatch_error_.ok()) return dispatch_error_;
    if (progress_ && Clock::now() - last_progress > std::chrono::seconds(1)) {
      last_progress = Clock::now();
      stats_.elapsed_s = std::chrono::duration<double>(last_progress - start_).count();
      stats_.phase = stopping ? "stopping" : gen_phase_;
      const Progress copy = stats_;
      lock.unlock();
      progress_(copy);
      lock.lock();
    }
    if (Interrupted() && !stopping) {
      stopping = true;
      workers_dispatch_ = false;
      if (Status s = release_held(true); !s.ok()) return s;
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
    if (Status s = release_held(false); !s.ok()) return s;
    Result<gen::Driver::Decision> d = DispatchLocked(std::nullopt, nullptr);
    if (!d.ok()) return d.status();
    if (d->kind == gen::Driver::Decision::Kind::kWait) {
      auto until = Clock::now() + std::chrono::milliseconds(200);
      if (d->wake_time != gen::kNever) {
        until = std::min(until, start_ + std::chrono::nanoseconds(d->wake_time));
      }
      if (Status s = take_completions(until); !s.ok()) return s;
    } else if (!held.empty()) {
      // Done, but held-back clients remain: they still count as in flight.
      if (Status s = take_completions(next_release()); !s.ok()) return s;
    } else {
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
    Result<std::string> node_dir = run_->node_dir(cluster_.nodes[i].name);
    if (!node_dir.ok()) {
      failures += node_dir.status().message() + "; ";
      continue;
    }
    const std::string dir = *node_dir;
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

Status TestRun::Resolve() {
  if (config_.name.empty()) config_.name = config_.target + "-" + config_.workload;
  // The target first: an unknown one is named before anything else is
  // looked at (a nodes file it would not even need).
  Result<std::unique_ptr<Target>> target = MakeTarget(config_.target, config_.target_options);
  if (!target.ok()) return target.status();
  target_ = std::move(*target);
  std::string joined;
  for (const std::string& part : config_.nemesis) joined += (joined.empty() ? "" : ",") + part;
  Result<std::vector<std::string>> kinds = ParseNemesisList(joined);
  if (!kinds.ok()) return kinds.status();
  nemesis_kinds_ = *kinds;
  WorkloadOptions wopts;
  wopts.rate = config_.rate;
  // An in-process target answers in about a microsecond: unthrottled, a
  // default 30 s run would record some ten million ops (a gigabyte of
  // history) and outlast its own check. --rate lifts the cap.
  if (wopts.rate == 0 && target_->in_process()) wopts.rate = kInProcessDefaultRate;
  Result<std::chrono::milliseconds> check_limit =
      CheckTimeLimit(config_.check_time_limit_s, "--check-time-limit");
  if (!check_limit.ok()) return check_limit.status();
  wopts.linearizability.time_limit = *check_limit;
  if (Status st = ApplyWorkloadOptions(config_.workload_options, &wopts); !st.ok()) return st;
  if (config_.time_limit_s <= 0) return Status::InvalidArgument("--time-limit must be > 0 seconds");
  if (config_.nemesis_interval_s <= 0) {
    return Status::InvalidArgument("--nemesis-interval must be > 0 seconds");
  }

  // The nodes.
  size_t node_count = 0;
  if (target_->in_process()) {
    if (!config_.nodes_file.empty()) {
      return Status::InvalidArgument("target " + config_.target +
                                     " runs in this process: give node names (--nodes), not "
                                     "--nodes-file");
    }
    if (config_.local_nodes.empty()) config_.local_nodes = {"n1", "n2", "n3"};
    std::set<std::string> seen;
    for (const std::string& name : config_.local_nodes) {
      if (Result<std::string> d = RunDir("").node_dir(name); !d.ok()) {
        return Status::InvalidArgument("--nodes: " + d.status().message());
      }
      if (!seen.insert(name).second) {
        return Status::InvalidArgument("--nodes: node name \"" + name + "\" is given twice");
      }
    }
    node_count = config_.local_nodes.size();
  } else {
    if (!config_.local_nodes.empty()) {
      return Status::InvalidArgument("target " + config_.target +
                                     " runs on real nodes: give --nodes-file, not --nodes");
    }
    if (config_.nodes_file.empty() && env_.default_nodes_file) {
      config_.nodes_file = env_.default_nodes_file();
      if (!config_.nodes_file.empty() && env_.notice) {
        env_.notice("using the local cluster's nodes file " + config_.nodes_file);
      }
    }
    if (config_.nodes_file.empty()) {
      return Status::InvalidArgument(
          "no nodes: give --nodes-file (or bring up a local cluster with `faultline cluster up`)");
    }
    Result<NodesFile> nodes = ReadNodesFile(config_.nodes_file);
    if (!nodes.ok()) return StatusWithCode(Status::Code::kInvalidArgument, nodes.status().message());
    if (nodes->nodes.empty()) {
      return Status::InvalidArgument(config_.nodes_file +
                                     ": \"nodes\" is empty; expected at least one node");
    }
    // Every node gets its own connection and threads: a file naming many
    // thousands (generated by mistake) is refused, not left to exhaust threads.
    constexpr size_t kMaxNodes = 1000;
    if (nodes->nodes.size() > kMaxNodes) {
      return Status::InvalidArgument(config_.nodes_file + ": \"nodes\" has " +
                                     std::to_string(nodes->nodes.size()) +
                                     " entries; expected at most " + std::to_string(kMaxNodes));
    }
    // A key file that cannot be read is the nodes file's mistake: said
    // before anything is stored, not as a failed connect phase.
    for (size_t i = 0; i < nodes->nodes.size(); ++i) {
      const std::string& key = nodes->nodes[i].key;
      if (key.empty()) continue;
      std::ifstream in(key, std::ios::binary);
      std::error_code ec;
      if (!in || fs::is_directory(key, ec)) {
        return Status::InvalidArgument(config_.nodes_file + ": nodes[" + std::to_string(i) +
                                       "].key: cannot read the private key " + key + ": " +
                                       (fs::exists(key, ec) ? "not readable" : "no such file"));
      }
    }
    node_specs_ = nodes->nodes;
    node_count = node_specs_.size();
    // Options that name nodes or need their addresses: bad usage, before
    // anything is touched.
    std::vector<NodeInfo> infos;
    for (const NodeSpec& spec : node_specs_) infos.push_back(NodeInfo{spec.name, spec.host, ""});
    if (Status st = target_->CheckNodes(infos); !st.ok()) {
      return StatusWithCode(Status::Code::kInvalidArgument, st.message());
    }
  }
  Result<int> clients = ResolveConcurrency(config_.concurrency, node_count);
  if (!clients.ok()) return clients.status();
  clients_ = *clients;
  wopts.concurrency = clients_;
  Result<std::unique_ptr<Workload>> workload = MakeWorkload(config_.workload, wopts);
  if (!workload.ok()) return workload.status();
  workload_ = std::move(*workload);
  // A workload the target cannot serve is bad usage: say so before any node
  // is touched (making a client connects nothing).
  if (Result<std::unique_ptr<Client>> probe = workload_->NewClient(*target_); !probe.ok()) {
    return Status::InvalidArgument("--workload " + config_.workload + " with --target " +
                                   config_.target + ": " + probe.status().message());
  }
  if (!nemesis_kinds_.empty()) {
    // The nodes' addresses let a nemesis refuse what cannot work there (the
    // clock on a shared kernel) before anything is touched.
    NemesisOptions nemesis_options;
    if (target_->in_process()) {
      nemesis_options.hosts.assign(config_.local_nodes.size(), "localhost");
    } else {
      for (const NodeSpec& spec : node_specs_) nemesis_options.hosts.push_back(spec.host);
    }
    Result<std::unique_ptr<Nemesis>> nemesis =
        MakeNemesis(nemesis_kinds_, *target_, nemesis_options);
    if (!nemesis.ok()) return nemesis.status();
    nemesis_ = std::move(*nemesis);
  }

  // The environment's defaults.
  const TestEnv defaults = DefaultTestEnv();
  if (!env_.connector) env_.connector = defaults.connector;
  if (!env_.make_net) env_.make_net = defaults.make_net;
  store_ = env_.store ? env_.store : std::make_shared<RunStore>(config_.store);
  return store_->CheckWritable();
}

Result<TestOutcome> TestRun::Run() {
  Result<RunDir> run = store_->Create(config_.name);
  if (!run.ok()) return run.status();
  run_.emplace(*run);
  run_dir_ = run_->path();
  log_ = std::make_unique<HarnessLog>(run_->harness_log(), start_);
  log_->Line("faultline test " + config_.name + " in " + run_dir_);
  Json test = config_.ToJson();
  test["resolved"] = {{"clients", clients_}, {"nemesis", nemesis_kinds_}};
  if (Status s = run_->WriteConfig(test); !s.ok()) return s;
  Result<std::unique_ptr<JsonlHistoryWriter>> history =
      JsonlHistoryWriter::Open(run_->history(), {.group_commit = kHistoryGroupCommit});
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
           if (Status s = ResetNodes(); !s.ok()) return s;
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
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& entry : done_) Record(entry.second);
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
  RunResults results;
  Validity valid = Validity::kValid;
  RunPhase("check", [&]() -> Status {
    Result<History> h = ReadRunHistory(run_->history(), &warnings_);
    if (!h.ok()) return h.status();
    results.checkers = RunCheckers(*workload_, *h, &valid);
    for (const auto& [name, details] : results.checkers.items()) {
      log_->Line("checker " + name + ": " + details["valid"].dump());
    }
    return Status::Ok();
  });
  // A run whose phases failed, or that was cut short, cannot be called valid;
  // a violation found in a partial history still stands.
  if ((!errors_.empty() || interrupted_) && valid == Validity::kValid) valid = Validity::kUnknown;
  results.valid = valid;
  results.phases = phases_;
  results.errors = errors_;
  results.interrupted = interrupted_;
  results.warnings = warnings_;
  for (const Phase& p : phases_) {
    if (p.status == "interrupted" && results.interrupted_at.empty()) results.interrupted_at = p.name;
  }
  if (Status s = run_->WriteResults(results); !s.ok()) {
    log_->Line("results.json: " + s.ToString());
    errors_.push_back("results.json: " + s.ToString());
  }

  TestOutcome outcome;
  outcome.valid = valid;
  outcome.run_dir = run_dir_;
  outcome.results = std::move(results);
  // A phase that failed on bad input (a target option only the nodes could
  // refute, such as an address outside their subnet) stays bad input.
  if (!errors_.empty()) {
    outcome.harness_error = first_error_code_ == Status::Code::kInvalidArgument
                                ? Status::InvalidArgument(errors_.front())
                                : Status::Internal(errors_.front());
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
    // Older runs stored the resolved client count.
    if (j.contains("concurrency") && j["concurrency"].is_number_integer()) {
      c.concurrency = std::to_string(j["concurrency"].get<int64_t>());
    } else {
      c.concurrency = j.value("concurrency", c.concurrency);
    }
    c.seed = j.value("seed", c.seed);
    c.store = j.value("store", c.store);
    c.nodes_file = j.value("nodes_file", c.nodes_file);
    c.local_nodes = j.value("local_nodes", std::vector<std::string>{});
    c.leave_running = j.value("leave_running", c.leave_running);
    c.rate = j.value("rate", c.rate);
    c.check_time_limit_s = j.value("check_time_limit_s", c.check_time_limit_s);
  } catch (const std::exception& e) {
    // Name the field: the first one whose type differs from the default's.
    const Json defaults = TestConfig().ToJson();
    std::string field;
    for (const auto& [key, value] : j.items()) {
      if (!defaults.contains(key)) continue;
      const Json& d = defaults[key];
      const bool same = (d.is_number() && value.is_number()) || d.type() == value.type() ||
                        (key == "concurrency" && value.is_number_integer()) ||
                        (d.is_array() && value.is_array());
      if (!same) {
        field = key;
        break;
      }
    }
    return Status::InvalidArgument(
        std::string("test.json: ") +
        (field.empty() ? "a field" : "field \"" + field + "\"") + " has the wrong type: " +
        e.what());
  }
  return c;
}

Result<int> ResolveConcurrency(const std::string& text, size_t nodes) {
  const bool per_node = !text.empty() && text.back() == 'n';
  const std::string digits = per_node ? text.substr(0, text.size() - 1) : text;
  if (digits.empty() || digits.size() > 4 ||
      digits.find_first_not_of("0123456789") != std::string::npos || std::stoi(digits) <= 0) {
    return Status::InvalidArgument("--concurrency: expected N or Nn (N per node, N from 1 to "
                                   "9999), got \"" + text + "\"");
  }
  const int n = std::stoi(digits) * (per_node ? static_cast<int>(nodes) : 1);
  if (n <= 0) return Status::InvalidArgument("--concurrency " + text + ": no nodes to count");
  return n;
}

namespace {

class DefaultConnector final : public NodeConnector {
 public:
  Result<std::shared_ptr<Remote>> Connect(const NodeSpec& node) override {
    return ConnectNode(node);
  }
  Result<std::shared_ptr<Remote>> ConnectInProcess(const std::string& name) override {
    return std::shared_ptr<Remote>(std::make_shared<LocalRemote>(name));
  }
};

}  // namespace

TestEnv DefaultTestEnv() {
  TestEnv env;
  env.connector = std::make_shared<DefaultConnector>();
  env.make_net = [](const std::vector<NetNode>& nodes, bool in_process) {
    if (in_process) {
      std::vector<std::string> names;
      for (const NetNode& n : nodes) names.push_back(n.name);
      return MakeMemoryNet(std::move(names));
    }
    return MakeIptablesNet(nodes);
  };
  return env;
}

Result<TestOutcome> RunTest(const TestConfig& config, const TestEnv& env,
                            const std::atomic<bool>* interrupt,
                            const std::function<void(const Progress&)>& progress) {
  TestRun run(config, env, interrupt, progress);
  if (Status s = run.Resolve(); !s.ok()) return s;
  return run.Run();
}

Result<TestOutcome> AnalyzeRun(const std::string& run_dir) {
  RunDir run(run_dir);
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) {
    return Status::InvalidArgument(run_dir + ": no such run directory");
  }
  Result<Json> test = run.ReadConfig();
  if (!test.ok()) return StatusWithCode(Status::Code::kInvalidArgument, test.status().message());
  Result<TestConfig> config = TestConfig::FromJson(*test);
  if (!config.ok()) return config.status();
  WorkloadOptions wopts;
  Result<std::chrono::milliseconds> check_limit =
      CheckTimeLimit(config->check_time_limit_s, "test.json: check_time_limit_s");
  if (!check_limit.ok()) return check_limit.status();
  wopts.linearizability.time_limit = *check_limit;
  if (Status st = ApplyWorkloadOptions(config->workload_options, &wopts); !st.ok()) return st;
  Result<std::unique_ptr<Workload>> workload = MakeWorkload(config->workload, wopts);
  if (!workload.ok()) return workload.status();
  // Keep a complete run's phases and errors; replace the verdicts.
  const RunDir::State state = run.ReadState();
  RunResults results;
  std::string unreadable_results;
  if (state.complete) {
    Result<RunResults> old = run.ReadResults();
    if (old.ok()) {
      results = std::move(*old);
    } else {
      unreadable_results = old.status().message();
    }
  }
  results.warnings.clear();
  if (!unreadable_results.empty()) {
    // The phases and errors it recorded are lost: a run that had a harness
    // error must not come out valid because its results were damaged.
    results.errors.push_back("the stored results could not be read (" + unreadable_results +
                             "); the run's phases and errors are unknown");
    results.warnings.push_back(results.errors.back());
  }
  Result<History> history = ReadRunHistory(run.history(), &results.warnings);
  if (!history.ok()) return StatusWithCode(Status::Code::kInvalidArgument, history.status().message());
  if (!state.complete) {
    // The controller never reached the end (killed, or its results removed):
    // whatever the history shows, it is only a prefix of the test.
    results.interrupted = true;
    results.interrupted_at = state.phase.empty() ? "unknown" : state.phase;
    results.warnings.push_back("the run never completed (interrupted at phase " +
                               results.interrupted_at + "); its history is a prefix");
  }
  Validity valid = Validity::kValid;
  results.checkers = RunCheckers(**workload, *history, &valid);
  if ((!results.errors.empty() || results.interrupted) && valid == Validity::kValid) {
    valid = Validity::kUnknown;
  }
  if (history->ops.empty() && valid == Validity::kValid) valid = Validity::kUnknown;
  results.valid = valid;
  if (Status s = run.WriteResults(results, state.complete); !s.ok()) return s;
  TestOutcome outcome;
  outcome.valid = valid;
  outcome.run_dir = run_dir;
  outcome.results = std::move(results);
  return outcome;
}

}  // namespace faultline
