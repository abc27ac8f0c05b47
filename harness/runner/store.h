// The store: one directory per run, store/<test>/<timestamp>/, holding
// test.json, history.jsonl, results.json, harness.log, nodes/<node>/,
// report.html and junit.xml; store/latest points at the newest run.
// Thread-safety: functions are reentrant; concurrent runs get distinct
// directories.
#pragma once

#include <string>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

// Creates store/<test_name>/<UTC timestamp>/ (with a suffix if that exists)
// and returns its path. InvalidArgument when the name holds '/' or is empty;
// IoError naming the path when it cannot be made.
Result<std::string> CreateRunDir(const std::string& store, const std::string& test_name);

// Points store/latest (a relative symlink) at run_dir, replacing the old one.
Status UpdateLatestLink(const std::string& store, const std::string& run_dir);

// Writes `value` to `path` via a temporary file renamed into place.
Status WriteJsonFile(const std::string& path, const Json& value);
// NotFound / IoError / InvalidArgument (with the parse error) naming the path.
Result<Json> ReadJsonFile(const std::string& path);

}  // namespace faultline
