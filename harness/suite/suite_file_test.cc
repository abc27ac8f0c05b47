#include "harness/suite/suite_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace faultline::suite {
namespace {

using ::testing::HasSubstr;

Suite MustParse(const std::string& text) {
  Result<Suite> s = ParseSuite(text, "t.json");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : Suite{};
}

std::string ErrorOf(const std::string& text) {
  Result<Suite> s = ParseSuite(text, "t.json");
  EXPECT_FALSE(s.ok()) << text;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
  return s.status().message();
}

TEST(SuiteFile, ExpandsAMatrixInOrderSeedsInnermost) {
  const Suite s = MustParse(R"({
    "name": "nightly",
    "defaults": {"time_limit": 20, "concurrency": "3n"},
    "tests": [
      {"targets": ["etcd"], "workloads": ["register"],
       "nemeses": ["partition", "kill,pause", []], "seeds": [1, 2], "nodes": 5},
      {"target": "memory-unsafe", "seed": 7, "time_limit": 5, "expect": "invalid",
       "concurrency": 4, "target_options": {"replication_delay_ms": 20}}
    ]})");
  ASSERT_EQ(s.name, "nightly");
  ASSERT_EQ(s.runs.size(), 7u);
  EXPECT_EQ(s.runs[0].name, "etcd-register-partition-s1");
  EXPECT_EQ(s.runs[1].name, "etcd-register-partition-s2");
  EXPECT_EQ(s.runs[2].name, "etcd-register-kill-pause-s1");
  EXPECT_EQ(s.runs[2].nemesis, (std::vector<std::string>{"kill", "pause"}));
  EXPECT_TRUE(s.runs[4].nemesis.empty());
  EXPECT_EQ(s.runs[4].name, "etcd-register-none-s1");
  EXPECT_EQ(s.runs[0].time_limit_s, 20);
  EXPECT_EQ(s.runs[0].nodes, 5);
  EXPECT_EQ(s.runs[0].Threads(5), 15);
  EXPECT_EQ(s.runs[0].expect, Expect::kValid);
  EXPECT_FALSE(s.runs[0].InMemory());
  EXPECT_EQ(s.runs[0].entry, "tests[0]");
  const SuiteRun& control = s.runs[6];
  EXPECT_EQ(control.name, "memory-unsafe-register-none-s7");
  EXPECT_EQ(control.expect, Expect::kInvalid);
  EXPECT_EQ(control.time_limit_s, 5);
  EXPECT_EQ(control.Threads(3), 4);
  EXPECT_EQ(control.target_options["replication_delay_ms"], 20);
  EXPECT_TRUE(control.InMemory());
  EXPECT_DOUBLE_EQ(s.WorkloadSeconds(), 6 * 20 + 5);
}

TEST(SuiteFile, EntryNamesKeepRunNamesDistinct) {
  const Suite s = MustParse(R"({"name": "x", "tests": [
      {"name": "fast", "targets": ["memory", "memory-unsafe"], "seeds": [3]},
      {"name": "one", "target": "memory"}]})");
  ASSERT_EQ(s.runs.size(), 3u);
  EXPECT_EQ(s.runs[0].name, "fast-memory-register-none-s3");
  EXPECT_EQ(s.runs[1].name, "fast-memory-unsafe-register-none-s3");
  EXPECT_EQ(s.runs[2].name, "one-none-s1");
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory"}, {"target": "memory"}]})"),
              HasSubstr("t.json: tests[1]: expected runs with distinct names; "
                        "\"memory-register-none-s1\" appears twice"));
}

TEST(SuiteFile, SyntaxErrorsNameLineAndColumn) {
  const std::string e = ErrorOf("{\n  \"name\": \"x\",\n  \"tests\": [,]\n}");
  EXPECT_THAT(e, HasSubstr("t.json:3:13: not valid JSON"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("t.json:1:1: not valid JSON"));
}

// A small file whose lists multiply to millions of runs took minutes and
// gigabytes to expand; it is refused before expanding.
TEST(SuiteFile, MatrixTooLargeIsRefusedBeforeExpanding) {
  Json lists = Json::array();
  for (int i = 0; i < 60; ++i) lists.push_back("x" + std::to_string(i));
  Json seeds = Json::array();
  for (int i = 0; i < 60; ++i) seeds.push_back(i);
  Json entry = Json::object();
  entry["targets"] = lists;
  entry["workloads"] = lists;
  entry["nemeses"] = lists;
  entry["seeds"] = seeds;
  Json suite = Json::object();
  suite["name"] = "big";
  suite["tests"] = Json::array({entry});
  EXPECT_THAT(ErrorOf(suite.dump()),
              HasSubstr("t.json: tests[0]: expected at most 10000 runs in a suite; this entry "
                        "adds 12960000 (targets x workloads x nemeses x seeds)"));
}

// Found by tests/fuzz/suite_fuzz: nlohmann throws out_of_range (not
// parse_error) for a number a double cannot hold, and it escaped ParseSuite.
TEST(SuiteFile, NumberTooLargeIsAnErrorNotAnException) {
  const std::string e = ErrorOf(R"({"name":"x","tests":[{"target":"etcd","time_limit":1e999}]})");
  EXPECT_THAT(e, HasSubstr("t.json: "));
  EXPECT_THAT(e, HasSubstr("number overflow parsing '1e999'"));
  EXPECT_THAT(e, HasSubstr("expected numbers a double can hold"));
}

TEST(SuiteFile, BadFieldsNameWhereWhatWasExpectedAndWhatWasFound) {
  EXPECT_EQ(ErrorOf("[]"), "t.json: top level: expected an object {\"name\", \"tests\"}, got []");
  EXPECT_THAT(ErrorOf(R"({"tests": [{"target": "memory"}]})"),
              HasSubstr("t.json: name: expected a suite name"));
  EXPECT_THAT(ErrorOf(R"({"name": "a/b", "tests": [{"target": "memory"}]})"),
              HasSubstr("got \"a/b\""));
  EXPECT_EQ(ErrorOf(R"({"name": "x", "tests": []})"),
            "t.json: tests: expected a non-empty array of test entries, got []");
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"workload": "register"}]})"),
              HasSubstr("t.json: tests[0]: expected \"targets\""));
  EXPECT_EQ(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "seeds": [1, -2]}]})"),
            "t.json: tests[0].seeds[1]: expected a non-negative integer seed, got -2");
  EXPECT_EQ(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "time_limit": "60"}]})"),
            "t.json: tests[0].time_limit: expected a number of seconds > 0, got \"60\"");
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "sed": 1}]})"),
              HasSubstr("t.json: tests[0].sed: expected a known field"));
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "seed": 1, "seeds": [2]}]})"),
              HasSubstr("tests[0]: expected either \"seed\" or \"seeds\", not both"));
  EXPECT_EQ(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "expect": "fail"}]})"),
            "t.json: tests[0].expect: expected \"valid\", \"invalid\" or \"any\", got \"fail\"");
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "nemeses": [3]}]})"),
              HasSubstr("t.json: tests[0].nemeses[0]: expected a nemesis list"));
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "concurrency": "xn"}]})"),
              HasSubstr("tests[0].concurrency: expected a thread count"));
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory", "nodes": 0}]})"),
              HasSubstr("tests[0].nodes: expected a node count from 1 to 9, got 0"));
  // A bad default is blamed on the defaults.
  EXPECT_EQ(ErrorOf(R"({"name": "x", "defaults": {"rate": -1}, "tests": [{"target": "memory"}]})"),
            "t.json: defaults.rate: expected operations per second >= 0, got -1");
  EXPECT_THAT(ErrorOf(R"({"name": "x", "tests": [{"target": "memory"}], "extra": 1})"),
              HasSubstr("t.json: \"extra\": expected one of the keys"));
}

TEST(SuiteFile, ShippedSuitesParse) {
  for (const char* name : {"smoke.json", "nightly.json"}) {
    const std::string path = std::string(FAULTLINE_SOURCE_DIR) + "/suites/" + name;
    Result<Suite> s = LoadSuite(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_FALSE(s->runs.empty());
    bool control = false;
    for (const SuiteRun& r : s->runs) control |= r.expect == Expect::kInvalid;
    EXPECT_TRUE(control) << name << " has a positive control";
  }
  EXPECT_EQ(LoadSuite("/nonexistent/suite.json").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace faultline::suite
