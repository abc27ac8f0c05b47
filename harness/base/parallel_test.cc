#include "harness/base/parallel.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace faultline {
namespace {

TEST(ParallelMapTest, RunsAllAtOnceAndKeepsOrder) {
  constexpr size_t kCount = 6;
  std::mutex mu;
  std::condition_variable cv;
  size_t arrived = 0;
  // Each call returns only once every call has started: finishes only if the
  // calls overlap.
  std::vector<int> out = ParallelMap(kCount, [&](size_t i) {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    const bool all = cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == kCount; });
    return all ? static_cast<int>(i) * 10 : -1;
  });
  ASSERT_EQ(out.size(), kCount);
  for (size_t i = 0; i < kCount; ++i) EXPECT_EQ(out[i], static_cast<int>(i) * 10);
}

TEST(ParallelMapTest, ZeroItems) {
  EXPECT_TRUE(ParallelMap(0, [](size_t) { return 1; }).empty());
}

TEST(MergeErrorsTest, OkWhenAllOk) {
  EXPECT_TRUE(MergeErrors("setup", {{"n1", Status::Ok()}, {"n2", Status::Ok()}}).ok());
}

TEST(MergeErrorsTest, NamesEveryFailureAndKeepsTheFirstCode) {
  Status s = MergeErrors("setup", {{"n1", Status::Ok()},
                                   {"n2", Status::Timeout("slow")},
                                   {"n3", Status::IoError("disk")}});
  EXPECT_EQ(s.code(), Status::Code::kTimeout);
  EXPECT_EQ(s.message(), "setup failed on n2: timeout: slow; n3: I/O error: disk");
}

TEST(OnEachTest, LabelsResults) {
  Status s = OnEach("heal", {"a", "b"}, [](size_t i) {
    return i == 1 ? Status::Unreachable("down") : Status::Ok();
  });
  EXPECT_EQ(s.code(), Status::Code::kUnreachable);
  EXPECT_EQ(s.message(), "heal failed on b: unreachable: down");
}

TEST(StatusWithCodeTest, KeepsTheCode) {
  EXPECT_EQ(StatusWithCode(Status::Code::kNotFound, "m").code(), Status::Code::kNotFound);
  EXPECT_TRUE(StatusWithCode(Status::Code::kOk, "ignored").ok());
}

}  // namespace
}  // namespace faultline
