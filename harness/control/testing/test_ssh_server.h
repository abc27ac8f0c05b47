// TestSshServer: a throwaway OpenSSH sshd on 127.0.0.1, for integration tests
// and benchmarks of SshRemote. Needs root (sshd's privilege separation) and
// /usr/sbin/sshd.
//
// Start() makes a temporary directory holding a host key, a client key, an
// authorized_keys file with the client's public key and an sshd_config
// (loopback only, public-key auth only, UsePAM no, SFTP subsystem, and
// SetEnv SHLVL=1 so that bash skips ~/.bashrc), picks a
// free port and runs `sshd -D -e -f <config>` until it accepts connections.
// The destructor kills sshd and every process under it and removes the
// directory; sshd also dies with the thread that started it (PDEATHSIG), so a
// crashed test leaves no server behind.
//
// Thread-compatible: one thread drives it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "harness/base/status.h"
#include "harness/control/ssh_remote.h"

namespace faultline::testing {

class TestSshServer {
 public:
  // Unsupported (with the reason) when not root or sshd is missing; other
  // errors when setting up failed.
  static Result<std::unique_ptr<TestSshServer>> Start();
  ~TestSshServer();

  TestSshServer(const TestSshServer&) = delete;
  TestSshServer& operator=(const TestSshServer&) = delete;

  // Kills sshd and every connection it serves, then starts it again on the
  // same port with the same keys.
  Status Restart();
  // Kills sshd and every process under it.
  void Stop();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string client_key() const { return dir_ + "/id_ed25519"; }
  std::string known_hosts() const { return dir_ + "/known_hosts"; }
  // Generates another key pair in dir() (not authorized) and returns its path.
  Result<std::string> MakeUnauthorizedKey() const;
  // Options reaching this server as root with client_key(), accept-new into
  // known_hosts().
  SshOptions Options() const;

 private:
  TestSshServer() = default;
  Status Launch();

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace faultline::testing
