// `faultline cluster up | down | status`: local container clusters.
#include <signal.h>

#include <atomic>
#include <cstdio>

#include "harness/cli/commands.h"
#include "harness/cluster/cluster_options.h"
#include "harness/cluster/local_cluster.h"

namespace faultline::cli {
namespace {

std::atomic<bool> g_cluster_interrupted{false};

void OnInterrupt(int) { g_cluster_interrupted.store(true); }

int ExitCodeFor(const Status& status) {
  return status.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitInternal;
}

int Fail(const char* action, const Status& status) {
  std::fprintf(stderr, "faultline cluster %s: %s\n", action, status.ToString().c_str());
  return ExitCodeFor(status);
}

}  // namespace

int RunCluster(const Args& args) {
  auto command = cluster::ParseClusterArgs(args);
  if (!command.ok()) {
    std::fprintf(stderr, "%s\n\n%s", command.status().message().c_str(),
                 cluster::ClusterUsage().c_str());
    return kExitUsage;
  }
  if (command->action == cluster::ClusterCommand::Action::kHelp) {
    std::fputs(cluster::ClusterUsage().c_str(), stdout);
    return kExitValid;
  }
  cluster::LocalCluster local(cluster::kDefaultStateRoot, [](const std::string& line) {
    std::fprintf(stderr, "faultline cluster: %s\n", line.c_str());
  });

  switch (command->action) {
    case cluster::ClusterCommand::Action::kUp: {
      // Rebuilding a cluster that is up would wipe its nodes' data.
      if (auto current = local.GetStatus(command->name); current.ok() && current->up()) {
        if (command->reuse) {
          std::fprintf(stderr, "faultline cluster up: cluster '%s' is already up; reusing it\n",
                       command->name.c_str());
          std::fputs(cluster::RenderUsageHint(current->state, local.Paths(command->name)).c_str(),
                     stdout);
          return kExitValid;
        }
        std::fprintf(stderr,
                     "faultline cluster up: cluster '%s' is already up; take it down first "
                     "(faultline cluster down --name %s) or pass --reuse to keep it\n",
                     command->name.c_str(), command->name.c_str());
        return kExitUsage;
      }
      // Ctrl-C or a kill during `up` rolls back instead of leaving half a cluster.
      struct sigaction action {};
      action.sa_handler = OnInterrupt;
      sigemptyset(&action.sa_mask);
      struct sigaction old_int {
      }, old_term{};
      sigaction(SIGINT, &action, &old_int);
      sigaction(SIGTERM, &action, &old_term);
      cluster::UpOptions options;
      options.name = command->name;
      options.nodes = command->nodes;
      options.cancel = &g_cluster_interrupted;
      auto state = local.Up(options);
      sigaction(SIGINT, &old_int, nullptr);
      sigaction(SIGTERM, &old_term, nullptr);
      if (!state.ok()) return Fail("up", state.status());
      std::fputs(cluster::RenderUsageHint(*state, local.Paths(state->name)).c_str(), stdout);
      return kExitValid;
    }
    case cluster::ClusterCommand::Action::kDown: {
      Status status = local.Down(command->name);
      if (!status.ok()) return Fail("down", status);
      std::printf("cluster '%s' is down; nothing of it is left\n", command->name.c_str());
      return kExitValid;
    }
    case cluster::ClusterCommand::Action::kStatus: {
      auto status = local.GetStatus(command->name);
      if (!status.ok()) return Fail("status", status.status());
      std::fputs(command->json ? cluster::RenderStatusJson(*status).c_str()
                               : cluster::RenderStatusText(*status).c_str(),
                 stdout);
      return status->up() ? kExitValid : kExitInvalid;
    }
    case cluster::ClusterCommand::Action::kHelp:
      break;
  }
  return kExitValid;
}

}  // namespace faultline::cli
