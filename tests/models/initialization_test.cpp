#include "models/initialization.h"

#include <vector>

#include <gtest/gtest.h>

namespace cpa::models {
namespace {

TEST(ModelsInitialization, HeuristicRecoversExactLinearTrendAndPattern) {
  // y = 20 + 2 t + pattern: the centred moving average is exactly the line, so the seasonals are
  // the (zero-mean) pattern and the regression recovers the line one step before its first point.
  const std::vector<double> pattern = {3.0, -1.0, -4.0, 2.0};
  std::vector<double> y;
  for (int t = 0; t < 40; ++t) y.push_back(20.0 + 2.0 * t + pattern[t % 4]);
  auto s = HeuristicInitialState(Trend::kAdditive, Seasonal::kAdditive, 4, y);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(s->seasonal[j], pattern[j], 1e-12);
  EXPECT_NEAR(s->trend, 2.0, 1e-12);
  // The first defined moving average is at t = 2 (x = 1 in the regression), so x = 0 is t = 1.
  EXPECT_NEAR(s->level, 22.0, 1e-12);
}

// Odd and even seasons on series of exactly the minimal length (the moving average then has
// exactly ten points; nothing past the series is read) and long enough for the four sliding
// chains to split the range unevenly: the exact line and pattern come back.
TEST(ModelsInitialization, HeuristicIsExactForOddAndEvenSeasonsAtAnyLength) {
  for (int m : {3, 4, 9, 10, 97}) {
    for (int n : {HeuristicRequiredHistory(Seasonal::kAdditive, m), 5 * m + 3}) {
      std::vector<double> pattern(static_cast<size_t>(m));
      double mean = 0.0;
      for (int j = 0; j < m; ++j) mean += pattern[j] = (j * 7 % 5) - 1.5 + 0.1 * j;
      for (double& p : pattern) p -= mean / m;
      std::vector<double> y;  // exactly n points: ASan sees any read past them
      for (int t = 0; t < n; ++t) y.push_back(50.0 + 0.5 * t + pattern[t % m]);
      auto s = HeuristicInitialState(Trend::kAdditive, Seasonal::kAdditive, m, y);
      ASSERT_TRUE(s.has_value()) << "m=" << m << " n=" << n << ": " << s.error().ToString();
      for (int j = 0; j < m; ++j) EXPECT_NEAR(s->seasonal[j], pattern[j], 1e-9) << m << " " << n;
      EXPECT_NEAR(s->trend, 0.5, 1e-9) << m << " " << n;
    }
  }
}

TEST(ModelsInitialization, HeuristicWithoutSeasonRegressesFirstTenPoints) {
  std::vector<double> y;
  for (int t = 0; t < 15; ++t) y.push_back(5.0 + 0.5 * t);
  auto s = HeuristicInitialState(Trend::kMultiplicative, Seasonal::kNone, 0, y);
  ASSERT_TRUE(s.has_value());
  EXPECT_NEAR(s->level, 4.5, 1e-12);  // the line at x = 0 (t = -1)
  EXPECT_NEAR(s->trend, 1.0 + 0.5 / 4.5, 1e-12);
  EXPECT_TRUE(s->seasonal.empty());
}

TEST(ModelsInitialization, HeuristicNeedsEnoughPoints) {
  const std::vector<double> y(9, 1.0);
  auto s = HeuristicInitialState(Trend::kNone, Seasonal::kNone, 0, y);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(HeuristicRequiredHistory(Seasonal::kAdditive, 2), 12);
  EXPECT_EQ(HeuristicRequiredHistory(Seasonal::kAdditive, 100), 200);
}

TEST(ModelsInitialization, SimpleStartsFromTheFirstSeasons) {
  std::vector<double> y = {2.0, 4.0, 3.0, 5.0};
  auto s = SimpleInitialState(Trend::kAdditive, Seasonal::kAdditive, 2, y);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->level, 3.0);
  EXPECT_DOUBLE_EQ(s->trend, 0.5);  // mean((3 - 2) / 2, (5 - 4) / 2)
  EXPECT_DOUBLE_EQ(s->seasonal[0], -1.0);
  EXPECT_DOUBLE_EQ(s->seasonal[1], 1.0);
  auto none = SimpleInitialState(Trend::kAdditive, Seasonal::kNone, 0, y);
  ASSERT_TRUE(none.has_value());
  EXPECT_DOUBLE_EQ(none->level, 2.0);
  EXPECT_DOUBLE_EQ(none->trend, 2.0);
}

}  // namespace
}  // namespace cpa::models
