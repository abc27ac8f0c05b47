// Runs a program on this machine (ip, ssh-keygen, ...) by argv, without a
// shell, and collects its exit status and output. Used by the local cluster to
// change the host; nothing here goes over the network.
//
// Thread-safe: each call is independent (posix_spawn, no shared state).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "harness/base/status.h"

namespace faultline::cluster {

struct HostCommandResult {
  int exit_status = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
  bool ok() const { return exit_status == 0; }
};

// Runs argv[0] (an absolute path, or a name looked up in PATH) with stdin
// from /dev/null. Ok with the exit status and output once it exits; Timeout
// (after killing it) when it runs longer than `timeout`; IoError when it could
// not be started.
Result<HostCommandResult> RunHostCommand(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Like RunHostCommand, but a non-zero exit is an error too: Internal naming
// the command and quoting its stderr. Returns stdout on success.
Result<std::string> CheckHostCommand(const std::vector<std::string>& argv,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// "ip link add ..." for messages.
std::string DescribeArgv(const std::vector<std::string>& argv);

// The absolute path of `tool`, searched in PATH and then in /usr/sbin, /sbin,
// /usr/bin, /bin (sudo and cron often drop the sbin directories); empty when
// absent or not executable.
std::string FindTool(const std::string& tool);

}  // namespace faultline::cluster
