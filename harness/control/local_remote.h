// LocalRemote: a Remote that is the control machine itself. Commands run as
// `/bin/sh -c <RenderCommand(command)>` through Boost.Process v2 (header-only
// in 1.81; it needs libboost_filesystem for its path type, as 1.81's
// BOOST_PROCESS_USE_STD_FS mode does not compile); Upload and Download are
// file copies.
//
// The contract is SshRemote's: exit status (128+N when killed by signal N),
// stdout, stderr, stdin written then closed, and command.timeout. Each command
// runs in its own process group; on timeout the whole group gets SIGKILL and
// Run returns kTimeout. Like sshd, Run waits until the command exited AND
// closed its stdout and stderr: a background process that keeps them open
// holds the command until its timeout.
//
// The first Run sets SIGPIPE to ignored in this process (a command that stops
// reading its stdin must not kill the harness); children get it back at its
// default.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <string>

#include "harness/control/remote.h"

namespace faultline {

class LocalRemote final : public Remote {
 public:
  explicit LocalRemote(std::string node = "local");

  const std::string& node() const override { return node_; }
  Result<CommandResult> Run(const Command& command) override;
  // Copies via a temporary file in the destination directory, then renames,
  // so readers never see a partial file. IoError naming both paths on failure.
  Status Upload(const std::string& local_path, const std::string& remote_path,
                int mode = 0644) override;
  Status Download(const std::string& remote_path, const std::string& local_path) override;

 private:
  std::string node_;
};

}  // namespace faultline
