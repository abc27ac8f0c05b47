// Writes synthetic histories for side-by-side measurements with other checkers:
//   make_synthetic_history OPS KEYS PROCS_PER_KEY CRASH_RATE VALUE_DOMAIN SEED > out.jsonl
//     a cas-register history as JSONL;
//   make_synthetic_history kv OPS KEYS CLIENTS CRASH_RATE ANOMALY SEED [FORMAT [LATENCY THINK]] > out
//     a kv history (ANOMALY: none, stale-read, lost-append, duplicated-append),
//     as JSONL or in Porcupine's kv log format (FORMAT jsonl or porcupine, the
//     default); LATENCY (default 100) and THINK (default 10) bound each half
//     of an op's round trip and a client's pause between ops.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "checkers/testing/synthetic_history.h"
#include "checkers/testing/synthetic_kv_history.h"

namespace {

int KvMain(int argc, char** argv) {
  if (argc != 8 && argc != 9 && argc != 11) {
    std::fprintf(stderr,
                 "usage: %s kv OPS KEYS CLIENTS CRASH_RATE ANOMALY SEED [jsonl|porcupine [LATENCY THINK]] > out\n"
                 "  ANOMALY: none, stale-read, lost-append, duplicated-append\n",
                 argv[0]);
    return 254;
  }
  faultline::testing::SyntheticKvOptions o;
  o.ops = std::atoll(argv[2]);
  o.keys = std::atoi(argv[3]);
  o.clients = std::atoi(argv[4]);
  o.crash_rate = std::atof(argv[5]);
  const std::string anomaly = argv[6];
  o.seed = std::strtoull(argv[7], nullptr, 10);
  const std::string format = argc >= 9 ? argv[8] : "porcupine";
  if (argc == 11) {
    o.max_latency = std::atoi(argv[9]);
    o.max_think = std::atoi(argv[10]);
  }
  using faultline::testing::KvAnomaly;
  if (anomaly == "none") {
    o.anomaly = KvAnomaly::kNone;
  } else if (anomaly == "stale-read") {
    o.anomaly = KvAnomaly::kStaleRead;
  } else if (anomaly == "lost-append") {
    o.anomaly = KvAnomaly::kLostAppend;
  } else if (anomaly == "duplicated-append") {
    o.anomaly = KvAnomaly::kDuplicatedAppend;
  } else {
    std::fprintf(stderr, "%s: ANOMALY \"%s\": expected none, stale-read, lost-append, duplicated-append\n",
                 argv[0], anomaly.c_str());
    return 254;
  }
  if (o.ops <= 0 || o.keys <= 0 || o.clients <= 0 || o.crash_rate < 0 || o.crash_rate > 1 ||
      o.max_latency < 1 || o.max_think < 1 ||
      (format != "jsonl" && format != "porcupine")) {
    std::fprintf(stderr, "%s: arguments out of range\n", argv[0]);
    return 254;
  }
  o.crashed_as_info = format == "jsonl";
  const faultline::History h = faultline::testing::SyntheticKvHistory(o);
  if (format == "porcupine") {
    std::fputs(faultline::testing::ToPorcupineKvLog(h).c_str(), stdout);
  } else {
    for (const faultline::Op& op : h.ops) std::printf("%s\n", faultline::OpToJson(op).dump().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "kv") == 0) return KvMain(argc, argv);
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: %s OPS KEYS PROCS_PER_KEY CRASH_RATE VALUE_DOMAIN SEED > out.jsonl\n"
                 "       %s kv OPS KEYS CLIENTS CRASH_RATE ANOMALY SEED [jsonl|porcupine] > out\n"
                 "  VALUE_DOMAIN 0 = every written value unique\n",
                 argv[0], argv[0]);
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
