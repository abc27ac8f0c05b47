#include "harness/control/parallel.h"

namespace faultline {
namespace {

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

}  // namespace

std::vector<NodeResult> RunOnAll(const std::vector<std::shared_ptr<Remote>>& remotes,
                                 const Command& command) {
  return ForEachNode(remotes, [&command](Remote& remote) {
    return NodeResult{remote.node(), remote.Run(command)};
  });
}

Status AllSucceeded(const std::vector<NodeResult>& results) {
  std::string message;
  std::optional<Status::Code> first;
  for (const auto& r : results) {
    std::string failure;
    if (!r.result.ok()) {
      failure = r.result.status().ToString();
      if (!first) first = r.result.status().code();
    } else if (!r.result->ok()) {
      failure = "exit " + std::to_string(r.result->exit_status);
      std::string err = FirstLine(r.result->err);
      if (!err.empty()) failure += ": " + err;
      if (!first) first = Status::Code::kIoError;
    } else {
      continue;
    }
    message += (message.empty() ? "" : "; ") + r.node + ": " + failure;
  }
  if (!first) return Status::Ok();
  return StatusWithCode(*first, message);
}

}  // namespace faultline
