// Op and History: the record of what a test did, in the shape Jepsen uses.
//
// An operation is an invocation followed (usually) by one completion of the
// same process: `ok` (it happened, value is its result), `fail` (it certainly
// did not happen), or `info` (unknown: it may happen at any later instant, or
// never). A process runs one operation at a time. These are plain values and
// thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/base/status.h"

namespace faultline {

using Json = nlohmann::json;

enum class OpType : uint8_t { kInvoke, kOk, kFail, kInfo };

// "invoke", "ok", "fail", "info".
const char* OpTypeName(OpType type);
// Parses the names above; nullopt for anything else.
std::optional<OpType> ParseOpType(std::string_view name);

// The nemesis is recorded with this process number and written as "nemesis".
inline constexpr int64_t kNemesisProcess = -1;

struct Op {
  int64_t index = -1;  // position in the history, 0-based
  int64_t time = -1;   // ns since the test started; -1 when the source had none
  OpType type = OpType::kInvoke;
  int64_t process = 0;  // >= 0 for clients, kNemesisProcess for the nemesis
  std::string f;        // the function: "read", "write", "cas", "txn", ...
  Json value;           // argument (invoke) or result (completion); null when none
  Json key;             // null when the op is not keyed
  Json error;           // null when none; e.g. "timed-out", "cas-mismatch"
  std::string node;     // empty when not recorded
  int64_t line = 0;     // 1-based line in the source file, for messages

  bool is_invoke() const { return type == OpType::kInvoke; }
  bool is_nemesis() const { return process == kNemesisProcess; }
};

// The error value that marks a CAS whose compare was observed not to match:
// it changed nothing, but at some instant inside it the register did not hold
// the expected value. Jepsen's old etcd logs record these as `:fail :cas`.
inline constexpr const char* kCasMismatchError = "cas-mismatch";

// The error value that marks a read whose result is unknown because the source
// recorded nil (Jepsen EDN: Knossos treats a nil read result as unknown).
inline constexpr const char* kNilReadError = "nil-read";

struct History {
  std::string source;  // file name (as given) or "<memory>", for messages
  std::vector<Op> ops;
};

// Op <-> JSON object as in history.jsonl (see README "History format").
Json OpToJson(const Op& op);
// Renders `op` the way a Jepsen log line shows it: "3 :invoke :read nil".
std::string DescribeOp(const Op& op);

// One operation: an invocation and its completion, if any.
struct OpPair {
  size_t invoke = 0;                 // index into History::ops
  std::optional<size_t> completion;  // absent: never completed (treated as info)
};

// Matches each client invocation with the next completion of the same process.
// Nemesis ops are skipped. Fails with InvalidArgument naming source:line when a
// completion has no open invocation, a process invokes twice without
// completing, or a completion's f differs from its invocation's.
Result<std::vector<OpPair>> PairOps(const History& history);

}  // namespace faultline
