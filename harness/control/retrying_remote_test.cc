#include "harness/control/retrying_remote.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "harness/control/fake_remote.h"

namespace faultline {
namespace {

using std::chrono::milliseconds;

class RetryingRemoteTest : public ::testing::Test {
 protected:
  std::unique_ptr<RetryingRemote> Make(RetryPolicy policy) {
    return std::make_unique<RetryingRemote>(
        fake_, policy, [this](milliseconds d) { sleeps_.push_back(d.count()); });
  }

  std::shared_ptr<FakeRemote> fake_ = std::make_shared<FakeRemote>("n1");
  std::vector<int64_t> sleeps_;
};

TEST_F(RetryingRemoteTest, IdempotentCommandIsResentAfterTransportFailure) {
  auto remote = Make({.max_attempts = 4, .initial_backoff = milliseconds(100)});
  fake_->FailNext(2, Status::IoError("connection reset"));
  Command c = Command::Argv({"iptables", "-F", "FAULTLINE"});
  c.idempotent = true;
  auto r = remote->Run(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(fake_->commands().size(), 3u);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{100, 200}));
}

TEST_F(RetryingRemoteTest, CommandThatMayHaveRunIsNotResent) {
  auto remote = Make({});
  fake_->FailNext(1, Status::IoError("broke while running; it may or may not have run"));
  auto r = remote->Run(Command::Argv({"increment-counter"}));
  EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  EXPECT_EQ(fake_->commands().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RetryingRemoteTest, UnreachableIsRetriedOnlyWhenThePolicySaysSo) {
  fake_->FailNext(5, Status::Unreachable("refused"));
  auto prompt = Make({});
  EXPECT_EQ(prompt->Run(Command::Argv({"true"})).status().code(), Status::Code::kUnreachable);
  EXPECT_EQ(fake_->commands().size(), 1u);

  auto patient = Make({.max_attempts = 3,
                       .initial_backoff = milliseconds(50),
                       .max_backoff = milliseconds(60),
                       .retry_unreachable = true});
  auto r = patient->Run(Command::Argv({"true"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnreachable);
  EXPECT_NE(r.status().message().find("gave up after 3 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(fake_->commands().size(), 4u);
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{50, 60}));
}

TEST_F(RetryingRemoteTest, NonZeroExitTimeoutsAndAuthErrorsAreNeverRetried) {
  auto remote = Make({.max_attempts = 5, .retry_unreachable = true});
  Command c = Command::Argv({"false"});
  c.idempotent = true;
  fake_->OnExact("false", CommandResult{1, "", "no"});
  auto r = remote->Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_status, 1);
  fake_->FailNext(1, Status::Timeout("slow"));
  EXPECT_EQ(remote->Run(c).status().code(), Status::Code::kTimeout);
  fake_->FailNext(1, Status::AuthFailed("key"));
  EXPECT_EQ(remote->Run(c).status().code(), Status::Code::kAuthFailed);
  fake_->FailNext(1, Status::HostKeyMismatch("changed"));
  EXPECT_EQ(remote->Run(c).status().code(), Status::Code::kHostKeyMismatch);
  EXPECT_EQ(fake_->commands().size(), 4u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RetryingRemoteTest, TransfersAreRetriedOnTransportFailure) {
  auto remote = Make({.max_attempts = 3});
  fake_->SetFile("/var/log/etcd.log", "x");
  fake_->FailNext(2, Status::IoError("sftp broke"));
  char path[] = "/tmp/faultline-retry-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_TRUE(remote->Download("/var/log/etcd.log", path).ok());
  EXPECT_EQ(sleeps_.size(), 2u);
  std::remove(path);
}

}  // namespace
}  // namespace faultline
