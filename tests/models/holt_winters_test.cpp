#include "models/holt_winters.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "models/smoothing_kernel.h"

namespace cpa::models {
namespace {

using ::testing::HasSubstr;

std::vector<double> Seasonal(int n, int m, double level = 100.0, double slope = 0.0) {
  std::vector<double> y;
  for (int t = 0; t < n; ++t) {
    y.push_back(level + slope * t + 10.0 * std::sin(2.0 * M_PI * t / m) + (t % 3) * 0.5);
  }
  return y;
}

HoltWintersOptions Known(int m) {
  HoltWintersOptions o;
  o.trend = Trend::kAdditive;
  o.seasonal = Seasonal::kAdditive;
  o.season_length = m;
  o.initialization = Initialization::kKnown;
  o.initial.level = 10.0;
  o.initial.trend = 0.5;
  for (int j = 0; j < m; ++j) o.initial.seasonal.push_back(j * 1.0);
  return o;
}

TEST(HoltWinters, FrozenStatesForecastTheKnownPatternAtEveryHorizon) {
  // alpha = beta = gamma = 0: the states never learn, so forecasts are l0 + (n + h) b0 +
  // s0[(n + h - 1) mod m] at every h, including exact multiples of the season length (where
  // statsmodels 0.13.5 uses the seasonal one season too early, its issue #9538).
  const int m = 4;
  HoltWintersOptions o = Known(m);
  o.params = {0.0, 0.0, 0.0, 1.0};
  const std::vector<double> y(10, 3.0);
  auto r = RunHoltWinters(o, y, 3 * m);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->forecast.size(), 12u);
  for (int h = 1; h <= 3 * m; ++h) {
    const double expected = 10.0 + 0.5 * (10 + h) + ((10 + h - 1) % m);
    EXPECT_DOUBLE_EQ(r->forecast[h - 1], expected) << "h=" << h;
  }
  for (int t = 0; t < 10; ++t) {
    EXPECT_DOUBLE_EQ(r->fitted[t], 10.0 + 0.5 * (t + 1) + (t % m)) << "t=" << t;
  }
}

// Smooth runs the linear models (no multiplicative part) through its own loop
// (internal::SmoothLinearKernel); it must give bit for bit what the general one-step recursion
// (internal::Run) gives, for every trend/seasonal/damping combination, odd and even seasons,
// series shorter than a season and longer than several, and advancing the final state by pieces
// must equal one pass (autoscalers/phpa/model_runner relies on it).
TEST(HoltWinters, LinearSmoothingEqualsTheGeneralRecursionBitForBit) {
  struct Case {
    Trend trend;
    bool damped;
    models::Seasonal seasonal;
  };
  const Case cases[] = {
      {Trend::kNone, false, Seasonal::kNone},         {Trend::kNone, false, Seasonal::kAdditive},
      {Trend::kAdditive, false, Seasonal::kNone},     {Trend::kAdditive, true, Seasonal::kNone},
      {Trend::kAdditive, false, Seasonal::kAdditive}, {Trend::kAdditive, true, Seasonal::kAdditive},
  };
  for (const Case& c : cases) {
    for (const int m : {2, 3, 7, 12, 5760}) {
      for (const int n : {1, 2, m, m + 1, 5 * m + 3, 23040}) {
        if (c.seasonal == Seasonal::kNone && m != 5760) continue;  // m is unused then
        if (n > 1000 && m < 5760) continue;
        HoltWintersOptions o;
        o.trend = c.trend;
        o.damped = c.damped;
        o.seasonal = c.seasonal;
        o.season_length = m;
        o.params = {0.35, 0.15, 0.25, 0.9};
        InitialState init;
        init.level = 100.0;
        init.trend = c.trend == Trend::kNone ? 0.0 : 0.3;
        if (c.seasonal != Seasonal::kNone) {
          for (int j = 0; j < m; ++j) init.seasonal.push_back(10.0 * std::sin(2.0 * M_PI * j / m));
        }
        const std::vector<double> y = Seasonal(n, m, 100.0, 0.2);
        const std::string what = "trend " + std::string(TrendName(c.trend)) +
                                 (c.damped ? " damped" : "") + " seasonal " +
                                 std::string(SeasonalName(c.seasonal)) + " m=" + std::to_string(m) +
                                 " n=" + std::to_string(n);
        const HoltWintersResult fast = Smooth(o, init, y);
        std::vector<double> fitted(y.size());
        double sse = 0.0;
        const FinalState slow =
            internal::Run(o, o.params, init, y, 1, [&](size_t t, double yhat, double) {
              fitted[t] = yhat;
              const double e = y[t] - yhat;
              sse += e * e;
            });
        EXPECT_EQ(fast.fitted, fitted) << what;
        EXPECT_EQ(fast.sse, sse) << what;
        EXPECT_EQ(fast.final_state.level, slow.level) << what;
        EXPECT_EQ(fast.final_state.trend, slow.trend) << what;
        EXPECT_EQ(fast.final_state.seasonal, slow.seasonal) << what;
        EXPECT_EQ(fast.initial.seasonal, init.seasonal) << what;
        // The same series in three pieces, each starting from the previous piece's final state.
        const size_t cut1 = y.size() / 3;
        const size_t cut2 = cut1 + (y.size() - cut1) / 2 + 1;
        FinalState state{init.level, init.trend, init.seasonal};
        size_t from = 0;
        for (const size_t to : {cut1, std::min(cut2, y.size()), y.size()}) {
          const InitialState start{state.level, state.trend, state.seasonal};
          state = Smooth(o, start, std::span<const double>(y).subspan(from, to - from)).final_state;
          from = to;
        }
        EXPECT_EQ(state.level, slow.level) << what;
        EXPECT_EQ(state.trend, slow.trend) << what;
        EXPECT_EQ(state.seasonal, slow.seasonal) << what;
      }
    }
  }
}

TEST(HoltWinters, DampedTrendForecastConvergesToTheDampedSum) {
  HoltWintersOptions o;
  o.trend = Trend::kAdditive;
  o.damped = true;
  o.seasonal = Seasonal::kNone;
  o.initialization = Initialization::kKnown;
  o.initial.level = 50.0;
  o.initial.trend = 2.0;
  o.params = {0.0, 0.0, 0.0, 0.5};
  const std::vector<double> y = {1.0};
  auto r = RunHoltWinters(o, y, 30);
  ASSERT_TRUE(r.has_value());
  // After one step: l = 50 + 0.5*2 = 51, b = 0.5*2 = 1; forecast h: 51 + (0.5 + ... + 0.5^h).
  EXPECT_DOUBLE_EQ(r->forecast[0], 51.5);
  EXPECT_DOUBLE_EQ(r->forecast[1], 51.75);
  EXPECT_NEAR(r->forecast[29], 52.0, 1e-8);
}

TEST(HoltWinters, ForecastFromFinalStateUsesNewestSeasonalOfEachPhase) {
  HoltWintersOptions o = Known(3);
  o.trend = Trend::kNone;
  FinalState state{5.0, 0.0, {1.0, 2.0, 3.0}};
  EXPECT_THAT(ForecastFrom(o, state, 7), ::testing::ElementsAre(6.0, 7.0, 8.0, 6.0, 7.0, 8.0, 6.0));
  o.seasonal = Seasonal::kMultiplicative;
  EXPECT_THAT(ForecastFrom(o, state, 3), ::testing::ElementsAre(5.0, 10.0, 15.0));
  EXPECT_TRUE(ForecastFrom(o, state, 0).empty());
}

TEST(HoltWinters, ValidateRejectsOutOfRangeParameters) {
  HoltWintersOptions o = Known(4);
  o.params.alpha = 1.5;
  EXPECT_THAT(o.Validate().error().message, HasSubstr("alpha must be in [0, 1]"));
  o.params.alpha = 0.5;
  o.params.beta = -0.1;
  EXPECT_THAT(o.Validate().error().message, HasSubstr("beta"));
  o.params.beta = 0.1;
  o.params.gamma = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(o.Validate().error().message, HasSubstr("gamma"));
  o.params.gamma = 0.1;
  o.damped = true;
  o.params.phi = 0.0;
  EXPECT_THAT(o.Validate().error().message, HasSubstr("phi must be in (0, 1]"));
  o.params.phi = 0.9;
  EXPECT_TRUE(o.Validate().has_value());
  o.trend = Trend::kNone;
  EXPECT_THAT(o.Validate().error().message, HasSubstr("damped requires a trend"));
}

TEST(HoltWinters, ValidateRejectsBadSeasonSetup) {
  HoltWintersOptions o = Known(4);
  o.season_length = 1;
  EXPECT_EQ(o.Validate().error().code, ErrorCode::kInvalidArgument);
  o = Known(4);
  o.initial.seasonal.pop_back();
  EXPECT_THAT(o.Validate().error().message, HasSubstr("needs 4 initial seasonals"));
  o = Known(4);
  o.seasonal = Seasonal::kMultiplicative;
  o.initial.seasonal[0] = 0.0;
  EXPECT_THAT(o.Validate().error().message, HasSubstr("initial seasonal[0]"));
}

TEST(HoltWinters, RejectsNonFiniteValues) {
  HoltWintersOptions o = Known(4);
  std::vector<double> y = Seasonal(12, 4);
  y[5] = std::numeric_limits<double>::quiet_NaN();
  auto r = RunHoltWinters(o, y, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("value 5 is not finite"));
  y[5] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(RunHoltWinters(o, y, 1).error().code, ErrorCode::kInvalidArgument);
}

TEST(HoltWinters, MultiplicativeSeasonalityRejectsNonPositiveValues) {
  HoltWintersOptions o;
  o.seasonal = Seasonal::kMultiplicative;
  o.season_length = 4;
  std::vector<double> y = Seasonal(40, 4);
  y[7] = 0.0;
  auto r = RunHoltWinters(o, y, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("value 7 is 0"));
}

TEST(HoltWinters, HeuristicWarmUpReportsMissingPoints) {
  HoltWintersOptions o;
  o.season_length = 24;
  o.initialization = Initialization::kHeuristic;
  EXPECT_EQ(RequiredHistory(o), 48);
  const std::vector<double> y = Seasonal(47, 24);
  EXPECT_EQ(MissingPoints(o, 47), 1);
  auto r = RunHoltWinters(o, y, 5);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("not ready: 1 more point(s) needed"));
  // Short seasons need 10 + 2 * floor(m / 2) points.
  o.season_length = 3;
  EXPECT_EQ(RequiredHistory(o), 12);
  EXPECT_EQ(MissingPoints(o, 0), 12);
  o.seasonal = Seasonal::kNone;
  EXPECT_EQ(RequiredHistory(o), 10);
  EXPECT_EQ(MissingPoints(o, 20), 0);
}

TEST(HoltWinters, SeasonLongerThanSeriesIsAnErrorForEveryInitialization) {
  for (auto init :
       {Initialization::kKnown, Initialization::kHeuristic, Initialization::kEstimated}) {
    HoltWintersOptions o = Known(30);
    o.initialization = init;
    auto r = RunHoltWinters(o, Seasonal(20, 30), 1);
    ASSERT_FALSE(r.has_value()) << InitializationName(init);
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_THAT(r.error().message, HasSubstr("not ready"));
  }
}

TEST(HoltWinters, RejectsNegativeHorizon) {
  auto r = RunHoltWinters(Known(4), Seasonal(12, 4), -1);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("horizon"));
}

TEST(HoltWinters, EstimatedInitializationBeatsHeuristicSse) {
  HoltWintersOptions o;
  o.season_length = 12;
  o.params = {0.2, 0.05, 0.1, 1.0};
  o.initialization = Initialization::kHeuristic;
  const std::vector<double> y = Seasonal(72, 12, 100.0, 0.3);
  auto heuristic = RunHoltWinters(o, y, 12);
  ASSERT_TRUE(heuristic.has_value());
  o.initialization = Initialization::kEstimated;
  auto estimated = RunHoltWinters(o, y, 12);
  ASSERT_TRUE(estimated.has_value()) << estimated.error().ToString();
  EXPECT_LT(estimated->sse, heuristic->sse);
  EXPECT_EQ(estimated->forecast.size(), 12u);
}

TEST(HoltWinters, ParsesNamesAndListsKnownOnes) {
  EXPECT_EQ(*ParseTrend("add"), Trend::kAdditive);
  EXPECT_EQ(*ParseTrend("multiplicative"), Trend::kMultiplicative);
  EXPECT_EQ(*ParseSeasonal("none"), Seasonal::kNone);
  EXPECT_EQ(*ParseInitialization("estimated"), Initialization::kEstimated);
  EXPECT_THAT(ParseTrend("linear").error().message, HasSubstr("known: none, add, mul"));
  EXPECT_THAT(ParseInitialization("legacy").error().message, HasSubstr("known: estimated"));
  EXPECT_EQ(TrendName(Trend::kMultiplicative), "mul");
  EXPECT_EQ(SeasonalName(Seasonal::kAdditive), "add");
}

}  // namespace
}  // namespace cpa::models
