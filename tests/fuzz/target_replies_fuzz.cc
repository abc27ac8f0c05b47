// libFuzzer target: the parsers of what the systems under test and their
// tools print (targets/target_parsers.cc). The first byte picks one:
//   0  ParseHaproxyStats: HAProxy's stats CSV
//   1  ParseAppliedLog: a balance backend's applied.log
//   2  InterfaceOf + HoldsAddress + ChooseVip: the rest cut at '\0' into
//      `ip -o -4 addr show` output, the node's host and the vip option
//   3  RedisSlotOwners + ParseRedisRedirect: a reply tree decoded from the
//      bytes (see DecodeReply), as hiredis would hand it over
//   4  ParseRedisRedirect: an error reply's text ("MOVED 1 h:7000")
//   5  ZooKeeperMode: a `srvr` answer
//   6  Base64Decode: a key or value in etcd's JSON answers
// Properties: no crash or hang; results satisfy the documented contracts
// (ranges, formats that parse back the same).
#include <arpa/inet.h>

#include <cstring>

#include "targets/balancer_target.h"
#include "targets/etcd_client.h"
#include "targets/redis_client.h"
#include "targets/zookeeper_target.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using faultline::RedisReply;
using faultline::fuzz::Fail;

bool Ipv4(const std::string& s, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

void Stats(const std::string& text) {
  faultline::Result<std::vector<faultline::ServerStat>> stats = faultline::ParseHaproxyStats(text);
  if (!stats.ok()) {
    faultline::fuzz::CheckError(stats.status(), "haproxy stats CSV",
                                faultline::Status::Code::kInvalidArgument, false);
    return;
  }
  for (const faultline::ServerStat& s : *stats) {
    if (s.name == "BACKEND" || s.name == "FRONTEND") Fail("proxy row taken as a server", s.name);
    for (const std::string* f : {&s.name, &s.status}) {
      if (f->find_first_of(",\n") != std::string::npos) Fail("field holds a separator", *f);
    }
  }
}

void Applied(const std::string& text) {
  const std::vector<int64_t> ids = faultline::ParseAppliedLog(text);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  if (ids.size() > lines) Fail("more ids than lines", std::to_string(ids.size()));
}

void Addresses(const std::string& text) {
  std::vector<std::string> parts = faultline::fuzz::SplitNul(text);
  parts.resize(3);
  const std::string& out = parts[0];
  const std::string& host = parts[1];
  const std::string& wanted = parts[2];
  faultline::Result<faultline::InterfaceAddress> iface = faultline::InterfaceOf(out, host);
  int prefix = 24;
  if (iface.ok()) {
    if (iface->name.empty() || iface->name.find_first_of("@ \t\r\n") != std::string::npos)
      Fail("interface name", iface->name);
    if (iface->prefix < 0 || iface->prefix > 32) Fail("prefix", std::to_string(iface->prefix));
    prefix = iface->prefix;
  } else if (iface.status().code() != faultline::Status::Code::kNotFound ||
             iface.status().message().empty()) {
    Fail("InterfaceOf error", iface.status().ToString());
  }
  (void)faultline::HoldsAddress(out, host);
  const std::vector<std::string> nodes = {host, "10.77.1.12"};
  faultline::Result<std::string> vip = faultline::ChooseVip(host, prefix, nodes, wanted);
  if (!vip.ok()) {
    if (vip.status().code() != faultline::Status::Code::kInvalidArgument ||
        vip.status().message().empty()) {
      Fail("ChooseVip error", vip.status().ToString());
    }
    return;
  }
  uint32_t v = 0, base = 0;
  if (!Ipv4(*vip, &v)) Fail("vip is not IPv4", *vip);
  if (!Ipv4(host, &base)) Fail("vip chosen for a host that is not IPv4", host);
  for (const std::string& n : nodes) {
    uint32_t a = 0;
    if (Ipv4(n, &a) && a == v) Fail("vip is a node's address", *vip);
  }
  if (!wanted.empty()) {
    if (*vip != wanted) Fail("vip is not the wanted one", *vip);
    return;
  }
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((v & mask) != (base & mask)) Fail("vip outside the subnet", *vip);
  if (v == (base & mask) || v == ((base & mask) | ~mask)) Fail("vip is network or broadcast", *vip);
}

// A reply tree from bytes: a type byte (mod 6: string, status, error,
// integer, nil, array), then a length byte and that many bytes for the
// string kinds, 8 bytes for an integer, a count byte (mod 8) and the
// elements for an array (4 levels at most).
RedisReply DecodeReply(const uint8_t*& p, const uint8_t* end, int depth) {
  if (p == end) return RedisReply::Nil();
  const int type = *p++ % 6;
  auto text = [&]() {
    size_t n = p == end ? 0 : *p++ % 48;
    n = std::min<size_t>(n, static_cast<size_t>(end - p));
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n;
    return s;
  };
  switch (type) {
    case 0: return RedisReply::String(text());
    case 1: return RedisReply::StatusReply(text());
    case 2: return RedisReply::Error(text());
    case 3: {
      uint64_t bits = 0;
      const size_t n = std::min<size_t>(8, static_cast<size_t>(end - p));
      std::memcpy(&bits, p, n);
      p += n;
      long long v = 0;
      std::memcpy(&v, &bits, sizeof v);
      return RedisReply::Integer(v);
    }
    case 4: return RedisReply::Nil();
    default: {
      std::vector<RedisReply> elements;
      const int count = p == end || depth >= 4 ? 0 : *p++ % 8;
      for (int i = 0; i < count; ++i) elements.push_back(DecodeReply(p, end, depth + 1));
      return RedisReply::Array(std::move(elements));
    }
  }
}

void CheckRedirect(const RedisReply& reply) {
  std::optional<faultline::RedisRedirect> r = faultline::ParseRedisRedirect(reply);
  if (!r) return;
  if (reply.type != RedisReply::Type::kError) Fail("redirect from a non-error reply", reply.str);
  if (r->slot < 0 || r->slot >= faultline::kRedisSlots) Fail("slot", std::to_string(r->slot));
  if (r->port < 1 || r->port > 65535) Fail("port", std::to_string(r->port));
  if (r->host.empty()) Fail("empty host", reply.str);
  const std::string again = std::string(r->ask ? "ASK " : "MOVED ") + std::to_string(r->slot) +
                            " " + r->host + ":" + std::to_string(r->port);
  std::optional<faultline::RedisRedirect> r2 = faultline::ParseRedisRedirect(RedisReply::Error(again));
  if (!r2 || r2->ask != r->ask || r2->slot != r->slot || r2->host != r->host ||
      r2->port != r->port) {
    Fail("redirect round trip", again);
  }
}

void Slots(const uint8_t* data, size_t size) {
  const uint8_t* p = data;
  const RedisReply reply = DecodeReply(p, data + size, 0);
  const std::vector<std::string> slots = faultline::RedisSlotOwners(reply);
  if (slots.size() != static_cast<size_t>(faultline::kRedisSlots)) Fail("slot map size", "");
  for (const std::string& owner : slots) {
    if (owner.empty()) continue;
    const size_t colon = owner.rfind(':');
    if (colon == std::string::npos || colon == 0) Fail("owner without host:port", owner);
    const int port = std::atoi(owner.c_str() + colon + 1);
    if (port < 1 || port > 65535) Fail("owner port", owner);
  }
  CheckRedirect(reply);
}

void Mode(const std::string& text) {
  const std::string mode = faultline::ZooKeeperMode(text);
  if (mode.find_first_of("\r\n") != std::string::npos) Fail("mode spans lines", mode);
  if (!mode.empty() && mode.back() == ' ') Fail("mode ends in a space", mode);
  if (!mode.empty() && text.find("Mode: " + mode) == std::string::npos) Fail("mode not in text", mode);
}

void Base64(const std::string& text) {
  faultline::Result<std::string> bytes = faultline::Base64Decode(text);
  if (!bytes.ok()) {
    faultline::fuzz::CheckError(bytes.status(), "", faultline::Status::Code::kInvalidArgument,
                                false, false);
    if (bytes.status().message().find("base64") == std::string::npos)
      Fail("error does not say base64", bytes.status().message());
    return;
  }
  if (bytes->size() > text.size() / 4 * 3) Fail("decoded more than 3 bytes per 4", text);
  // Decoding is the inverse of encoding on what it accepts, up to the
  // unused bits of a padded last group.
  faultline::Result<std::string> again = faultline::Base64Decode(faultline::Base64Encode(*bytes));
  if (!again.ok() || *again != *bytes) Fail("base64 round trip", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text = faultline::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0: Stats(text); break;
    case 1: Applied(text); break;
    case 2: Addresses(text); break;
    case 3: Slots(data + 1, size - 1); break;
    case 4: CheckRedirect(RedisReply::Error(text)); break;
    case 5: Mode(text); break;
    case 6: Base64(text); break;
  }
  return 0;
}
