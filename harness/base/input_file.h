// Reading a small input file a user named (a nodes file, a suite file, a
// stored run's JSON): errors say which file and what was expected, and a
// directory, /dev/zero or a mistakenly named multi-gigabyte file is refused
// instead of being read until memory runs out.
#pragma once

#include <cstddef>
#include <string>

#include "harness/base/status.h"

namespace faultline {

inline constexpr size_t kMaxInputFileBytes = 64 << 20;  // 64 MiB

// The whole text of `path`. `what` names the expected content in errors
// ("a nodes file"). NotFound when it does not exist; InvalidArgument for a
// directory, an unreadable file or one larger than max_bytes.
Result<std::string> ReadInputFile(const std::string& path, const std::string& what,
                                  size_t max_bytes = kMaxInputFileBytes);

}  // namespace faultline
