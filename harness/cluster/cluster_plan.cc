#include "harness/cluster/cluster_plan.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace faultline::cluster {
namespace {

constexpr uint32_t kRangeNetwork = (10u << 24) | (77u << 16);
constexpr int kRangeLength = 16;
// Routes shorter than this (default, 0.0.0.0/1 of VPNs) say nothing about
// who uses 10.77.0.0/16 in particular.
constexpr int kShortestCoveringLength = 8;

uint32_t Mask(int length) { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }

bool IsOurDevice(const std::string& dev) { return BridgeIndex(dev).has_value(); }

// The start of `text`, quoted as a JSON string: bytes that are not UTF-8
// (or a character cut at the end) become U+FFFD, so the message stays text.
std::string Excerpt(const std::string& text) {
  return nlohmann::json(text.substr(0, 80))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The string at `key` of an `ip -j` object, `fallback` when absent or not a
// string: value() would throw on a number where a string belongs.
std::string StringAt(const nlohmann::json& object, const char* key, const std::string& fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

Status ValidateClusterName(const std::string& name) {
  if (name.empty() || name.size() > 32) {
    return Status::InvalidArgument("cluster name '" + name +
                                   "': expected 1 to 32 characters from [a-z0-9_-]");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || (i > 0 && (c == '-' || c == '_'))) continue;
    return Status::InvalidArgument("cluster name '" + name + "': character " +
                                   std::to_string(i + 1) + " ('" + std::string(1, c) +
                                   "') is not allowed; expected [a-z0-9_-], starting with a "
                                   "letter or digit");
  }
  return Status::Ok();
}

Status ValidateNodeCount(int count) {
  if (count < 1 || count > kMaxNodeCount) {
    return Status::InvalidArgument("node count " + std::to_string(count) + ": expected 1 to " +
                                   std::to_string(kMaxNodeCount));
  }
  return Status::Ok();
}

bool Prefix::Contains(uint32_t address) const { return (address & Mask(length)) == network; }

bool Prefix::Overlaps(const Prefix& other) const {
  int shorter = std::min(length, other.length);
  return (network & Mask(shorter)) == (other.network & Mask(shorter));
}

std::string Prefix::ToString() const {
  return FormatAddress(network) + "/" + std::to_string(length);
}

std::optional<uint32_t> ParseAddress(const std::string& text) {
  uint32_t address = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc() || next == p || next - p > 3 || value > 255) return std::nullopt;
    address = (address << 8) | value;
    p = next;
  }
  if (p != end) return std::nullopt;
  return address;
}

std::string FormatAddress(uint32_t address) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", address >> 24, (address >> 16) & 255,
                (address >> 8) & 255, address & 255);
  return buf;
}

std::optional<Prefix> ParsePrefix(const std::string& text) {
  if (text == "default") return Prefix{0, 0};
  auto slash = text.find('/');
  auto address = ParseAddress(text.substr(0, slash));
  if (!address) return std::nullopt;
  int length = 32;
  if (slash != std::string::npos) {
    std::string len_text = text.substr(slash + 1);
    auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (ec != std::errc() || next != len_text.data() + len_text.size() || len_text.empty() ||
        length < 0 || length > 32) {
      return std::nullopt;
    }
  }
  return Prefix{*address & Mask(length), length};
}

std::string ClusterSubnet(int index) {
  return FormatAddress(kRangeNetwork | (uint32_t(index) << 8)) + "/24";
}
std::string HostAddress(int index) {
  return FormatAddress(kRangeNetwork | (uint32_t(index) << 8) | 1);
}
std::string NodeAddress(int index, int k) {
  return FormatAddress(kRangeNetwork | (uint32_t(index) << 8) | uint32_t(10 + k));
}
std::string NodeName(int k) { return "n" + std::to_string(k); }
std::string BridgeName(int index) { return "flbr-" + std::to_string(index); }
std::string HostVethName(int index, int k) {
  return "fl" + std::to_string(index) + "n" + std::to_string(k);
}
std::string NetnsName(const std::string& cluster, int k) {
  return "faultline-" + cluster + "-" + NodeName(k);
}
std::string LinkAlias(const std::string& cluster) { return kLinkAliasPrefix + cluster; }

std::optional<int> BridgeIndex(const std::string& link_name) {
  const std::string prefix = "flbr-";
  if (link_name.size() <= prefix.size() || link_name.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  int index = -1;
  const char* begin = link_name.data() + prefix.size();
  const char* end = link_name.data() + link_name.size();
  auto [next, ec] = std::from_chars(begin, end, index);
  if (ec != std::errc() || next != end || index < 0 || index > kMaxClusterIndex) {
    return std::nullopt;
  }
  if (std::to_string(index) != std::string(begin, end)) return std::nullopt;  // "flbr-03"
  return index;
}

Result<std::vector<HostRoute>> ParseIpRoutes(const std::string& json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) {
    return Status::InvalidArgument("`ip -j route` output: expected a JSON array, got " +
                                   Excerpt(json_text));
  }
  std::vector<HostRoute> routes;
  for (const auto& entry : doc) {
    if (!entry.is_object()) continue;
    HostRoute route;
    route.dst = StringAt(entry, "dst", "");
    route.type = StringAt(entry, "type", "unicast");
    route.dev = StringAt(entry, "dev", "");
    route.table = StringAt(entry, "table", "main");
    routes.push_back(std::move(route));
  }
  return routes;
}

Result<std::vector<HostAddressEntry>> ParseIpAddresses(const std::string& json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) {
    return Status::InvalidArgument("`ip -j addr` output: expected a JSON array, got " +
                                   Excerpt(json_text));
  }
  std::vector<HostAddressEntry> addresses;
  for (const auto& link : doc) {
    if (!link.is_object() || !link.contains("addr_info") || !link["addr_info"].is_array()) {
      continue;
    }
    for (const auto& info : link["addr_info"]) {
      if (!info.is_object() || StringAt(info, "family", "") != "inet") continue;
      HostAddressEntry entry;
      entry.dev = StringAt(link, "ifname", "");
      entry.address = StringAt(info, "local", "");
      auto length = info.find("prefixlen");
      if (length != info.end() && length->is_number_integer() && length->get<int64_t>() >= 0 &&
          length->get<int64_t>() <= 32) {
        entry.prefix_length = length->get<int>();
      }
      addresses.push_back(std::move(entry));
    }
  }
  return addresses;
}

RangeReport InspectRange(const std::vector<HostRoute>& routes,
                         const std::vector<HostAddressEntry>& addresses) {
  const Prefix range{kRangeNetwork, kRangeLength};
  RangeReport report;
  for (const auto& route : routes) {
    auto prefix = ParsePrefix(route.dst);
    if (!prefix || !prefix->Overlaps(range)) continue;
    if (IsOurDevice(route.dev)) continue;
    if (route.type == "unreachable" && prefix->length == kRangeLength) {
      report.guard_present = true;
      continue;
    }
    std::string description = "route " + (route.type == "unicast" ? "" : route.type + " ") +
                              route.dst + (route.dev.empty() ? "" : " dev " + route.dev) +
                              (route.table == "main" ? "" : " table " + route.table);
    if (prefix->length >= kRangeLength) {
      report.conflicts.push_back(description);
    } else if (prefix->length >= kShortestCoveringLength) {
      report.covering.push_back(description);
    }
  }
  for (const auto& entry : addresses) {
    auto address = ParseAddress(entry.address);
    if (!address || !range.Contains(*address) || IsOurDevice(entry.dev)) continue;
    report.conflicts.push_back("address " + entry.address + "/" +
                               std::to_string(entry.prefix_length) + " on " + entry.dev);
  }
  return report;
}

Result<int> AllocateIndex(const std::set<int>& used, std::optional<int> preferred) {
  if (preferred && *preferred >= 0 && *preferred <= kMaxClusterIndex && !used.count(*preferred)) {
    return *preferred;
  }
  for (int index = 0; index <= kMaxClusterIndex; ++index) {
    if (!used.count(index)) return index;
  }
  return Status::ResourceExhausted("every cluster subnet of " + std::string(kRangeCidr) +
                                   " is taken (" + std::to_string(kMaxClusterIndex + 1) +
                                   " clusters); run `faultline cluster down` on some");
}

}  // namespace faultline::cluster
