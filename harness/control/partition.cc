#include "harness/control/partition.h"

#include "harness/control/parallel.h"

namespace faultline {
namespace {

bool IsAddress(const std::string& a) {
  if (a.empty() || a.size() > 255 || a[0] == '-') return false;
  for (char c : a) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsIpv6(const std::string& a) { return a.find(':') != std::string::npos; }

// Makes the chain and the jump exist, then empties the chain. $1: the tool.
constexpr const char* kPrepareFunction =
    "prepare() {\n"
    "  $1 -w -N FAULTLINE 2>/dev/null || true\n"
    "  $1 -w -C INPUT -j FAULTLINE 2>/dev/null || $1 -w -I INPUT 1 -j FAULTLINE\n"
    "  $1 -w -F FAULTLINE\n"
    "}\n";

Command Sudo(Command c) {
  c.sudo = true;
  c.idempotent = true;
  c.timeout = std::chrono::seconds(30);
  return c;
}

Status Check(Remote& node, const Result<CommandResult>& r, const std::string& what) {
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    std::string err = r->err.substr(0, r->err.find('\n'));
    return Status::IoError(what + " on " + node.node() + " failed (exit " +
                           std::to_string(r->exit_status) + "): " + err);
  }
  return Status::Ok();
}

}  // namespace

Grudge GrudgeFromComponents(const std::vector<std::vector<std::string>>& components) {
  Grudge grudge;
  for (size_t i = 0; i < components.size(); ++i) {
    for (const auto& node : components[i]) {
      std::set<std::string>& deaf = grudge[node];
      for (size_t j = 0; j < components.size(); ++j) {
        if (j != i) deaf.insert(components[j].begin(), components[j].end());
      }
    }
  }
  return grudge;
}

Result<Command> DropFromCommand(const std::vector<std::string>& addresses) {
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  for (const auto& a : addresses) {
    if (!IsAddress(a)) {
      return Status::InvalidArgument("'" + a +
                                     "' is not an address to drop traffic from; "
                                     "expected an IP address, a CIDR block or a host name");
    }
    (IsIpv6(a) ? v6 : v4).push_back(a);
  }
  // Positional arguments: the IPv4 addresses, "--", the IPv6 ones.
  std::string script = std::string(kPrepareFunction) +
                       "set -e\n"
                       "prepare iptables\n"
                       "while [ $# -gt 0 ] && [ \"$1\" != -- ]; do\n"
                       "  iptables -w -A FAULTLINE -s \"$1\" -j DROP; shift\n"
                       "done\n"
                       "[ $# -gt 0 ] && shift\n";
  if (v6.empty()) {
    script +=
        "if command -v ip6tables >/dev/null 2>&1; then ip6tables -w -F FAULTLINE "
        "2>/dev/null || true; fi\n";
  } else {
    script +=
        "prepare ip6tables\n"
        "for a in \"$@\"; do ip6tables -w -A FAULTLINE -s \"$a\" -j DROP; done\n";
  }
  std::vector<std::string> argv = {"sh", "-c", script, "sh"};
  argv.insert(argv.end(), v4.begin(), v4.end());
  argv.push_back("--");
  argv.insert(argv.end(), v6.begin(), v6.end());
  return Sudo(Command::Argv(std::move(argv)));
}

Command HealCommand() {
  return Sudo(Command::Shell(
      "iptables -w -F FAULTLINE 2>/dev/null || iptables -w -N FAULTLINE\n"
      "if command -v ip6tables >/dev/null 2>&1; then ip6tables -w -F FAULTLINE 2>/dev/null || "
      "true; fi\n"));
}

Command RemoveChainCommand() {
  return Sudo(
      Command::Shell("for t in iptables ip6tables; do\n"
                     "  command -v $t >/dev/null 2>&1 || continue\n"
                     "  while $t -w -D INPUT -j FAULTLINE 2>/dev/null; do :; done\n"
                     "  $t -w -F FAULTLINE 2>/dev/null || true\n"
                     "  $t -w -X FAULTLINE 2>/dev/null || true\n"
                     "done\n"
                     "! iptables -w -n -L FAULTLINE >/dev/null 2>&1\n"));
}

Status DropTrafficFrom(Remote& node, const std::vector<std::string>& addresses) {
  Result<Command> c = DropFromCommand(addresses);
  if (!c.ok()) return c.status();
  return Check(node, node.Run(*c), "partitioning (iptables)");
}

Status Heal(Remote& node) { return Check(node, node.Run(HealCommand()), "healing (iptables)"); }

Status RemoveChain(Remote& node) {
  return Check(node, node.Run(RemoveChainCommand()), "removing the FAULTLINE chain");
}

Status ApplyGrudge(const std::map<std::string, std::shared_ptr<Remote>>& nodes,
                   const std::map<std::string, std::string>& addresses, const Grudge& grudge) {
  std::map<std::string, std::vector<std::string>> drops;
  for (const auto& [node, deaf_to] : grudge) {
    if (!nodes.count(node)) {
      return Status::InvalidArgument("the grudge names node " + node +
                                     ", which is not in the test");
    }
    for (const auto& peer : deaf_to) {
      auto it = addresses.find(peer);
      if (it == addresses.end()) {
        return Status::InvalidArgument("the grudge names node " + peer +
                                       ", whose address is unknown");
      }
      drops[node].push_back(it->second);
    }
  }
  std::vector<std::shared_ptr<Remote>> remotes;
  std::vector<const std::vector<std::string>*> lists;
  static const std::vector<std::string> kNone;
  for (const auto& [name, remote] : nodes) {
    remotes.push_back(remote);
    auto it = drops.find(name);
    lists.push_back(it == drops.end() ? &kNone : &it->second);
  }
  std::vector<Status> results = ForEachNode(remotes, [&](Remote& r) {
    size_t i = 0;
    while (remotes[i].get() != &r) ++i;
    return DropTrafficFrom(r, *lists[i]);
  });
  for (const Status& st : results) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status HealAll(const std::map<std::string, std::shared_ptr<Remote>>& nodes) {
  std::vector<std::shared_ptr<Remote>> remotes;
  for (const auto& entry : nodes) remotes.push_back(entry.second);
  for (const Status& st : ForEachNode(remotes, [](Remote& r) { return Heal(r); })) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace faultline
