#include "api/request_params.h"

#include <gtest/gtest.h>

namespace cpa::api {
namespace {

TEST(ApiParams, BooleansFollowGoParseBool) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    auto b = ParseGoBool(t);
    ASSERT_TRUE(b) << t;
    EXPECT_TRUE(*b) << t;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    auto b = ParseGoBool(f);
    ASSERT_TRUE(b) << f;
    EXPECT_FALSE(*b) << f;
  }
  for (const char* bad : {"", "yes", "no", "tRUE", "2", " true", "true ", "on"}) {
    auto b = ParseGoBool(bad);
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ApiParams, TimesAreRfc3339OrUnixMillis) {
  auto t = ParseTimeParam("2026-11-28T20:43:17Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-28T20:43:17Z");
  auto offset = ParseTimeParam("2026-11-28T21:43:17.250+01:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(ToUnixMillis(*offset), ToUnixMillis(*t) + 250);
  auto ms = ParseTimeParam("1700000000123");
  ASSERT_TRUE(ms);
  EXPECT_EQ(ToUnixMillis(*ms), 1700000000123);
  for (const char* bad :
       {"", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-28T20:43:17",
        "2026-11-28 20:43:17Z", "12abc", "2026-11-28T20:43:17Zjunk"}) {
    EXPECT_FALSE(ParseTimeParam(bad)) << bad;
  }
}

}  // namespace
}  // namespace cpa::api
