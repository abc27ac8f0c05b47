#include "targets/option_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline {
namespace {

using ::testing::HasSubstr;

TEST(OptionReaderTest, ReadsTypedOptionsAndRejectsLeftovers) {
  const Json options = {{"port", 7000}, {"dir", "d"}, {"on", true}, {"args", {"a", "b"}}};
  OptionReader r("t", options);
  EXPECT_EQ(r.Int("port", 1, 1, 65535), 7000);
  EXPECT_EQ(r.Int("absent", 42, 1, 65535), 42);
  EXPECT_EQ(r.String("dir", "x"), "d");
  EXPECT_TRUE(r.Bool("on", false));
  EXPECT_EQ(r.Strings("args"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.Finish().ok());

  const Json typo = {{"prot", 7000}};
  OptionReader t("t", typo);
  (void)t.Int("port", 1, 1, 65535);
  EXPECT_THAT(t.Finish().message(), HasSubstr("target t: unknown option 'prot'"));
}

// Found by tests/fuzz/target_options_fuzz: an unsigned number above
// INT64_MAX wrapped through get<int64_t>(), so 18446744073709551615 was read
// as -1 and accepted by a range that allows -1.
TEST(OptionReaderTest, HugeUnsignedIsOutOfRangeNotWrapped) {
  const Json options = {{"offset", 18446744073709551615u}};
  OptionReader r("t", options);
  EXPECT_EQ(r.Int("offset", 0, -1000, 1000), 0);
  const Status st = r.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "target t: option offset: expected an integer from -1000 to 1000, got "
            "18446744073709551615");
}

}  // namespace
}  // namespace faultline
