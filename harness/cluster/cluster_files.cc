#include "harness/cluster/cluster_files.h"

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/cluster/cluster_plan.h"
#include "harness/control/nodes_file.h"

namespace faultline::cluster {
namespace {

using Json = nlohmann::json;

// ssh_config takes double-quoted arguments; our paths never hold quotes, but a
// state root with spaces must still come out as one argument.
std::string SshConfigQuote(const std::string& value) { return "\"" + value + "\""; }

Status FieldError(const std::string& source, const std::string& field, const std::string& want) {
  return Status::InvalidArgument(source + ": field '" + field + "': expected " + want);
}

}  // namespace

ClusterState PlanCluster(const std::string& name, int index, int count) {
  ClusterState state;
  state.name = name;
  state.index = index;
  state.bridge = BridgeName(index);
  state.subnet = ClusterSubnet(index);
  state.phase = "creating";
  for (int k = 1; k <= count; ++k) {
    NodeState node;
    node.name = NodeName(k);
    node.address = NodeAddress(index, k);
    node.netns = NetnsName(name, k);
    node.veth = HostVethName(index, k);
    state.nodes.push_back(std::move(node));
  }
  return state;
}

std::string StateToJson(const ClusterState& state) {
  Json nodes = Json::array();
  for (const auto& node : state.nodes) {
    nodes.push_back({{"name", node.name},
                     {"address", node.address},
                     {"netns", node.netns},
                     {"veth", node.veth},
                     {"init_pid", node.init_pid}});
  }
  Json doc = {{"name", state.name},     {"index", state.index}, {"bridge", state.bridge},
              {"subnet", state.subnet}, {"phase", state.phase}, {"nodes", nodes}};
  return doc.dump(2) + "\n";
}

Result<ClusterState> ParseState(const std::string& text, const std::string& source) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return Status::InvalidArgument(source + ": expected a JSON object (a cluster state file)");
  }
  ClusterState state;
  auto get_string = [&](const Json& obj, const char* field, std::string* out) -> Status {
    if (!obj.contains(field) || !obj[field].is_string())
      return FieldError(source, field, "a string");
    *out = obj[field].get<std::string>();
    return Status::Ok();
  };
  for (auto [field, out] : {std::pair{"name", &state.name}, std::pair{"bridge", &state.bridge},
                            std::pair{"subnet", &state.subnet}, std::pair{"phase", &state.phase}}) {
    if (Status s = get_string(doc, field, out); !s.ok()) return s;
  }
  // Read as int64 first: get<int>() of 4294967296 would wrap to index 0.
  if (!doc.contains("index") || !doc["index"].is_number_integer() ||
      doc["index"].get<int64_t>() < 0 || doc["index"].get<int64_t>() > kMaxClusterIndex) {
    return FieldError(source, "index", "an integer 0.." + std::to_string(kMaxClusterIndex));
  }
  state.index = doc["index"].get<int>();
  if (!doc.contains("nodes") || !doc["nodes"].is_array()) {
    return FieldError(source, "nodes", "an array");
  }
  for (const auto& entry : doc["nodes"]) {
    if (!entry.is_object()) return FieldError(source, "nodes[]", "objects");
    NodeState node;
    for (auto [field, out] : {std::pair{"name", &node.name}, std::pair{"address", &node.address},
                              std::pair{"netns", &node.netns}, std::pair{"veth", &node.veth}}) {
      if (Status s = get_string(entry, field, out); !s.ok()) return s;
    }
    if (entry.contains("init_pid") && entry["init_pid"].is_number_integer()) {
      // A wrapped pid would make `down` signal some other process.
      const int64_t pid = entry["init_pid"].get<int64_t>();
      if (pid < 0 || pid > std::numeric_limits<int>::max()) {
        return FieldError(source, "nodes[].init_pid", "a process id (0 before launch)");
      }
      node.init_pid = static_cast<int>(pid);
    }
    state.nodes.push_back(std::move(node));
  }
  return state;
}

std::string RenderSshdConfig(const std::string& address) {
  const std::string dir = kNodeSshdDir;
  std::ostringstream out;
  out << "# A faultline local-cluster node; written by `faultline cluster up`.\n"
      << "ListenAddress " << address << "\n"
      << "Port 22\n"
      << "HostKey " << dir << "/ssh_host_ed25519_key\n"
      << "PidFile /run/sshd.pid\n"
      << "AuthorizedKeysFile " << dir << "/authorized_keys\n"
      << "PermitRootLogin prohibit-password\n"
      << "PubkeyAuthentication yes\n"
      << "PasswordAuthentication no\n"
      << "KbdInteractiveAuthentication no\n"
      << "UsePAM no\n"
      << "UseDNS no\n"
      << "PrintMotd no\n"
      << "PrintLastLog no\n"
      << "X11Forwarding no\n"
      << "Subsystem sftp internal-sftp\n"
      // The harness multiplexes many channels over one connection and opens
      // connections from many workers at once.
      << "MaxSessions 64\n"
      << "MaxStartups 64:30:256\n"
      << "LogLevel INFO\n";
  return out.str();
}

std::string RenderSshConfig(const ClusterState& state, const ClusterPaths& paths) {
  std::ostringstream out;
  out << "# faultline local cluster '" << state.name << "' (" << state.subnet
      << "); written by `faultline cluster up`.\n"
      << "# Usage: ssh -F " << paths.ssh_config().string() << " n1\n";
  for (const auto& node : state.nodes) {
    out << "Host " << node.name << "\n  HostName " << node.address << "\n";
  }
  out << "Host *\n"
      << "  User root\n"
      << "  Port 22\n"
      << "  IdentityFile " << SshConfigQuote(paths.key().string()) << "\n"
      << "  IdentitiesOnly yes\n"
      << "  UserKnownHostsFile " << SshConfigQuote(paths.known_hosts().string()) << "\n"
      << "  GlobalKnownHostsFile /dev/null\n"
      << "  StrictHostKeyChecking yes\n"
      << "  PasswordAuthentication no\n"
      << "  KbdInteractiveAuthentication no\n"
      << "  ConnectTimeout 5\n"
      << "  LogLevel ERROR\n";
  return out.str();
}

Result<std::string> RenderKnownHosts(const ClusterState& state,
                                     const std::vector<std::string>& host_public_keys) {
  if (host_public_keys.size() != state.nodes.size()) {
    return Status::Internal("known_hosts: " + std::to_string(host_public_keys.size()) +
                            " host keys for " + std::to_string(state.nodes.size()) + " nodes");
  }
  std::string out;
  for (size_t i = 0; i < state.nodes.size(); ++i) {
    std::istringstream fields(host_public_keys[i]);
    std::string type, blob;
    fields >> type >> blob;
    if (type.rfind("ssh-", 0) != 0 || blob.empty()) {
      return Status::InvalidArgument("host key of " + state.nodes[i].name +
                                     ": expected '<type> <base64> [comment]', got '" +
                                     host_public_keys[i].substr(0, 60) + "'");
    }
    out += state.nodes[i].address + " " + type + " " + blob + "\n";
  }
  return out;
}

std::string RenderNodesFile(const ClusterState& state, const ClusterPaths& paths) {
  NodesFile file;
  file.name = state.name;
  file.ssh_config = paths.ssh_config().string();
  for (const auto& node : state.nodes) {
    NodeSpec spec;
    spec.name = node.name;
    spec.host = node.address;
    spec.port = 22;
    spec.user = "root";
    spec.key = paths.key().string();
    spec.host_key_policy = HostKeyPolicy::kStrict;
    spec.known_hosts = paths.known_hosts().string();
    file.nodes.push_back(std::move(spec));
  }
  return FormatNodesFile(file);
}

bool ClusterStatus::up() const {
  if (!exists || state.phase != "up" || running.size() != state.nodes.size()) return false;
  for (bool r : running) {
    if (!r) return false;
  }
  return true;
}

std::string RenderStatusJson(const ClusterStatus& status) {
  Json nodes = Json::array();
  if (status.exists) {
    for (size_t i = 0; i < status.state.nodes.size(); ++i) {
      const auto& node = status.state.nodes[i];
      nodes.push_back({{"name", node.name},
                       {"address", node.address},
                       {"running", i < status.running.size() && status.running[i]}});
    }
  }
  auto path_or_null = [&](const std::string& path) {
    return status.exists ? Json(path) : Json(nullptr);
  };
  Json doc = {{"name", status.name},
              {"up", status.up()},
              {"phase", status.exists ? Json(status.state.phase) : Json(nullptr)},
              {"subnet", status.exists ? Json(status.state.subnet) : Json(nullptr)},
              {"nodes", nodes},
              {"nodes_file", path_or_null(status.nodes_file)},
              {"ssh_config", path_or_null(status.ssh_config)},
              {"ssh_key", path_or_null(status.ssh_key)}};
  return doc.dump(2) + "\n";
}

std::string RenderStatusText(const ClusterStatus& status) {
  std::ostringstream out;
  if (!status.exists) {
    out << "cluster '" << status.name << "': not up (no state found)\n";
    return out.str();
  }
  const auto& state = status.state;
  out << "cluster '" << status.name << "': "
      << (status.up() ? "up"
                      : (state.phase == "up" ? "degraded" : "incomplete (" + state.phase + ")"))
      << ", " << state.nodes.size() << " nodes on " << state.subnet << " (bridge " << state.bridge
      << ")\n\n";
  out << "  NODE   ADDRESS          SSHD\n";
  for (size_t i = 0; i < state.nodes.size(); ++i) {
    bool running = i < status.running.size() && status.running[i];
    char line[96];
    std::snprintf(line, sizeof line, "  %-6s %-16s %s\n", state.nodes[i].name.c_str(),
                  state.nodes[i].address.c_str(), running ? "running" : "not answering");
    out << line;
  }
  out << "\n  nodes file  " << status.nodes_file << "\n  ssh config  " << status.ssh_config
      << "\n  ssh key     " << status.ssh_key << "\n";
  return out.str();
}

std::string RenderUsageHint(const ClusterState& state, const ClusterPaths& paths) {
  std::ostringstream out;
  out << "cluster '" << state.name << "' is up: " << state.nodes.size() << " nodes on "
      << state.subnet << " (bridge " << state.bridge << ", host " << HostAddress(state.index)
      << ")\n";
  for (const auto& node : state.nodes) out << "  " << node.name << "  " << node.address << "\n";
  out << "\n"
      << "log in to a node:  ssh -F " << paths.ssh_config().string() << " n1\n"
      << "run a test:        faultline test --nodes-file " << paths.nodes_file().string()
      << " ...\n"
      << "status:            faultline cluster status --name " << state.name << "\n"
      << "tear down:         faultline cluster down --name " << state.name << "\n"
      << "\n"
      << "Each node has its own network, PID, mount and UTS namespaces, sshd as its first\n"
      << "process, a private /tmp and a private data directory at " << kNodeDataDir << "\n"
      << "(on this machine: " << paths.dir.string() << "/nK/data).\n"
      << "The nodes share this machine's kernel, so: the wall clock is shared (per-node\n"
      << "clock skew only inside processes run under faultline's clock shim, which Go\n"
      << "binaries like etcd ignore); packet loss works (iptables statistic match)\n"
      << "but packet delay needs the kernel's netem qdisc, which may be missing.\n";
  return out.str();
}

}  // namespace faultline::cluster
