#include "harness/history/op.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace faultline {

const char* OpTypeName(OpType type) {
  switch (type) {
    case OpType::kInvoke: return "invoke";
    case OpType::kOk: return "ok";
    case OpType::kFail: return "fail";
    case OpType::kInfo: return "info";
  }
  return "?";
}

std::optional<OpType> ParseOpType(std::string_view name) {
  if (name == "invoke") return OpType::kInvoke;
  if (name == "ok") return OpType::kOk;
  if (name == "fail") return OpType::kFail;
  if (name == "info") return OpType::kInfo;
  return std::nullopt;
}

Json OpToJson(const Op& op) {
  Json j = Json::object();
  j["index"] = op.index;
  if (op.time >= 0) j["time"] = op.time;
  j["type"] = OpTypeName(op.type);
  if (op.is_nemesis()) {
    j["process"] = "nemesis";
  } else {
    j["process"] = op.process;
  }
  j["f"] = op.f;
  j["value"] = op.value;
  if (!op.key.is_null()) j["key"] = op.key;
  if (!op.error.is_null()) j["error"] = op.error;
  if (!op.node.empty()) j["node"] = op.node;
  return j;
}

std::string DescribeOp(const Op& op) {
  std::string out = op.is_nemesis() ? "nemesis" : std::to_string(op.process);
  out += " :";
  out += OpTypeName(op.type);
  out += " :" + op.f;
  if (!op.key.is_null()) out += " key=" + op.key.dump();
  out += " " + (op.value.is_null() ? std::string("nil") : op.value.dump());
  if (!op.error.is_null()) out += " error=" + op.error.dump();
  return out;
}

Result<std::vector<OpPair>> PairOps(const History& history) {
  std::vector<OpPair> pairs;
  pairs.reserve(history.ops.size() / 2 + 1);
  // Open invocation of each process (index into pairs): a vector for the
  // usual small non-negative process numbers, a map for any others.
  constexpr size_t kNone = SIZE_MAX;
  constexpr int64_t kDenseProcesses = 1 << 20;
  std::vector<size_t> open_dense;
  std::unordered_map<int64_t, size_t> open_sparse;
  auto open = [&](int64_t process) -> size_t& {
    if (process >= 0 && process < kDenseProcesses) {
      const auto p = static_cast<size_t>(process);
      if (p >= open_dense.size()) open_dense.resize(std::max(p + 1, 2 * open_dense.size()), kNone);
      return open_dense[p];
    }
    return open_sparse.try_emplace(process, kNone).first->second;
  };
  auto where = [&](const Op& op) {
    return history.source + ":" + std::to_string(op.line) + ": ";
  };
  for (size_t i = 0; i < history.ops.size(); ++i) {
    const Op& op = history.ops[i];
    if (op.is_nemesis()) continue;
    size_t& pending = open(op.process);
    if (op.is_invoke()) {
      if (pending != kNone) {
        const Op& prev = history.ops[pairs[pending].invoke];
        return Status::InvalidArgument(
            where(op) + "process " + std::to_string(op.process) +
            " invokes again while its operation from line " + std::to_string(prev.line) +
            " has not completed; expected a completion (ok, fail or info) first");
      }
      pending = pairs.size();
      pairs.push_back(OpPair{i, std::nullopt});
      continue;
    }
    if (pending == kNone) {
      return Status::InvalidArgument(where(op) + "completion (" + OpTypeName(op.type) +
                                     ") of process " + std::to_string(op.process) +
                                     " has no open invocation; expected an invoke first");
    }
    OpPair& pair = pairs[pending];
    const Op& inv = history.ops[pair.invoke];
    if (inv.f != op.f) {
      return Status::InvalidArgument(where(op) + "completion has f \"" + op.f +
                                     "\" but its invocation on line " + std::to_string(inv.line) +
                                     " has f \"" + inv.f + "\"; expected the same f");
    }
    pair.completion = i;
    pending = kNone;
  }
  return pairs;
}

}  // namespace faultline
