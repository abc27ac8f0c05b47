// Subcommands of the `faultline` binary. Each takes the arguments after its
// own name and returns the process exit code:
//   0 valid, 1 invalid, 2 unknown, 254 bad usage or bad input, 255 internal.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Validator;
}  // namespace CLI

namespace faultline {
struct Progress;
}  // namespace faultline

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

// Parses `args` with `app` (CLI11): --help prints the help on stdout (exit
// 0); a usage error prints "faultline CMD: <what>" on stderr (exit 254);
// otherwise runs body.
int ParseAndRun(CLI::App& app, const Args& args, const char* cmd,
                const std::function<int()>& body);

// Flag validators with messages that say what was expected. Numbers must be
// plain decimals: no hex, inf or nan.
bool ParseDecimal(const std::string& text, double* out);
CLI::Validator Seconds(bool zero_ok);                         // > 0 (>= 0), at most 1e9
CLI::Validator NonNegative(const std::string& what, double max);  // 0 .. max
CLI::Validator WholeNumber(long long lo, long long hi);       // lo .. hi

// "[  12.0s] main     ok 1200  fail 3  info 1  nemesis start-partition"
std::string FormatProgress(const Progress& p);

// The progress of `faultline test`: on a terminal one line rewritten in
// place; otherwise (a log, a pipe) a whole line every line_interval_s.
class ProgressPrinter {
 public:
  ProgressPrinter(std::FILE* out, bool terminal, double line_interval_s = 10);
  void Update(const Progress& p);
  void Finish();  // ends the line on a terminal

 private:
  std::FILE* out_;
  bool terminal_;
  double line_interval_s_;
  double last_line_s_ = -1;
  bool printed_ = false;
};

}  // namespace faultline::cli
