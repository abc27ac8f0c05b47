#include "nemesis/composite_nemesis.h"

#include <gtest/gtest.h>

#include <mutex>

namespace faultline {
namespace {

// Records what it was asked; Heal answers `heal_status`.
class RecordingNemesis final : public Nemesis {
 public:
  RecordingNemesis(std::string name, std::vector<std::string> fs, std::vector<std::string>* log)
      : name_(std::move(name)), fs_(std::move(fs)), log_(log) {}

  std::string name() const override { return name_; }
  std::vector<std::string> fs() const override { return fs_; }
  Status Setup(const NemesisContext&) override {
    log_->push_back(name_ + " setup");
    return setup_status;
  }
  Op Invoke(const NemesisContext&, const Op& op) override {
    log_->push_back(name_ + " " + op.f);
    return CompleteNemesisOp(op, OpType::kOk, name_);
  }
  Status Heal(const NemesisContext&) override {
    log_->push_back(name_ + " heal");
    return heal_status;
  }
  Status Teardown(const NemesisContext&) override {
    log_->push_back(name_ + " teardown");
    return Status::Ok();
  }

  Status setup_status;
  Status heal_status;

 private:
  std::string name_;
  std::vector<std::string> fs_;
  std::vector<std::string>* log_;
};

Op NemesisOp(const std::string& f) {
  Op op;
  op.process = kNemesisProcess;
  op.f = f;
  return op;
}

class CompositeNemesisTest : public ::testing::Test {
 protected:
  std::unique_ptr<Nemesis> Make(Status a_heal = Status::Ok(), Status b_heal = Status::Ok(),
                                Status a_setup = Status::Ok()) {
    auto a = std::make_unique<RecordingNemesis>("a", std::vector<std::string>{"start-a", "stop-a"},
                                                &log_);
    auto b = std::make_unique<RecordingNemesis>("b", std::vector<std::string>{"start-b"}, &log_);
    a->heal_status = a_heal;
    a->setup_status = a_setup;
    b->heal_status = b_heal;
    std::vector<std::unique_ptr<Nemesis>> children;
    children.push_back(std::move(a));
    children.push_back(std::move(b));
    auto composite = MakeCompositeNemesis(std::move(children));
    EXPECT_TRUE(composite.ok()) << composite.status().ToString();
    return std::move(*composite);
  }

  NemesisContext ctx_;
  std::vector<std::string> log_;
};

TEST_F(CompositeNemesisTest, RoutesEachOpByItsF) {
  auto nemesis = Make();
  EXPECT_EQ(nemesis->name(), "a+b");
  EXPECT_EQ(nemesis->fs(), (std::vector<std::string>{"start-a", "stop-a", "start-b"}));
  EXPECT_EQ(nemesis->Invoke(ctx_, NemesisOp("start-b")).value, "b");
  EXPECT_EQ(nemesis->Invoke(ctx_, NemesisOp("stop-a")).value, "a");
  EXPECT_EQ(log_, (std::vector<std::string>{"b start-b", "a stop-a"}));
  Op unknown = nemesis->Invoke(ctx_, NemesisOp("bump-clock"));
  EXPECT_EQ(unknown.type, OpType::kFail);
  EXPECT_EQ(unknown.error,
            "unsupported: no nemesis handles \"bump-clock\" (enabled: start-a, stop-a, start-b)");
  EXPECT_EQ(log_.size(), 2u);
}

TEST_F(CompositeNemesisTest, HealVisitsEveryChildAndReportsEveryFailure) {
  auto nemesis = Make(Status::IoError("n1 unreachable"), Status::Timeout("n3 slow"));
  Status healed = nemesis->Heal(ctx_);
  EXPECT_EQ(log_, (std::vector<std::string>{"a heal", "b heal"}));
  EXPECT_EQ(healed.code(), Status::Code::kIoError);
  EXPECT_NE(healed.message().find("a: I/O error: n1 unreachable"), std::string::npos);
  EXPECT_NE(healed.message().find("b: timeout: n3 slow"), std::string::npos);
  EXPECT_TRUE(Make()->Heal(ctx_).ok());
}

TEST_F(CompositeNemesisTest, SetupStopsAtTheFirstFailureTeardownVisitsAll) {
  auto nemesis = Make(Status::Ok(), Status::Ok(), Status::IoError("no iptables"));
  Status st = nemesis->Setup(ctx_);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_EQ(st.message(), "nemesis a setup: no iptables");
  EXPECT_EQ(log_, std::vector<std::string>{"a setup"});
  EXPECT_TRUE(nemesis->Teardown(ctx_).ok());
  EXPECT_EQ(log_, (std::vector<std::string>{"a setup", "a teardown", "b teardown"}));
}

TEST_F(CompositeNemesisTest, RejectsOverlappingFsAndNullChildren) {
  std::vector<std::unique_ptr<Nemesis>> children;
  children.push_back(std::make_unique<RecordingNemesis>("a", std::vector<std::string>{"x"}, &log_));
  children.push_back(std::make_unique<RecordingNemesis>("b", std::vector<std::string>{"x"}, &log_));
  auto composite = MakeCompositeNemesis(std::move(children));
  EXPECT_EQ(composite.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(composite.status().message(), "composite nemesis: nemeses a and b both handle \"x\"");
  std::vector<std::unique_ptr<Nemesis>> with_null;
  with_null.push_back(nullptr);
  EXPECT_FALSE(MakeCompositeNemesis(std::move(with_null)).ok());
}

TEST_F(CompositeNemesisTest, EmptyCompositeDoesNothing) {
  auto composite = MakeCompositeNemesis({});
  ASSERT_TRUE(composite.ok());
  EXPECT_EQ((*composite)->name(), "none");
  EXPECT_TRUE((*composite)->fs().empty());
  EXPECT_TRUE((*composite)->Heal(ctx_).ok());
  EXPECT_EQ((*composite)->Invoke(ctx_, NemesisOp("kill")).type, OpType::kFail);
}

}  // namespace
}  // namespace faultline
