// The subcommands' flag handling and bad-input exits, called as main would
// (no cluster: in-process targets only).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/cli/commands.h"
#include "harness/runner/runner.h"

namespace faultline::cli {
namespace {

namespace fs = std::filesystem;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("faultline-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `fn(args)` and returns its exit code; its stderr in *err.
  int Run(int (*fn)(const Args&), const Args& args, std::string* err = nullptr) {
    ::testing::internal::CaptureStderr();
    ::testing::internal::CaptureStdout();
    const int code = fn(args);
    const std::string e = ::testing::internal::GetCapturedStderr();
    out_ = ::testing::internal::GetCapturedStdout();
    if (err) *err = e;
    return code;
  }

  std::string Store() const { return (dir_ / "store").string(); }

  fs::path dir_;
  std::string out_;
};

TEST_F(CliTest, HelpIsExitZeroOnStdout) {
  EXPECT_EQ(Run(RunTest, {"--help"}), 0);
  EXPECT_NE(out_.find("--concurrency"), std::string::npos);
  EXPECT_NE(out_.find("--nemesis"), std::string::npos);
  EXPECT_EQ(Run(RunCheck, {"--help"}), 0);
  EXPECT_NE(out_.find("--model"), std::string::npos);
  EXPECT_EQ(Run(RunAnalyze, {"-h"}), 0);
}

TEST_F(CliTest, UsageErrorsAre254AndSayWhat) {
  std::string err;
  EXPECT_EQ(Run(RunTest, {"--bogus"}, &err), kExitUsage);
  EXPECT_NE(err.find("--bogus"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--time-limit", "0"}, &err), kExitUsage);
  EXPECT_NE(err.find("time-limit"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--time-limit"}, &err), kExitUsage);
  EXPECT_EQ(Run(RunTest, {"--concurrency", "x"}, &err), kExitUsage);
  EXPECT_NE(err.find("concurrency"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--seed", "-3"}, &err), kExitUsage);
  EXPECT_EQ(Run(RunCheck, {"--model", "cas-register"}, &err), kExitUsage);  // no FILE
  EXPECT_EQ(Run(RunCheck, {"--model", "cas-register", "--init", "{", "f"}, &err), kExitUsage);
  EXPECT_EQ(Run(RunCheck, {"--model", "cas-register", "--format", "xml", "f"}, &err), kExitUsage);
  EXPECT_EQ(Run(RunAnalyze, {}, &err), kExitUsage);
  EXPECT_EQ(Run(RunAnalyze, {"a", "b"}, &err), kExitUsage);
}

TEST_F(CliTest, BadInputIs254AndStoresNoRun) {
  std::string err;
  // The unknown target is named first, before the (missing) nodes file.
  EXPECT_EQ(Run(RunTest, {"--target", "nosuchdb", "--nodes-file", "/nonexistent.json", "--store",
                          Store()},
                &err),
            kExitUsage);
  EXPECT_NE(err.find("nosuchdb"), std::string::npos) << err;
  EXPECT_EQ(err.find("nonexistent"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--target", "etcd", "--nodes-file", "/nonexistent.json", "--store",
                          Store()},
                &err),
            kExitUsage);
  EXPECT_NE(err.find("cannot open /nonexistent.json: No such file"), std::string::npos) << err;
  for (const char* text : {R"({"nodes": [{"name": "n1"}]})",
                           R"({"nodes": [{"host": "10.0.0.1", "port": 99999}]})",
                           R"({"nodes": [{"name": "..", "host": "10.0.0.1"}]})"}) {
    const std::string file = (dir_ / "nodes.json").string();
    std::ofstream(file) << text;
    EXPECT_EQ(Run(RunTest, {"--target", "etcd", "--nodes-file", file, "--store", Store()}, &err),
              kExitUsage)
        << text;
    EXPECT_NE(err.find("nodes.json"), std::string::npos) << err;
  }
  EXPECT_EQ(Run(RunTest, {"--target", "memory", "--nodes", "n1,..", "--store", Store()}, &err),
            kExitUsage);
  EXPECT_NE(err.find(".."), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--target", "memory", "--nemesis", "flood", "--store", Store()}, &err),
            kExitUsage);
  EXPECT_NE(err.find("flood"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(Store())) << "bad input stores no run";
  EXPECT_EQ(Run(RunTest, {"--target", "memory", "--store", "/dev/null/store"}, &err), kExitUsage);
  EXPECT_NE(err.find("/dev/null/store"), std::string::npos) << err;
}

TEST_F(CliTest, EmptyHistoryIsBadInput) {
  const std::string empty = (dir_ / "empty.jsonl").string();
  std::ofstream(empty).close();
  std::string err;
  for (const std::string& file : {empty, std::string("/dev/null")}) {
    EXPECT_EQ(Run(RunCheck, {"--model", "cas-register", file}, &err), kExitUsage) << file;
    EXPECT_NE(err.find("no operations in " + file), std::string::npos) << err;
  }
}

TEST_F(CliTest, InProcessTestRunsAndAnalyzes) {
  std::string err;
  const int code = Run(RunTest, {"--target", "memory", "--time-limit", "0.5", "--nemesis",
                                 "partition", "--nemesis-interval", "0.1", "--seed", "1",
                                 "--store", Store()},
                       &err);
  EXPECT_EQ(code, kExitValid) << err << out_;
  EXPECT_TRUE(fs::exists(dir_ / "store" / "latest" / "report.html"));
  EXPECT_EQ(Run(RunAnalyze, {(dir_ / "store" / "latest").string()}, &err), kExitValid) << err;
}

// Values that parse as numbers but are not what the user meant are refused,
// never silently wrapped, clamped or defaulted.
TEST_F(CliTest, NumbersThatAreNotWhatWasMeantAre254) {
  std::string err;
  const std::vector<std::pair<Args, std::string>> cases = {
      {{"--seed", "-1"}, "--seed: expected a whole number from 0 to 18446744073709551615"},
      {{"--seed", "18446744073709551616"}, "--seed: expected a whole number"},
      {{"--seed", ""}, "--seed: expected a whole number"},
      {{"--rate", "nan"}, "--rate: expected ops/s >= 0"},
      {{"--time-limit", "0x10"}, "--time-limit: expected seconds > 0 and at most 1e9, got \"0x10\""},
      {{"--time-limit", "1e10"}, "at most 1e9"},
      {{"--lock-hold", "x"}, "--lock-hold: expected a whole number from 1 to 9999999"},
      {{"--concurrency", "0"}, "--concurrency: expected N or Nn"},
  };
  for (const auto& [args, want] : cases) {
    Args full = {"--target", "memory", "--store", Store()};
    full.insert(full.end(), args.begin(), args.end());
    EXPECT_EQ(Run(RunTest, full, &err), kExitUsage) << args[1];
    EXPECT_NE(err.find(want), std::string::npos) << err;
    EXPECT_EQ(err.find("--concurrency: --concurrency"), std::string::npos) << err;
  }
  for (const Args& args : std::vector<Args>{{"--time-limit", "nan"},
                                            {"--time-limit", "1e300"},
                                            {"--memory-limit", "nan"},
                                            {"--threads", "100000"}}) {
    Args full = {"--model", "cas-register"};
    full.insert(full.end(), args.begin(), args.end());
    full.push_back("h.jsonl");
    EXPECT_EQ(Run(RunCheck, full, &err), kExitUsage) << args[0] << " " << args[1];
    EXPECT_NE(err.find(args[0] + ": expected"), std::string::npos) << err;
  }
  EXPECT_FALSE(fs::exists(Store())) << "bad input stores no run";
}

TEST_F(CliTest, EmptyListsAndRepeatedOptionsAre254) {
  std::string err;
  // An empty --nemesis or --nodes (an unset shell variable) is not "none" or
  // the default nodes.
  EXPECT_EQ(Run(RunTest, {"--target", "memory", "--nemesis", "", "--store", Store()}, &err),
            kExitUsage);
  EXPECT_NE(err.find("--nemesis: expected a comma-separated list"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--target", "memory", "--nodes", "", "--store", Store()}, &err),
            kExitUsage);
  EXPECT_NE(err.find("--nodes: expected comma-separated node names"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--target", "etcd", "--target-option", "lock_ttl_s=1",
                          "--target-option", "lock_ttl_s=2", "--store", Store()},
                &err),
            kExitUsage);
  EXPECT_NE(err.find("--target-option lock_ttl_s is given twice"), std::string::npos) << err;
  EXPECT_EQ(Run(RunTest, {"--target", "etcd", "--lock-ttl", "3", "--target-option",
                          "lock_ttl_s=5", "--store", Store()},
                &err),
            kExitUsage);
  EXPECT_NE(err.find("--lock-ttl and --target-option lock_ttl_s"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(Store()));
}

TEST_F(CliTest, UnknownArgumentsAreNamedInOrderWithASuggestion) {
  std::string err;
  EXPECT_EQ(Run(RunTest, {"--targt", "memory"}, &err), kExitUsage);
  EXPECT_NE(err.find("unexpected arguments '--targt' 'memory'; --targt is not an option (did "
                     "you mean --target?)"),
            std::string::npos)
      << err;
  // Reported before the "required" error the misspelling caused.
  EXPECT_EQ(Run(RunCheck, {"--modle", "cas-register", "h.jsonl"}, &err), kExitUsage);
  EXPECT_NE(err.find("did you mean --model?"), std::string::npos) << err;
  EXPECT_EQ(Run(RunAnalyze, {"a", "b"}, &err), kExitUsage);
  EXPECT_NE(err.find("unexpected argument 'b'"), std::string::npos) << err;
}

TEST_F(CliTest, NodesFilesThatAreNotFilesOrAreHugeAre254) {
  std::string err;
  fs::create_directories(dir_ / "adir");
  const std::string many = (dir_ / "many.json").string();
  {
    std::ofstream out(many);
    out << "{\"nodes\": [";
    for (int i = 0; i < 1001; ++i) {
      out << (i ? "," : "") << "{\"name\": \"n" << i << "\", \"host\": \"127.0.0.1\"}";
    }
    out << "]}";
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {(dir_ / "adir").string(), "adir: is a directory; expected a nodes file"},
      {"/dev/zero", "/dev/zero: larger than 64 MiB; expected a nodes file"},
      // Before: threads for every node, then abort().
      {many, "many.json: \"nodes\" has 1001 entries; expected at most 1000"},
  };
  for (const auto& [file, want] : cases) {
    EXPECT_EQ(Run(RunTest, {"--target", "etcd", "--nodes-file", file, "--store", Store()}, &err),
              kExitUsage)
        << file;
    EXPECT_NE(err.find(want), std::string::npos) << err;
  }
  EXPECT_FALSE(fs::exists(Store()));
}

TEST_F(CliTest, BadSuiteFilesAre254) {
  std::string err;
  fs::create_directories(dir_ / "adir");
  const std::string overflow = (dir_ / "overflow.json").string();
  std::ofstream(overflow) << R"({"name": "x", "tests": [{"target": "memory", "time_limit": 1e400}]})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {(dir_ / "adir").string(), "adir: is a directory; expected a JSON suite file"},
      {"/dev/zero", "/dev/zero: larger than 64 MiB"},
      // Before: an uncaught exception, exit 255.
      {overflow, "overflow.json: number overflow parsing '1e400'"},
  };
  for (const auto& [file, want] : cases) {
    EXPECT_EQ(Run(RunSuite, {"--dry-run", file}, &err), kExitUsage) << file;
    EXPECT_NE(err.find(want), std::string::npos) << err;
  }
}

// Where a suite's results go, and its nodes file, are checked before the
// first run, not after the last (the JUnit file used to fail at the end, exit
// 255; a nodes file that was a directory threw).
TEST_F(CliTest, SuiteOutputsAndNodesFileAreCheckedBeforeAnyRun) {
  std::string err;
  const std::string suite = (dir_ / "tiny.json").string();
  std::ofstream(suite) << R"({"name": "tiny", "tests": [{"target": "memory", "time_limit": 0.2}]})";
  fs::create_directories(dir_ / "adir");
  const std::vector<std::pair<Args, std::string>> cases = {
      {{"--junit", "/dev/null/x.xml", "--store", Store()}, "--junit /dev/null/x.xml: cannot write"},
      {{"--store", "/dev/null/store"}, "--store /dev/null/store: cannot create it"},
      {{"--nodes-file", (dir_ / "adir").string(), "--store", Store()},
       "--nodes-file: " + (dir_ / "adir").string() + ": is a directory"},
  };
  for (const auto& [args, want] : cases) {
    Args full = {suite};
    full.insert(full.end(), args.begin(), args.end());
    EXPECT_EQ(Run(RunSuite, full, &err), kExitUsage) << args[0];
    EXPECT_NE(err.find(want), std::string::npos) << err;
    EXPECT_EQ(err.find("[1/1]"), std::string::npos) << "no run started: " << err;
  }
  EXPECT_EQ(Run(RunTest, {"--target", "memory", "--name", "", "--store", Store()}, &err),
            kExitUsage);
  EXPECT_NE(err.find("--name: expected a test name"), std::string::npos) << err;
}

TEST_F(CliTest, DamagedStoredRunsAreSaidSo) {
  std::string err;
  ASSERT_EQ(Run(RunTest, {"--target", "memory", "--time-limit", "0.2", "--seed", "1", "--store",
                          Store()},
                &err),
            kExitValid)
      << err;
  const fs::path run = fs::canonical(dir_ / "store" / "latest");
  // Damaged results of a complete run: its recorded errors are lost, so it
  // cannot come out valid.
  std::ofstream(run / "results.json") << "{bad";
  EXPECT_EQ(Run(RunAnalyze, {run.string()}, &err), kExitUnknown) << err;
  EXPECT_NE(err.find("the stored results could not be read"), std::string::npos) << err;
  // A field of the wrong type is named.
  const std::string config = [&] {
    std::ifstream in(run / "test.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  Json test = Json::parse(config);
  test["rate"] = nullptr;
  std::ofstream(run / "test.json") << test.dump();
  EXPECT_EQ(Run(RunAnalyze, {run.string()}, &err), kExitUsage) << err;
  EXPECT_NE(err.find("field \"rate\" has the wrong type"), std::string::npos) << err;
  test = Json::parse(config);
  test["check_time_limit_s"] = 1e300;  // used to be cast to milliseconds unchecked
  std::ofstream(run / "test.json") << test.dump();
  EXPECT_EQ(Run(RunAnalyze, {run.string()}, &err), kExitUsage) << err;
  EXPECT_NE(err.find("check_time_limit_s: expected seconds from 0 to 1e9"), std::string::npos)
      << err;
  fs::remove(run / "test.json");
  fs::create_directories(run / "test.json");
  EXPECT_EQ(Run(RunAnalyze, {run.string()}, &err), kExitUsage) << err;
  EXPECT_NE(err.find("test.json: is a directory"), std::string::npos) << err;
  fs::remove(run / "test.json");
  std::ofstream(run / "test.json") << config;
  // A history that is a directory: bad input, not an internal error.
  fs::remove(run / "history.jsonl");
  fs::create_directories(run / "history.jsonl");
  EXPECT_EQ(Run(RunAnalyze, {run.string()}, &err), kExitUsage) << err;
  EXPECT_NE(err.find("history.jsonl: is a directory; expected a history file"),
            std::string::npos)
      << err;
}

TEST(ProgressPrinterTest, WholeLinesWhenNotATerminal) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  {
    ProgressPrinter p(out, /*terminal=*/false, /*line_interval_s=*/10);
    for (int s = 0; s <= 25; ++s) {
      Progress progress;
      progress.elapsed_s = s;
      progress.phase = "main";
      p.Update(progress);
    }
    p.Finish();
  }
  std::fclose(out);
  const std::string text(buf, size);
  std::free(buf);
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;  // at 0, 10 and 20 s
}

// The shipped suites name only targets, workloads and nemeses that exist, and
// each target offers its entries' workloads: a typo would otherwise surface
// only when the night reaches that run.
TEST_F(CliTest, ShippedSuitesPassTheDryRun) {
  for (const char* name : {"smoke.json", "nightly.json"}) {
    const std::string file = std::string(FAULTLINE_SOURCE_DIR) + "/suites/" + name;
    std::string err;
    EXPECT_EQ(Run(RunSuite, {"--dry-run", file}, &err), 0) << name << ": " << err;
  }
}

TEST(ProgressPrinterTest, OneRewrittenLineOnATerminal) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  {
    ProgressPrinter p(out, /*terminal=*/true);
    Progress progress;
    p.Update(progress);
    p.Update(progress);
    p.Finish();
  }
  std::fclose(out);
  const std::string text(buf, size);
  std::free(buf);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 2);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

}  // namespace
}  // namespace faultline::cli
