// Subcommands of the `faultline` binary. Each takes the arguments after its
// own name and returns the process exit code:
//   0 valid, 1 invalid, 2 unknown, 254 bad usage or bad input, 255 internal.
#pragma once

#include <string>
#include <vector>

namespace faultline::cli {

inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUnknown = 2;
inline constexpr int kExitUsage = 254;
inline constexpr int kExitInternal = 255;

using Args = std::vector<std::string>;

int RunCheck(const Args& args);
int RunCluster(const Args& args);
int RunTest(const Args& args);
int RunAnalyze(const Args& args);
int RunServe(const Args& args);
int RunSuite(const Args& args);

}  // namespace faultline::cli
