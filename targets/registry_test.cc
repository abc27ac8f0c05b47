#include "targets/registry.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

Status Error(std::string_view name, const char* options) {
  auto target = MakeTarget(name, Json::parse(options));
  return target.ok() ? Status::Ok() : target.status();
}

TEST(RegistryTest, MakesEveryNamedTarget) {
  for (const std::string& name : TargetNames()) {
    auto target = MakeTarget(name);
    ASSERT_TRUE(target.ok()) << name << ": " << target.status().ToString();
    EXPECT_EQ((*target)->name(), name);
    // Every target serves some workload.
    EXPECT_TRUE((*target)->register_clients() != nullptr || (*target)->set_clients() != nullptr ||
                (*target)->lock_clients() != nullptr || (*target)->balance_clients() != nullptr)
        << name;
  }
}

TEST(RegistryTest, AcceptsEveryDocumentedOption) {
  EXPECT_TRUE(Error("memory", R"({"max_latency_us": 100, "timeout_ms": 50, "seed": 7})").ok());
  EXPECT_TRUE(Error("memory-unsafe", R"({"replication_delay_ms": 10})").ok());
  Status st =
      Error("etcd", R"({"binary": "/opt/etcd", "package": "", "dir_name": "e", "client_port": 12379,
      "peer_port": 12380, "node_ports": {"n1": {"client": 1, "peer": 2}}, "cluster_token": "t",
      "extra_args": ["--snapshot-count", "100"], "setup_timeout_ms": 5000,
      "start_timeout_ms": 2000, "connect_timeout_ms": 500, "request_timeout_ms": 3000,
      "key_prefix": "k/"})");
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = Error("redis-sentinel", R"({"binary": "/opt/redis-server", "sentinel_binary": "/opt/s",
      "packages": [], "dir_name": "r", "port": 7000, "sentinel_port": 27000,
      "node_ports": {"n1": {"port": 7001, "sentinel_port": 27001}}, "appendonly": true,
      "appendfsync": "always", "save": "", "master_name": "m", "min_replicas_to_write": 1,
      "min_replicas_max_lag": 5, "wait_replicas": 2, "wait_timeout_ms": 100,
      "down_after_ms": 1000, "failover_timeout_ms": 5000, "setup_timeout_ms": 5000,
      "start_timeout_ms": 2000, "connect_timeout_ms": 500, "request_timeout_ms": 3000,
      "key_prefix": "k:"})");
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = Error("redis-cluster", R"({"cluster_replicas": 1, "cluster_node_timeout_ms": 1000,
      "min_replicas_to_write": 1, "wait_replicas": 1, "wait_timeout_ms": 50, "save": "60 1"})");
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = Error("redis", R"({"lock_mode": "redlock", "lock_ttl_ms": 3000, "appendonly": false})");
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(RegistryTest, UnknownNamesAndOptionsAreErrorsNamingThem) {
  Status unknown = Error("zookeper", "{}");
  EXPECT_EQ(unknown.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(unknown.message(),
            "unknown target 'zookeper'; known targets: etcd, haproxy, memory, memory-unsafe, "
            "nginx, redis, redis-cluster, redis-sentinel, zookeeper");

  Status typo = Error("memory", R"({"latency_us": 5})");
  EXPECT_NE(typo.message().find("unknown option 'latency_us'"), std::string::npos)
      << typo.message();
  EXPECT_NE(typo.message().find("max_latency_us"), std::string::npos) << typo.message();
  EXPECT_FALSE(Error("memory", R"({"replication_delay_ms": 5})").ok())
      << "only memory-unsafe replicates";
}

TEST(RegistryTest, WrongTypesAndRangesAreErrorsNamingTheOption) {
  EXPECT_EQ(Error("etcd", R"({"client_port": "x"})").message(),
            "target etcd: option client_port: expected an integer from 1 to 65535, got \"x\"");
  EXPECT_EQ(
      Error("etcd", R"({"node_ports": {"n2": {"peer": 70000}}})").message(),
      "target etcd: option node_ports.n2.peer: expected an integer from 1 to 65535, got 70000");
  EXPECT_EQ(Error("etcd", R"({"node_ports": {"n2": {"port": 1}}})").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Error("etcd", R"({"extra_args": ["--a", 1]})").message(),
            "target etcd: option extra_args: expected an array of strings, got [\"--a\",1]");
  EXPECT_EQ(Error("memory", R"({"timeout_ms": 0})").code(), Status::Code::kInvalidArgument);
  // Ports that collide: refused now, not a setup timeout minutes later.
  EXPECT_EQ(Error("etcd", R"({"peer_port": 2379})").message(),
            "target etcd: option peer_port: expected a port other than client_port, got 2379");
  EXPECT_EQ(Error("etcd", R"({"node_ports": {"n1": {"client": 5, "peer": 5}}})").message(),
            "target etcd: option node_ports.n1.peer: expected a port other than the client "
            "port, got 5");
  EXPECT_EQ(Error("zookeeper", R"({"quorum_port": 2181})").message(),
            "target zookeeper: option client_port: expected client_port, quorum_port and "
            "election_port to differ, got [2181,2181,3888]");
  EXPECT_EQ(Error("memory", "[1]").message(),
            "target memory: options: expected a JSON object, got [1]");
}

}  // namespace
}  // namespace faultline
