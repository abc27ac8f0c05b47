// OptionReader: reads a target's options (a JSON object from --target-options
// or a suite file) field by field, with types and ranges, for MakeTarget
// (registry.cc). Kept apart so the fuzzers build it alone. Internal to the
// targets library.
//
// Contract: each accessor returns the option's value, or `fallback` when it
// is absent or wrong; the first wrong one is remembered, and Finish() returns
// it, or else InvalidArgument for the first option no accessor asked for
// (a typo). Every message starts "target <name>: " and names the option:
//   target etcd: option client_port: expected an integer from 1 to 65535, got "x"
// Thread-compatible.
#pragma once

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

class OptionReader {
 public:
  // `prefix` is put before option names in messages (nested options, "node_ports.n1.").
  // `options` must outlive the reader.
  OptionReader(std::string target, const Json& options, std::string prefix = "");

  // An integer in [min, max]; max = INT64_MAX reads as "from min up".
  int64_t Int(const std::string& name, int64_t fallback, int64_t min, int64_t max);
  // A non-empty string.
  std::string String(const std::string& name, std::string fallback);
  bool Bool(const std::string& name, bool fallback);
  // An array of strings; {} when absent.
  std::vector<std::string> Strings(const std::string& name);
  // The raw value (nullptr when absent), for nested options; marks the field as read.
  const Json* Take(const std::string& name);
  // Records `name` as wrong unless an earlier option already was.
  void Fail(const std::string& name, const std::string& expected, const Json& got);
  // Ok when every option was valid and known.
  Status Finish();

 private:
  const std::string target_;
  const Json& options_;
  const std::string prefix_;
  std::set<std::string> read_;
  Status status_;
};

}  // namespace faultline
