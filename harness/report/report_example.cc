// report_example DIR [--ops N] [--seconds S] [--seed N] [--invalid]
// Writes a synthetic run into DIR (see testing/example_run.h), renders its
// report.html and junit.xml, and prints the console summary: for looking at
// the report without running a cluster.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "harness/report/report.h"
#include "harness/report/testing/example_run.h"

int main(int argc, char** argv) {
  using faultline::report::testing::ExampleRunOptions;
  ExampleRunOptions options;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--ops" && has_value) {
      options.ops = std::atoll(argv[++i]);
    } else if (a == "--seconds" && has_value) {
      options.seconds = std::atof(argv[++i]);
    } else if (a == "--seed" && has_value) {
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--invalid") {
      options.invalid = true;
    } else if (!a.empty() && a[0] != '-' && dir.empty()) {
      dir = a;
    } else {
      std::fprintf(stderr,
                   "usage: report_example DIR [--ops N] [--seconds S] [--seed N] [--invalid]\n");
      return 254;
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr,
                 "usage: report_example DIR [--ops N] [--seconds S] [--seed N] [--invalid]\n");
    return 254;
  }
  faultline::Status s = faultline::report::testing::WriteExampleRun(dir, options);
  if (!s.ok()) {
    std::fprintf(stderr, "report_example: %s\n", s.ToString().c_str());
    return 255;
  }
  auto run = faultline::report::LoadRun(dir);
  if (!run.ok()) {
    std::fprintf(stderr, "report_example: %s\n", run.status().ToString().c_str());
    return 255;
  }
  s = faultline::report::WriteReport(*run);
  if (!s.ok()) {
    std::fprintf(stderr, "report_example: %s\n", s.ToString().c_str());
    return 255;
  }
  std::fputs(faultline::report::ConsoleSummary(*run).c_str(), stdout);
  return 0;
}
