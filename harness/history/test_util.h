// Test helpers for the history readers (only included by *_test.cc).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "harness/history/reader.h"

namespace faultline::testing_util {

// Parses `text` named "h" in `format`; fails the test when parsing fails.
inline History MustParse(std::string_view text, HistoryFormat format) {
  Result<History> history = ParseHistory(text, "h", format);
  EXPECT_TRUE(history.ok()) << history.status().ToString();
  if (!history.ok()) return History{};
  return std::move(history).value();
}

// Expects InvalidArgument whose message starts with "h:<line>: " and
// contains every one of `parts`.
template <typename... Parts>
void ExpectParseError(std::string_view text, HistoryFormat format, int64_t line,
                      const Parts&... parts) {
  Result<History> history = ParseHistory(text, "h", format);
  ASSERT_FALSE(history.ok()) << "parsed " << history->ops.size() << " ops from: " << text;
  EXPECT_EQ(history.status().code(), Status::Code::kInvalidArgument);
  const std::string& message = history.status().message();
  EXPECT_THAT(message, ::testing::StartsWith("h:" + std::to_string(line) + ": "));
  for (const std::string& part : {std::string(parts)...}) {
    EXPECT_THAT(message, ::testing::HasSubstr(part));
  }
  EXPECT_THAT(message, ::testing::HasSubstr("expected")) << message;
}

}  // namespace faultline::testing_util
