#include "targets/client.h"

#include <utility>

namespace faultline {
namespace {

Op Complete(const Op& invocation, const std::string& node, OpType type) {
  Op op;
  op.type = type;
  op.process = invocation.process;
  op.f = invocation.f;
  op.key = invocation.key;
  op.value = invocation.value;
  op.node = node;
  return op;
}

}  // namespace

Op CompleteOk(const Op& invocation, const std::string& node, Json value) {
  Op op = Complete(invocation, node, OpType::kOk);
  op.value = std::move(value);
  return op;
}

Op CompleteFail(const Op& invocation, const std::string& node, std::string error) {
  Op op = Complete(invocation, node, OpType::kFail);
  op.error = std::move(error);
  return op;
}

Op CompleteInfo(const Op& invocation, const std::string& node, std::string error) {
  Op op = Complete(invocation, node, OpType::kInfo);
  op.error = std::move(error);
  return op;
}

}  // namespace faultline
