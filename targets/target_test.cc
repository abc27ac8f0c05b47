#include "targets/target.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "harness/control/fake_remote.h"

namespace faultline {
namespace {

// Setup succeeds only once every node has entered Setup, which a serial
// SetupAll could never achieve; fails on the nodes named in `failing`.
class RendezvousTarget final : public Target {
 public:
  RendezvousTarget(size_t nodes, std::set<std::string> failing)
      : nodes_(nodes), failing_(std::move(failing)) {}

  std::string name() const override { return "rendezvous"; }

  Status Setup(const NodeContext& ctx) override {
    std::unique_lock lock(mu_);
    ++entered_;
    all_entered_.notify_all();
    if (!all_entered_.wait_for(lock, std::chrono::seconds(5), [&] { return entered_ == nodes_; })) {
      return Status::Timeout("peers never arrived");
    }
    seen_.insert(ctx.node.name + "@" + ctx.remote.node() + ":" + ctx.data_dir());
    if (failing_.count(ctx.node.name)) return Status::IoError("disk full");
    return Status::Ok();
  }

  Status Teardown(const NodeContext& ctx) override {
    std::lock_guard lock(mu_);
    torn_down_.insert(ctx.node.name);
    if (failing_.count(ctx.node.name)) return Status::Unreachable("gone");
    return Status::Ok();
  }

  std::set<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::set<std::string> torn_down() {
    std::lock_guard lock(mu_);
    return torn_down_;
  }

 private:
  const size_t nodes_;
  const std::set<std::string> failing_;
  std::mutex mu_;
  std::condition_variable all_entered_;
  size_t entered_ = 0;
  std::set<std::string> seen_;
  std::set<std::string> torn_down_;
};

class TargetTest : public ::testing::Test {
 protected:
  std::vector<std::shared_ptr<Remote>> remotes_ = {std::make_shared<FakeRemote>("r1"),
                                                   std::make_shared<FakeRemote>("r2"),
                                                   std::make_shared<FakeRemote>("r3")};
  ClusterInfo cluster_{{{"n1", "h1", ""}, {"n2", "h2", "/own"}, {"n3", "h3", ""}}, "/data", false};
};

TEST_F(TargetTest, SetupAllRunsEveryNodeConcurrentlyWithItsOwnRemote) {
  RendezvousTarget target(3, {});
  Status st = SetupAll(target, remotes_, cluster_);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(target.seen(), (std::set<std::string>{"n1@r1:/data", "n2@r2:/own", "n3@r3:/data"}));
}

TEST_F(TargetTest, SetupAllNamesEveryFailingNode) {
  RendezvousTarget target(3, {"n1", "n3"});
  Status st = SetupAll(target, remotes_, cluster_);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(),
            "rendezvous setup failed on n1: I/O error: disk full; "
            "n3: I/O error: disk full");
}

TEST_F(TargetTest, TeardownAllTearsDownEveryNodeEvenWhenSomeFail) {
  RendezvousTarget target(3, {"n2"});
  Status st = TeardownAll(target, remotes_, cluster_);
  EXPECT_EQ(st.code(), Status::Code::kUnreachable);
  EXPECT_NE(st.message().find("n2: unreachable: gone"), std::string::npos) << st.message();
  EXPECT_EQ(target.torn_down(), (std::set<std::string>{"n1", "n2", "n3"}));
}

TEST_F(TargetTest, OneRemotePerNodeIsRequired) {
  RendezvousTarget target(3, {});
  remotes_.pop_back();
  Status st = SetupAll(target, remotes_, cluster_);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("2 remotes for 3 nodes"), std::string::npos) << st.message();
}

TEST(TargetCapabilitiesTest, DefaultToUnsupported) {
  RendezvousTarget target(1, {});
  EXPECT_EQ(target.killable(), nullptr);
  EXPECT_EQ(target.pausable(), nullptr);
  EXPECT_EQ(target.log_files(), nullptr);
  EXPECT_EQ(target.primaries(), nullptr);
  EXPECT_EQ(target.register_clients(), nullptr);
}

}  // namespace
}  // namespace faultline
