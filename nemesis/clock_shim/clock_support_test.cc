#include "nemesis/clock_shim/clock_support.h"

#include <gtest/gtest.h>

#include "harness/control/fake_remote.h"

namespace faultline::clock {
namespace {

TEST(ClockSupport, PathsFollowTheDataDir) {
  EXPECT_EQ(OffsetFile("/var/lib/faultline/node"), "/var/lib/faultline/node/faultline-clock/offset");
  EXPECT_FALSE(LocalShimPath().empty());
  EXPECT_FALSE(LocalControlPath().empty());
}

TEST(ClockSupport, PrepareUsesTheControllersFilesWhenTheNodeSeesThem) {
  FakeRemote remote("n1");
  auto env = PrepareClockShim(remote, "/d", false);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->size(), 2u);
  EXPECT_EQ((*env)[0], std::make_pair(std::string("LD_PRELOAD"), LocalShimPath()));
  EXPECT_EQ((*env)[1], std::make_pair(std::string("FAULTLINE_CLOCK_FILE"), std::string("/d/faultline-clock/offset")));
  // The offset file is made only when missing, so a restart keeps the skew.
  EXPECT_EQ(remote.CountContaining("test -e"), 1);
  EXPECT_FALSE(remote.File("/d/faultline-clock/faultline-clock").has_value());
}

TEST(ClockSupport, PrepareUploadsToANodeWithItsOwnFilesystem) {
  FakeRemote remote("n1");
  remote.OnSubstring("test -r", CommandResult{1, "", ""});
  auto env = PrepareClockShim(remote, "/d", false);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ((*env)[0].second, "/d/faultline-clock/libfaultline_clock_shim.so");
  EXPECT_TRUE(remote.File("/d/faultline-clock/faultline-clock").has_value());
  EXPECT_EQ(remote.FileMode("/d/faultline-clock/faultline-clock"), 0755);
}

TEST(ClockSupport, PrepareReportsAFailedCreate) {
  FakeRemote remote("n1");
  remote.OnSubstring("test -e", CommandResult{1, "", "read-only file system\n"});
  auto env = PrepareClockShim(remote, "/d", false);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("read-only file system"), std::string::npos);
  EXPECT_NE(env.status().message().find("n1"), std::string::npos);
}

TEST(ClockSupport, GetParsesAndReportsMissingFiles) {
  FakeRemote remote("n1");
  ShimPaths paths{"/s.so", "/bin/fc"};
  remote.OnSubstring("get", CommandResult{0, "-120000000000\n", ""});
  auto v = GetOffset(remote, paths, "/f", false);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, -120000000000);
  FakeRemote missing("n2");
  missing.OnSubstring("get", CommandResult{3, "", ""});
  EXPECT_EQ(GetOffset(missing, paths, "/f", false).status().code(), Status::Code::kNotFound);
  FakeRemote garbage("n3");
  garbage.OnSubstring("get", CommandResult{0, "12x\n", ""});
  EXPECT_FALSE(GetOffset(garbage, paths, "/f", false).ok());
}

TEST(ClockSupport, SetRunsTheControlProgram) {
  FakeRemote remote("n1");
  ShimPaths paths{"/s.so", "/bin/fc"};
  ASSERT_TRUE(SetOffset(remote, paths, "/f", -5, false).ok());
  EXPECT_EQ(remote.CountContaining("/bin/fc set /f -5"), 1);
  remote.OnSubstring("set", CommandResult{1, "", "disk full\n"});
  Status st = SetOffset(remote, paths, "/f", 1, false);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("disk full"), std::string::npos);
}

}  // namespace
}  // namespace faultline::clock
