#include "targets/target_util.h"

#include <chrono>

#include "harness/control/remote.h"

namespace faultline {

Status OnNode(const NodeContext& ctx, const std::string& what, const Status& st) {
  return StatusWithCode(st.code(), what + " on " + ctx.node.name + ": " + st.message());
}

Status RemoveNodeDir(const NodeContext& ctx, const std::string& dir) {
  Command wipe = Command::Argv({"rm", "-rf", "--", dir});
  wipe.sudo = ctx.cluster.sudo;
  wipe.idempotent = true;
  Result<CommandResult> r = ctx.remote.Run(wipe);
  if (!r.ok()) return OnNode(ctx, "deleting " + dir, r.status());
  if (!r->ok()) {
    return Status::IoError("deleting " + dir + " on " + ctx.node.name + " failed (exit " +
                           std::to_string(r->exit_status) + "): " + r->err);
  }
  return Status::Ok();
}

std::string NodeLogTail(const NodeContext& ctx, const std::string& log) {
  Command tail = Command::Argv({"tail", "-n", "15", "--", log});
  tail.sudo = ctx.cluster.sudo;
  tail.timeout = std::chrono::seconds(10);
  tail.idempotent = true;
  Result<CommandResult> r = ctx.remote.Run(tail);
  if (!r.ok()) return "(could not read " + log + ": " + r.status().ToString() + ")";
  if (!r->ok() || r->out.empty()) return "(" + log + " is empty or missing)";
  return "the end of " + log + ":\n" + r->out;
}

}  // namespace faultline
