#include "harness/cluster/cluster_plan.h"

#include <gtest/gtest.h>

namespace faultline::cluster {
namespace {

TEST(ClusterNameTest, AcceptsLowercaseDigitsDashUnderscore) {
  EXPECT_TRUE(ValidateClusterName("faultline").ok());
  EXPECT_TRUE(ValidateClusterName("ci-run_7").ok());
  EXPECT_TRUE(ValidateClusterName("7").ok());
  EXPECT_TRUE(ValidateClusterName(std::string(32, 'a')).ok());
}

TEST(ClusterNameTest, RejectsBadNamesNamingTheCharacter) {
  EXPECT_FALSE(ValidateClusterName("").ok());
  EXPECT_FALSE(ValidateClusterName(std::string(33, 'a')).ok());
  EXPECT_FALSE(ValidateClusterName("-lead").ok());
  Status s = ValidateClusterName("a/b");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("character 2 ('/')"), std::string::npos) << s.message();
  EXPECT_FALSE(ValidateClusterName("Upper").ok());
  EXPECT_FALSE(ValidateClusterName("a b").ok());
  EXPECT_FALSE(ValidateClusterName("..").ok());
}

TEST(NodeCountTest, Bounds) {
  EXPECT_TRUE(ValidateNodeCount(1).ok());
  EXPECT_TRUE(ValidateNodeCount(kMaxNodeCount).ok());
  EXPECT_FALSE(ValidateNodeCount(0).ok());
  EXPECT_FALSE(ValidateNodeCount(-3).ok());
  EXPECT_FALSE(ValidateNodeCount(kMaxNodeCount + 1).ok());
}

TEST(AddressPlanTest, NamesAndAddresses) {
  EXPECT_EQ(ClusterSubnet(0), "10.77.0.0/24");
  EXPECT_EQ(ClusterSubnet(255), "10.77.255.0/24");
  EXPECT_EQ(HostAddress(3), "10.77.3.1");
  EXPECT_EQ(NodeAddress(3, 1), "10.77.3.11");
  EXPECT_EQ(NodeAddress(3, kMaxNodeCount), "10.77.3.210");
  EXPECT_EQ(NodeName(4), "n4");
  EXPECT_EQ(BridgeName(12), "flbr-12");
  EXPECT_EQ(NetnsName("ci", 2), "faultline-ci-n2");
  EXPECT_EQ(LinkAlias("ci"), "faultline:ci");
  // Interface names must fit IFNAMSIZ (15 characters + NUL).
  EXPECT_LE(HostVethName(kMaxClusterIndex, kMaxNodeCount).size(), 15u);
  EXPECT_LE(BridgeName(kMaxClusterIndex).size(), 15u);
}

TEST(AddressPlanTest, BridgeIndexParsesOnlyOurNames) {
  EXPECT_EQ(BridgeIndex("flbr-0"), 0);
  EXPECT_EQ(BridgeIndex("flbr-255"), 255);
  EXPECT_FALSE(BridgeIndex("flbr-256"));
  EXPECT_FALSE(BridgeIndex("flbr-03"));
  EXPECT_FALSE(BridgeIndex("flbr-"));
  EXPECT_FALSE(BridgeIndex("flbr-1x"));
  EXPECT_FALSE(BridgeIndex("eth0"));
  EXPECT_FALSE(BridgeIndex("docker0"));
}

TEST(PrefixTest, ParseAndOverlap) {
  auto range = ParsePrefix("10.77.0.0/16");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->ToString(), "10.77.0.0/16");
  EXPECT_EQ(ParsePrefix("10.77.3.9/24")->ToString(), "10.77.3.0/24");
  EXPECT_EQ(ParsePrefix("10.77.3.9")->length, 32);
  EXPECT_EQ(ParsePrefix("default")->length, 0);
  EXPECT_TRUE(range->Overlaps(*ParsePrefix("10.77.200.0/24")));
  EXPECT_TRUE(range->Overlaps(*ParsePrefix("10.0.0.0/8")));
  EXPECT_FALSE(range->Overlaps(*ParsePrefix("10.78.0.0/16")));
  EXPECT_FALSE(range->Overlaps(*ParsePrefix("192.168.1.0/24")));
  for (const char* bad : {"", "10.77", "10.77.0.256", "10.77.0.0/33", "10.77.0.0/", "a.b.c.d",
                          "10.77.0.0/8x", "1.2.3.4.5"}) {
    EXPECT_FALSE(ParsePrefix(bad)) << bad;
  }
}

TEST(IpJsonTest, ParsesRoutesAndAddresses) {
  auto routes = ParseIpRoutes(
      R"([{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
          {"type":"unreachable","dst":"10.77.0.0/16","flags":[]},
          {"type":"local","dst":"10.77.3.1","dev":"flbr-3","table":"local"}])");
  ASSERT_TRUE(routes.ok()) << routes.status().ToString();
  ASSERT_EQ(routes->size(), 3u);
  EXPECT_EQ((*routes)[0].type, "unicast");
  EXPECT_EQ((*routes)[0].table, "main");
  EXPECT_EQ((*routes)[1].type, "unreachable");
  EXPECT_EQ((*routes)[2].table, "local");
  auto addresses = ParseIpAddresses(
      R"([{"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24},
                                         {"family":"inet6","local":"fe80::1","prefixlen":64}]},
          {"ifname":"lo","addr_info":[]}])");
  ASSERT_TRUE(addresses.ok());
  ASSERT_EQ(addresses->size(), 1u);
  EXPECT_EQ((*addresses)[0].dev, "eth0");
  EXPECT_EQ((*addresses)[0].prefix_length, 24);
  EXPECT_FALSE(ParseIpRoutes("Error: something").ok());
  EXPECT_FALSE(ParseIpAddresses("{}").ok());
}

// Found by tests/fuzz/cluster_fuzz: a field of another type made
// json::value() throw (type_error), which `cluster up` did not catch; and the
// error quoted raw bytes of the output, cut anywhere, into the message.
TEST(IpJsonTest, FieldsOfAnotherTypeAreIgnoredNotThrown) {
  auto routes = ParseIpRoutes(R"([{"dst":5,"type":null,"dev":["x"],"table":254}])");
  ASSERT_TRUE(routes.ok()) << routes.status().ToString();
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].dst, "");
  EXPECT_EQ((*routes)[0].type, "unicast");
  EXPECT_EQ((*routes)[0].table, "main");
  auto addresses = ParseIpAddresses(
      R"([{"ifname":1,"addr_info":[{"family":"inet","local":7,"prefixlen":"24"},
                                    {"family":"inet","local":"10.77.9.9","prefixlen":99},
                                    {"family":4}]}])");
  ASSERT_TRUE(addresses.ok()) << addresses.status().ToString();
  ASSERT_EQ(addresses->size(), 2u);
  EXPECT_EQ((*addresses)[0].dev, "");
  EXPECT_EQ((*addresses)[0].address, "");
  EXPECT_EQ((*addresses)[0].prefix_length, 32);
  EXPECT_EQ((*addresses)[1].prefix_length, 32);
  auto bad = ParseIpAddresses(":\xf1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "`ip -j addr` output: expected a JSON array, got \":\xef\xbf\xbd\"");
}

TEST(InspectRangeTest, OwnBridgesAndGuardAreNotConflicts) {
  std::vector<HostRoute> routes = {
      {"default", "unicast", "eth0", "main"},        {"10.77.0.0/16", "unreachable", "", "main"},
      {"10.77.3.0/24", "unicast", "flbr-3", "main"}, {"10.77.3.1", "local", "flbr-3", "local"},
      {"192.0.2.0/24", "unicast", "eth0", "main"},
  };
  std::vector<HostAddressEntry> addresses = {{"flbr-3", "10.77.3.1", 24},
                                             {"eth0", "192.0.2.2", 24}};
  RangeReport report = InspectRange(routes, addresses);
  EXPECT_TRUE(report.conflicts.empty());
  EXPECT_TRUE(report.covering.empty());
  EXPECT_TRUE(report.guard_present);
}

TEST(InspectRangeTest, ForeignUsersInsideTheRangeAreConflicts) {
  std::vector<HostRoute> routes = {
      {"10.77.5.0/24", "unicast", "eth1", "main"},
      {"10.77.9.9", "unicast", "", "100"},
      {"10.0.0.0/8", "unicast", "tun0", "main"},
      {"0.0.0.0/1", "unicast", "tun0", "main"},
  };
  std::vector<HostAddressEntry> addresses = {{"eth1", "10.77.5.2", 24}};
  RangeReport report = InspectRange(routes, addresses);
  ASSERT_EQ(report.conflicts.size(), 3u);
  EXPECT_EQ(report.conflicts[0], "route 10.77.5.0/24 dev eth1");
  EXPECT_EQ(report.conflicts[1], "route 10.77.9.9 table 100");
  EXPECT_EQ(report.conflicts[2], "address 10.77.5.2/24 on eth1");
  ASSERT_EQ(report.covering.size(), 1u);  // 0.0.0.0/1 is default-like
  EXPECT_EQ(report.covering[0], "route 10.0.0.0/8 dev tun0");
  EXPECT_FALSE(report.guard_present);
}

TEST(InspectRangeTest, AnUnreachableSubrangeIsAConflictNotTheGuard) {
  RangeReport report = InspectRange({{"10.77.8.0/24", "unreachable", "", "main"}}, {});
  EXPECT_FALSE(report.guard_present);
  ASSERT_EQ(report.conflicts.size(), 1u);
  EXPECT_EQ(report.conflicts[0], "route unreachable 10.77.8.0/24");
}

TEST(AllocateIndexTest, LowestFreePreferringTheEarlierOne) {
  EXPECT_EQ(*AllocateIndex({}, std::nullopt), 0);
  EXPECT_EQ(*AllocateIndex({0, 1, 3}, std::nullopt), 2);
  EXPECT_EQ(*AllocateIndex({0, 1, 3}, 7), 7);
  EXPECT_EQ(*AllocateIndex({0, 1, 3}, 3), 2);  // taken meanwhile
  EXPECT_EQ(*AllocateIndex({}, 999), 0);       // out of range
  std::set<int> all;
  for (int i = 0; i <= kMaxClusterIndex; ++i) all.insert(i);
  auto none = AllocateIndex(all, std::nullopt);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Status::Code::kResourceExhausted);
}

}  // namespace
}  // namespace faultline::cluster
