// libFuzzer target: the local cluster's parsers of outside input. The first
// byte picks one:
//   0  ParseClusterArgs: the rest, cut at '\0', as the words after `faultline cluster`
//   1  ParsePrefix / ParseAddress: an address or prefix as `ip` prints it
//   2  ParseIpRoutes + InspectRange: `ip -j -4 route show table all` output
//   3  ParseIpAddresses + InspectRange: `ip -j -4 addr show` output
//   4  ParseState: a cluster's state file
// Properties: failures are InvalidArgument with a UTF-8 message naming the
// input; successes satisfy the documented ranges and format back the same.
#include "harness/cluster/cluster_files.h"
#include "harness/cluster/cluster_options.h"
#include "harness/cluster/cluster_plan.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace cluster = faultline::cluster;
using faultline::fuzz::CheckError;
using faultline::fuzz::Fail;

void Args(const std::string& text) {
  const std::vector<std::string> args = faultline::fuzz::SplitNul(text);
  faultline::Result<cluster::ClusterCommand> c = cluster::ParseClusterArgs(args);
  if (!c.ok()) {
    CheckError(c.status(), "", faultline::Status::Code::kInvalidArgument, false, false);
    if (c.status().message().find("faultline cluster") == std::string::npos &&
        c.status().message().find("cluster name") == std::string::npos &&
        c.status().message().find("node count") == std::string::npos) {
      Fail("error names neither the command nor the value", c.status().message());
    }
    return;
  }
  if (c->action == cluster::ClusterCommand::Action::kHelp) return;
  if (!cluster::ValidateClusterName(c->name).ok()) Fail("cluster name", c->name);
  if (!cluster::ValidateNodeCount(c->nodes).ok()) Fail("node count", std::to_string(c->nodes));
  if (c->json && c->action != cluster::ClusterCommand::Action::kStatus) Fail("json", text);
  if (c->reuse && c->action != cluster::ClusterCommand::Action::kUp) Fail("reuse", text);
}

void Address(const std::string& text) {
  if (std::optional<uint32_t> a = cluster::ParseAddress(text)) {
    // Leading zeros are taken ("010" is 10), so compare numerically.
    if (cluster::ParseAddress(cluster::FormatAddress(*a)) != a) Fail("address round trip", text);
  }
  if (std::optional<cluster::Prefix> p = cluster::ParsePrefix(text)) {
    if (p->length < 0 || p->length > 32) Fail("prefix length", text);
    if (!p->Contains(p->network)) Fail("prefix does not contain its network", text);
    std::optional<cluster::Prefix> again = cluster::ParsePrefix(p->ToString());
    if (!again || again->network != p->network || again->length != p->length)
      Fail("prefix round trip", p->ToString());
    if (!p->Overlaps(*p)) Fail("prefix does not overlap itself", text);
  }
}

void CheckReport(const cluster::RangeReport& report) {
  for (const std::string& s : report.conflicts) {
    if (s.empty()) Fail("empty conflict", "");
  }
  for (const std::string& s : report.covering) {
    if (s.empty()) Fail("empty covering route", "");
  }
}

void Routes(const std::string& text) {
  faultline::Result<std::vector<cluster::HostRoute>> routes = cluster::ParseIpRoutes(text);
  if (!routes.ok()) {
    CheckError(routes.status(), "`ip -j route` output: ");
    return;
  }
  CheckReport(cluster::InspectRange(*routes, {}));
}

void Addresses(const std::string& text) {
  faultline::Result<std::vector<cluster::HostAddressEntry>> addresses =
      cluster::ParseIpAddresses(text);
  if (!addresses.ok()) {
    CheckError(addresses.status(), "`ip -j addr` output: ");
    return;
  }
  CheckReport(cluster::InspectRange({}, *addresses));
}

void State(const std::string& text) {
  faultline::Result<cluster::ClusterState> state = cluster::ParseState(text, "state.json");
  if (!state.ok()) {
    CheckError(state.status(), "state.json");
    return;
  }
  if (state->index < 0 || state->index > cluster::kMaxClusterIndex)
    Fail("index", std::to_string(state->index));
  const std::string json = cluster::StateToJson(*state);
  faultline::Result<cluster::ClusterState> again = cluster::ParseState(json, "again");
  if (!again.ok()) Fail("StateToJson does not parse", again.status().ToString());
  if (again->name != state->name || again->index != state->index ||
      again->bridge != state->bridge || again->subnet != state->subnet ||
      again->phase != state->phase || again->nodes.size() != state->nodes.size()) {
    Fail("state round trip", json);
  }
  for (size_t i = 0; i < state->nodes.size(); ++i) {
    const cluster::NodeState& a = state->nodes[i];
    const cluster::NodeState& b = again->nodes[i];
    if (a.name != b.name || a.address != b.address || a.netns != b.netns || a.veth != b.veth ||
        a.init_pid != b.init_pid) {
      Fail("node state round trip", json);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text = faultline::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0: Args(text); break;
    case 1: Address(text); break;
    case 2: Routes(text); break;
    case 3: Addresses(text); break;
    case 4: State(text); break;
  }
  return 0;
}
