#include "harness/control/fake_remote.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace faultline {
namespace {

CommandResult Exit(int status, std::string out = "") { return CommandResult{status, out, ""}; }

TEST(FakeRemoteTest, AnswersFromTheNewestMatchingRule) {
  FakeRemote fake("n1");
  fake.OnRegex(".*", Exit(1, "catch-all"));
  fake.OnSubstring("cat /etc/hostname", Exit(0, "n1\n"));
  fake.OnExact("true", Exit(0, "exact"));

  auto r = fake.Run(Command::Argv({"cat", "/etc/hostname"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "n1\n");
  EXPECT_EQ(fake.Run(Command::Argv({"true"}))->out, "exact");
  EXPECT_EQ(fake.Run(Command::Argv({"ls"}))->out, "catch-all");
  EXPECT_EQ(fake.node(), "n1");
}

TEST(FakeRemoteTest, RulesCanRetireAndUnmatchedCommandsUseTheDefault) {
  FakeRemote fake;
  fake.OnExact("probe", Exit(1), /*times=*/2);
  EXPECT_EQ(fake.Run(Command::Argv({"probe"}))->exit_status, 1);
  EXPECT_EQ(fake.Run(Command::Argv({"probe"}))->exit_status, 1);
  EXPECT_EQ(fake.Run(Command::Argv({"probe"}))->exit_status, 0);
  fake.SetDefault(Status::Unreachable("down"));
  EXPECT_EQ(fake.Run(Command::Argv({"probe"})).status().code(), Status::Code::kUnreachable);
}

TEST(FakeRemoteTest, ResponderSeesTheCommandAndMayCallBack) {
  FakeRemote fake;
  fake.OnMatch([](const std::string& r) { return r.rfind("tee ", 0) == 0; },
               [&fake](const Command& c, const std::string&) -> Result<CommandResult> {
                 fake.SetFile(c.argv.at(1), c.stdin_data);
                 return Exit(0);
               });
  Command tee = Command::Argv({"tee", "/etc/x"});
  tee.stdin_data = "content";
  ASSERT_TRUE(fake.Run(tee).ok());
  EXPECT_EQ(fake.File("/etc/x"), "content");
}

TEST(FakeRemoteTest, InjectedFailuresComeFirstAndRunOut) {
  FakeRemote fake;
  fake.FailNext(2, Status::IoError("connection reset"));
  EXPECT_EQ(fake.Run(Command::Argv({"a"})).status().code(), Status::Code::kIoError);
  EXPECT_EQ(fake.Upload("/nonexistent", "/x").code(), Status::Code::kIoError);
  EXPECT_TRUE(fake.Run(Command::Argv({"a"})).ok());
  fake.OnSubstring("iptables", Status::Timeout("slow"));
  EXPECT_EQ(fake.Run(Command::Argv({"iptables", "-L"})).status().code(), Status::Code::kTimeout);
}

TEST(FakeRemoteTest, RecordsRenderedCommandsWithSudoWhenNotRoot) {
  FakeRemote fake("n2", /*user_is_root=*/false);
  Command c = Command::Argv({"id", "-u"});
  c.sudo = true;
  ASSERT_TRUE(fake.Run(c).ok());
  ASSERT_TRUE(fake.Run(Command::Shell("echo 'x'")).ok());
  EXPECT_EQ(fake.rendered(),
            (std::vector<std::string>{"sudo -n -- id -u", "sh -c 'echo '\\''x'\\'''"}));
  EXPECT_EQ(fake.commands().at(0).command.argv, c.argv);
  EXPECT_EQ(fake.CountContaining("sudo"), 1);
  fake.ClearRecorded();
  EXPECT_TRUE(fake.rendered().empty());
  EXPECT_EQ(fake.Run(Command{}).status().code(), Status::Code::kInvalidArgument);
}

TEST(FakeRemoteTest, UploadAndDownloadUseMemory) {
  char dir[] = "/tmp/faultline-fake-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string local = std::string(dir) + "/f";
  std::ofstream(local) << "bytes";
  FakeRemote fake;
  ASSERT_TRUE(fake.Upload(local, "/remote/f", 0600).ok());
  EXPECT_EQ(fake.File("/remote/f"), "bytes");
  EXPECT_EQ(fake.FileMode("/remote/f"), 0600);
  fake.SetFile("/var/log/x.log", "log line\n");
  ASSERT_TRUE(fake.Download("/var/log/x.log", local).ok());
  std::ifstream in(local);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "log line\n");
  EXPECT_EQ(fake.Download("/missing", local).code(), Status::Code::kIoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace faultline
