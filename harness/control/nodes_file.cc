#include "harness/control/nodes_file.h"

#include "harness/base/input_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "harness/control/retrying_remote.h"

namespace faultline {
namespace {

using Json = nlohmann::json;

std::string Shown(const Json& value) {
  std::string text = value.dump();
  return text.size() > 60 ? text.substr(0, 60) + "..." : text;
}

// `text` with each byte that is not UTF-8 replaced by U+FFFD: the JSON
// library's messages quote the bytes it last read, which may be half a
// character.
std::string Utf8Text(const std::string& text) {
  return Json::parse(Json(text).dump(-1, ' ', false, Json::error_handler_t::replace))
      .get<std::string>();
}

bool IsNodeNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool HasSpace(const std::string& s) { return s.find_first_of(" \t\r\n") != std::string::npos; }

class Parser {
 public:
  Parser(const std::string& source, const std::string& base_dir)
      : source_(source), base_dir_(base_dir) {}

  Result<NodesFile> Parse(std::string_view text) {
    Json root;
    try {
      root = Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
      // parse_error, and out_of_range for a number too large (1e999).
      return Status::InvalidArgument(source_ + ": not valid JSON: " + Utf8Text(e.what()) +
                                     "; expected a JSON object with a \"nodes\" array");
    }
    if (!root.is_object()) {
      return Error("", "expected a JSON object with a \"nodes\" array, got " + Shown(root));
    }
    NodesFile file;
    for (const auto& [key, value] : root.items()) {
      if (key == "nodes" || key == "name" || key == "ssh_config") continue;
      return Error(key, "unknown field; expected nodes, name or ssh_config");
    }
    if (root.contains("name")) {
      if (!root["name"].is_string())
        return Error("name", "expected a string, got " + Shown(root["name"]));
      file.name = root["name"].get<std::string>();
    }
    if (root.contains("ssh_config")) {
      if (!root["ssh_config"].is_string()) {
        return Error("ssh_config", "expected a path string, got " + Shown(root["ssh_config"]));
      }
      file.ssh_config = Resolve(root["ssh_config"].get<std::string>());
    }
    if (!root.contains("nodes")) return Error("nodes", "missing; expected an array of nodes");
    const Json& nodes = root["nodes"];
    if (!nodes.is_array()) return Error("nodes", "expected an array, got " + Shown(nodes));
    if (nodes.empty()) return Error("nodes", "is empty; at least one node is needed");
    std::set<std::string> names;
    for (size_t i = 0; i < nodes.size(); ++i) {
      Result<NodeSpec> node = ParseNode(nodes[i], "nodes[" + std::to_string(i) + "]");
      if (!node.ok()) return node.status();
      if (!names.insert(node->name).second) {
        return Error("nodes[" + std::to_string(i) + "].name",
                     "\"" + node->name + "\" is used by an earlier node; names must be unique");
      }
      file.nodes.push_back(std::move(node).value());
    }
    return file;
  }

 private:
  Status Error(const std::string& where, const std::string& what) const {
    return Status::InvalidArgument(source_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  std::string Resolve(const std::string& path) const {
    if (path.empty() || base_dir_.empty() || path[0] == '/') return path;
    return (std::filesystem::path(base_dir_) / path).lexically_normal().string();
  }

  Result<std::string> String(const Json& node, const char* field, const std::string& where,
                             bool required) const {
    if (!node.contains(field)) {
      if (required) return Error(where + "." + field, "missing; it is required");
      return std::string();
    }
    const Json& value = node[field];
    if (!value.is_string())
      return Error(where + "." + field, "expected a string, got " + Shown(value));
    std::string text = value.get<std::string>();
    if (required && text.empty()) return Error(where + "." + field, "must not be empty");
    return text;
  }

  Result<NodeSpec> ParseNode(const Json& node, const std::string& where) const {
    if (!node.is_object()) return Error(where, "expected an object, got " + Shown(node));
    static const std::set<std::string> kFields = {
        "name", "host", "port", "user", "key", "host_key_policy", "known_hosts"};
    for (const auto& [key, value] : node.items()) {
      if (!kFields.count(key)) {
        return Error(where + "." + key,
                     "unknown field; expected name, host, port, user, key, host_key_policy or "
                     "known_hosts");
      }
    }
    NodeSpec spec;
    Result<std::string> host = String(node, "host", where, true);
    if (!host.ok()) return host.status();
    spec.host = *host;
    if (HasSpace(spec.host))
      return Error(where + ".host", "must not contain spaces: " + Shown(spec.host));

    Result<std::string> name = String(node, "name", where, false);
    if (!name.ok()) return name.status();
    spec.name = name->empty() ? spec.host : *name;
    for (char c : spec.name) {
      if (!IsNodeNameChar(c)) {
        return Error(where + ".name", Shown(spec.name) +
                                          " is not a valid node name; use letters, digits, '.', "
                                          "'_' and '-' (it names directories)");
      }
    }
    if (spec.name == "." || spec.name == "..") {
      return Error(where + ".name", Shown(spec.name) +
                                        " is not a valid node name: it names a directory of its "
                                        "own; use letters, digits, '.', '_' and '-'");
    }

    if (node.contains("port")) {
      const Json& port = node["port"];
      if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535) {
        return Error(where + ".port", "expected an integer from 1 to 65535, got " + Shown(port));
      }
      spec.port = port.get<int>();
    }

    Result<std::string> user = String(node, "user", where, false);
    if (!user.ok()) return user.status();
    if (node.contains("user")) {
      if (user->empty() || HasSpace(*user)) {
        return Error(where + ".user", "expected a user name, got " + Shown(node["user"]));
      }
      spec.user = *user;
    }

    Result<std::string> key = String(node, "key", where, false);
    if (!key.ok()) return key.status();
    spec.key = Resolve(*key);

    Result<std::string> policy = String(node, "host_key_policy", where, false);
    if (!policy.ok()) return policy.status();
    if (!policy->empty()) {
      Result<HostKeyPolicy> parsed = ParseHostKeyPolicy(*policy);
      if (!parsed.ok()) {
        return Error(where + ".host_key_policy", "\"" + *policy +
                                                     "\" is not a policy; expected strict, "
                                                     "accept-new or off");
      }
      spec.host_key_policy = *parsed;
    }

    Result<std::string> known_hosts = String(node, "known_hosts", where, false);
    if (!known_hosts.ok()) return known_hosts.status();
    spec.known_hosts = Resolve(*known_hosts);
    return spec;
  }

  const std::string& source_;
  const std::string& base_dir_;
};

}  // namespace

Result<NodesFile> ParseNodesFile(std::string_view text, const std::string& source,
                                 const std::string& base_dir) {
  return Parser(source, base_dir).Parse(text);
}

Result<NodesFile> ReadNodesFile(const std::string& path) {
  // A directory, a device or a huge file is refused by ReadInputFile.
  Result<std::string> text = ReadInputFile(path, "a nodes file, see README \"Your own VMs\"");
  if (!text.ok()) {
    if (text.status().code() != Status::Code::kNotFound) return text.status();
    return Status::InvalidArgument("cannot open " + path + ": " + std::strerror(ENOENT) +
                                   " (expected a nodes file, see README \"Your own VMs\")");
  }
  std::string dir = std::filesystem::absolute(path).parent_path().string();
  return ParseNodesFile(*text, path, dir);
}

std::string FormatNodesFile(const NodesFile& file) {
  Json root = Json::object();
  if (!file.name.empty()) root["name"] = file.name;
  Json nodes = Json::array();
  for (const NodeSpec& n : file.nodes) {
    Json node = {{"name", n.name},
                 {"host", n.host},
                 {"port", n.port},
                 {"user", n.user},
                 {"host_key_policy", HostKeyPolicyName(n.host_key_policy)}};
    if (!n.key.empty()) node["key"] = n.key;
    if (!n.known_hosts.empty()) node["known_hosts"] = n.known_hosts;
    nodes.push_back(std::move(node));
  }
  root["nodes"] = std::move(nodes);
  if (!file.ssh_config.empty()) root["ssh_config"] = file.ssh_config;
  return root.dump(2) + "\n";
}

Status WriteNodesFile(const std::string& path, const NodesFile& file) {
  std::random_device random;
  std::string temp = path + ".tmp-" + std::to_string(random());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << FormatNodesFile(file);
    out.close();
    if (!out) {
      std::remove(temp.c_str());
      return Status::IoError("cannot write nodes file " + temp + ": " + std::strerror(errno));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(temp.c_str());
    return Status::IoError("cannot move " + temp + " to " + path + ": " + why);
  }
  return Status::Ok();
}

SshOptions SshOptionsFor(const NodeSpec& node) {
  SshOptions o;
  o.node = node.name.empty() ? node.host : node.name;
  o.host = node.host;
  o.port = node.port;
  o.user = node.user;
  o.private_key_file = node.key;
  o.host_key_policy = node.host_key_policy;
  o.known_hosts_file = node.known_hosts;
  return o;
}

Result<std::shared_ptr<Remote>> ConnectNode(const NodeSpec& node) {
  const std::string name = node.name.empty() ? node.host : node.name;
  if (node.host.empty()) return Status::InvalidArgument("node " + name + " has no host");
  if (!node.key.empty() && access(node.key.c_str(), R_OK) != 0) {
    return Status::InvalidArgument("node " + name + ": cannot read private key " + node.key + ": " +
                                   std::strerror(errno));
  }
  auto ssh = std::make_shared<SshRemote>(SshOptionsFor(node));
  return std::shared_ptr<Remote>(std::make_shared<RetryingRemote>(std::move(ssh)));
}

}  // namespace faultline
