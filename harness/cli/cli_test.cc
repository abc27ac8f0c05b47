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
