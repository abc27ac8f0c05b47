// Remote: runs commands on one node and moves files to and from it.
//
// One Remote per node. Implementations: SshRemote (libssh; a user's VMs or the
// local cluster), LocalRemote (the control machine, via Boost.Process) and
// FakeRemote (scripted, for unit tests). ForwardingRemote lets a decorator
// (retries, fault injection, logging) override one method.
//
// Thread-safety: every method may be called concurrently from many threads;
// implementations multiplex (SSH: several channels on one connection).
// No method throws: failures come back as a Status with a typed code:
//   kUnreachable      the node could not be reached (DNS, refused, no route)
//   kAuthFailed       the node refused our key / agent / user
//   kHostKeyMismatch  the node's host key is not the one we know
//   kTimeout          the command or transfer did not finish within its deadline
//   kIoError          the transport broke or a local/remote file failed
// A command that ran and exited non-zero is NOT an error: it is a CommandResult
// with that exit status.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/base/status.h"

namespace faultline {

struct Command {
  // Either argv (each element escaped safely for the remote shell) or a shell
  // string run by `sh -c`. Exactly one is used: argv when non-empty.
  std::vector<std::string> argv;
  std::string shell;

  std::string stdin_data;  // written to the command's stdin, then closed
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  bool sudo = false;  // run as root via `sudo -n` when the remote user is not root
  // Extra environment, prepended as `env K=V ...` (names must match
  // [A-Za-z_][A-Za-z0-9_]*).
  std::vector<std::pair<std::string, std::string>> env;
  // True when running the command twice has the same effect as running it
  // once. Only such commands are re-sent after the transport broke while they
  // may already have been running (see RetryingRemote); a command that certainly
  // never started is always safe to re-send.
  bool idempotent = false;

  static Command Argv(std::vector<std::string> argv) {
    Command c;
    c.argv = std::move(argv);
    return c;
  }
  static Command Shell(std::string script) {
    Command c;
    c.shell = std::move(script);
    return c;
  }
};

struct CommandResult {
  int exit_status = -1;  // the command's exit status; 128+N when killed by signal N
  std::string out;       // stdout
  std::string err;       // stderr
  bool ok() const { return exit_status == 0; }
};

class Remote {
 public:
  virtual ~Remote() = default;

  // The node's name as the user knows it ("n1", "10.0.0.5").
  virtual const std::string& node() const = 0;

  // Runs `command` to completion. Ok with the exit status, stdout and stderr
  // when the command ran (whatever its exit status); an error Status when it
  // could not be run or did not finish within command.timeout (the remote
  // process is then signalled).
  virtual Result<CommandResult> Run(const Command& command) = 0;

  // Copies a local file to `remote_path` (created or replaced, mode 0644
  // unless `mode` given). IoError naming the path on failure.
  virtual Status Upload(const std::string& local_path, const std::string& remote_path,
                        int mode = 0644) = 0;

  // Copies `remote_path` to a local file (created or replaced).
  virtual Status Download(const std::string& remote_path, const std::string& local_path) = 0;
};

// Forwards every call to a wrapped Remote; subclass it and override one method.
class ForwardingRemote : public Remote {
 public:
  explicit ForwardingRemote(std::shared_ptr<Remote> target) : target_(std::move(target)) {}
  const std::string& node() const override { return target_->node(); }
  Result<CommandResult> Run(const Command& command) override { return target_->Run(command); }
  Status Upload(const std::string& local_path, const std::string& remote_path,
                int mode = 0644) override {
    return target_->Upload(local_path, remote_path, mode);
  }
  Status Download(const std::string& remote_path, const std::string& local_path) override {
    return target_->Download(remote_path, local_path);
  }

 protected:
  Remote& target() { return *target_; }

 private:
  std::shared_ptr<Remote> target_;
};

// Quotes `arg` for a POSIX shell so that it is passed as one literal word:
// bare when it holds only [A-Za-z0-9_@%+:,./-], otherwise in single quotes
// (with ' written as '\''). Newlines, $(...), backticks, globs, `=`, `~` and the
// empty string all come out as exactly one literal word.
std::string ShellQuote(const std::string& arg);

// Ok when `command` can be rendered: argv or shell is non-empty, no argument
// holds a NUL byte, env names are valid. Otherwise InvalidArgument naming the
// offending part. Every Remote checks this before running anything.
Status ValidateCommand(const Command& command);

// Renders a Command as the single string handed to the node's login shell
// (which must be POSIX: sh, dash, bash, ksh or zsh):
//   argv:  'a' 'b c' ...                 (each word quoted)
//   shell: sh -c '<script>'              (the script always runs under sh)
//   env:   env 'K=V' ... <the above>
//   sudo:  sudo -n -- <the above>        (omitted when user_is_root)
// Timeouts are not rendered: each Remote enforces command.timeout itself.
std::string RenderCommand(const Command& command, bool user_is_root = false);

}  // namespace faultline
