// Clients of the Redis targets (redis_target.h), over hiredis connections
// (redis_conn.h):
//
//   register (redis-sentinel)  read: GET; write: SET (null: DEL); cas: a Lua
//       script that compares the stored value and sets the new one
//       atomically. Values are stored as their JSON text.
//   set (redis-sentinel)       add: SADD; read: SMEMBERS.
//   register, set (redis-cluster)  the same commands, sent to the node that
//       owns the key's hash slot (a slot map from CLUSTER SLOTS, corrected by
//       MOVED redirects; ASK redirects followed once with ASKING). A redirect
//       means the command was not executed there, so following it is safe.
//   lock (redis)               acquire: SET <key> <token> NX PX <ttl> with a
//       fresh random token; release: a Lua compare-and-delete of that token
//       ("not-held" when the key no longer holds it: the TTL ran out). In
//       redlock mode, the same on every instance, as Redis' documentation
//       describes Redlock: held when a majority was acquired within the
//       validity time (ttl minus the time taken minus a clock drift
//       allowance), otherwise released everywhere again.
//
// Sentinel clients find the primary by asking the Sentinels (their own
// node's first, then the others, in the test's order) with SENTINEL
// get-master-addr-by-name, connect to it and check ROLE says master. An error
// reply (READONLY after a demotion, NOREPLICAS under min-replicas-to-write)
// or a broken connection makes the next operation ask again.
//
// Outcomes: ok on the server's acknowledgement (and, with wait_replicas, WAIT's
// acknowledgement by that many replicas; fewer makes a write info: it happened
// on the primary but may be lost); fail when nothing was sent (no primary
// known, connection refused) or the server refused the command with an error
// reply (Redis applies nothing then); info when a write was sent but its reply
// was lost. Reads whose reply was lost are fail (a read has no effect).
//
// Thread-safety: as Client.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "targets/client.h"
#include "targets/redis_conn.h"

namespace faultline {

struct RedisEndpoint {
  std::string node;  // the node's name
  std::string host;
  int port = 0;
};

struct RedisClientConfig {
  RedisConnector connector;  // required
  RedisTimeouts timeouts;
  std::string key_prefix = "faultline:";
  // Sentinel clients.
  std::string master_name = "faultline";
  // Redis Cluster instead of Sentinel: `sentinels` then lists the cluster's
  // nodes to learn the slot map from (CLUSTER SLOTS).
  bool cluster = false;
  // The Sentinels to ask, in order, for a client bound to `node`.
  std::function<std::vector<RedisEndpoint>(const NodeInfo& node)> sentinels;
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{1000};
  // Lock clients: the instances to lock on (one: SET NX; several: Redlock).
  std::function<std::vector<RedisEndpoint>(const NodeInfo& node)> instances;
  bool redlock = false;
  std::chrono::milliseconds lock_ttl{5000};
};

std::unique_ptr<Client> MakeRedisSentinelRegisterClient(RedisClientConfig config);
std::unique_ptr<Client> MakeRedisSentinelSetClient(RedisClientConfig config);
std::unique_ptr<Client> MakeRedisLockClient(RedisClientConfig config);

// Redis Cluster's hash slot of `key` (0..16383), hash tags included.
int RedisKeySlot(const std::string& key);
inline constexpr int kRedisSlots = 16384;

// The slot map of a CLUSTER SLOTS reply: kRedisSlots entries, each the
// "host:port" of the primary serving that slot, or "" when no range covers
// it. The reply is outside input: ranges are clipped to 0..16383, and ranges
// without an integer start and end, a non-empty host and a port from 1 to
// 65535 are skipped.
std::vector<std::string> RedisSlotOwners(const RedisReply& cluster_slots);

// A redirect error reply, "MOVED <slot> <host>:<port>" or "ASK ...": the
// command did not run there; send it to host:port. nullopt for any other
// reply and for a malformed redirect (slot outside 0..16383, no host, port
// outside 1..65535, extra words).
struct RedisRedirect {
  bool ask = false;  // ASK: follow once, after ASKING; MOVED: the slot moved for good
  int slot = 0;
  std::string host;
  int port = 0;
};
std::optional<RedisRedirect> ParseRedisRedirect(const RedisReply& reply);

// The Redis key of an op's key: prefix + the key's text (strings bare, other
// JSON as their dump).
std::string RedisKey(const std::string& prefix, const Json& key);

// Asks the Sentinel at `sentinel` for the primary's address. NotFound when it
// names none; the connection's error when it cannot be asked.
Result<std::pair<std::string, int>> AskSentinelForPrimary(const RedisConnector& connector,
                                                          const RedisEndpoint& sentinel,
                                                          const std::string& master_name,
                                                          const RedisTimeouts& timeouts);

}  // namespace faultline
