// RetryingRemote: a ForwardingRemote that re-sends a call after a transport
// failure, with exponential backoff, when doing so cannot do harm.
//
// The rule (the same one SshRemote follows inside a single connection):
//   kUnreachable  the node was never reached, so nothing started: retried when
//                 policy.retry_unreachable (off by default, so that a dead node
//                 fails within one connect timeout).
//   kIoError      the transport broke; a command may have run: Run is retried
//                 only when command.idempotent. Upload and Download always are
//                 (they write a temporary file, then rename).
//   anything else (auth, host key, timeout, bad input) is returned at once.
// A command that ran and exited non-zero is a result, never retried.
//
// Thread-safety: as the wrapped Remote; the policy is immutable.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "harness/control/remote.h"

namespace faultline {

struct RetryPolicy {
  int max_attempts = 3;  // total tries per call, at least 1
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(2)};
  bool retry_unreachable = false;
};

class RetryingRemote final : public ForwardingRemote {
 public:
  using Sleeper = std::function<void(std::chrono::milliseconds)>;

  // `sleep` waits between attempts; tests pass one that records instead.
  RetryingRemote(std::shared_ptr<Remote> target, RetryPolicy policy = {}, Sleeper sleep = {});

  Result<CommandResult> Run(const Command& command) override;
  Status Upload(const std::string& local_path, const std::string& remote_path,
                int mode = 0644) override;
  Status Download(const std::string& remote_path, const std::string& local_path) override;

 private:
  // Calls `attempt` until it succeeds, `retryable` says no, or attempts run out.
  template <typename T>
  T Retry(const std::function<T()>& attempt, const std::function<bool(const Status&)>& retryable);

  RetryPolicy policy_;
  Sleeper sleep_;
};

}  // namespace faultline
