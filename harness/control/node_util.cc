#include "harness/control/node_util.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <sstream>
#include <thread>

namespace faultline {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// `alive PID`: the process exists and is not a zombie. Shared by the scripts.
constexpr const char* kAliveFunction =
    "alive() { [ -n \"$1\" ] && kill -0 \"$1\" 2>/dev/null && "
    "s=$(sed -n 's/^State:[[:space:]]*\\([A-Z]\\).*/\\1/p' \"/proc/$1/status\" 2>/dev/null) && "
    "[ -n \"$s\" ] && [ \"$s\" != Z ] && [ \"$s\" != X ]; }\n";

// Sends signal $1 to process group $2, or to the process alone when it leads
// no group (a pidfile written by someone else).
constexpr const char* kSignalFunction =
    "sig() { kill -s \"$1\" -- \"-$2\" 2>/dev/null || kill -s \"$1\" \"$2\" 2>/dev/null; }\n";

// A script with positional arguments: sh -c SCRIPT sh ARG1 ARG2 ...
Command Script(const std::string& script, std::vector<std::string> args, bool sudo,
               milliseconds timeout = std::chrono::seconds(60)) {
  std::vector<std::string> argv = {"sh", "-c", script, "sh"};
  for (auto& a : args) argv.push_back(std::move(a));
  Command c = Command::Argv(std::move(argv));
  c.sudo = sudo;
  c.timeout = timeout;
  return c;
}

std::string LastLines(const std::string& text, int lines = 5) {
  size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  size_t pos = end + 1;
  for (int i = 0; i < lines && pos > 0; ++i) {
    size_t nl = text.rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
    if (nl == std::string::npos) break;
  }
  std::string out = text.substr(pos == 0 ? 0 : pos + 1, end + 1 - (pos == 0 ? 0 : pos + 1));
  std::replace(out.begin(), out.end(), '\n', '|');
  return out;
}

Status Failed(const Remote& remote, const std::string& what, const CommandResult& r) {
  std::string detail = LastLines(r.err);
  if (detail.empty()) detail = LastLines(r.out);
  return Status::IoError(what + " on " + remote.node() + " failed (exit " +
                         std::to_string(r.exit_status) + ")" +
                         (detail.empty() ? "" : ": " + detail));
}

bool IsSignalName(const std::string& s) {
  if (s.empty() || s.size() > 10) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

Status RequireAbsolute(const std::string& path, const char* what) {
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument(std::string(what) + " must be an absolute path, got '" + path +
                                   "'");
  }
  return Status::Ok();
}

std::string SecondsText(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g s", d.count() / 1000.0);
  return buf;
}

// Runs `probe` every options.interval until it reports ready, fails, or the
// deadline passes. `probe` returns Ok(true) when ready, Ok(false) to go on.
Status Poll(const AwaitOptions& options, const std::function<Result<bool>(milliseconds)>& probe,
            const std::function<Status()>& on_deadline) {
  const auto deadline = Clock::now() + options.deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    Result<bool> ready = probe(std::max(left, milliseconds(1)));
    if (!ready.ok()) return ready.status();
    if (*ready) return Status::Ok();
    if (Clock::now() + options.interval >= deadline) return on_deadline();
    std::this_thread::sleep_for(options.interval);
  }
}

}  // namespace

Result<int> StartDaemon(Remote& remote, const DaemonSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("daemon has no command (argv is empty)");
  if (Status st = RequireAbsolute(spec.pidfile, "daemon pidfile"); !st.ok()) return st;
  if (Status st = RequireAbsolute(spec.logfile, "daemon log file"); !st.ok()) return st;
  if (Status st = RequireAbsolute(spec.workdir, "daemon working directory"); !st.ok()) return st;
  // $1 pidfile, $2 log, $3 workdir, $4 min uptime (s), then "--", env
  // assignments and argv (env(1)
  // takes the first word without '=' as the program).
  std::string script = std::string(kAliveFunction) +
                       "set -e\n"
                       "pidfile=$1; log=$2; dir=$3; uptime=$4; shift 4\n"
                       "if [ -s \"$pidfile\" ] && pid=$(cat \"$pidfile\") && alive \"$pid\"; then\n"
                       "  echo \"$pid already\"; exit 0\n"
                       "fi\n"
                       "mkdir -p \"$(dirname \"$pidfile\")\" \"$(dirname \"$log\")\"\n"
                       "cd \"$dir\"\n"
                       "unset FAULTLINE_RUN\n"
                       "setsid env \"$@\" </dev/null >>\"$log\" 2>&1 &\n"
                       "pid=$!\n"
                       // Return only once the child leads its own session, so that
                       // signals to its group work at once; report an early death.
                       "i=0\n"
                       "while :; do\n"
                       "  if ! alive \"$pid\"; then\n"
                       "    echo \"the daemon exited at once; the end of $log:\" >&2\n"
                       "    tail -n 5 \"$log\" >&2; exit 3\n"
                       "  fi\n"
                       "  sid=$(sed 's/.*) //' \"/proc/$pid/stat\" 2>/dev/null | cut -d' ' -f4)\n"
                       "  [ \"$sid\" = \"$pid\" ] && break\n"
                       "  i=$((i+1)); [ $i -ge 300 ] && break\n"
                       "  sleep 0.01\n"
                       "done\n"
                       "if [ \"$uptime\" != 0 ]; then\n"
                       "  sleep \"$uptime\"\n"
                       "  if ! alive \"$pid\"; then\n"
                       "    echo \"the daemon exited within $uptime s; the end of $log:\" >&2\n"
                       "    tail -n 5 \"$log\" >&2; exit 3\n"
                       "  fi\n"
                       "fi\n"
                       "echo \"$pid\" > \"$pidfile\"\n"
                       "echo \"$pid started\"\n";
  char uptime[32];
  std::snprintf(uptime, sizeof uptime, "%.3f",
                std::max<int64_t>(spec.min_uptime.count(), 0) / 1000.0);
  std::vector<std::string> args = {spec.pidfile, spec.logfile, spec.workdir,
                                   spec.min_uptime.count() > 0 ? uptime : "0", "--"};
  for (const auto& [name, value] : spec.env) {
    Command probe = Command::Argv({"true"});
    probe.env = {{name, value}};
    if (Status st = ValidateCommand(probe); !st.ok()) return st;
    args.push_back(name + "=" + value);
  }
  // env(1) would take a program whose name holds '=' for an assignment.
  if (spec.argv[0].find('=') != std::string::npos) {
    return Status::InvalidArgument("daemon program name must not contain '=': " + spec.argv[0]);
  }
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  Result<CommandResult> r = remote.Run(Script(script, std::move(args), spec.sudo));
  if (!r.ok()) return r.status();
  if (!r->ok()) return Failed(remote, "starting daemon " + spec.argv[0], *r);
  int pid = 0;
  std::istringstream(r->out) >> pid;
  if (pid <= 0) {
    return Status::IoError("starting daemon " + spec.argv[0] + " on " + remote.node() +
                           " printed no pid: '" + r->out + "'");
  }
  return pid;
}

Result<StopOutcome> StopDaemon(Remote& remote, const std::string& pidfile,
                               const StopOptions& options) {
  if (Status st = RequireAbsolute(pidfile, "pidfile"); !st.ok()) return st;
  if (!IsSignalName(options.signal)) {
    return Status::InvalidArgument("'" + options.signal + "' is not a signal name (e.g. TERM)");
  }
  const int grace_ticks = static_cast<int>((options.grace.count() + 99) / 100);
  std::string script =
      std::string(kAliveFunction) + kSignalFunction +
      "pidfile=$1; first=$2; ticks=$3\n"
      "pid=$(cat \"$pidfile\" 2>/dev/null) || pid=\n"
      "if ! alive \"$pid\"; then rm -f \"$pidfile\"; echo not-running; exit 0; fi\n"
      "sig \"$first\" \"$pid\"; sig CONT \"$pid\"\n"
      "i=0; while alive \"$pid\" && [ $i -lt $ticks ]; do sleep 0.1; i=$((i+1)); done\n"
      "if ! alive \"$pid\"; then rm -f \"$pidfile\"; echo stopped; exit 0; fi\n"
      "sig KILL \"$pid\"\n"
      "i=0; while alive \"$pid\" && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n"
      "if alive \"$pid\"; then echo \"pid $pid survived SIGKILL\" >&2; exit 1; fi\n"
      "rm -f \"$pidfile\"; echo killed\n";
  Command c = Script(script, {pidfile, options.signal, std::to_string(grace_ticks)}, options.sudo,
                     options.grace + std::chrono::seconds(30));
  c.idempotent = true;
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (!r->ok()) return Failed(remote, "stopping the daemon of " + pidfile, *r);
  if (r->out.rfind("not-running", 0) == 0) return StopOutcome::kNotRunning;
  if (r->out.rfind("stopped", 0) == 0) return StopOutcome::kStopped;
  if (r->out.rfind("killed", 0) == 0) return StopOutcome::kKilled;
  return Status::IoError("stopping the daemon of " + pidfile + " on " + remote.node() +
                         ": unexpected output '" + r->out + "'");
}

Result<bool> IsRunning(Remote& remote, const std::string& pidfile, bool sudo) {
  if (Status st = RequireAbsolute(pidfile, "pidfile"); !st.ok()) return st;
  std::string script = std::string(kAliveFunction) +
                       "pid=$(cat \"$1\" 2>/dev/null) || pid=\n"
                       "if alive \"$pid\"; then echo running; else echo stopped; fi\n";
  Command c = Script(script, {pidfile}, sudo);
  c.idempotent = true;
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (!r->ok()) return Failed(remote, "checking the daemon of " + pidfile, *r);
  return r->out.rfind("running", 0) == 0;
}

Status SignalDaemon(Remote& remote, const std::string& pidfile, const std::string& signal,
                    bool sudo) {
  if (Status st = RequireAbsolute(pidfile, "pidfile"); !st.ok()) return st;
  if (!IsSignalName(signal)) {
    return Status::InvalidArgument("'" + signal + "' is not a signal name (e.g. STOP)");
  }
  std::string script = std::string(kAliveFunction) + kSignalFunction +
                       "pid=$(cat \"$1\" 2>/dev/null) || pid=\n"
                       "alive \"$pid\" || exit 3\n"
                       "sig \"$2\" \"$pid\"\n";
  Command c = Script(script, {pidfile, signal}, sudo);
  c.idempotent = true;
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (r->exit_status == 3) {
    return Status::NotFound("cannot send SIG" + signal + ": the daemon of " + pidfile +
                            " is not running on " + remote.node());
  }
  if (!r->ok()) return Failed(remote, "sending SIG" + signal + " to the daemon of " + pidfile, *r);
  return Status::Ok();
}

Status AwaitTcpPort(Remote& remote, const std::string& host, int port,
                    const AwaitOptions& options) {
  if (host.empty() || port < 1 || port > 65535) {
    return Status::InvalidArgument("cannot await " + host + ":" + std::to_string(port) +
                                   ": expected a host and a port from 1 to 65535");
  }
  // exit 0: open; 127: no tool; anything else: not yet.
  const std::string script =
      "if command -v bash >/dev/null 2>&1; then\n"
      "  exec timeout 2 bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' \"$1\" \"$2\"\n"
      "elif command -v nc >/dev/null 2>&1; then\n"
      "  exec nc -z -w 2 \"$1\" \"$2\"\n"
      "fi\n"
      "exit 127\n";
  const std::string what =
      host + ":" + std::to_string(port) + " (probed from " + remote.node() + ")";
  return Poll(
      options,
      [&](milliseconds left) -> Result<bool> {
        Command c = Script(script, {host, std::to_string(port)}, false,
                           std::min(left, milliseconds(5000)) + milliseconds(3000));
        c.idempotent = true;
        Result<CommandResult> r = remote.Run(c);
        if (!r.ok()) return r.status();
        if (r->exit_status == 127) {
          return Status::Unsupported("cannot probe " + what + ": the node has neither bash nor nc");
        }
        return r->exit_status == 0;
      },
      [&]() {
        return Status::Timeout(what + " did not accept connections within " +
                               SecondsText(options.deadline));
      });
}

Status AwaitHttp(Remote& remote, const std::string& url, const AwaitOptions& options) {
  if (url.empty()) return Status::InvalidArgument("cannot await an empty URL");
  std::string last;
  return Poll(
      options,
      [&](milliseconds left) -> Result<bool> {
        Command c = Command::Argv({"curl", "-fsS", "-o", "/dev/null", "-m", "2", "--", url});
        c.timeout = std::min(left, milliseconds(5000)) + milliseconds(3000);
        c.idempotent = true;
        Result<CommandResult> r = remote.Run(c);
        if (!r.ok()) return r.status();
        if (r->exit_status == 127) {
          return Status::Unsupported("cannot probe " + url + " from " + remote.node() +
                                     ": curl is not installed there");
        }
        last = LastLines(r->err, 1);
        return r->exit_status == 0;
      },
      [&]() {
        return Status::Timeout(
            url + " (probed from " + remote.node() + ") did not answer successfully within " +
            SecondsText(options.deadline) + (last.empty() ? "" : "; last error: " + last));
      });
}

Status WriteFileAtomic(Remote& remote, const std::string& path, const std::string& content,
                       int mode, bool sudo) {
  if (Status st = RequireAbsolute(path, "file"); !st.ok()) return st;
  char mode_text[8];
  std::snprintf(mode_text, sizeof mode_text, "%o", mode & 07777);
  const std::string script =
      "set -e\n"
      "tmp=$(mktemp \"$(dirname -- \"$1\")/.faultline.XXXXXX\")\n"
      "trap 'rm -f \"$tmp\"' EXIT\n"
      "cat > \"$tmp\"\n"
      "chmod \"$2\" \"$tmp\"\n"
      "mv -f -- \"$tmp\" \"$1\"\n"
      "trap - EXIT\n";
  Command c = Script(script, {path, mode_text}, sudo);
  c.stdin_data = content;
  c.idempotent = true;
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (!r->ok()) return Failed(remote, "writing " + path, *r);
  return Status::Ok();
}

Status MakeDirs(Remote& remote, const std::string& path, bool sudo) {
  if (Status st = RequireAbsolute(path, "directory"); !st.ok()) return st;
  Command c = Command::Argv({"mkdir", "-p", "--", path});
  c.sudo = sudo;
  c.idempotent = true;
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (!r->ok()) return Failed(remote, "creating directory " + path, *r);
  return Status::Ok();
}

Result<std::vector<std::string>> EnsurePackages(Remote& remote,
                                                const std::vector<std::string>& packages,
                                                std::chrono::milliseconds timeout) {
  for (const auto& p : packages) {
    bool valid = p.size() >= 2 && ((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= '0' && p[0] <= '9'));
    for (char c : p) {
      valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' ||
                        c == '-' || c == ':');
    }
    if (!valid) {
      return Status::InvalidArgument("'" + p + "' is not a Debian package name");
    }
  }
  if (packages.empty()) return std::vector<std::string>{};
  const std::string script =
      "command -v dpkg-query >/dev/null 2>&1 || exit 127\n"
      "missing=\n"
      "for p in \"$@\"; do\n"
      "  dpkg-query -W -f='${Status}' \"$p\" 2>/dev/null | grep -q 'install ok installed' ||"
      " missing=\"$missing $p\"\n"
      "done\n"
      "echo \"missing:$missing\"\n"
      "[ -z \"$missing\" ] && exit 0\n"
      "export DEBIAN_FRONTEND=noninteractive\n"
      "{ apt-get install -y -q --no-install-recommends $missing ||"
      " { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; }; } >&2\n";
  Command c = Script(script, packages, true, timeout);
  c.idempotent = true;
  Result<CommandResult> r = remote.Run(c);
  if (!r.ok()) return r.status();
  if (r->exit_status == 127) {
    return Status::Unsupported(remote.node() +
                               " has no dpkg-query: packages can only be installed on Debian "
                               "and its derivatives");
  }
  if (!r->ok()) return Failed(remote, "installing packages", *r);
  std::vector<std::string> installed;
  std::string line = r->out.substr(0, r->out.find('\n'));
  if (line.rfind("missing:", 0) == 0) {
    std::istringstream names(line.substr(8));
    for (std::string name; names >> name;) installed.push_back(name);
  }
  return installed;
}

}  // namespace faultline
