#include "harness/control/partition.h"

#include <cstdio>

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

Status CheckLossRate(double rate) {
  if (!(rate >= 0 && rate <= 1)) {
    return Status::InvalidArgument("packet loss rate " + std::to_string(rate) +
                                   " is out of range; expected a share between 0 and 1");
  }
  return Status::Ok();
}

Result<Command> DropFromCommand(const std::vector<std::string>& addresses) {
  std::vector<DropRule> rules;
  for (const auto& a : addresses) rules.push_back(DropRule{a, 1});
  return RulesCommand(rules);
}

Result<Command> RulesCommand(const std::vector<DropRule>& rules) {
  // Positional arguments: pairs (address, probability) for IPv4, "--", the
  // same for IPv6. Probability "1" is a plain DROP.
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  for (const DropRule& rule : rules) {
    if (!IsAddress(rule.address)) {
      return Status::InvalidArgument("'" + rule.address +
                                     "' is not an address to drop traffic from; "
                                     "expected an IP address, a CIDR block or a host name");
    }
    if (Status st = CheckLossRate(rule.probability); !st.ok()) return st;
    if (rule.probability == 0) continue;
    char p[32];
    if (rule.probability >= 1) {
      std::snprintf(p, sizeof p, "1");
    } else {
      std::snprintf(p, sizeof p, "%.6f", rule.probability);
    }
    std::vector<std::string>& family = IsIpv6(rule.address) ? v6 : v4;
    family.push_back(rule.address);
    family.push_back(p);
  }
  // add $tool $address $probability
  std::string script = std::string(kPrepareFunction) +
                       "add() {\n"
                       "  if [ \"$3\" = 1 ]; then $1 -w -A FAULTLINE -s \"$2\" -j DROP\n"
                       "  else $1 -w -A FAULTLINE -s \"$2\" -m statistic --mode random "
                       "--probability \"$3\" -j DROP; fi\n"
                       "}\n"
                       "set -e\n"
                       "prepare iptables\n"
                       "while [ $# -gt 1 ] && [ \"$1\" != -- ]; do\n"
                       "  add iptables \"$1\" \"$2\"; shift 2\n"
                       "done\n"
                       "[ $# -gt 0 ] && shift\n";
  if (v6.empty()) {
    script +=
        "if command -v ip6tables >/dev/null 2>&1; then ip6tables -w -F FAULTLINE "
        "2>/dev/null || true; fi\n";
  } else {
    script +=
        "prepare ip6tables\n"
        "while [ $# -gt 1 ]; do add ip6tables \"$1\" \"$2\"; shift 2; done\n";
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
  return ApplyFaults(nodes, addresses, grudge, LossPlan{});
}

Status ApplyFaults(const std::map<std::string, std::shared_ptr<Remote>>& nodes,
                   const std::map<std::string, std::string>& addresses, const Grudge& grudge,
                   const LossPlan& loss) {
  std::map<std::string, std::vector<DropRule>> rules;
  auto add = [&](const char* what, const std::string& node, const std::set<std::string>& peers,
                 double probability) -> Status {
    if (!nodes.count(node)) {
      return Status::InvalidArgument(std::string(what) + " names node " + node +
                                     ", which is not in the test");
    }
    for (const auto& peer : peers) {
      auto it = addresses.find(peer);
      if (it == addresses.end()) {
        return Status::InvalidArgument(std::string(what) + " names node " + peer +
                                       ", whose address is unknown");
      }
      rules[node].push_back(DropRule{it->second, probability});
    }
    return Status::Ok();
  };
  for (const auto& [node, deaf_to] : grudge) {
    if (Status st = add("the grudge", node, deaf_to, 1); !st.ok()) return st;
  }
  for (const auto& [node, l] : loss) {
    if (Status st = CheckLossRate(l.rate); !st.ok()) {
      return Status::InvalidArgument("the loss plan for node " + node + ": " + st.message());
    }
    if (Status st = add("the loss plan", node, l.from, l.rate); !st.ok()) return st;
  }
  std::vector<std::shared_ptr<Remote>> remotes;
  std::vector<const std::vector<DropRule>*> lists;
  static const std::vector<DropRule> kNone;
  for (const auto& [name, remote] : nodes) {
    remotes.push_back(remote);
    auto it = rules.find(name);
    lists.push_back(it == rules.end() ? &kNone : &it->second);
  }
  std::vector<Status> results = ForEachNode(remotes, [&](Remote& r) {
    size_t i = 0;
    while (remotes[i].get() != &r) ++i;
    Result<Command> c = RulesCommand(*lists[i]);
    if (!c.ok()) return c.status();
    return Check(r, r.Run(*c), "partitioning (iptables)");
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
