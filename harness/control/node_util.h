// Node utilities: the chores targets and nemeses do on a node (daemons, files,
// packages, waiting for ports), built only on Remote::Run, so they work the
// same over SSH, on the control machine, and against FakeRemote in tests.
// Every script runs under POSIX sh with its inputs passed as positional
// arguments or stdin, never pasted into the script text.
//
// Daemons are tracked by pidfile. A daemon runs as the leader of its own
// session and process group, so signals go to the whole group (the daemon and
// any children it forked). A pidfile whose process is gone, or a zombie, means
// "not running". A stale pidfile whose number was reused by an unrelated
// process cannot be told apart (as with every pidfile).
//
// Thread-safety: stateless functions; safe to call concurrently when the
// Remote is.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/remote.h"

namespace faultline {

struct DaemonSpec {
  std::vector<std::string> argv;  // program (absolute or on PATH) and arguments
  std::string pidfile;            // absolute; its directory is created
  std::string logfile;            // absolute; stdout and stderr are appended; directory created
  std::string workdir = "/";
  std::vector<std::pair<std::string, std::string>> env;
  bool sudo = false;
  // StartDaemon fails (with the end of the log) if the daemon is not alive
  // this long after starting: a bad flag or config shows up at once, not as
  // a port that never opens. 0 skips the check.
  std::chrono::milliseconds min_uptime{200};
};

// Starts spec.argv fully detached: new session (setsid), stdin from
// /dev/null, stdout and stderr appended to the log file (the starting
// shell holds no other descriptors to pass on), the working directory and
// environment set, FAULTLINE_RUN removed from its environment (so a later
// timeout of the starting command never reaps it), its pid written to the
// pidfile. The command returns as soon as the daemon leads its own session;
// the daemon outlives the SSH session. Returns the pid; IoError with the end
// of the log when the daemon died within spec.min_uptime. Idempotent: when the pidfile names a live
// process nothing is started and that pid is returned. Errors: InvalidArgument for a bad spec,
// IoError with the node's stderr when the script failed.
Result<int> StartDaemon(Remote& remote, const DaemonSpec& spec);

struct StopOptions {
  std::string signal = "TERM";  // sent first, to the daemon's process group
  std::chrono::milliseconds grace{std::chrono::seconds(10)};  // then SIGKILL
  bool sudo = false;
};

// What StopDaemon found and did.
enum class StopOutcome { kNotRunning, kStopped, kKilled };

// Sends options.signal (then SIGCONT, so a paused daemon can act on it) to
// the daemon's process group, waits up to options.grace for it to exit, then
// sends SIGKILL and waits up to 5 s more. Removes the pidfile. Idempotent:
// kNotRunning when nothing ran. IoError when even SIGKILL did not end it.
Result<StopOutcome> StopDaemon(Remote& remote, const std::string& pidfile,
                               const StopOptions& options = {});

// True when the pidfile names a live, non-zombie process.
Result<bool> IsRunning(Remote& remote, const std::string& pidfile, bool sudo = false);

// Sends `signal` (a name such as STOP, CONT, HUP, USR1) to the daemon's
// process group. NotFound when it is not running.
Status SignalDaemon(Remote& remote, const std::string& pidfile, const std::string& signal,
                    bool sudo = false);
inline Status PauseDaemon(Remote& remote, const std::string& pidfile, bool sudo = false) {
  return SignalDaemon(remote, pidfile, "STOP", sudo);
}
inline Status ResumeDaemon(Remote& remote, const std::string& pidfile, bool sudo = false) {
  return SignalDaemon(remote, pidfile, "CONT", sudo);
}

struct AwaitOptions {
  std::chrono::milliseconds deadline{std::chrono::seconds(30)};
  std::chrono::milliseconds interval{std::chrono::milliseconds(200)};  // between probes
};

// Polls, from the node, until `host:port` accepts a TCP connection (bash's
// /dev/tcp, or `nc -z` when there is no bash; each probe bounded to 2 s).
// Timeout naming host, port and node when the deadline passes; Unsupported
// when the node has neither bash nor nc; the Remote's error when it fails.
Status AwaitTcpPort(Remote& remote, const std::string& host, int port,
                    const AwaitOptions& options = {});

// Polls, from the node, until `url` answers with a status below 400
// (curl -fsS). Unsupported when the node has no curl.
Status AwaitHttp(Remote& remote, const std::string& url, const AwaitOptions& options = {});

// Replaces `path` with `content` atomically: written to a temporary file in
// the same directory (through stdin), given `mode`, then renamed over it.
// The directory must exist. IoError with the node's stderr otherwise.
Status WriteFileAtomic(Remote& remote, const std::string& path, const std::string& content,
                       int mode = 0644, bool sudo = false);

// mkdir -p.
Status MakeDirs(Remote& remote, const std::string& path, bool sudo = false);

// Installs the Debian packages that are not installed yet (dpkg-query, then
// apt-get install -y; apt-get update first only if that fails). Returns the
// packages it installed (empty when all were present). Runs with sudo.
// InvalidArgument for a malformed package name; Unsupported on a node without
// dpkg; IoError with apt's last lines when installing failed.
Result<std::vector<std::string>> EnsurePackages(
    Remote& remote, const std::vector<std::string>& packages,
    std::chrono::milliseconds timeout = std::chrono::minutes(10));

}  // namespace faultline
