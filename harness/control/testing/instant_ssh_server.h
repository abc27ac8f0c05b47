// InstantSshServer: an SSH server inside the test process (libssh server
// API) that accepts any public key and answers every exec request at once
// with exit status 0 and no output, without running anything.
//
// It measures what the client side of SshRemote can do (channels in flight,
// round trips, CPU per command) apart from the node's cost of forking a
// shell, which dominates against a real sshd. Needs no root.
//
// Thread-safety: Start and the destructor from one thread; the server itself
// runs on its own threads (one per connection).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/base/status.h"
#include "harness/control/ssh_remote.h"

namespace faultline::testing {

class InstantSshServer {
 public:
  static Result<std::unique_ptr<InstantSshServer>> Start();
  ~InstantSshServer();

  // Options reaching this server (host key check off: its key is random).
  SshOptions Options() const;
  // Exec requests answered so far.
  int64_t commands() const { return commands_; }

 private:
  InstantSshServer() = default;
  void AcceptLoop();
  void Serve(void* session);

  void* bind_ = nullptr;  // ssh_bind
  int port_ = 0;
  std::string dir_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> commands_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> sessions_;
};

}  // namespace faultline::testing
