#include "nemesis/grudge.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace faultline {
namespace {

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> nodes;
  for (int i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
  return nodes;
}

// The nodes `node` hears from, itself included.
std::set<std::string> Heard(const Grudge& grudge, const std::vector<std::string>& nodes,
                            const std::string& node) {
  std::set<std::string> heard;
  for (const std::string& peer : nodes) {
    if (Hears(grudge, node, peer)) heard.insert(peer);
  }
  return heard;
}

TEST(GrudgeTest, RandomHalvesSplitsIntoTwoSidesCutOnlyFromEachOther) {
  for (int n : {2, 3, 4, 5}) {
    const std::vector<std::string> nodes = Nodes(n);
    for (uint64_t seed = 0; seed < 50; ++seed) {
      gen::Rng rng(seed);
      Result<Grudge> grudge = RandomHalvesGrudge(nodes, rng);
      ASSERT_TRUE(grudge.ok()) << grudge.status().ToString();
      // The side of a node is what it hears; each node is in exactly one side.
      std::set<std::set<std::string>> sides;
      for (const std::string& node : nodes) {
        std::set<std::string> side = Heard(*grudge, nodes, node);
        EXPECT_TRUE(side.count(node));
        sides.insert(side);
        // Cut off from exactly the other side.
        std::set<std::string> other;
        for (const std::string& peer : nodes) {
          if (!side.count(peer)) other.insert(peer);
        }
        EXPECT_EQ(grudge->at(node), other) << "n=" << n << " seed=" << seed << " " << node;
      }
      ASSERT_EQ(sides.size(), 2u) << "n=" << n << " seed=" << seed;
      size_t total = 0;
      std::set<size_t> sizes;
      for (const auto& side : sides) {
        total += side.size();
        sizes.insert(side.size());
      }
      EXPECT_EQ(total, nodes.size()) << "sides overlap";
      EXPECT_EQ(*sizes.begin(), nodes.size() / 2);
      EXPECT_EQ(*sizes.rbegin(), nodes.size() - nodes.size() / 2);
    }
  }
}

TEST(GrudgeTest, IsolateNodeCutsThatNodeFromAllOthers) {
  const std::vector<std::string> nodes = Nodes(5);
  Result<Grudge> grudge = IsolateNodeGrudge(nodes, nodes[3]);
  ASSERT_TRUE(grudge.ok());
  for (const std::string& node : nodes) {
    EXPECT_EQ(Heard(*grudge, nodes, node).size(), node == nodes[3] ? 1u : 4u) << node;
  }
  EXPECT_EQ(IsolateNodeGrudge(nodes, "nobody").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(IsolateNodeGrudge(Nodes(1), Nodes(1)[0]).status().code(),
            Status::Code::kInvalidArgument);
  gen::Rng rng(1);
  EXPECT_EQ(GrudgeForShape(kIsolatePrimary, nodes, rng).status().code(),
            Status::Code::kInvalidArgument)
      << "needs the target: the partition nemesis resolves it";
}

TEST(GrudgeTest, IsolateOneCutsOneNodeFromAllOthers) {
  for (int n : {2, 3, 5}) {
    const std::vector<std::string> nodes = Nodes(n);
    std::set<std::string> isolated_ever;
    for (uint64_t seed = 0; seed < 60; ++seed) {
      gen::Rng rng(seed);
      Result<Grudge> grudge = IsolateOneGrudge(nodes, rng);
      ASSERT_TRUE(grudge.ok());
      std::vector<std::string> loners;
      for (const std::string& node : nodes) {
        if (Heard(*grudge, nodes, node).size() == 1) loners.push_back(node);
      }
      if (n > 2) {
        ASSERT_EQ(loners.size(), 1u);
      } else {
        ASSERT_EQ(loners.size(), 2u);  // with two nodes both are alone
        continue;
      }
      const std::string& loner = loners[0];
      isolated_ever.insert(loner);
      for (const std::string& node : nodes) {
        if (node == loner) continue;
        EXPECT_EQ(grudge->at(node), std::set<std::string>{loner});
        EXPECT_FALSE(Hears(*grudge, loner, node));
      }
    }
    if (n > 2) EXPECT_EQ(isolated_ever.size(), nodes.size()) << "every node gets isolated";
  }
}

TEST(GrudgeTest, MajoritiesRingGivesEveryNodeADistinctMajority) {
  for (int n : {3, 4, 5, 6, 7}) {
    const std::vector<std::string> nodes = Nodes(n);
    const size_t majority = nodes.size() / 2 + 1;
    for (uint64_t seed = 0; seed < 30; ++seed) {
      gen::Rng rng(seed);
      Result<Grudge> grudge = MajoritiesRingGrudge(nodes, rng);
      ASSERT_TRUE(grudge.ok());
      std::set<std::set<std::string>> seen;
      for (const std::string& node : nodes) {
        std::set<std::string> heard = Heard(*grudge, nodes, node);
        EXPECT_EQ(heard.size(), majority) << "n=" << n << " " << node;
        EXPECT_TRUE(heard.count(node));
        seen.insert(heard);
      }
      EXPECT_EQ(seen.size(), nodes.size()) << "n=" << n << ": two nodes see the same majority";
      if (n == 5) {
        // Windows of 3 around each node: the links are cut both ways.
        for (const std::string& a : nodes) {
          for (const std::string& b : nodes) {
            EXPECT_EQ(Hears(*grudge, a, b), Hears(*grudge, b, a)) << a << " " << b;
          }
        }
      }
    }
  }
}

TEST(GrudgeTest, SameSeedSameGrudgeAndSeedsVary) {
  const std::vector<std::string> nodes = Nodes(5);
  for (const std::string& shape : PartitionShapes()) {
    std::set<Grudge> distinct;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      gen::Rng a(seed), b(seed);
      Result<Grudge> first = GrudgeForShape(shape, nodes, a);
      Result<Grudge> second = GrudgeForShape(shape, nodes, b);
      ASSERT_TRUE(first.ok() && second.ok());
      EXPECT_EQ(*first, *second) << shape;
      distinct.insert(*first);
    }
    EXPECT_GT(distinct.size(), 3u) << shape << " ignores its seed";
  }
}

TEST(GrudgeTest, SuccessiveDrawsFromOneRngDiffer) {
  gen::Rng rng(7);
  std::set<Grudge> seen;
  for (int i = 0; i < 10; ++i) seen.insert(*RandomHalvesGrudge(Nodes(5), rng));
  EXPECT_GT(seen.size(), 3u);
}

TEST(GrudgeTest, TooFewOrDuplicateNodesAndUnknownShapesAreErrors) {
  gen::Rng rng(1);
  EXPECT_EQ(RandomHalvesGrudge(Nodes(1), rng).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(IsolateOneGrudge(Nodes(1), rng).status().code(), Status::Code::kInvalidArgument);
  Result<Grudge> ring = MajoritiesRingGrudge(Nodes(2), rng);
  EXPECT_EQ(ring.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(ring.status().message().find("at least 3 nodes"), std::string::npos);
  Result<Grudge> dup = RandomHalvesGrudge({"n1", "n2", "n1"}, rng);
  EXPECT_NE(dup.status().message().find("n1 is listed twice"), std::string::npos);
  Result<Grudge> unknown = GrudgeForShape("bridge", Nodes(3), rng);
  EXPECT_EQ(unknown.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("\"bridge\""), std::string::npos);
  EXPECT_NE(unknown.status().message().find("majorities-ring"), std::string::npos);
}

TEST(GrudgeTest, JsonRoundTripAndErrors) {
  const std::vector<std::string> nodes = Nodes(3);
  Grudge grudge = {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {}}};
  Json json = GrudgeToJson(grudge);
  EXPECT_EQ(json, Json::parse(R"({"n1": ["n2", "n3"], "n2": ["n1"]})"));
  Result<Grudge> back = GrudgeFromJson(json, nodes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(GrudgeToJson(*back), json);

  auto error = [&](const char* text) {
    return GrudgeFromJson(Json::parse(text), nodes).status().message();
  };
  EXPECT_NE(error(R"({"n9": ["n1"]})").find("\"n9\" is not in the test"), std::string::npos);
  EXPECT_NE(error(R"({"n1": ["n7"]})").find("grudge[\"n1\"]: node \"n7\""), std::string::npos);
  EXPECT_NE(error(R"({"n1": ["n1"]})").find("cannot be cut off from itself"), std::string::npos);
  EXPECT_NE(error(R"({"n1": "n2"})").find("expected an array"), std::string::npos);
  EXPECT_NE(error(R"({"n1": [2]})").find("expected node names"), std::string::npos);
  EXPECT_NE(error(R"(["n1"])").find("expected an object"), std::string::npos);
}

}  // namespace
}  // namespace faultline
