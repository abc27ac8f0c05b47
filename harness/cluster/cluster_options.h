// The arguments of `faultline cluster up | down | status`, parsed without side
// effects so that every usage error is caught before anything is touched.
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "harness/base/status.h"
#include "harness/cluster/cluster_plan.h"

namespace faultline::cluster {

struct ClusterCommand {
  enum class Action { kUp, kDown, kStatus, kHelp };
  Action action = Action::kHelp;
  std::string name = kDefaultClusterName;
  int nodes = kDefaultNodeCount;  // up only
  bool json = false;              // status only
  bool reuse = false;             // up only: keep a cluster that is already up
};

// Parses the words after `faultline cluster`: an action, then options as
// `--opt value` or `--opt=value`. InvalidArgument naming the word and what
// was expected on any error.
Result<ClusterCommand> ParseClusterArgs(const std::vector<std::string>& args);

// The text of `faultline cluster --help`.
std::string ClusterUsage();

}  // namespace faultline::cluster
