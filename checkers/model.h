// Model: a sequential specification that linearizability is checked against.
//
// A Model turns a history into independent partitions (P-compositionality:
// keys that no operation spans are checked separately) and compiles each
// operation to a compact ModelOp whose meaning only the model knows. A
// ModelInstance is one partition's compiled specification: Init, a pure Step
// over 64-bit state handles, and descriptions for explanations.
//
// Thread-safety: Model is immutable and may be shared. A ModelInstance belongs
// to one partition and is used by one thread at a time (Step may intern new
// states into tables it owns).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/base/status.h"
#include "harness/history/op.h"

namespace faultline {

// A compiled operation: an opcode and arguments, interpreted by its model.
struct ModelOp {
  uint32_t code = 0;
  int64_t a = 0;
  int64_t b = 0;
  bool operator==(const ModelOp&) const = default;
};

inline constexpr int64_t kNeverReturns = std::numeric_limits<int64_t>::max();

// One operation as the search sees it.
struct PreparedOp {
  ModelOp op;
  // Crashed: no ok completion (info, or none). It may take effect at any
  // instant after its call, or never; its output is unknown.
  bool crashed = false;
  // Whenever this op is possible, it leaves the state unchanged (a read). The
  // search linearizes such ops as early as it can without trying alternatives.
  bool read_only = false;
  int64_t call = 0;              // position of the invocation in the history
  int64_t ret = kNeverReturns;   // position by which it must have taken effect
  size_t invoke_index = 0;       // into History::ops
  std::optional<size_t> completion_index;
};

class ModelInstance {
 public:
  virtual ~ModelInstance() = default;
  virtual uint64_t Init() = 0;
  // Applies `op` in `state`. True, with *next set, when `op` with its recorded
  // output is possible in `state`; false when it is not. For a crashed op the
  // output is unknown and only the effect is applied.
  virtual bool Step(uint64_t state, const PreparedOp& op, uint64_t* next) = 0;
  virtual std::string DescribeState(uint64_t state) const = 0;
  // A model may merge states whose futures are the same into one handle (the
  // search then visits fewer configurations). Explanations turn merging off
  // to show concrete states.
  virtual void SetMergeStates(bool /*on*/) {}
  // Bytes held by tables that Step grows (interned states), for the memory limit.
  virtual size_t MemoryBytes() const { return 0; }
};

struct Partition {
  Json key;  // null for an unkeyed history
  std::vector<PreparedOp> ops;
  std::unique_ptr<ModelInstance> model;
  size_t dropped = 0;  // ops the model proved irrelevant (failed, crashed reads, ...)
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string_view name() const = 0;
  // Splits and compiles `history`. `init` is the initial value (null = absent).
  // InvalidArgument naming source:line when an op's f is unknown to the model
  // or its value has the wrong shape, or when `init` is unusable.
  virtual Result<std::vector<Partition>> Prepare(const History& history,
                                                 const std::vector<OpPair>& pairs,
                                                 const Json& init) const = 0;
};

// "register", "cas-register", "multi-register", "kv", "mutex", "set", "fifo-queue".
Result<std::unique_ptr<Model>> MakeModel(std::string_view name);
std::vector<std::string> ModelNames();

}  // namespace faultline
