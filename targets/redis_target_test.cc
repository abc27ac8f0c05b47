// Redis targets without servers: the per-node files and configs, the
// redis-server start command, option checks, and setup over a FakeRemote.
#include "targets/redis_target.h"

#include <gtest/gtest.h>

#include "harness/control/fake_remote.h"
#include "targets/client.h"
#include "targets/registry.h"

namespace faultline {
namespace {

ClusterInfo Three() {
  ClusterInfo c;
  c.nodes = {{"n1", "10.0.0.1", ""}, {"n2", "10.0.0.2", ""}, {"n3", "10.0.0.3", ""}};
  return c;
}

TEST(RedisTargetTest, SentinelNodeFiles) {
  ClusterInfo cluster = Three();
  FakeRemote remote("n2");
  RedisOptions options;
  options.min_replicas_to_write = 1;
  auto files = DescribeRedisNode(options, NodeContext{remote, cluster.nodes[1], cluster});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->dir, "/var/lib/faultline/node/redis");
  EXPECT_EQ(files->server_conf, "/var/lib/faultline/node/redis/redis.conf");
  EXPECT_FALSE(files->initial_primary);
  const std::string& c = files->server_config;
  EXPECT_NE(c.find("bind 10.0.0.2\n"), std::string::npos);
  EXPECT_NE(c.find("port 6379\n"), std::string::npos);
  EXPECT_NE(c.find("replicaof 10.0.0.1 6379\n"), std::string::npos);
  EXPECT_NE(c.find("min-replicas-to-write 1\n"), std::string::npos);
  EXPECT_NE(c.find("appendonly no\n"), std::string::npos);
  EXPECT_NE(c.find("dir \"/var/lib/faultline/node/redis/data\"\n"), std::string::npos);
  const std::string& s = files->sentinel_config;
  EXPECT_NE(s.find("sentinel monitor faultline 10.0.0.1 6379 2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("sentinel down-after-milliseconds faultline 2000\n"), std::string::npos);
  EXPECT_NE(s.find("sentinel failover-timeout faultline 10000\n"), std::string::npos);
  EXPECT_NE(s.find("sentinel known-replica faultline 10.0.0.3 6379\n"), std::string::npos);
  EXPECT_EQ(s.find("sentinel known-replica faultline 10.0.0.1"), std::string::npos);
  EXPECT_NE(s.find("sentinel known-sentinel faultline 10.0.0.1 26379 " + std::string(39, '0') + "1\n"),
            std::string::npos) << s;
  EXPECT_EQ(s.find("known-sentinel faultline 10.0.0.2"), std::string::npos) << "not itself";
  EXPECT_NE(s.find("sentinel myid " + std::string(39, '0') + "2\n"), std::string::npos);

  auto first = DescribeRedisNode(options, NodeContext{remote, cluster.nodes[0], cluster});
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->initial_primary);
  EXPECT_EQ(first->server_config.find("replicaof"), std::string::npos);
}

TEST(RedisTargetTest, PlainNodesAreIndependent) {
  ClusterInfo cluster = Three();
  FakeRemote remote("n2");
  RedisOptions options;
  options.mode = RedisMode::kPlain;
  options.appendonly = true;
  options.save = "";
  auto files = DescribeRedisNode(options, NodeContext{remote, cluster.nodes[1], cluster});
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->server_config.find("replicaof"), std::string::npos);
  EXPECT_EQ(files->server_config.find("min-replicas"), std::string::npos);
  EXPECT_NE(files->server_config.find("appendonly yes\n"), std::string::npos);
  EXPECT_NE(files->server_config.find("save \"\"\n"), std::string::npos);
  EXPECT_TRUE(files->sentinel_config.empty());
}

TEST(RedisTargetTest, ClusterNodesAreClusterEnabled) {
  ClusterInfo cluster = Three();
  FakeRemote remote("n1");
  RedisOptions options;
  options.mode = RedisMode::kCluster;
  auto files = DescribeRedisNode(options, NodeContext{remote, cluster.nodes[0], cluster});
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->first);
  EXPECT_FALSE(files->initial_primary);
  EXPECT_NE(files->server_config.find("cluster-enabled yes\n"), std::string::npos);
  EXPECT_NE(files->server_config.find("cluster-node-timeout 2000\n"), std::string::npos);
  EXPECT_EQ(files->server_config.find("replicaof"), std::string::npos);
  EXPECT_TRUE(files->sentinel_config.empty());
  auto t = MakeTarget("redis-cluster", {{"cluster_replicas", 1}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->name(), "redis-cluster");
  EXPECT_NE((*t)->register_clients(), nullptr);
  EXPECT_NE((*t)->set_clients(), nullptr);
  EXPECT_EQ((*t)->lock_clients(), nullptr);
}

TEST(RedisTargetTest, ServerSpecIsTheOnePlaceForEnvironment) {
  ClusterInfo cluster = Three();
  FakeRemote remote("n1");
  RedisOptions options;
  options.server_env = {{"LD_PRELOAD", "/usr/lib/x.so"}};
  auto files = DescribeRedisNode(options, NodeContext{remote, cluster.nodes[0], cluster});
  ASSERT_TRUE(files.ok());
  DaemonSpec spec = RedisServerSpec(options, *files, false);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/usr/bin/redis-server", files->server_conf}));
  EXPECT_EQ(spec.env, options.server_env);
  EXPECT_EQ(spec.pidfile, files->server_pid);
  EXPECT_EQ(spec.logfile, files->server_log);
  // The clock shim's environment comes after the configured one.
  DaemonSpec shimmed = RedisServerSpec(options, *files, false, {{"FAULTLINE_CLOCK_FILE", "/o"}});
  EXPECT_EQ(shimmed.env, (std::vector<std::pair<std::string, std::string>>{
                             {"LD_PRELOAD", "/usr/lib/x.so"}, {"FAULTLINE_CLOCK_FILE", "/o"}}));
}

TEST(RedisTargetTest, EveryModeRunsUnderTheClockShim) {
  for (RedisMode mode : {RedisMode::kSentinel, RedisMode::kPlain, RedisMode::kCluster}) {
    RedisOptions options;
    options.mode = mode;
    auto t = MakeRedisTarget(options);
    ASSERT_TRUE(t.ok());
    EXPECT_NE((*t)->clock_shim(), nullptr) << RedisTargetName(mode);
  }
}

TEST(RedisTargetTest, BadNodesAndOptionsAreNamed) {
  ClusterInfo cluster = Three();
  FakeRemote remote("n9");
  NodeInfo stranger{"n9", "10.0.0.9", ""};
  auto r = DescribeRedisNode(RedisOptions{}, NodeContext{remote, stranger, cluster});
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  NodeInfo relative{"n1", "10.0.0.1", "rel/dir"};
  cluster.nodes[0] = relative;
  EXPECT_NE(DescribeRedisNode(RedisOptions{}, NodeContext{remote, relative, cluster})
                .status().message().find("absolute"), std::string::npos);

  auto bad = MakeTarget("redis-sentinel", {{"sentinel_port", 0}});
  EXPECT_NE(bad.status().message().find("option sentinel_port"), std::string::npos);
  bad = MakeTarget("redis-sentinel", {{"appendfsync", "sometimes"}});
  EXPECT_NE(bad.status().message().find("option appendfsync"), std::string::npos);
  bad = MakeTarget("redis", {{"lock_mode", "paxos"}});
  EXPECT_NE(bad.status().message().find("option lock_mode"), std::string::npos);
  bad = MakeTarget("redis", {{"wait_replicas", 1}});
  EXPECT_NE(bad.status().message().find("unknown option 'wait_replicas'"), std::string::npos)
      << bad.status().ToString();
  bad = MakeTarget("redis-sentinel", {{"save", "yes please"}});
  EXPECT_NE(bad.status().message().find("option save"), std::string::npos);
}

TEST(RedisTargetTest, CapabilitiesPerMode) {
  auto s = MakeTarget("redis-sentinel", {{"min_replicas_to_write", 1}, {"wait_replicas", 1}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->name(), "redis-sentinel");
  EXPECT_NE((*s)->register_clients(), nullptr);
  EXPECT_NE((*s)->set_clients(), nullptr);
  EXPECT_EQ((*s)->lock_clients(), nullptr);
  EXPECT_NE((*s)->killable(), nullptr);
  EXPECT_NE((*s)->pausable(), nullptr);
  EXPECT_NE((*s)->primaries(), nullptr);
  auto p = MakeTarget("redis", {{"lock_mode", "redlock"}, {"lock_ttl_ms", 2000}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->name(), "redis");
  EXPECT_EQ((*p)->register_clients(), nullptr);
  EXPECT_NE((*p)->lock_clients(), nullptr);
}

}  // namespace
}  // namespace faultline
