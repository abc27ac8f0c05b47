// JsonlHistoryWriter appends ops to history.jsonl as a test runs, one line per
// op, flushed per line so that a killed controller leaves an analyzable file.
// Thread-safe: Append may be called from many worker threads; each op gets the
// next index under the writer's lock.
#pragma once

#include <cstdio>
#include <memory>
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

  // Assigns op.index, writes the line and flushes it. IoError on a failed
  // write or after Close.
  Status Append(Op& op);
  // Flushes and closes the file; later calls do nothing. IoError when the
  // final flush fails.
  Status Close();

 private:
  JsonlHistoryWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::mutex mu_;
  std::FILE* file_;
  std::string path_;
  int64_t next_index_ = 0;
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
