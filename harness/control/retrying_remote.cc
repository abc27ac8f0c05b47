#include "harness/control/retrying_remote.h"

#include <algorithm>
#include <thread>

namespace faultline {
namespace {

const Status& StatusOf(const Status& s) { return s; }
const Status& StatusOf(const Result<CommandResult>& r) {
  static const Status kOk;
  return r.ok() ? kOk : r.status();
}

}  // namespace

RetryingRemote::RetryingRemote(std::shared_ptr<Remote> target, RetryPolicy policy, Sleeper sleep)
    : ForwardingRemote(std::move(target)), policy_(policy), sleep_(std::move(sleep)) {
  if (policy_.max_attempts < 1) policy_.max_attempts = 1;
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

template <typename T>
T RetryingRemote::Retry(const std::function<T()>& attempt,
                        const std::function<bool(const Status&)>& retryable) {
  std::chrono::milliseconds backoff = policy_.initial_backoff;
  for (int tries = 1;; ++tries) {
    T result = attempt();
    const Status& status = StatusOf(result);
    if (status.ok() || !retryable(status)) return result;
    if (tries >= policy_.max_attempts) {
      if (tries == 1) return result;
      return StatusWithCode(status.code(), status.message() + " (gave up after " +
                                               std::to_string(tries) + " attempts)");
    }
    sleep_(backoff);
    backoff = std::min(backoff * 2, policy_.max_backoff);
  }
}

Result<CommandResult> RetryingRemote::Run(const Command& command) {
  return Retry<Result<CommandResult>>([&] { return target().Run(command); },
                                      [&](const Status& s) {
                                        if (s.code() == Status::Code::kUnreachable)
                                          return policy_.retry_unreachable;
                                        return s.code() == Status::Code::kIoError &&
                                               command.idempotent;
                                      });
}

Status RetryingRemote::Upload(const std::string& local_path, const std::string& remote_path,
                              int mode) {
  return Retry<Status>([&] { return target().Upload(local_path, remote_path, mode); },
                       [&](const Status& s) {
                         if (s.code() == Status::Code::kUnreachable) {
                           return policy_.retry_unreachable;
                         }
                         return s.code() == Status::Code::kIoError;
                       });
}

Status RetryingRemote::Download(const std::string& remote_path, const std::string& local_path) {
  return Retry<Status>([&] { return target().Download(remote_path, local_path); },
                       [&](const Status& s) {
                         if (s.code() == Status::Code::kUnreachable) {
                           return policy_.retry_unreachable;
                         }
                         return s.code() == Status::Code::kIoError;
                       });
}

}  // namespace faultline
