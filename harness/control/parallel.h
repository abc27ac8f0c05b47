// Running one thing on many nodes at once.
//
// ForEachNode calls fn(remote) for every remote on its own thread and returns
// the results in the order of `remotes`; it returns when all calls returned.
// fn must not throw. RunOnAll is ForEachNode for a single Command.
// Thread-safety: the Remotes must allow concurrent calls (all of ours do).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "harness/base/parallel.h"
#include "harness/control/remote.h"

namespace faultline {

struct NodeResult {
  std::string node;
  Result<CommandResult> result;
};

template <typename Fn>
auto ForEachNode(const std::vector<std::shared_ptr<Remote>>& remotes, Fn fn)
    -> std::vector<std::invoke_result_t<Fn&, Remote&>> {
  return ParallelMap(remotes.size(), [&](size_t i) { return fn(*remotes[i]); });
}

std::vector<NodeResult> RunOnAll(const std::vector<std::shared_ptr<Remote>>& remotes,
                                 const Command& command);

// Ok when every node ran the command with exit status 0; otherwise an error
// listing each failing node ("n2: exit 1: <stderr>; n3: timeout: ..."), with
// the code of the first failure (kIoError for a non-zero exit).
Status AllSucceeded(const std::vector<NodeResult>& results);

}  // namespace faultline
