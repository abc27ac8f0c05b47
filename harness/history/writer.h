// JsonlHistoryWriter appends ops to history.jsonl as a test runs, one line per
// op, flushed per line so that a killed controller leaves an analyzable file.
// Thread-safe: Append may be called from many worker threads; each op gets the
// next index under the writer's lock.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

class JsonlHistoryWriter {
 public:
  // Creates or truncates `path`. IoError when it cannot be opened.
  static Result<std::unique_ptr<JsonlHistoryWriter>> Open(const std::string& path);
  ~JsonlHistoryWriter();

  // Assigns op.index, writes the line and flushes it. IoError on a failed write.
  Status Append(Op& op);
  Status Close();

 private:
  explicit JsonlHistoryWriter(std::FILE* file) : file_(file) {}
  std::mutex mu_;
  std::FILE* file_;
  int64_t next_index_ = 0;
};

// Writes a whole history as JSONL to `path`.
Status WriteJsonlHistory(const History& history, const std::string& path);

}  // namespace faultline
