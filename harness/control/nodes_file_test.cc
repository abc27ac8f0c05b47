#include "harness/control/nodes_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace faultline {
namespace {

Result<NodesFile> Parse(const std::string& text) {
  return ParseNodesFile(text, "nodes.json", "/etc/faultline");
}

std::string ErrorOf(const std::string& text) {
  Result<NodesFile> r = Parse(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

TEST(NodesFileTest, ParsesTheDocumentedExample) {
  auto r = Parse(R"({
    "name": "local",
    "nodes": [{"name": "n1", "host": "10.77.0.11", "port": 2222, "user": "admin",
               "key": "/abs/id_ed25519", "host_key_policy": "strict",
               "known_hosts": "/abs/known_hosts"}],
    "ssh_config": "/abs/ssh_config"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "local");
  ASSERT_EQ(r->nodes.size(), 1u);
  const NodeSpec& n = r->nodes[0];
  EXPECT_EQ(n.name, "n1");
  EXPECT_EQ(n.host, "10.77.0.11");
  EXPECT_EQ(n.port, 2222);
  EXPECT_EQ(n.user, "admin");
  EXPECT_EQ(n.key, "/abs/id_ed25519");
  EXPECT_EQ(n.host_key_policy, HostKeyPolicy::kStrict);
  EXPECT_EQ(n.known_hosts, "/abs/known_hosts");
  EXPECT_EQ(r->ssh_config, "/abs/ssh_config");
}

TEST(NodesFileTest, FillsDefaultsAndResolvesRelativePaths) {
  auto r = Parse(R"({"nodes": [{"host": "vm1.example"},
                               {"host": "vm2", "key": "keys/id", "known_hosts": "kh"}],
                     "ssh_config": "ssh_config"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const NodeSpec& a = r->nodes[0];
  EXPECT_EQ(a.name, "vm1.example");
  EXPECT_EQ(a.port, 22);
  EXPECT_EQ(a.user, "root");
  EXPECT_EQ(a.key, "");
  EXPECT_EQ(a.host_key_policy, HostKeyPolicy::kAcceptNew);
  EXPECT_EQ(a.known_hosts, "");
  EXPECT_EQ(r->nodes[1].key, "/etc/faultline/keys/id");
  EXPECT_EQ(r->nodes[1].known_hosts, "/etc/faultline/kh");
  EXPECT_EQ(r->ssh_config, "/etc/faultline/ssh_config");
}

TEST(NodesFileTest, ErrorsNameTheFileTheNodeAndTheField) {
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a"}, {"host": "b", "port": "22a"}]})"),
            "nodes.json: nodes[1].port: expected an integer from 1 to 65535, got \"22a\"");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a", "port": 70000}]})"),
            "nodes.json: nodes[0].port: expected an integer from 1 to 65535, got 70000");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "n1"}]})"),
            "nodes.json: nodes[0].host: missing; it is required");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a", "hots": "b"}]})").substr(0, 44),
            "nodes.json: nodes[0].hots: unknown field; ex");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a", "host_key_policy": "yes"}]})"),
            "nodes.json: nodes[0].host_key_policy: \"yes\" is not a policy; expected strict, "
            "accept-new or off");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a", "name": "n 1"}]})").substr(0, 37),
            "nodes.json: nodes[0].name: \"n 1\" is n");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a", "name": "n1"}, {"host": "b", "name": "n1"}]})"),
            "nodes.json: nodes[1].name: \"n1\" is used by an earlier node; names must be unique");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"host": "a", "user": 0}]})"),
            "nodes.json: nodes[0].user: expected a string, got 0");
  EXPECT_EQ(ErrorOf(R"({"nodes": []})"),
            "nodes.json: nodes: is empty; at least one node is needed");
  EXPECT_EQ(ErrorOf(R"({"node": []})"),
            "nodes.json: node: unknown field; expected nodes, name or ssh_config");
  EXPECT_EQ(ErrorOf(R"([1])"),
            "nodes.json: expected a JSON object with a \"nodes\" array, got [1]");
  EXPECT_NE(ErrorOf("{\"nodes\": [").find("nodes.json: not valid JSON"), std::string::npos);
  // A number a double cannot hold is out_of_range, which used to escape as an
  // exception (found by tests/fuzz/nodes_file_fuzz's sibling suite_fuzz).
  EXPECT_NE(ErrorOf(R"({"nodes": [{"host": "h", "port": 1e999}]})")
                .find("nodes.json: not valid JSON: [json.exception.out_of_range.406]"),
            std::string::npos);
}

TEST(NodesFileTest, WriteThenReadGivesTheSameNodes) {
  char dir[] = "/tmp/faultline-nodes-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  NodesFile file;
  file.name = "local";
  file.ssh_config = std::string(dir) + "/ssh_config";
  for (int i = 1; i <= 3; ++i) {
    NodeSpec n;
    n.name = "n" + std::to_string(i);
    n.host = "10.77.0." + std::to_string(10 + i);
    n.key = std::string(dir) + "/id_ed25519";
    n.known_hosts = std::string(dir) + "/known_hosts";
    n.host_key_policy = i == 3 ? HostKeyPolicy::kOff : HostKeyPolicy::kAcceptNew;
    file.nodes.push_back(n);
  }
  std::string path = std::string(dir) + "/nodes.json";
  ASSERT_TRUE(WriteNodesFile(path, file).ok());
  auto back = ReadNodesFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(FormatNodesFile(*back), FormatNodesFile(file));
  EXPECT_EQ(back->nodes[2].host_key_policy, HostKeyPolicy::kOff);

  auto missing = ReadNodesFile(std::string(dir) + "/nope.json");
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("nope.json"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(NodesFileTest, ConnectNodeChecksTheSpecButConnectsLazily) {
  NodeSpec n;
  n.name = "n1";
  n.host = "127.0.0.1";
  n.port = 1;  // nothing listens; nothing is contacted until first use
  auto remote = ConnectNode(n);
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_EQ((*remote)->node(), "n1");

  n.key = "/nonexistent/id_ed25519";
  auto bad = ConnectNode(n);
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("/nonexistent/id_ed25519"), std::string::npos);
  NodeSpec no_host;
  EXPECT_EQ(ConnectNode(no_host).status().code(), Status::Code::kInvalidArgument);

  SshOptions o = SshOptionsFor(n);
  EXPECT_EQ(o.node, "n1");
  EXPECT_EQ(o.private_key_file, n.key);
}

TEST(NodesFileTest, UnreachableNodeFailsPromptlyWithATypedError) {
  NodeSpec n;
  n.name = "n1";
  n.host = "127.0.0.1";
  n.port = 1;
  n.host_key_policy = HostKeyPolicy::kOff;
  auto remote = ConnectNode(n);
  ASSERT_TRUE(remote.ok());
  auto start = std::chrono::steady_clock::now();
  auto r = (*remote)->Run(Command::Argv({"true"}));
  EXPECT_EQ(r.status().code(), Status::Code::kUnreachable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("n1 (root@127.0.0.1:1)"), std::string::npos)
      << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(NodesFileTest, DotNamesAreRejected) {
  for (const char* name : {".", ".."}) {
    auto r = ParseNodesFile(std::string(R"({"nodes": [{"name": ")") + name +
                                R"(", "host": "10.0.0.1"}]})",
                            "nodes.json", "");
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.status().message().find("nodes[0].name"), std::string::npos)
        << r.status().message();
  }
}

TEST(NodesFileTest, MissingFileSaysCannotOpen) {
  auto r = ReadNodesFile("/nonexistent/nodes.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("cannot open /nonexistent/nodes.json: No such file"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace faultline
