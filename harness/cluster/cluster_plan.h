// The pure part of a local cluster: names, addresses and the address range.
//
// Every local cluster lives in one private IPv4 range, 10.77.0.0/16. Cluster
// number `index` (0..255) owns 10.77.<index>.0/24 on the host bridge
// flbr-<index>; the host holds .1 and node nK holds .(10+K). While no cluster
// is up the whole /16 is routed `unreachable`, so a stray connection fails at
// once instead of leaving the machine by the default route.
//
// Everything here is a pure function of its inputs (no system calls), so it is
// unit-tested without root. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/base/status.h"

namespace faultline::cluster {

inline constexpr const char* kRangeCidr = "10.77.0.0/16";
inline constexpr const char* kDefaultClusterName = "faultline";
inline constexpr int kDefaultNodeCount = 5;
inline constexpr int kMaxNodeCount = 200;  // .11 .. .210 of one /24
inline constexpr int kMaxClusterIndex = 255;
// Bridge and veth links carry this alias prefix plus the cluster name, so a
// sweep finds them even when the state file is gone.
inline constexpr const char* kLinkAliasPrefix = "faultline:";
// Inside every node: where targets keep data, logs and pidfiles.
inline constexpr const char* kNodeDataDir = "/var/lib/faultline/node";

// A cluster name becomes part of paths and namespace names: 1..32 characters
// from [a-z0-9_-], starting with a letter or digit. InvalidArgument otherwise,
// naming the offending character.
Status ValidateClusterName(const std::string& name);

// 1..kMaxNodeCount, else InvalidArgument.
Status ValidateNodeCount(int count);

// An IPv4 prefix, e.g. 10.77.3.0/24. A plain address is a /32.
struct Prefix {
  uint32_t network = 0;  // host byte order, host bits cleared
  int length = 0;

  bool Contains(uint32_t address) const;
  bool Overlaps(const Prefix& other) const;
  std::string ToString() const;
};

// Parses "a.b.c.d", "a.b.c.d/len" and "default"; nullopt when malformed.
std::optional<Prefix> ParsePrefix(const std::string& text);
std::optional<uint32_t> ParseAddress(const std::string& text);
std::string FormatAddress(uint32_t address);

// The names and addresses of cluster `index`.
std::string ClusterSubnet(int index);                      // "10.77.3.0/24"
std::string HostAddress(int index);                        // "10.77.3.1", on the bridge
std::string NodeAddress(int index, int k);                 // node nK (1-based): "10.77.3.(10+K)"
std::string NodeName(int k);                               // "n1"
std::string BridgeName(int index);                         // "flbr-3"
std::string HostVethName(int index, int k);                // "fl3n1" (IFNAMSIZ-safe)
std::string NetnsName(const std::string& cluster, int k);  // "faultline-NAME-n1"
std::string LinkAlias(const std::string& cluster);         // "faultline:NAME"
// The bridge index of "flbr-<index>", or nullopt for any other link name.
std::optional<int> BridgeIndex(const std::string& link_name);

// What the host has in or around the cluster range, as `ip -j` reports it.
struct HostRoute {
  std::string dst;   // "10.77.3.0/24", "default", "10.77.3.1"
  std::string type;  // "unicast" when absent, "unreachable", "local", ...
  std::string dev;   // empty for routes without a device
  std::string table;
};
struct HostAddressEntry {
  std::string dev;
  std::string address;  // "10.77.3.1"
  int prefix_length = 32;
};

// Parses `ip -j -4 route show table all` and `ip -j -4 addr show` output.
// InvalidArgument when the text is not the JSON array ip prints.
Result<std::vector<HostRoute>> ParseIpRoutes(const std::string& json_text);
Result<std::vector<HostAddressEntry>> ParseIpAddresses(const std::string& json_text);

// Who else uses the cluster range. Our own bridges (flbr-*) and the
// unreachable guard route are not conflicts.
struct RangeReport {
  // Routes or addresses inside 10.77.0.0/16 that belong to something else:
  // bringing a cluster up would shadow them, so `up` refuses.
  std::vector<std::string> conflicts;
  // Broader routes (e.g. 10.0.0.0/8 through a VPN) that cover the range:
  // the cluster shadows them for 10.77.0.0/16 only; worth a warning.
  std::vector<std::string> covering;
  bool guard_present = false;  // the unreachable 10.77.0.0/16 route exists
};
RangeReport InspectRange(const std::vector<HostRoute>& routes,
                         const std::vector<HostAddressEntry>& addresses);

// The lowest index in 0..kMaxClusterIndex not in `used`, trying `preferred`
// first. ResourceExhausted when every index is taken.
Result<int> AllocateIndex(const std::set<int>& used, std::optional<int> preferred);

}  // namespace faultline::cluster
