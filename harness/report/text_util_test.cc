#include "harness/report/text_util.h"

#include <gtest/gtest.h>

namespace faultline::report {
namespace {

TEST(TextUtil, HtmlEscapeCoversMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("µs ✓"), "µs ✓");
  EXPECT_EQ(HtmlEscape("a\xff"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(HtmlEscape("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong NUL";
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "surrogate";
  EXPECT_EQ(HtmlEscape("tab\tnl\n"), "tab\tnl\n");
}

TEST(TextUtil, EscapingReplacesForbiddenControls) {
  EXPECT_EQ(HtmlEscape("a\x1b[31m"), "a\xEF\xBF\xBD[31m");
  EXPECT_EQ(XmlEscape("a\x01"
                      "b\tc\n"),
            "a\xEF\xBF\xBD"
            "b\tc\n");
  EXPECT_EQ(XmlEscape(std::string("nul\0", 4)), "nul\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("<&>"), "&lt;&amp;&gt;");
}

TEST(TextUtil, HrefPathCannotEscapeTheAttributeOrNameAScheme) {
  EXPECT_EQ(HrefPath("nodes/n1/etcd.log"), "nodes/n1/etcd.log");
  EXPECT_EQ(HrefPath("javascript:alert(1)"), "javascript%3Aalert%281%29");
  EXPECT_EQ(HrefPath("a\"b <c>"), "a%22b%20%3Cc%3E");
  EXPECT_EQ(HrefPath("ü"), "%C3%BC");
}

TEST(TextUtil, Durations) {
  EXPECT_EQ(FormatDuration(850), "850 ns");
  EXPECT_EQ(FormatDuration(12300), "12.3 µs");
  EXPECT_EQ(FormatDuration(4560000), "4.56 ms");
  EXPECT_EQ(FormatDuration(1000000), "1 ms");
  EXPECT_EQ(FormatDuration(1230000000), "1.23 s");
  EXPECT_EQ(FormatDuration(125000000000), "2 min 5 s");
  EXPECT_EQ(FormatSeconds(12.5), "12.5");
  EXPECT_EQ(FormatSeconds(3), "3");
  EXPECT_EQ(FormatSeconds(0.0004), "0");
}

TEST(TextUtil, ShortJsonCutsAtCharacterBoundaries) {
  EXPECT_EQ(ShortJson(Json{{"a", 1}}), "{\"a\":1}");
  EXPECT_EQ(ShortJson(Json("x"), 10, true), "x");
  EXPECT_EQ(ShortJson(Json("x"), 10, false), "\"x\"");
  EXPECT_EQ(ShortJson(Json("aaaaaa"), 3, true), "aaa…");
  EXPECT_EQ(ShortJson(Json("ééé"), 3, true), "é…");
}

TEST(TextUtil, TolerantFields) {
  const Json j = {{"n", 5}, {"f", 2.5}, {"s", "x"}, {"v", true}};
  EXPECT_EQ(IntField(j, "n"), 5);
  EXPECT_EQ(IntField(j, "s", -1), -1);
  EXPECT_EQ(IntField(Json::array(), "n", 7), 7);
  EXPECT_EQ(IntField(j, "f"), 2);
  // Found by tests/fuzz/run_results_fuzz: casting 1.8e20 to int64 was
  // undefined behaviour (UBSan: outside the range of representable values).
  EXPECT_EQ(IntField(Json{{"n", 1.8446744073709552e20}}, "n", -1), -1);
  EXPECT_EQ(IntField(Json{{"n", -1e300}}, "n", -1), -1);
  EXPECT_EQ(IntField(Json{{"n", 18446744073709551615u}}, "n", -1), -1);
  EXPECT_EQ(NumberField(j, "f"), 2.5);
  EXPECT_EQ(StringField(j, "s"), "x");
  EXPECT_EQ(StringField(j, "n", "d"), "d");
  EXPECT_EQ(VerdictOf(j), "unknown");
  EXPECT_EQ(VerdictOf(Json{{"valid", true}}), "valid");
  EXPECT_EQ(VerdictOf(Json{{"valid", false}}), "invalid");
  EXPECT_EQ(VerdictOf(Json{{"valid", "unknown"}}), "unknown");
}

}  // namespace
}  // namespace faultline::report
