#include "nemesis/node_selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace faultline {
namespace {

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> nodes;
  for (int i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
  return nodes;
}

size_t Count(const char* form, int n, uint64_t seed = 1) {
  gen::Rng rng(seed);
  Result<std::vector<std::string>> selected = SelectNodes(form, Nodes(n), rng);
  EXPECT_TRUE(selected.ok()) << form << " n=" << n << ": " << selected.status().ToString();
  return selected.ok() ? selected->size() : 0;
}

TEST(NodeSelectionTest, RandomFormsSelectTheRightNumberOfNodes) {
  EXPECT_EQ(Count("one", 3), 1u);
  EXPECT_EQ(Count("one", 1), 1u);
  EXPECT_EQ(Count("minority", 3), 1u);
  EXPECT_EQ(Count("minority", 4), 1u);
  EXPECT_EQ(Count("minority", 5), 2u);
  EXPECT_EQ(Count("majority", 3), 2u);
  EXPECT_EQ(Count("majority", 4), 3u);
  EXPECT_EQ(Count("majority", 5), 3u);
  EXPECT_EQ(Count("all", 5), 5u);
}

TEST(NodeSelectionTest, ChoicesFollowTheSeedAndComeInClusterOrder) {
  std::set<std::vector<std::string>> distinct;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    gen::Rng a(seed), b(seed);
    auto first = SelectNodes("minority", Nodes(5), a);
    auto second = SelectNodes("minority", Nodes(5), b);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(*first, *second);
    EXPECT_TRUE(std::is_sorted(first->begin(), first->end())) << "cluster order";
    distinct.insert(*first);
  }
  EXPECT_EQ(distinct.size(), 10u) << "every 2-of-5 minority is drawn at some seed";
}

TEST(NodeSelectionTest, ExplicitListsKeepClusterOrder) {
  gen::Rng rng(1);
  auto selected = SelectNodes(Json::parse(R"(["n3", "n1"])"), Nodes(3), rng);
  ASSERT_TRUE(selected.ok());
  EXPECT_EQ(*selected, (std::vector<std::string>{"n1", "n3"}));
}

TEST(NodeSelectionTest, BadValuesAreClearErrors) {
  gen::Rng rng(1);
  auto message = [&](const Json& spec, int n = 3) {
    auto r = SelectNodes(spec, Nodes(n), rng);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << spec.dump();
    return r.status().message();
  };
  EXPECT_NE(message("some").find("expected \"one\", \"minority\""), std::string::npos);
  EXPECT_NE(message(3).find("expected"), std::string::npos);
  EXPECT_NE(message(Json::parse(R"(["n4"])")).find("\"n4\" is not in the test"), std::string::npos);
  EXPECT_NE(message(Json::parse(R"(["n1", "n1"])")).find("listed twice"), std::string::npos);
  EXPECT_NE(message(Json::parse(R"([1])")).find("is not a node name"), std::string::npos);
  EXPECT_NE(message(Json::array()).find("selects no node"), std::string::npos);
  EXPECT_NE(message("minority", 2).find("selects no node"), std::string::npos);
}

}  // namespace
}  // namespace faultline
