// faultline: find bugs in distributed systems. See README.md.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "harness/cli/commands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(const faultline::cli::Args&);
  const char* summary;
};

const Subcommand kSubcommands[] = {
    {"test", faultline::cli::RunTest, "run a test: deploy, run a workload under faults, check"},
    {"analyze", faultline::cli::RunAnalyze, "re-check a stored run and rewrite its report"},
    {"check", faultline::cli::RunCheck, "check histories for linearizability"},
    {"cluster", faultline::cli::RunCluster, "local container cluster: up, down, status"},
    {"suite", faultline::cli::RunSuite, "run the tests a suite file lists; one JUnit file"},
    {"serve", faultline::cli::RunServe, "serve the store over HTTP, read-only"},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: faultline <command> [options]\n\ncommands:\n");
  for (const auto& sub : kSubcommands) std::fprintf(out, "  %-10s %s\n", sub.name, sub.summary);
  std::fprintf(out, "\nRun 'faultline <command> --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return faultline::cli::kExitUsage;
  }
  std::string name = argv[1];
  faultline::cli::Args args(argv + 2, argv + argc);
  if (name == "--help" || name == "-h" || name == "help") {
    // `faultline help test` is `faultline test --help`.
    if (argc == 3) {
      for (const auto& sub : kSubcommands) {
        if (argv[2] == std::string(sub.name)) return sub.run({"--help"});
      }
    }
    PrintUsage(stdout);
    return 0;
  }
  for (const auto& sub : kSubcommands) {
    if (name != sub.name) continue;
    try {
      return sub.run(args);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "faultline %s: internal error: %s\n", sub.name, e.what());
      return faultline::cli::kExitInternal;
    } catch (...) {
      std::fprintf(stderr, "faultline %s: internal error\n", sub.name);
      return faultline::cli::kExitInternal;
    }
  }
  std::fprintf(stderr, "faultline: unknown command '%s'\n", name.c_str());
  PrintUsage(stderr);
  return faultline::cli::kExitUsage;
}
