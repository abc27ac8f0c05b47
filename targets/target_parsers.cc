// The pure parsers of what the systems under test and their tools print:
// HAProxy's stats CSV, the balance backends' applied.log, `ip -o -4 addr`,
// Redis CLUSTER SLOTS replies and MOVED / ASK redirects, ZooKeeper's `srvr`,
// etcd's base64 keys and values. They are declared beside their targets
// (balancer_target.h, redis_client.h, zookeeper_target.h, etcd_client.h) but
// kept in this file, which needs only the C++ library and <arpa/inet.h>, so
// that the fuzzers (tests/fuzz) build them alone.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "targets/balancer_target.h"
#include "targets/etcd_client.h"
#include "targets/redis_client.h"
#include "targets/zookeeper_target.h"

namespace faultline {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool Ipv4FromText(const std::string& s, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

std::string Ipv4ToText(uint32_t v) {
  in_addr a{};
  a.s_addr = htonl(v);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

// The digits of `text` as a number no greater than `max`; -1 otherwise.
int64_t SmallNumber(const std::string& text, int64_t max) {
  if (text.empty() || text.size() > 18) return -1;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v <= max ? v : -1;
}

}  // namespace

Result<InterfaceAddress> InterfaceOf(const std::string& out, const std::string& host) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    // "2: eth0    inet 10.77.1.11/24 brd ... scope global eth0\ ..."
    std::istringstream f(line);
    std::string index, name, family, cidr;
    if (!(f >> index >> name >> family >> cidr) || family != "inet") continue;
    const size_t slash = cidr.find('/');
    if (slash == std::string::npos || cidr.substr(0, slash) != host) continue;
    const std::string bits = cidr.substr(slash + 1);
    char* end = nullptr;
    const long prefix = std::strtol(bits.c_str(), &end, 10);
    if (end == bits.c_str() || *end != '\0' || prefix < 0 || prefix > 32) continue;
    const size_t at = name.find('@');  // "eth0@if12" in some outputs
    return InterfaceAddress{at == std::string::npos ? name : name.substr(0, at), static_cast<int>(prefix)};
  }
  return Status::NotFound("no interface carries " + host + " (`ip -o -4 addr show`)");
}

bool HoldsAddress(const std::string& out, const std::string& vip) {
  return out.find(" inet " + vip + "/") != std::string::npos;
}

Result<std::string> ChooseVip(const std::string& host, int prefix,
                              const std::vector<std::string>& node_hosts,
                              const std::string& wanted) {
  std::set<uint32_t> taken;
  for (const std::string& h : node_hosts) {
    uint32_t v = 0;
    if (!Ipv4FromText(h, &v)) {
      return Status::InvalidArgument("node host \"" + h + "\" is not an IPv4 address");
    }
    taken.insert(v);
  }
  uint32_t base = 0;
  if (!Ipv4FromText(host, &base)) {
    return Status::InvalidArgument("node host \"" + host + "\" is not an IPv4 address");
  }
  if (!wanted.empty()) {
    uint32_t w = 0;
    if (!Ipv4FromText(wanted, &w)) {
      return Status::InvalidArgument("option vip: expected an IPv4 address, got \"" + wanted + "\"");
    }
    if (taken.count(w)) {
      return Status::InvalidArgument("option vip: " + wanted + " is a node's own address");
    }
    if (prefix > 0) {  // 0: the subnet is not known yet
      const uint32_t mask = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
      if ((w & mask) != (base & mask)) {
        return Status::InvalidArgument("option vip: " + wanted + " is not in the nodes' subnet " +
                                       Ipv4ToText(base & mask) + "/" + std::to_string(prefix));
      }
      if (prefix <= 30 && (w == (base & mask) || w == ((base & mask) | ~mask))) {
        return Status::InvalidArgument("option vip: " + wanted +
                                       " is the subnet's network or broadcast address");
      }
    }
    return wanted;
  }
  if (prefix > 30) {
    return Status::InvalidArgument("the subnet /" + std::to_string(prefix) +
                                   " has no room for a virtual address; give one with option vip");
  }
  const uint32_t mask = ~(0xffffffffu >> prefix);
  const uint32_t network = base & mask, broadcast = network | ~mask;
  for (uint32_t v = broadcast - 1; v > network; --v) {
    if (!taken.count(v)) return Ipv4ToText(v);
  }
  return Status::InvalidArgument("every address of " + Ipv4ToText(network) + "/" +
                                 std::to_string(prefix) + " is a node's; give one with option vip");
}

Result<std::vector<ServerStat>> ParseHaproxyStats(const std::string& csv) {
  auto split = [](const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : line) {
      if (ch == ',') {
        out.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    out.push_back(cur);
    return out;
  };
  std::istringstream in(csv);
  std::string line;
  std::vector<std::string> header;
  int px = -1, sv = -1, status = -1, stot = -1;
  std::vector<ServerStat> out;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("# ", 0) == 0) {
      header = split(line.substr(2));
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == "pxname") px = static_cast<int>(i);
        if (header[i] == "svname") sv = static_cast<int>(i);
        if (header[i] == "status") status = static_cast<int>(i);
        if (header[i] == "stot") stot = static_cast<int>(i);
      }
      continue;
    }
    if (line.empty()) continue;
    if (px < 0 || sv < 0 || status < 0 || stot < 0) {
      return Status::InvalidArgument("haproxy stats CSV without a header naming pxname, svname, "
                                     "status and stot");
    }
    std::vector<std::string> f = split(line);
    const size_t need = static_cast<size_t>(std::max({px, sv, status, stot}));
    if (f.size() <= need || f[px] != "be" || f[sv] == "BACKEND" || f[sv] == "FRONTEND") continue;
    ServerStat s;
    s.name = f[sv];
    s.status = f[status];
    s.sessions = std::strtoll(f[stot].c_str(), nullptr, 10);
    out.push_back(std::move(s));
  }
  if (header.empty()) return Status::InvalidArgument("haproxy stats CSV without a header line");
  return out;
}

std::vector<int64_t> ParseAppliedLog(const std::string& text) {
  std::vector<int64_t> ids;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // "id msec key"; a line cut short by a kill has no second field.
    std::istringstream fields(line);
    std::string id, msec;
    if (!(fields >> id >> msec)) continue;
    char* end = nullptr;
    const long long v = std::strtoll(id.c_str(), &end, 10);
    if (end == id.c_str() || *end != '\0') continue;
    ids.push_back(v);
  }
  return ids;
}

std::string ZooKeeperMode(const std::string& srvr_answer) {
  const std::string tag = "Mode: ";
  size_t at = srvr_answer.find(tag);
  if (at == std::string::npos) return "";
  at += tag.size();
  size_t end = srvr_answer.find_first_of("\r\n", at);
  std::string mode = srvr_answer.substr(at, end == std::string::npos ? std::string::npos : end - at);
  while (!mode.empty() && mode.back() == ' ') mode.pop_back();
  return mode;
}

std::vector<std::string> RedisSlotOwners(const RedisReply& reply) {
  std::vector<std::string> slots(kRedisSlots);
  if (reply.type != RedisReply::Type::kArray) return slots;
  for (const RedisReply& range : reply.elements) {
    // [start, end, [host, port, id...], replicas...]
    if (range.type != RedisReply::Type::kArray || range.elements.size() < 3) continue;
    const RedisReply& start = range.elements[0];
    const RedisReply& end = range.elements[1];
    const RedisReply& primary = range.elements[2];
    if (start.type != RedisReply::Type::kInteger || end.type != RedisReply::Type::kInteger ||
        primary.type != RedisReply::Type::kArray || primary.elements.size() < 2) {
      continue;
    }
    const RedisReply& host = primary.elements[0];
    const RedisReply& port = primary.elements[1];
    if (host.type != RedisReply::Type::kString || host.str.empty() ||
        port.type != RedisReply::Type::kInteger || port.integer < 1 || port.integer > 65535) {
      continue;
    }
    const std::string owner = host.str + ":" + std::to_string(port.integer);
    // Clip to the slot range before looping: a range from a huge negative
    // start must not take forever.
    const long long first = std::max(start.integer, 0LL);
    const long long last = std::min(end.integer, static_cast<long long>(kRedisSlots) - 1);
    for (long long s = first; s <= last; ++s) slots[static_cast<size_t>(s)] = owner;
  }
  return slots;
}

std::optional<RedisRedirect> ParseRedisRedirect(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kError) return std::nullopt;
  std::istringstream in(reply.str);
  std::string code, slot, address, rest;
  if (!(in >> code >> slot >> address) || (in >> rest)) return std::nullopt;
  if (code != "MOVED" && code != "ASK") return std::nullopt;
  RedisRedirect redirect;
  redirect.ask = code == "ASK";
  redirect.slot = static_cast<int>(SmallNumber(slot, kRedisSlots - 1));
  const size_t colon = address.rfind(':');
  if (redirect.slot < 0 || colon == std::string::npos || colon == 0) return std::nullopt;
  redirect.port = static_cast<int>(SmallNumber(address.substr(colon + 1), 65535));
  if (redirect.port < 1) return std::nullopt;
  redirect.host = address.substr(0, colon);
  return redirect;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("base64 text of length " + std::to_string(text.size()) +
                                   " is not a multiple of 4");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int d = digit(c);
      if (c == '=' && last && j >= 2 && (j == 3 || text[i + 3] == '=')) {
        ++pad;
        d = 0;
      } else if (d < 0 || pad > 0) {
        return Status::InvalidArgument("invalid base64 character '" + std::string(1, c) +
                                       "' at offset " + std::to_string(i + j));
      }
      n = (n << 6) | static_cast<uint32_t>(d);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

}  // namespace faultline
