#include "store/time_text.h"

#include <gtest/gtest.h>

#include "store/query.h"

namespace cpa::store {
namespace {

TEST(StoreTimeTextTest, ParsesRfc3339AndEpochMillis) {
  auto t = ParseTime("2023-11-14T22:13:20Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(ToMillis(*t), 1700000000000);
  t = ParseTime("2023-11-14T23:13:20.5+01:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(ToMillis(*t), 1700000000500);
  t = ParseTime("1700000000123");
  ASSERT_TRUE(t);
  EXPECT_EQ(ToMillis(*t), 1700000000123);
  for (const char* bad : {"", "yesterday", "2023-11-14", "2023-13-01T00:00:00Z",
                          "2023-11-14T22:13:20", "2023-11-14T22:13:20Zjunk"}) {
    auto r = ParseTime(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(StoreTimeTextTest, ParsesDurations) {
  EXPECT_EQ(ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(ParseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(ParseDuration("7d"), std::chrono::hours(24 * 7));
  EXPECT_EQ(ParseDuration("250ms"), std::chrono::milliseconds(250));
  for (const char* bad : {"", "15", "1x", "h", "-5s", "1.5h"})
    EXPECT_FALSE(ParseDuration(bad)) << bad;
}

TEST(StoreTimeTextTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatTime(FromMillis(1700000000123)), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatTime(FromMillis(-1)), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace cpa::store
