// ShellQuote / RenderCommand / ValidateCommand. Quoting is checked by what a
// real shell makes of the rendered string: LocalRemote runs it under sh -c
// and printf prints each argument the child received, NUL-terminated.
#include "harness/control/remote.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/control/local_remote.h"

namespace faultline {
namespace {

std::vector<std::string> SplitNul(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

const std::vector<std::string>& HostileArgs() {
  static const std::vector<std::string> args = {
      "",
      " ",
      "two words",
      "it's",
      "'",
      "''",
      "\"double\"",
      "$(touch /tmp/faultline-quote-pwned)",
      "`touch /tmp/faultline-quote-pwned`",
      "$HOME",
      "${PATH}",
      "line1\nline2",
      "\n",
      "tab\there",
      "back\\slash",
      "trailing\\",
      "glob*?[a]",
      "~",
      "~root",
      "a=b",
      "-n",
      "--",
      ";rm -rf /nonexistent",
      "a|b&c>d<e",
      "!bang",
      "#hash",
      "{a,b}",
      "/path with spaces/file",
      "ünïcødé ✓",
      std::string("\x01\x7f", 2),
  };
  return args;
}

TEST(ShellQuoteTest, LeavesPlainWordsBare) {
  EXPECT_EQ(ShellQuote("abc"), "abc");
  EXPECT_EQ(ShellQuote("/usr/bin/etcd"), "/usr/bin/etcd");
  EXPECT_EQ(ShellQuote("--listen-client-urls=http://10.0.0.1:2379"),
            "'--listen-client-urls=http://10.0.0.1:2379'");
  EXPECT_EQ(ShellQuote("a,b:c@d%e+f-g_h.i"), "a,b:c@d%e+f-g_h.i");
}

TEST(ShellQuoteTest, QuotesEverythingElse) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("$(x)"), "'$(x)'");
  EXPECT_EQ(ShellQuote("a=b"), "'a=b'");
  EXPECT_EQ(ShellQuote("~"), "'~'");
  EXPECT_EQ(ShellQuote("a\nb"), "'a\nb'");
}

TEST(ShellQuoteTest, EveryHostileArgumentReachesTheChildIntact) {
  std::remove("/tmp/faultline-quote-pwned");
  std::vector<std::string> argv = {"printf", "%s\\0"};
  for (const auto& arg : HostileArgs()) argv.push_back(arg);
  LocalRemote local;
  auto r = local.Run(Command::Argv(argv));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->exit_status, 0) << r->err;
  EXPECT_EQ(SplitNul(r->out), HostileArgs());
  EXPECT_NE(access("/tmp/faultline-quote-pwned", F_OK), 0) << "a substitution ran";
}

TEST(ShellQuoteTest, ArgumentsAsTheFirstWordAreNotAssignmentsOrKeywords) {
  LocalRemote local;
  auto r = local.Run(Command::Argv({"A=b", "x"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_status, 127);  // "A=b: not found", not an assignment
}

TEST(RenderCommandTest, EnvValuesAreQuotedAndReachTheCommand) {
  Command c = Command::Argv({"sh", "-c", "printf '%s\\0' \"$X\" \"$Y\""});
  c.env = {{"X", "it's $(nope) `no`"}, {"Y", "line1\nline2"}};
  EXPECT_EQ(RenderCommand(c, true),
            "env 'X=it'\\''s $(nope) `no`' 'Y=line1\nline2' sh -c "
            "'printf '\\''%s\\0'\\'' \"$X\" \"$Y\"'");
  LocalRemote local;
  auto r = local.Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(SplitNul(r->out), (std::vector<std::string>{"it's $(nope) `no`", "line1\nline2"}));
}

TEST(RenderCommandTest, ShellScriptsRunUnderSh) {
  Command c = Command::Shell("echo \"it's\"; echo $((1+2))");
  EXPECT_EQ(RenderCommand(c, true), "sh -c 'echo \"it'\\''s\"; echo $((1+2))'");
  LocalRemote local;
  auto r = local.Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "it's\n3\n");
}

TEST(RenderCommandTest, SudoUnlessRoot) {
  Command c = Command::Argv({"iptables", "-F", "FAULTLINE"});
  c.sudo = true;
  EXPECT_EQ(RenderCommand(c, false), "sudo -n -- iptables -F FAULTLINE");
  EXPECT_EQ(RenderCommand(c, true), "iptables -F FAULTLINE");
  c.env = {{"K", "v"}};
  EXPECT_EQ(RenderCommand(c, false), "sudo -n -- env 'K=v' iptables -F FAULTLINE");
  Command s = Command::Shell("id -u");
  s.sudo = true;
  EXPECT_EQ(RenderCommand(s, false), "sudo -n -- sh -c 'id -u'");
}

TEST(ValidateCommandTest, RejectsWhatCannotBeRun) {
  EXPECT_TRUE(ValidateCommand(Command::Argv({"true"})).ok());
  EXPECT_EQ(ValidateCommand(Command{}).code(), Status::Code::kInvalidArgument);

  Status nul = ValidateCommand(Command::Argv({"echo", std::string("a\0b", 3)}));
  EXPECT_EQ(nul.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(nul.message().find("argv[1]"), std::string::npos) << nul.message();

  Command bad_env = Command::Argv({"true"});
  bad_env.env = {{"1X", "v"}};
  Status env = ValidateCommand(bad_env);
  EXPECT_EQ(env.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(env.message().find("1X"), std::string::npos) << env.message();

  Command no_time = Command::Argv({"true"});
  no_time.timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(ValidateCommand(no_time).code(), Status::Code::kInvalidArgument);

  LocalRemote local;
  EXPECT_EQ(local.Run(bad_env).status().code(), Status::Code::kInvalidArgument);
}

TEST(StatusWithCodeTest, KeepsTheCode) {
  for (auto code : {Status::Code::kUnreachable, Status::Code::kTimeout,
                    Status::Code::kHostKeyMismatch, Status::Code::kInternal}) {
    Status s = StatusWithCode(code, "m");
    EXPECT_EQ(s.code(), code);
    EXPECT_EQ(s.message(), "m");
  }
  EXPECT_TRUE(StatusWithCode(Status::Code::kOk, "ignored").ok());
}

}  // namespace
}  // namespace faultline
