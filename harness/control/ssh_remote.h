// SshRemote: a Remote reached over SSH with libssh (a user's VM, a container,
// or a node of the local cluster).
//
// Connections. Commands share ONE SSH connection per node: a private I/O
// thread owns it (libssh sessions are not thread-safe) and multiplexes up to
// `max_channels` exec channels on it, so many threads can run commands at once
// without a handshake per command. File transfers use a second connection
// (SFTP, opened on first use) so a large upload never stalls commands. Both
// connect lazily; Connect() forces the command connection up front.
//
// Retry rule. When the connection breaks, the I/O thread reconnects and
// re-sends every command that certainly never started on the node (its exec
// request had not been sent yet), at most `max_reconnects` times per command.
// A command whose exec request was already sent may have run: it fails with
// kIoError saying so, and is never re-sent here (RetryingRemote re-sends it
// only when Command::idempotent). Connect failures are not retried: an
// unreachable node fails within `connect_timeout`.
//
// Timeouts. command.timeout bounds the whole call (waiting for a free channel,
// connecting, running). On expiry Run returns kTimeout at once, the channel
// is closed, and every process on the node still carrying the command's
// marker is sent SIGKILL by a follow-up command (sshd ignores the `signal`
// request for root sessions, and closing a channel without a pty stops
// nothing). The marker: each command is sent as
// `export FAULTLINE_RUN=<random id>; <RenderCommand(command)>`, and processes
// inherit it unless they clear their environment.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "harness/control/remote.h"

namespace faultline {

// What to do with the node's host key.
enum class HostKeyPolicy {
  kStrict,     // must already be in known_hosts
  kAcceptNew,  // unknown keys are added to known_hosts; a changed key is refused
  kOff,        // no check at all (throwaway test machines only)
};

// "strict", "accept-new", "off".
const char* HostKeyPolicyName(HostKeyPolicy policy);
// Parses the names above; InvalidArgument listing them otherwise.
Result<HostKeyPolicy> ParseHostKeyPolicy(std::string_view name);

struct SshOptions {
  std::string node;  // name used in messages; defaults to host
  std::string host;  // address or DNS name
  int port = 22;
  std::string user = "root";
  // Private key file (OpenSSH or PEM format, no passphrase). Empty: use the
  // ssh-agent named by SSH_AUTH_SOCK.
  std::string private_key_file;
  HostKeyPolicy host_key_policy = HostKeyPolicy::kAcceptNew;
  // Empty: $HOME/.ssh/known_hosts.
  std::string known_hosts_file;
  // Bounds TCP connect + key exchange + authentication.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // Exec channels in flight on the command connection. OpenSSH's sshd allows
  // 10 per connection by default (MaxSessions); further commands queue.
  int max_channels = 8;
  // Per command: how many times a broken connection may be re-established
  // to send a command that never started.
  int max_reconnects = 2;
  // SFTP: a transfer fails with kTimeout when the node answers no request for
  // this long.
  std::chrono::milliseconds transfer_stall_timeout{std::chrono::seconds(60)};
};

class SshRemote final : public Remote {
 public:
  // Does not connect; the first Run/Connect does. `options.host` must be set.
  explicit SshRemote(SshOptions options);
  // Fails commands still waiting with kCancelled and closes both connections.
  ~SshRemote() override;

  SshRemote(const SshRemote&) = delete;
  SshRemote& operator=(const SshRemote&) = delete;

  // Opens the command connection now if it is not open. Ok when connected
  // and authenticated; kUnreachable / kAuthFailed / kHostKeyMismatch /
  // kIoError (with what to fix) otherwise.
  Status Connect();

  const std::string& node() const override;
  const SshOptions& options() const;

  Result<CommandResult> Run(const Command& command) override;
  // SFTP as the login user (sudo does not apply). Upload writes a temporary
  // file beside `remote_path`, sets `mode`, then renames it into place, so
  // readers never see a half-written file. Download writes `local_path` the
  // same way.
  Status Upload(const std::string& local_path, const std::string& remote_path,
                int mode = 0644) override;
  Status Download(const std::string& remote_path, const std::string& local_path) override;

 private:
  class CommandConnection;
  class TransferConnection;

  SshOptions options_;
  std::unique_ptr<CommandConnection> commands_;
  std::unique_ptr<TransferConnection> transfers_;
};

}  // namespace faultline
