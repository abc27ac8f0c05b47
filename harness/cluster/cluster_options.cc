#include "harness/cluster/cluster_options.h"

#include <charconv>

namespace faultline::cluster {

std::string ClusterUsage() {
  return std::string(
             "usage: faultline cluster up [--nodes N] [--name NAME] [--reuse]\n"
             "       faultline cluster down [--name NAME]\n"
             "       faultline cluster status [--name NAME] [--json]\n"
             "\n"
             "A local cluster on this machine: each node is a set of namespaces with sshd\n"
             "as its first process, reached over SSH like a VM. up and down need root.\n"
             "\n"
             "  --name NAME   cluster name (default '") +
         kDefaultClusterName +
         "'): [a-z0-9_-], at most 32 characters\n"
         "  --nodes N     up: number of nodes (default " +
         std::to_string(kDefaultNodeCount) + ", at most " + std::to_string(kMaxNodeCount) +
         ")\n"
         "  --reuse       up: a cluster of that name that is already up is kept as it is\n"
         "                (without it, up refuses: its nodes' data would be lost)\n"
         "  --json        status: print JSON\n"
         "\n"
         "Cluster k uses 10.77.k.0/24 (nodes from .11); the rest of " +
         kRangeCidr +
         " is routed\n"
         "unreachable. status exits 0 when the cluster is up and every node answers,\n"
         "1 otherwise.\n";
}

Result<ClusterCommand> ParseClusterArgs(const std::vector<std::string>& args) {
  ClusterCommand command;
  if (args.empty()) {
    return Status::InvalidArgument(
        "faultline cluster: missing action; expected up, down or status");
  }
  const std::string& action = args[0];
  if (action == "up") {
    command.action = ClusterCommand::Action::kUp;
  } else if (action == "down") {
    command.action = ClusterCommand::Action::kDown;
  } else if (action == "status") {
    command.action = ClusterCommand::Action::kStatus;
  } else if (action == "--help" || action == "-h" || action == "help") {
    command.action = ClusterCommand::Action::kHelp;
    return command;
  } else {
    return Status::InvalidArgument("faultline cluster: unknown action '" + action +
                                   "'; expected up, down or status");
  }

  for (size_t i = 1; i < args.size(); ++i) {
    std::string word = args[i];
    std::string value;
    bool has_inline_value = false;
    if (auto eq = word.find('='); word.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = word.substr(eq + 1);
      word = word.substr(0, eq);
      has_inline_value = true;
    }
    auto take_value = [&]() -> Status {
      if (has_inline_value) return Status::Ok();
      if (i + 1 >= args.size()) {
        return Status::InvalidArgument("faultline cluster " + action + ": " + word +
                                       " needs a value");
      }
      value = args[++i];
      return Status::Ok();
    };
    auto not_for_action = [&]() {
      return Status::InvalidArgument("faultline cluster " + action + ": option " + word +
                                     " does not apply to " + action);
    };
    if (word == "--help" || word == "-h") {
      command.action = ClusterCommand::Action::kHelp;
      return command;
    } else if (word == "--name") {
      if (Status s = take_value(); !s.ok()) return s;
      if (Status s = ValidateClusterName(value); !s.ok()) {
        return Status::InvalidArgument("faultline cluster " + action + ": --name: " + s.message());
      }
      command.name = value;
    } else if (word == "--nodes") {
      if (command.action != ClusterCommand::Action::kUp) return not_for_action();
      if (Status s = take_value(); !s.ok()) return s;
      int nodes = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), nodes);
      if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
        return Status::InvalidArgument("faultline cluster up: --nodes '" + value +
                                       "': expected a whole number");
      }
      if (Status s = ValidateNodeCount(nodes); !s.ok()) {
        return Status::InvalidArgument("faultline cluster up: --nodes: " + s.message());
      }
      command.nodes = nodes;
    } else if (word == "--reuse") {
      if (command.action != ClusterCommand::Action::kUp) return not_for_action();
      if (has_inline_value) {
        return Status::InvalidArgument("faultline cluster up: --reuse takes no value");
      }
      command.reuse = true;
    } else if (word == "--json") {
      if (command.action != ClusterCommand::Action::kStatus) return not_for_action();
      if (has_inline_value) {
        return Status::InvalidArgument("faultline cluster status: --json takes no value");
      }
      command.json = true;
    } else if (word.rfind("-", 0) == 0) {
      return Status::InvalidArgument("faultline cluster " + action + ": unknown option '" + word +
                                     "'");
    } else {
      return Status::InvalidArgument("faultline cluster " + action + ": unexpected argument '" +
                                     word + "'");
    }
  }
  return command;
}

}  // namespace faultline::cluster
