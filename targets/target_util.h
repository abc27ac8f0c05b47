// Small helpers the daemon targets (etcd, ZooKeeper, Redis, the balancers)
// share for their messages, option checks and node chores. Internal to the
// targets library.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "harness/base/status.h"
#include "targets/target.h"

namespace faultline {

// "2.5 s": a deadline or grace period in an error message.
inline std::string SecondsOneDecimal(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return text;
}

// InvalidArgument "<component> option <field>: expected a port from 1 to
// 65535, got N" unless `port` is one.
inline Status ValidPortOption(std::string_view component, int port, const std::string& field) {
  if (port < 1 || port > 65535) {
    return Status::InvalidArgument(std::string(component) + " option " + field +
                                   ": expected a port from 1 to 65535, got " +
                                   std::to_string(port));
  }
  return Status::Ok();
}

// `st` with "<what> on <node>: " before its message, its code kept.
Status OnNode(const NodeContext& ctx, const std::string& what, const Status& st);

// rm -rf DIR on the node (idempotent): IoError naming the node and the exit
// status when it fails.
Status RemoveNodeDir(const NodeContext& ctx, const std::string& dir);

// The last 15 lines of `log` on the node, introduced for an error message;
// what went wrong when it cannot be read.
std::string NodeLogTail(const NodeContext& ctx, const std::string& log);

}  // namespace faultline
