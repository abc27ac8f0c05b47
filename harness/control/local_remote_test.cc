#include "harness/control/local_remote.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace faultline {
namespace {

using std::chrono::milliseconds;

class LocalRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/faultline-local-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  LocalRemote local_{"here"};
};

bool ProcessGone(int pid) {
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    if (!stat.good() || text.find(") Z") != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

TEST_F(LocalRemoteTest, ReportsExitStatusOutputAndSignals) {
  auto r = local_.Run(Command::Shell("echo out; echo err >&2; exit 3"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->ok());

  r = local_.Run(Command::Shell("kill -KILL $$"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_status, 128 + SIGKILL);

  r = local_.Run(Command::Argv({"/no/such/program"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_status, 127);
  EXPECT_EQ(local_.node(), "here");
}

TEST_F(LocalRemoteTest, FeedsStdinLargerThanAPipe) {
  std::string input(2 * 1024 * 1024, 'x');
  for (size_t i = 0; i < input.size(); i += 4097) input[i] = '\n';
  Command cat = Command::Argv({"cat"});
  cat.stdin_data = input;
  auto r = local_.Run(cat);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->out == input);

  // Input nobody reads is not an error.
  Command ignore = Command::Argv({"true"});
  ignore.stdin_data = input;
  r = local_.Run(ignore);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_status, 0);

  // No stdin: the command sees end of file at once.
  r = local_.Run(Command::Argv({"cat"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "");
}

TEST_F(LocalRemoteTest, TimeoutKillsTheWholeProcessGroupPromptly) {
  std::string pidfile = dir_ + "/pid";
  Command c = Command::Shell("sleep 30 & echo $! > " + pidfile + "; wait");
  c.timeout = milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = local_.Run(c);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout);
  EXPECT_NE(r.status().message().find("300 ms"), std::string::npos) << r.status().message();
  EXPECT_LT(took, std::chrono::seconds(3));
  int pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(ProcessGone(pid)) << "background child " << pid << " survived";
}

TEST_F(LocalRemoteTest, ConcurrentRunsDoNotMixOutput) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Command c = Command::Argv({"cat"});
      c.stdin_data = std::string(100000, static_cast<char>('a' + i));
      auto r = local_.Run(c);
      if (r.ok() && r->out == c.stdin_data) ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 8);
}

TEST_F(LocalRemoteTest, UploadAndDownloadCopyWithMode) {
  std::string src = dir_ + "/src";
  std::ofstream(src) << "payload\n";
  std::string dst = dir_ + "/dst";
  ASSERT_TRUE(local_.Upload(src, dst, 0600).ok());
  struct stat st {};
  ASSERT_EQ(stat(dst.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::string back = dir_ + "/back";
  ASSERT_TRUE(local_.Download(dst, back).ok());
  std::ifstream in(back);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "payload");

  Status missing = local_.Download(dir_ + "/none", back);
  EXPECT_EQ(missing.code(), Status::Code::kIoError);
  EXPECT_NE(missing.message().find(dir_ + "/none"), std::string::npos) << missing.message();
  Status bad_dir = local_.Upload(src, dir_ + "/no/such/dir/file");
  EXPECT_EQ(bad_dir.code(), Status::Code::kIoError);
}

}  // namespace
}  // namespace faultline
