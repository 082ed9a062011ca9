#include "common/rfc3339.h"

#include <gtest/gtest.h>

namespace cpa {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TimePoint At(int64_t unix_ms) { return FromUnixMillis(unix_ms); }

constexpr int64_t k20261128T204317 = 1795898597000;  // 2026-11-28T20:43:17Z

TEST(Rfc3339Test, ParsesUtcOffsetsAndFractions) {
  EXPECT_EQ(*ParseRfc3339("2026-11-28T20:43:17Z"), At(k20261128T204317));
  EXPECT_EQ(*ParseRfc3339("2026-11-28t20:43:17z"), At(k20261128T204317));
  EXPECT_EQ(*ParseRfc3339("2026-11-28T21:43:17+01:00"), At(k20261128T204317));
  EXPECT_EQ(*ParseRfc3339("2026-11-28T19:13:17-01:30"), At(k20261128T204317));
  EXPECT_EQ(*ParseRfc3339("2026-11-28T20:43:17.25Z"), At(k20261128T204317 + 250));
  EXPECT_EQ(*ParseRfc3339("2026-11-28T20:43:17.000000001Z"), At(k20261128T204317) + nanoseconds(1));
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), At(0));
  EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59Z"), At(-1000));
  EXPECT_EQ(*ParseRfc3339("2026-11-28 20:43:17Z"), At(k20261128T204317));
}

TEST(Rfc3339Test, OptionsControlSpaceAndMissingZone) {
  EXPECT_FALSE(ParseRfc3339("2026-11-28 20:43:17Z", {.allow_space_separator = false}));
  EXPECT_FALSE(ParseRfc3339("2026-11-28T20:43:17"));
  EXPECT_EQ(*ParseRfc3339("2026-11-28T20:43:17", {.allow_missing_zone = true}),
            At(k20261128T204317));
}

TEST(Rfc3339Test, RejectsMalformedTextNamingIt) {
  for (const char* bad : {"", "2026-11-28", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-28T24:00:00Z", "2026-11-28T20:43:17.Z", "2026-11-28T20:43:17Zx",
                          "2026-11-28T20:43:17+0100", "26-11-28T20:43:17Z", "now"}) {
    auto t = ParseRfc3339(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_NE(t.error().message.find(fmt::format("\"{}\"", bad)), std::string::npos)
        << t.error().message;
  }
}

TEST(Rfc3339Test, FormatsEachPrecisionTruncating) {
  const TimePoint t = At(k20261128T204317) + microseconds(250'999);
  EXPECT_EQ(FormatRfc3339(t), "2026-11-28T20:43:17Z");
  EXPECT_EQ(FormatRfc3339(t, Rfc3339Precision::kMillis), "2026-11-28T20:43:17.250Z");
  EXPECT_EQ(FormatRfc3339(t, Rfc3339Precision::kMicros), "2026-11-28T20:43:17.250999Z");
  EXPECT_EQ(FormatRfc3339(At(-1), Rfc3339Precision::kMillis), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(*ParseRfc3339(FormatRfc3339(t, Rfc3339Precision::kMicros)), t);
}

}  // namespace
}  // namespace cpa
