// The one way faultline does something "on every node at once, then merges
// the errors": setup and teardown of a target, a nemesis's fault on its
// nodes, the connection probes, the local cluster's per-node steps.
//
// ParallelMap calls fn(i) for every i in [0, count), each on its own thread
// (or on at most max_threads threads, when not 0: a 200-node cluster must not
// start 200 ssh-keygens at once), and returns the results in index order once
// all calls have returned. fn must not throw (errors are values here). MergeErrors turns labelled
// Statuses into one: Ok when all are ok, else
//   "<what> failed on n2: timeout: ...; n3: ..."
// with the code of the first failure, so callers can still tell a timeout
// from bad input.
//
// Thread-safety: fn is called concurrently from `count` threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "harness/base/status.h"

namespace faultline {

template <typename Fn>
auto ParallelMap(size_t count, Fn&& fn, size_t max_threads = 0)
    -> std::vector<std::invoke_result_t<Fn&, size_t>> {
  using T = std::invoke_result_t<Fn&, size_t>;
  std::vector<std::optional<T>> slots(count);
  const size_t threads_wanted = max_threads == 0 ? count : std::min(count, max_threads);
  std::atomic<size_t> next{0};
  {
    std::vector<std::thread> threads;
    threads.reserve(threads_wanted);
    for (size_t t = 0; t < threads_wanted; ++t) {
      threads.emplace_back([&] {
        for (size_t i = next++; i < count; i = next++) slots[i].emplace(fn(i));
      });
    }
    for (std::thread& t : threads) t.join();
  }
  std::vector<T> out;
  out.reserve(count);
  for (auto& slot : slots) out.push_back(std::move(*slot));
  return out;
}

// (label, status) per thing attempted, e.g. ("n2", Timeout(...)).
using LabelledStatuses = std::vector<std::pair<std::string, Status>>;

inline Status MergeErrors(const std::string& what, const LabelledStatuses& outcomes) {
  std::string message;
  std::optional<Status::Code> first;
  for (const auto& [label, status] : outcomes) {
    if (status.ok()) continue;
    if (!first) first = status.code();
    message += (message.empty() ? "" : "; ") + label + ": " + status.ToString();
  }
  if (!first) return Status::Ok();
  return StatusWithCode(*first, what + " failed on " + message);
}

// ParallelMap over `labels` (usually node names) with fn(i) -> Status, then
// MergeErrors: the common "do it on every node, report each failure" step.
template <typename Fn>
Status OnEach(const std::string& what, const std::vector<std::string>& labels, Fn&& fn) {
  std::vector<Status> results = ParallelMap(labels.size(), fn);
  LabelledStatuses outcomes;
  outcomes.reserve(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) outcomes.emplace_back(labels[i], results[i]);
  return MergeErrors(what, outcomes);
}

}  // namespace faultline
