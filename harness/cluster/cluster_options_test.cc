#include "harness/cluster/cluster_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline::cluster {
namespace {

using ::testing::HasSubstr;
using Action = ClusterCommand::Action;

Status ParseError(std::vector<std::string> args) {
  auto parsed = ParseClusterArgs(args);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? Status::Ok() : parsed.status();
}

TEST(ClusterOptionsTest, Defaults) {
  auto up = ParseClusterArgs({"up"});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->action, Action::kUp);
  EXPECT_EQ(up->name, "faultline");
  EXPECT_EQ(up->nodes, 5);
}

TEST(ClusterOptionsTest, BothValueForms) {
  auto up = ParseClusterArgs({"up", "--nodes", "3", "--name=ci-1"});
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->nodes, 3);
  EXPECT_EQ(up->name, "ci-1");
  auto status = ParseClusterArgs({"status", "--json", "--name", "x"});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->action, Action::kStatus);
  EXPECT_TRUE(status->json);
  EXPECT_EQ(status->name, "x");
  auto down = ParseClusterArgs({"down", "--name=x"});
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->action, Action::kDown);
}

TEST(ClusterOptionsTest, Help) {
  EXPECT_EQ(ParseClusterArgs({"--help"})->action, Action::kHelp);
  EXPECT_EQ(ParseClusterArgs({"up", "-h"})->action, Action::kHelp);
  EXPECT_THAT(ClusterUsage(), HasSubstr("faultline cluster up [--nodes N] [--name NAME]"));
}

TEST(ClusterOptionsTest, UsageErrorsNameTheWord) {
  EXPECT_THAT(ParseError({}).message(), HasSubstr("missing action"));
  EXPECT_THAT(ParseError({"start"}).message(), HasSubstr("unknown action 'start'"));
  EXPECT_THAT(ParseError({"up", "--nodes"}).message(), HasSubstr("--nodes needs a value"));
  EXPECT_THAT(ParseError({"up", "--nodes", "three"}).message(), HasSubstr("'three'"));
  EXPECT_THAT(ParseError({"up", "--nodes", "3x"}).message(), HasSubstr("'3x'"));
  EXPECT_THAT(ParseError({"up", "--nodes="}).message(), HasSubstr("whole number"));
  EXPECT_THAT(ParseError({"up", "--nodes", "0"}).message(), HasSubstr("node count 0"));
  // The flag and the action are named, as for every other cluster error.
  EXPECT_THAT(ParseError({"up", "--nodes", "0"}).message(),
              HasSubstr("faultline cluster up: --nodes: node count 0"));
  EXPECT_THAT(ParseError({"down", "--name", "Bad"}).message(),
              HasSubstr("faultline cluster down: --name: cluster name 'Bad'"));
  EXPECT_THAT(ParseError({"up", "--nodes", "9999"}).message(), HasSubstr("node count 9999"));
  EXPECT_THAT(ParseError({"up", "--name", "Bad/Name"}).message(), HasSubstr("cluster name"));
  EXPECT_THAT(ParseError({"up", "--json"}).message(), HasSubstr("--json does not apply to up"));
  EXPECT_THAT(ParseError({"down", "--nodes", "3"}).message(), HasSubstr("does not apply"));
  EXPECT_THAT(ParseError({"status", "--json=yes"}).message(), HasSubstr("takes no value"));
  EXPECT_THAT(ParseError({"down", "--force"}).message(), HasSubstr("unknown option '--force'"));
  EXPECT_THAT(ParseError({"down", "extra"}).message(), HasSubstr("unexpected argument 'extra'"));
  EXPECT_EQ(ParseError({"up", "--nodes", "x"}).code(), Status::Code::kInvalidArgument);
}

}  // namespace
TEST(ClusterOptionsTest, ReuseOnlyForUp) {
  auto up = ParseClusterArgs({"up", "--reuse"});
  ASSERT_TRUE(up.ok());
  EXPECT_TRUE(up->reuse);
  EXPECT_FALSE(ParseClusterArgs({"up"})->reuse);
  EXPECT_FALSE(ParseClusterArgs({"down", "--reuse"}).ok());
}

}  // namespace faultline::cluster
