// Writes a synthetic cas-register history as JSONL, for side-by-side
// measurements with other checkers:
//   make_synthetic_history OPS KEYS PROCS_PER_KEY CRASH_RATE VALUE_DOMAIN SEED > out.jsonl
#include <cstdio>
#include <cstdlib>

#include "checkers/testing/synthetic_history.h"

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: %s OPS KEYS PROCS_PER_KEY CRASH_RATE VALUE_DOMAIN SEED > out.jsonl\n"
                 "  VALUE_DOMAIN 0 = every written value unique\n",
                 argv[0]);
    return 254;
  }
  faultline::testing::SyntheticOptions o;
  o.ops = std::atoll(argv[1]);
  o.keys = std::atoi(argv[2]);
  o.processes_per_key = std::atoi(argv[3]);
  o.crash_rate = std::atof(argv[4]);
  o.value_domain = std::atoi(argv[5]);
  o.seed = std::strtoull(argv[6], nullptr, 10);
  if (o.ops <= 0 || o.keys <= 0 || o.processes_per_key <= 0 || o.crash_rate < 0 ||
      o.crash_rate > 1 || o.value_domain < 0) {
    std::fprintf(stderr, "%s: arguments out of range\n", argv[0]);
    return 254;
  }
  const faultline::History h = faultline::testing::SyntheticRegisterHistory(o);
  for (const faultline::Op& op : h.ops) std::printf("%s\n", faultline::OpToJson(op).dump().c_str());
  return 0;
}
