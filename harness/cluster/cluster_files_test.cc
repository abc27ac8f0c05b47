#include "harness/cluster/cluster_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/cluster/cluster_plan.h"
#include "harness/control/nodes_file.h"

namespace faultline::cluster {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PlanClusterTest, PlansNodesInTheClusterSubnet) {
  ClusterState state = PlanCluster("ci", 4, 3);
  EXPECT_EQ(state.bridge, "flbr-4");
  EXPECT_EQ(state.subnet, "10.77.4.0/24");
  EXPECT_EQ(state.phase, "creating");
  ASSERT_EQ(state.nodes.size(), 3u);
  EXPECT_EQ(state.nodes[2].name, "n3");
  EXPECT_EQ(state.nodes[2].address, "10.77.4.13");
  EXPECT_EQ(state.nodes[2].netns, "faultline-ci-n3");
  EXPECT_EQ(state.nodes[2].veth, "fl4n3");
  EXPECT_EQ(state.nodes[2].init_pid, 0);
}

TEST(StateTest, RoundTrips) {
  ClusterState state = PlanCluster("ci", 4, 2);
  state.phase = "up";
  state.nodes[1].init_pid = 4242;
  auto parsed = ParseState(StateToJson(state), "state.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name, "ci");
  EXPECT_EQ(parsed->index, 4);
  EXPECT_EQ(parsed->phase, "up");
  ASSERT_EQ(parsed->nodes.size(), 2u);
  EXPECT_EQ(parsed->nodes[1].init_pid, 4242);
  EXPECT_EQ(parsed->nodes[1].veth, "fl4n2");
}

TEST(StateTest, RejectsBrokenStateNamingTheField) {
  auto not_json = ParseState("{\"name\":", "/x/state.json");
  ASSERT_FALSE(not_json.ok());
  EXPECT_THAT(not_json.status().message(), HasSubstr("/x/state.json"));
  auto bad_index = ParseState(
      R"({"name":"a","bridge":"flbr-1","subnet":"s","phase":"up","index":300,"nodes":[]})", "f");
  ASSERT_FALSE(bad_index.ok());
  EXPECT_THAT(bad_index.status().message(), HasSubstr("'index'"));
  auto bad_node = ParseState(
      R"({"name":"a","bridge":"flbr-1","subnet":"s","phase":"up","index":1,"nodes":[{"name":"n1"}]})",
      "f");
  ASSERT_FALSE(bad_node.ok());
  EXPECT_THAT(bad_node.status().message(), HasSubstr("'address'"));
}

// Out-of-range integers used to wrap through get<int>(): index 4294967296
// became cluster 0, and an init_pid of 4294967297 became pid 1, which
// `cluster down` would then signal.
TEST(StateTest, RejectsIntegersThatWouldWrap) {
  auto wrapped_index = ParseState(
      R"({"name":"a","bridge":"flbr-0","subnet":"s","phase":"up","index":4294967296,"nodes":[]})",
      "f");
  ASSERT_FALSE(wrapped_index.ok());
  EXPECT_THAT(wrapped_index.status().message(), HasSubstr("'index'"));
  auto wrapped_pid = ParseState(
      R"({"name":"a","bridge":"flbr-1","subnet":"s","phase":"up","index":1,"nodes":[)"
      R"({"name":"n1","address":"x","netns":"y","veth":"z","init_pid":4294967297}]})",
      "f");
  ASSERT_FALSE(wrapped_pid.ok());
  EXPECT_THAT(wrapped_pid.status().message(), HasSubstr("init_pid"));
  auto not_object = ParseState("[]", "f");
  ASSERT_FALSE(not_object.ok());
  EXPECT_THAT(not_object.status().message(), HasSubstr("f: expected a JSON object"));
}

TEST(SshdConfigTest, RootByKeyOnlyOnTheNodeAddress) {
  std::string config = RenderSshdConfig("10.77.4.12");
  EXPECT_THAT(config, HasSubstr("ListenAddress 10.77.4.12\n"));
  EXPECT_THAT(config, HasSubstr("Port 22\n"));
  EXPECT_THAT(config, HasSubstr("PermitRootLogin prohibit-password\n"));
  EXPECT_THAT(config, HasSubstr("PasswordAuthentication no\n"));
  EXPECT_THAT(config, HasSubstr("KbdInteractiveAuthentication no\n"));
  EXPECT_THAT(config, HasSubstr("UsePAM no\n"));
  EXPECT_THAT(config, HasSubstr("UseDNS no\n"));
  EXPECT_THAT(config, HasSubstr("HostKey /run/faultline/ssh_host_ed25519_key\n"));
  EXPECT_THAT(config, HasSubstr("AuthorizedKeysFile /run/faultline/authorized_keys\n"));
  EXPECT_THAT(config, HasSubstr("PidFile /run/sshd.pid\n"));
  EXPECT_THAT(config, HasSubstr("Subsystem sftp internal-sftp\n"));
  EXPECT_THAT(config, Not(HasSubstr("0.0.0.0")));
}

TEST(SshConfigTest, OneHostPerNodeWithTheClusterKey) {
  ClusterState state = PlanCluster("ci", 4, 2);
  ClusterPaths paths("/var/lib/faultline/clusters", "ci");
  std::string config = RenderSshConfig(state, paths);
  EXPECT_THAT(config, HasSubstr("Host n1\n  HostName 10.77.4.11\n"));
  EXPECT_THAT(config, HasSubstr("Host n2\n  HostName 10.77.4.12\n"));
  EXPECT_THAT(config, HasSubstr("User root\n"));
  EXPECT_THAT(config, HasSubstr("IdentityFile \"/var/lib/faultline/clusters/ci/id_ed25519\"\n"));
  EXPECT_THAT(config,
              HasSubstr("UserKnownHostsFile \"/var/lib/faultline/clusters/ci/known_hosts\"\n"));
  EXPECT_THAT(config, HasSubstr("StrictHostKeyChecking yes\n"));
  EXPECT_THAT(config, HasSubstr("IdentitiesOnly yes\n"));
}

TEST(KnownHostsTest, OneLinePerNodeAddressWithoutComment) {
  ClusterState state = PlanCluster("ci", 4, 2);
  auto text =
      RenderKnownHosts(state, {"ssh-ed25519 AAAAone ci-n1\n", "ssh-ed25519 AAAAtwo root@host\n"});
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "10.77.4.11 ssh-ed25519 AAAAone\n10.77.4.12 ssh-ed25519 AAAAtwo\n");
  EXPECT_FALSE(RenderKnownHosts(state, {"garbage", "ssh-ed25519 AAAA"}).ok());
  EXPECT_FALSE(RenderKnownHosts(state, {"ssh-ed25519 AAAA"}).ok());
}

TEST(NodesFileTest, HasEverythingTheTestCommandNeeds) {
  ClusterState state = PlanCluster("ci", 4, 3);
  ClusterPaths paths("/var/lib/faultline/clusters", "ci");
  std::string text = RenderNodesFile(state, paths);
  auto doc = nlohmann::json::parse(text);
  ASSERT_EQ(doc["nodes"].size(), 3u);
  const auto& n2 = doc["nodes"][1];
  EXPECT_EQ(n2["name"], "n2");
  EXPECT_EQ(n2["host"], "10.77.4.12");
  EXPECT_EQ(n2["port"], 22);
  EXPECT_EQ(n2["user"], "root");
  EXPECT_EQ(n2["key"], "/var/lib/faultline/clusters/ci/id_ed25519");
  EXPECT_EQ(n2["host_key_policy"], "strict");
  EXPECT_EQ(n2["known_hosts"], "/var/lib/faultline/clusters/ci/known_hosts");
  EXPECT_EQ(doc["ssh_config"], "/var/lib/faultline/clusters/ci/ssh_config");

  // What `faultline test --nodes-file` reads back.
  auto parsed = ParseNodesFile(text, "nodes.json", "");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name, "ci");
  ASSERT_EQ(parsed->nodes.size(), 3u);
  EXPECT_EQ(parsed->nodes[2].host, "10.77.4.13");
  EXPECT_EQ(parsed->nodes[2].host_key_policy, HostKeyPolicy::kStrict);
  EXPECT_EQ(SshOptionsFor(parsed->nodes[2]).private_key_file,
            "/var/lib/faultline/clusters/ci/id_ed25519");
}

TEST(StatusRenderTest, JsonForAnUpCluster) {
  ClusterStatus status;
  status.name = "ci";
  status.exists = true;
  status.state = PlanCluster("ci", 4, 2);
  status.state.phase = "up";
  status.running = {true, false};
  status.nodes_file = "/r/ci/nodes.json";
  status.ssh_config = "/r/ci/ssh_config";
  status.ssh_key = "/r/ci/id_ed25519";
  auto doc = nlohmann::json::parse(RenderStatusJson(status));
  EXPECT_EQ(doc["name"], "ci");
  EXPECT_EQ(doc["up"], false);  // n2 is not running
  ASSERT_EQ(doc["nodes"].size(), 2u);
  EXPECT_EQ(doc["nodes"][0]["name"], "n1");
  EXPECT_EQ(doc["nodes"][0]["address"], "10.77.4.11");
  EXPECT_EQ(doc["nodes"][0]["running"], true);
  EXPECT_EQ(doc["nodes"][1]["running"], false);
  EXPECT_EQ(doc["nodes_file"], "/r/ci/nodes.json");
  EXPECT_EQ(doc["ssh_config"], "/r/ci/ssh_config");
  EXPECT_EQ(doc["ssh_key"], "/r/ci/id_ed25519");
  status.running = {true, true};
  EXPECT_EQ(nlohmann::json::parse(RenderStatusJson(status))["up"], true);
  EXPECT_THAT(RenderStatusText(status), HasSubstr("n2     10.77.4.12       running"));
}

TEST(StatusRenderTest, JsonForAMissingCluster) {
  ClusterStatus status;
  status.name = "gone";
  auto doc = nlohmann::json::parse(RenderStatusJson(status));
  EXPECT_EQ(doc["name"], "gone");
  EXPECT_EQ(doc["up"], false);
  EXPECT_TRUE(doc["nodes"].empty());
  EXPECT_TRUE(doc["nodes_file"].is_null());
  EXPECT_THAT(RenderStatusText(status), HasSubstr("not up"));
}

TEST(UsageHintTest, SaysHowToUseBothFilesAndWhatIsShared) {
  ClusterState state = PlanCluster("ci", 4, 2);
  ClusterPaths paths("/r", "ci");
  std::string hint = RenderUsageHint(state, paths);
  EXPECT_THAT(hint, HasSubstr("ssh -F /r/ci/ssh_config n1"));
  EXPECT_THAT(hint, HasSubstr("--nodes-file /r/ci/nodes.json"));
  EXPECT_THAT(hint, HasSubstr("wall clock is shared"));
}

}  // namespace
}  // namespace faultline::cluster
