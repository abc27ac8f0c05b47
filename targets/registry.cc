#include "targets/registry.h"

#include <limits>
#include <set>
#include <utility>

#include "targets/balancer_target.h"
#include "targets/etcd_target.h"
#include "targets/memory_target.h"
#include "targets/option_reader.h"
#include "targets/redis_target.h"
#include "targets/zookeeper_target.h"

namespace faultline {
namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

Result<std::unique_ptr<Target>> MakeMemory(bool unsafe, const Json& json) {
  OptionReader r(unsafe ? "memory-unsafe" : "memory", json);
  MemoryTargetOptions o;
  o.max_latency = std::chrono::microseconds(r.Int("max_latency_us", 0, 0, 60'000'000));
  o.timeout = std::chrono::milliseconds(r.Int("timeout_ms", o.timeout.count(), 1, kMaxInt));
  if (unsafe) {
    o.replication_delay = std::chrono::milliseconds(
        r.Int("replication_delay_ms", o.replication_delay.count(), 0, kMaxInt));
  }
  o.seed = static_cast<uint64_t>(r.Int("seed", 1, 0, kMaxInt));
  if (Status st = r.Finish(); !st.ok()) return st;
  return unsafe ? MakeUnsafeMemoryTarget(o) : MakeMemoryTarget(o);
}

Result<std::unique_ptr<Target>> MakeEtcd(const Json& json) {
  OptionReader r("etcd", json);
  EtcdOptions o;
  o.binary = r.String("binary", o.binary);
  if (const Json* package = r.Take("package")) {
    if (package->is_string()) {
      o.package = package->get<std::string>();
    } else {
      r.Fail("package", "expected a Debian package name, or \"\" to install nothing", *package);
    }
  }
  o.dir_name = r.String("dir_name", o.dir_name);
  o.ports.client = static_cast<int>(r.Int("client_port", o.ports.client, 1, 65535));
  o.ports.peer = static_cast<int>(r.Int("peer_port", o.ports.peer, 1, 65535));
  // One port for both would leave etcd unable to start: a setup timeout
  // minutes later instead of a message now.
  if (o.ports.peer == o.ports.client) {
    r.Fail("peer_port", "expected a port other than client_port", o.ports.peer);
  }
  if (const Json* per_node = r.Take("node_ports")) {
    if (!per_node->is_object()) {
      r.Fail("node_ports", "expected an object keyed by node name", *per_node);
    } else {
      for (const auto& [node, ports] : per_node->items()) {
        OptionReader nested("etcd", ports, "node_ports." + node + ".");
        EtcdPorts p;
        p.client = static_cast<int>(nested.Int("client", o.ports.client, 1, 65535));
        p.peer = static_cast<int>(nested.Int("peer", o.ports.peer, 1, 65535));
        if (p.peer == p.client) {
          nested.Fail("peer", "expected a port other than the client port", p.peer);
        }
        if (Status st = nested.Finish(); !st.ok()) return st;
        o.node_ports[node] = p;
      }
    }
  }
  o.cluster_token = r.String("cluster_token", o.cluster_token);
  o.extra_args = r.Strings("extra_args");
  o.setup_deadline =
      std::chrono::milliseconds(r.Int("setup_timeout_ms", o.setup_deadline.count(), 1, kMaxInt));
  o.start_deadline =
      std::chrono::milliseconds(r.Int("start_timeout_ms", o.start_deadline.count(), 1, kMaxInt));
  o.client_timeouts.connect = std::chrono::milliseconds(
      r.Int("connect_timeout_ms", o.client_timeouts.connect.count(), 1, kMaxInt));
  o.client_timeouts.total = std::chrono::milliseconds(
      r.Int("request_timeout_ms", o.client_timeouts.total.count(), 1, kMaxInt));
  o.key_prefix = r.String("key_prefix", o.key_prefix);
  o.lock.ttl = std::chrono::seconds(r.Int("lock_ttl_s", o.lock.ttl.count(), 1, 3600));
  o.lock.lock_timeout = std::chrono::milliseconds(
      r.Int("lock_timeout_ms", o.lock.lock_timeout.count(), 1, kMaxInt));
  if (Status st = r.Finish(); !st.ok()) return st;
  return MakeEtcdTarget(std::move(o));
}

Result<std::unique_ptr<Target>> MakeBalancer(BalancerKind kind, const Json& json) {
  OptionReader r(BalancerKindName(kind), json);
  BalancerOptions o;
  o.kind = kind;
  if (const Json* v = r.Take("balancer_node")) {
    if (v->is_string() && !v->get<std::string>().empty()) {
      o.balancer_node = v->get<std::string>();
    } else {
      r.Fail("balancer_node", "expected a node name", *v);
    }
  }
  o.algorithm = r.String("algorithm", o.algorithm);
  o.hash_type = r.String("hash_type", o.hash_type);
  o.inter_ms = static_cast<int>(r.Int("inter_ms", o.inter_ms, 10, 3'600'000));
  o.fall = static_cast<int>(r.Int("fall", o.fall, 1, 1000));
  o.rise = static_cast<int>(r.Int("rise", o.rise, 1, 1000));
  o.check_timeout_ms = static_cast<int>(r.Int("check_timeout_ms", o.check_timeout_ms, 0, 3'600'000));
  o.margin_ms = static_cast<int>(r.Int("margin_ms", o.margin_ms, 0, 3'600'000));
  o.retries = static_cast<int>(r.Int("retries", o.retries, 0, 100));
  if (const Json* v = r.Take("redispatch")) {
    if (v->is_boolean()) o.redispatch = v->get<bool>(); else r.Fail("redispatch", "expected true or false", *v);
  }
  if (const Json* v = r.Take("non_idempotent")) {
    if (v->is_boolean()) o.non_idempotent = v->get<bool>(); else r.Fail("non_idempotent", "expected true or false", *v);
  }
  o.retry_on = r.String("retry_on", o.retry_on);
  if (o.retry_on == "none") o.retry_on.clear();
  o.next_upstream = r.String("next_upstream", o.next_upstream);
  if (o.next_upstream == "off") o.next_upstream.clear();
  o.max_fails = static_cast<int>(r.Int("max_fails", o.max_fails, 0, 1000));
  o.fail_timeout_s = static_cast<int>(r.Int("fail_timeout_s", o.fail_timeout_s, 1, 86400));
  o.connect_timeout_ms = static_cast<int>(r.Int("connect_timeout_ms", o.connect_timeout_ms, 1, 3'600'000));
  o.server_timeout_ms = static_cast<int>(r.Int("server_timeout_ms", o.server_timeout_ms, 1, 3'600'000));
  o.port = static_cast<int>(r.Int("port", o.port, 1, 65535));
  o.stats_port = static_cast<int>(r.Int("stats_port", o.stats_port, 1, 65535));
  o.backend_port = static_cast<int>(r.Int("backend_port", o.backend_port, 1, 65535));
  o.dir_name = r.String("dir_name", o.dir_name);
  o.vrrp = r.Bool("vrrp", o.vrrp);
  o.vip = r.String("vip", o.vip);
  o.backup_node = r.String("backup_node", o.backup_node);
  o.advert_int_s = static_cast<int>(r.Int("advert_int_s", o.advert_int_s, 1, 255));
  o.virtual_router_id = static_cast<int>(r.Int("virtual_router_id", o.virtual_router_id, 1, 255));
  o.vip_port = static_cast<int>(r.Int("vip_port", o.vip_port, 1, 65535));
  o.garp_refresh_s = static_cast<int>(r.Int("garp_refresh_s", o.garp_refresh_s, 0, 86400));
  o.client_timeouts.connect = std::chrono::milliseconds(
      r.Int("connect_timeout_client_ms", o.client_timeouts.connect.count(), 1, kMaxInt));
  o.client_timeouts.total = std::chrono::milliseconds(
      r.Int("request_timeout_ms", o.client_timeouts.total.count(), 1, kMaxInt));
  if (Status st = r.Finish(); !st.ok()) return st;
  return MakeBalancerTarget(std::move(o));
}

Result<std::unique_ptr<Target>> MakeZooKeeper(const Json& json) {
  using std::chrono::milliseconds;
  OptionReader r("zookeeper", json);
  ZooKeeperOptions o;
  o.java = r.String("java", o.java);
  if (const Json* package = r.Take("package")) {
    if (package->is_string()) {
      o.package = package->get<std::string>();
    } else {
      r.Fail("package", "expected a Debian package name, or \"\" to install nothing", *package);
    }
  }
  o.classpath = r.String("classpath", o.classpath);
  o.dir_name = r.String("dir_name", o.dir_name);
  o.ports.client = static_cast<int>(r.Int("client_port", o.ports.client, 1, 65535));
  o.ports.quorum = static_cast<int>(r.Int("quorum_port", o.ports.quorum, 1, 65535));
  o.ports.election = static_cast<int>(r.Int("election_port", o.ports.election, 1, 65535));
  if (o.ports.client == o.ports.quorum || o.ports.client == o.ports.election ||
      o.ports.quorum == o.ports.election) {
    r.Fail("client_port", "expected client_port, quorum_port and election_port to differ",
           Json::array({o.ports.client, o.ports.quorum, o.ports.election}));
  }
  if (const Json* per_node = r.Take("node_ports")) {
    if (!per_node->is_object()) {
      r.Fail("node_ports", "expected an object keyed by node name", *per_node);
    } else {
      for (const auto& [node, ports] : per_node->items()) {
        OptionReader nested("zookeeper", ports, "node_ports." + node + ".");
        ZooKeeperPorts p;
        p.client = static_cast<int>(nested.Int("client", o.ports.client, 1, 65535));
        p.quorum = static_cast<int>(nested.Int("quorum", o.ports.quorum, 1, 65535));
        p.election = static_cast<int>(nested.Int("election", o.ports.election, 1, 65535));
        if (Status st = nested.Finish(); !st.ok()) return st;
        o.node_ports[node] = p;
      }
    }
  }
  o.tick_time_ms = static_cast<int>(r.Int("tick_time_ms", o.tick_time_ms, 1, 600'000));
  o.init_limit = static_cast<int>(r.Int("init_limit", o.init_limit, 1, 10'000));
  o.sync_limit = static_cast<int>(r.Int("sync_limit", o.sync_limit, 1, 10'000));
  o.heap_mb = static_cast<int>(r.Int("heap_mb", o.heap_mb, 16, 1'000'000));
  o.jvm_args = r.Strings("jvm_args");
  o.extra_config = r.Strings("extra_config");
  o.setup_deadline = milliseconds(r.Int("setup_timeout_ms", o.setup_deadline.count(), 1, kMaxInt));
  o.start_deadline = milliseconds(r.Int("start_timeout_ms", o.start_deadline.count(), 1, kMaxInt));
  o.client.session_timeout = milliseconds(
      r.Int("session_timeout_ms", o.client.session_timeout.count(), 1, 0x7fffffff));
  // What --lock-ttl sets: a ZooKeeper lock lives as long as its session.
  if (const int64_t ttl = r.Int("lock_ttl_s", 0, 1, 3600); ttl > 0) {
    o.client.session_timeout = milliseconds(ttl * 1000);
  }
  o.client.connect_timeout =
      milliseconds(r.Int("connect_timeout_ms", o.client.connect_timeout.count(), 1, kMaxInt));
  o.client.acquire_timeout =
      milliseconds(r.Int("acquire_timeout_ms", o.client.acquire_timeout.count(), 1, kMaxInt));
  o.client.root = r.String("root", o.client.root);
  o.client.sync_reads = r.Bool("zk_sync_reads", o.client.sync_reads);
  if (Status st = r.Finish(); !st.ok()) return st;
  return MakeZooKeeperTarget(std::move(o));
}

Result<std::unique_ptr<Target>> MakeRedis(RedisMode mode, const Json& json) {
  const std::string who = RedisTargetName(mode);
  OptionReader r(who, json);
  RedisOptions o;
  o.mode = mode;
  o.server_binary = r.String("binary", o.server_binary);
  if (mode == RedisMode::kSentinel) o.sentinel_binary = r.String("sentinel_binary", o.sentinel_binary);
  if (const Json* packages = r.Take("packages")) {
    bool good = packages->is_array();
    std::vector<std::string> names;
    for (const Json& p : good ? *packages : Json::array()) {
      if (!p.is_string() || p.get<std::string>().empty()) good = false;
      if (good) names.push_back(p.get<std::string>());
    }
    if (good) {
      o.packages = names;
    } else {
      r.Fail("packages", "expected an array of Debian package names ([] installs nothing)", *packages);
    }
  }
  o.dir_name = r.String("dir_name", o.dir_name);
  o.ports.server = static_cast<int>(r.Int("port", o.ports.server, 1, 65535));
  if (mode == RedisMode::kSentinel) {
    o.ports.sentinel = static_cast<int>(r.Int("sentinel_port", o.ports.sentinel, 1, 65535));
  }
  if (const Json* per_node = r.Take("node_ports")) {
    if (!per_node->is_object()) {
      r.Fail("node_ports", "expected an object keyed by node name", *per_node);
    } else {
      for (const auto& [node, ports] : per_node->items()) {
        OptionReader nested(who, ports, "node_ports." + node + ".");
        RedisPorts p;
        p.server = static_cast<int>(nested.Int("port", o.ports.server, 1, 65535));
        p.sentinel = static_cast<int>(nested.Int("sentinel_port", o.ports.sentinel, 1, 65535));
        if (Status st = nested.Finish(); !st.ok()) return st;
        o.node_ports[node] = p;
      }
    }
  }
  if (const Json* aof = r.Take("appendonly")) {
    if (aof->is_boolean()) {
      o.appendonly = aof->get<bool>();
    } else {
      r.Fail("appendonly", "expected true or false", *aof);
    }
  }
  if (const Json* fsync = r.Take("appendfsync")) {
    if (fsync->is_string() && (*fsync == "always" || *fsync == "everysec" || *fsync == "no")) {
      o.appendfsync = fsync->get<std::string>();
    } else {
      r.Fail("appendfsync", "expected \"always\", \"everysec\" or \"no\"", *fsync);
    }
  }
  if (const Json* save = r.Take("save")) {
    if (save->is_string() &&
        save->get<std::string>().find_first_not_of("0123456789 ") == std::string::npos) {
      o.save = save->get<std::string>();
    } else {
      r.Fail("save", "expected \"<seconds> <changes> ...\" or \"\" (no snapshots)", *save);
    }
  }
  if (mode == RedisMode::kSentinel) {
    o.master_name = r.String("master_name", o.master_name);
    o.min_replicas_to_write =
        static_cast<int>(r.Int("min_replicas_to_write", o.min_replicas_to_write, 0, 1000));
    o.min_replicas_max_lag =
        static_cast<int>(r.Int("min_replicas_max_lag", o.min_replicas_max_lag, 1, 1000000));
    o.wait_replicas = static_cast<int>(r.Int("wait_replicas", o.wait_replicas, 0, 1000));
    o.wait_timeout =
        std::chrono::milliseconds(r.Int("wait_timeout_ms", o.wait_timeout.count(), 0, kMaxInt));
    o.down_after = std::chrono::milliseconds(
        r.Int("down_after_ms", o.down_after.count(), 1, kMaxInt));
    o.failover_timeout = std::chrono::milliseconds(
        r.Int("failover_timeout_ms", o.failover_timeout.count(), 1, kMaxInt));
  } else if (mode == RedisMode::kCluster) {
    o.cluster_replicas = static_cast<int>(r.Int("cluster_replicas", o.cluster_replicas, 0, 16));
    o.cluster_node_timeout = std::chrono::milliseconds(
        r.Int("cluster_node_timeout_ms", o.cluster_node_timeout.count(), 1, kMaxInt));
    o.min_replicas_to_write =
        static_cast<int>(r.Int("min_replicas_to_write", o.min_replicas_to_write, 0, 1000));
    o.wait_replicas = static_cast<int>(r.Int("wait_replicas", o.wait_replicas, 0, 1000));
    o.wait_timeout =
        std::chrono::milliseconds(r.Int("wait_timeout_ms", o.wait_timeout.count(), 0, kMaxInt));
  } else {
    if (const Json* mode_json = r.Take("lock_mode")) {
      if (*mode_json == "single") {
        o.lock_mode = RedisLockMode::kSingle;
      } else if (*mode_json == "redlock") {
        o.lock_mode = RedisLockMode::kRedlock;
      } else {
        r.Fail("lock_mode", "expected \"single\" or \"redlock\"", *mode_json);
      }
    }
    o.lock_ttl = std::chrono::milliseconds(r.Int("lock_ttl_ms", o.lock_ttl.count(), 1, kMaxInt));
  }
  o.setup_deadline =
      std::chrono::milliseconds(r.Int("setup_timeout_ms", o.setup_deadline.count(), 1, kMaxInt));
  o.start_deadline =
      std::chrono::milliseconds(r.Int("start_timeout_ms", o.start_deadline.count(), 1, kMaxInt));
  o.client_timeouts.connect = std::chrono::milliseconds(
      r.Int("connect_timeout_ms", o.client_timeouts.connect.count(), 1, kMaxInt));
  o.client_timeouts.request = std::chrono::milliseconds(
      r.Int("request_timeout_ms", o.client_timeouts.request.count(), 1, kMaxInt));
  o.key_prefix = r.String("key_prefix", o.key_prefix);
  if (Status st = r.Finish(); !st.ok()) return st;
  return MakeRedisTarget(std::move(o));
}

}  // namespace

std::vector<std::string> TargetNames() {
  return {"etcd",  "haproxy",       "memory",         "memory-unsafe", "nginx",
          "redis", "redis-cluster", "redis-sentinel", "zookeeper"};
}

Result<std::unique_ptr<Target>> MakeTarget(std::string_view name, const Json& options) {
  if (name == "memory") return MakeMemory(false, options);
  if (name == "memory-unsafe") return MakeMemory(true, options);
  if (name == "etcd") return MakeEtcd(options);
  if (name == "zookeeper") return MakeZooKeeper(options);
  if (name == "redis-sentinel") return MakeRedis(RedisMode::kSentinel, options);
  if (name == "redis") return MakeRedis(RedisMode::kPlain, options);
  if (name == "redis-cluster") return MakeRedis(RedisMode::kCluster, options);
  if (name == "haproxy") return MakeBalancer(BalancerKind::kHaproxy, options);
  if (name == "nginx") return MakeBalancer(BalancerKind::kNginx, options);
  std::string known;
  for (const std::string& n : TargetNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown target '" + std::string(name) +
                                 "'; known targets: " + known);
}

}  // namespace faultline
