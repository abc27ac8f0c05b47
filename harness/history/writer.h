// JsonlHistoryWriter appends ops to history.jsonl as a test runs, one line per
// op. Lines reach the file in the order they were appended, so a controller
// killed at any instant leaves a prefix of the history: an analyzable file.
// By default every line is written (write(2), into the page cache) before
// Append returns. With a group-commit interval, lines are collected and a
// background thread writes them together at most that long after they were
// appended: two system calls per op become one per interval, and a controller
// killed by SIGKILL loses at most the last interval's lines. Flush and Close
// write everything at once.
// Thread-safe: Append may be called from many worker threads; each op gets the
// next index under the writer's lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

struct HistoryWriterOptions {
  // 0: write each line before Append returns. Otherwise the longest a line
  // waits in memory before it is written.
  std::chrono::milliseconds group_commit{0};
};

class JsonlHistoryWriter {
 public:
  // Creates or truncates `path`. IoError when it cannot be opened.
  static Result<std::unique_ptr<JsonlHistoryWriter>> Open(const std::string& path,
                                                          HistoryWriterOptions options = {});
  ~JsonlHistoryWriter();

  // Assigns op.index and writes the line, or queues it under group commit.
  // IoError on a failed write (also one of an earlier queued line) or after
  // Close.
  Status Append(Op& op);
  // Writes every line appended so far. IoError when a write fails.
  Status Flush();
  // Writes what is pending and closes the file; later calls do nothing.
  // IoError when a write or the close fails.
  Status Close();

 private:
  JsonlHistoryWriter(int fd, std::string path, HistoryWriterOptions options);
  void FlushLoop();
  // Writes `pending_` out. Requires mu_ held.
  Status WritePendingLocked();

  const HistoryWriterOptions options_;
  const std::string path_;
  // mu_ guards everything below. The flusher writes under it too: a write of
  // a batch is one system call, short next to the interval.
  std::mutex mu_;
  std::condition_variable wake_;
  int fd_;
  std::string pending_;  // whole lines not yet written
  Status error_;         // the first failed write; sticky
  bool stopping_ = false;
  int64_t next_index_ = 0;
  std::thread flusher_;  // only under group commit
};

// One line of history.jsonl for `op`, without the newline. Fields appear in
// the order index, time, type, process, f, value, key, error, node, with the
// same omissions as OpToJson. Bytes in strings that are not UTF-8 are written
// as U+FFFD, so that whatever a client recorded, the line stays valid JSON.
std::string OpToJsonLine(const Op& op);

// Writes a whole history as JSONL to `path` (created or truncated); each op's
// index is written as its position in `history.ops`. IoError when the file
// cannot be written.
Status WriteJsonlHistory(const History& history, const std::string& path);

}  // namespace faultline
