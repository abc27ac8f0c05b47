// store/index.html: every stored run on one page, newest first, with a small
// trend per test name and "failing since" marks, for nightly CI where many
// tests run a night and one page must show what changed.
//
// It reads only what runs stored (test.json, results.json; see report.h) and
// is rewritten after every run. Like report.html it is one self-contained
// file: inline CSS and SVG, no script, no external resource; every datum is
// escaped.
//
// Thread-safety: all functions are reentrant. Two processes rewriting the
// same index race harmlessly: each writes a temporary file renamed into place.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/report/text_util.h"

namespace faultline::report {

// One stored run as the index shows it.
struct IndexEntry {
  std::string test;      // the test's name
  std::string run;       // its directory relative to the store: "<test-dir>/<timestamp>"
  std::string label;     // the run directory's name (a UTC timestamp in the store)
  // "valid", "invalid", "unknown", "error" (harness problems and no
  // violation found) or "incomplete" (no results.json yet, or unreadable).
  std::string verdict;
  std::string problem;   // the first harness problem, or why results.json is unreadable
  int64_t ops = -1;      // completed + unfinished operations; -1 when unknown
  int64_t ok_ops = -1;
  int64_t duration_ns = -1;
  std::map<std::string, int> faults;  // nemesis kind -> fault periods
  bool has_report = false;
  bool has_history = false;

  // ok operations per second; negative when unknown.
  double Throughput() const;
};

// The store's runs (store/<test>/<run>/ holding test.json), newest first by
// the run directory's name, at most `max_runs` of them. Symlinks (such as
// store/latest) are not followed. NotFound when `store` is not a directory.
Result<std::vector<IndexEntry>> ReadStoreRuns(const std::string& store, size_t max_runs = 500);

struct IndexOptions {
  size_t trend_runs = 20;   // runs per test name in its trend
  std::string title = "faultline runs";
};

// The whole index.html for `runs` (newest first), with links relative to the store.
std::string RenderIndex(const std::vector<IndexEntry>& runs, const IndexOptions& options = {});

// ReadStoreRuns, then writes store/index.html through a temporary file.
// IoError naming the file when it cannot be written.
Status WriteStoreIndex(const std::string& store);

}  // namespace faultline::report
