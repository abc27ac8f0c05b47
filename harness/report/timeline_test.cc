#include "harness/report/timeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faultline::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

Json Op(int64_t index, int64_t process, const std::string& f, Json value, const std::string& type,
        Json result, int64_t time, int64_t completion_time) {
  Json op = {{"index", index}, {"process", process}, {"f", f}, {"value", value}, {"type", type}};
  if (!result.is_null()) op["result"] = result;
  if (time >= 0) op["time"] = time;
  if (completion_time >= 0) {
    op["completion_time"] = completion_time;
    op["completion_index"] = index + 1;
  }
  return op;
}

// A stale read: write 1, write 2 complete, then a read returns 1.
Json StaleRead() {
  Json ex;
  ex["prefix_length"] = 2;
  ex["state"] = "2";
  ex["prefix_tail"] = Json::array({Op(0, 0, "write", 1, "ok", 1, 1'000'000, 2'000'000),
                                   Op(2, 1, "write", 2, "ok", 2, 3'000'000, 4'000'000)});
  ex["prefix_tail"][0]["state_after"] = "1";
  ex["prefix_tail"][1]["state_after"] = "2";
  ex["op"] = Op(4, 0, "read", nullptr, "ok", 1, 5'000'000, 6'000'000);
  Json c = Op(6, 2, "cas", Json::array({2, 3}), "info", nullptr, 5'500'000, 9'000'000);
  c["possible_now"] = true;
  ex["concurrent"] = Json::array({c});
  return ex;
}

TEST(TimelineTest, NothingToDrawWithoutTheBlockedOp) {
  EXPECT_EQ(FailingWindowSvg(Json::object()), "");
  EXPECT_EQ(FailingWindowSvg(Json::array()), "");
  EXPECT_EQ(FailingWindowSvg(Json{{"op", "not an object"}}), "");
  EXPECT_EQ(FailingWindowHtml(Json()), "");
}

TEST(TimelineTest, OneLanePerProcessAndOneBarPerOp) {
  const std::string svg = FailingWindowSvg(StaleRead());
  ASSERT_THAT(svg, HasSubstr("<svg class=\"chart window\""));
  EXPECT_EQ(Count(svg, "<g class=\"op prefix\">"), 2u);
  EXPECT_EQ(Count(svg, "<g class=\"op blocked\">"), 1u);
  EXPECT_EQ(Count(svg, "<g class=\"op concurrent\">"), 1u);
  EXPECT_EQ(Count(svg, "<text class=\"lane\""), 3u);  // processes 0, 1, 2
  EXPECT_THAT(svg, HasSubstr(">process 0<"));
  EXPECT_THAT(svg, HasSubstr(">process 2<"));
  EXPECT_THAT(svg, HasSubstr("longest linearizable prefix: 2 ops"));
  // Time axis: seconds since the test started.
  EXPECT_THAT(svg, HasSubstr("time since the test started"));
  EXPECT_THAT(svg, HasSubstr("0.001 s"));
}

TEST(TimelineTest, HoverDetailsNameTheOpItsRoleAndState) {
  const std::string svg = FailingWindowSvg(StaleRead());
  EXPECT_THAT(svg, HasSubstr("op 2 of the longest linearizable prefix"));
  EXPECT_THAT(svg, HasSubstr("state after: 2"));
  EXPECT_THAT(svg, HasSubstr("cannot be linearized after the prefix"));
  EXPECT_THAT(svg, HasSubstr("could take effect after the prefix"));
  EXPECT_THAT(svg, HasSubstr("outcome unknown: it may take effect at any later time"));
  EXPECT_THAT(svg, HasSubstr("invoked at 0.005 s, completed at 0.006 s (1 ms)"));
}

TEST(TimelineTest, WithoutTimesTheAxisIsTheHistoryPosition) {
  Json ex = StaleRead();
  ex["op"].erase("time");
  const std::string svg = FailingWindowSvg(ex);
  EXPECT_THAT(svg, HasSubstr("position in the history"));
  EXPECT_THAT(svg, Not(HasSubstr("time since the test started")));
  EXPECT_EQ(Count(svg, "<g class=\"op "), 4u);
}

TEST(TimelineTest, AnEarlyPendingOpIsClippedNotStretchingTheWindow) {
  Json ex = StaleRead();
  // A write invoked long before, never completed, linearized in the prefix.
  Json early = Op(1, 7, "write", 5, "never completed", nullptr, 10, -1);
  ex["prefix_tail"].insert(ex["prefix_tail"].begin(), early);
  ex["prefix_length"] = 3;
  const std::string svg = FailingWindowSvg(ex);
  EXPECT_THAT(svg, HasSubstr("invoked before this window begins"));
  EXPECT_THAT(svg, HasSubstr("never completed: it may take effect at any later time"));
  // The axis starts at the first completed op (1 ms), not at 10 ns.
  EXPECT_THAT(svg, HasSubstr(">0.001 s<"));
}

TEST(TimelineTest, EscapesEverythingFromTheData) {
  Json ex = StaleRead();
  ex["op"]["f"] = "<script>alert(1)</script>";
  ex["op"]["process"] = "</title><b>";
  const std::string svg = FailingWindowSvg(ex);
  EXPECT_THAT(svg, Not(HasSubstr("<script>")));
  EXPECT_THAT(svg, Not(HasSubstr("</title><b>")));
  EXPECT_THAT(svg, HasSubstr("&lt;script&gt;"));
}

TEST(TimelineTest, OddFieldsNeverThrow) {
  Json ex = StaleRead();
  ex["prefix_tail"] = "nope";
  ex["concurrent"] = Json::array({1, "x", nullptr});
  ex["op"]["time"] = "soon";
  EXPECT_THAT(FailingWindowSvg(ex), HasSubstr("<g class=\"op blocked\">"));
  const std::string html = FailingWindowHtml(StaleRead());
  EXPECT_THAT(html, HasSubstr("The failing window"));
  EXPECT_THAT(html, HasSubstr("<svg"));
}

}  // namespace
}  // namespace faultline::report
