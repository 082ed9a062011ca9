#include "models/fit.h"

#include <cmath>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "models/initialization.h"

namespace cpa::models {
namespace {

// A seasonal series with a random-walk level (seeded), so the best alpha is inside (0, 1).
std::vector<double> Series(int n, int m, unsigned seed, bool positive = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> y;
  double level = 100.0;
  for (int t = 0; t < n; ++t) {
    level += 0.5 * noise(rng) + 0.05;
    const double season = 12.0 * std::sin(2.0 * M_PI * t / m) + 4.0 * std::cos(4.0 * M_PI * t / m);
    const double v = positive ? level * (1.0 + season / 100.0) : level + season;
    y.push_back(v + noise(rng));
  }
  return y;
}

HoltWintersOptions Options(Trend trend, bool damped, Seasonal seasonal, int m) {
  HoltWintersOptions o;
  o.trend = trend;
  o.damped = damped;
  o.seasonal = seasonal;
  o.season_length = m;
  o.initialization = Initialization::kHeuristic;
  return o;
}

void ExpectGradientMatchesFiniteDifferences(const HoltWintersOptions& o,
                                            const std::vector<double>& y) {
  const int m = o.SeasonLength();
  auto start = SimpleInitialState(o.trend, o.seasonal, m, y);
  ASSERT_TRUE(start.has_value());
  std::vector<double> grad;
  const double sse = SseGradient(o, *start, y, grad);
  ASSERT_EQ(grad.size(), 6u + m);
  EXPECT_NEAR(sse, HorizonLoss(o, *start, y, 1, 0), 1e-9 * sse);
  // Central differences for each coordinate.
  auto eval = [&](int k, double delta) {
    HoltWintersOptions p = o;
    InitialState s = *start;
    switch (k) {
      case 0:
        p.params.alpha += delta;
        break;
      case 1:
        p.params.beta += delta;
        break;
      case 2:
        p.params.gamma += delta;
        break;
      case 3:
        p.params.phi += delta;
        break;
      case 4:
        s.level += delta;
        break;
      case 5:
        s.trend += delta;
        break;
      default:
        s.seasonal[k - 6] += delta;
    }
    return HorizonLoss(p, s, y, 1, 0);
  };
  for (int k = 0; k < 6 + m; ++k) {
    if (k == 1 && !o.HasTrend()) continue;
    if (k == 2 && !o.HasSeasonal()) continue;
    if (k == 3 && !o.damped) continue;
    if (k == 5 && !o.HasTrend()) continue;
    const double h = 1e-6;
    const double numeric = (eval(k, h) - eval(k, -h)) / (2 * h);
    EXPECT_NEAR(grad[k], numeric, 1e-4 * std::max(1.0, std::abs(numeric)))
        << "coordinate " << k << " of " << TrendName(o.trend) << (o.damped ? "-damped/" : "/")
        << SeasonalName(o.seasonal);
  }
}

TEST(FitHoltWinters, GradientMatchesFiniteDifferencesForEveryModelKind) {
  const std::vector<double> y = Series(40, 5, 3, true);
  for (Trend trend : {Trend::kNone, Trend::kAdditive, Trend::kMultiplicative}) {
    for (bool damped : {false, true}) {
      if (damped && trend == Trend::kNone) continue;
      for (Seasonal seasonal : {Seasonal::kNone, Seasonal::kAdditive, Seasonal::kMultiplicative}) {
        HoltWintersOptions o = Options(trend, damped, seasonal, 5);
        o.params = {0.3, 0.1, 0.2, 0.9};
        ExpectGradientMatchesFiniteDifferences(o, y);
      }
    }
  }
}

TEST(FitHoltWinters, FitIsNoWorseThanAnyGridOrBaselinePoint) {
  const std::vector<double> y = Series(96, 12, 11);
  const HoltWintersOptions o = Options(Trend::kAdditive, false, Seasonal::kAdditive, 12);
  auto fit = FitHoltWinters(o, y);
  ASSERT_TRUE(fit.has_value()) << fit.error().ToString();
  auto init = HeuristicInitialState(o.trend, o.seasonal, 12, y);
  ASSERT_TRUE(init.has_value());
  for (double a : {0.1, 0.5, 0.9}) {
    for (double b : {0.0, 0.2}) {
      for (double g : {0.0, 0.3, 0.9}) {
        HoltWintersOptions p = o;
        p.params = {a, b, g, 1.0};
        EXPECT_LE(fit->sse, HorizonLoss(p, *init, y, 1, 0) * (1 + 1e-12));
      }
    }
  }
  EXPECT_GT(fit->params.alpha, 0.0);
  EXPECT_LT(fit->params.alpha, 1.0);
  EXPECT_DOUBLE_EQ(fit->objective, fit->sse);
  EXPECT_GT(fit->evaluations, 0);
}

TEST(FitHoltWinters, IsDeterministic) {
  const std::vector<double> y = Series(60, 6, 5);
  HoltWintersOptions o = Options(Trend::kAdditive, true, Seasonal::kAdditive, 6);
  o.initialization = Initialization::kEstimated;
  auto a = FitHoltWinters(o, y);
  auto b = FitHoltWinters(o, y);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->params.alpha, b->params.alpha);
  EXPECT_EQ(a->params.phi, b->params.phi);
  EXPECT_EQ(a->sse, b->sse);
  EXPECT_EQ(a->initial.seasonal, b->initial.seasonal);
  EXPECT_GE(a->params.phi, 0.8);
  EXPECT_LE(a->params.phi, 1.0);
}

TEST(FitHoltWinters, EstimatedInitialStatesImproveOnHeuristic) {
  const std::vector<double> y = Series(96, 12, 21);
  HoltWintersOptions o = Options(Trend::kAdditive, false, Seasonal::kAdditive, 12);
  auto heuristic = FitHoltWinters(o, y);
  o.initialization = Initialization::kEstimated;
  auto estimated = FitHoltWinters(o, y);
  ASSERT_TRUE(heuristic.has_value() && estimated.has_value());
  EXPECT_LE(estimated->sse, heuristic->sse);
  EXPECT_EQ(estimated->initial.seasonal.size(), 12u);
}

TEST(FitHoltWinters, HorizonObjectiveMinimizesHorizonLoss) {
  const std::vector<double> y = Series(96, 12, 8);
  const HoltWintersOptions o = Options(Trend::kAdditive, false, Seasonal::kAdditive, 12);
  FitOptions one;
  FitOptions four;
  four.horizon = 4;
  auto fit1 = FitHoltWinters(o, y, one);
  auto fit4 = FitHoltWinters(o, y, four);
  ASSERT_TRUE(fit1.has_value() && fit4.has_value());
  HoltWintersOptions p = o;
  p.params = fit1->params;
  // The 4-step fit is at least as good at 4 steps as the 1-step fit, and vice versa.
  EXPECT_LE(fit4->objective, HorizonLoss(p, fit1->initial, y, 4, 0) * (1 + 1e-9));
  EXPECT_LE(fit1->sse, fit4->sse * (1 + 1e-9));
  EXPECT_GT(fit4->objective, 0.0);
}

TEST(FitHoltWinters, HorizonLossScoresFrozenStateForecasts) {
  // alpha = beta = gamma = 0: the H-step forecast made before y_t for time t + H - 1 is
  // l0 + (t + H) b0 + s0[(t + H - 1) mod m].
  HoltWintersOptions o = Options(Trend::kAdditive, false, Seasonal::kAdditive, 3);
  o.params = {0.0, 0.0, 0.0, 1.0};
  const InitialState init{2.0, 0.5, {1.0, -1.0, 0.0}};
  const std::vector<double> y(10, 0.0);
  std::vector<double> predictions;
  const double loss = HorizonLoss(o, init, y, 4, 5, &predictions);
  ASSERT_EQ(predictions.size(), 5u);
  double expected_loss = 0.0;
  for (int target = 5; target < 10; ++target) {
    const int t = target - 3;
    const double expected = 2.0 + 0.5 * (t + 4) + init.seasonal[target % 3];
    EXPECT_DOUBLE_EQ(predictions[target - 5], expected) << "target " << target;
    expected_loss += expected * expected;
  }
  EXPECT_DOUBLE_EQ(loss, expected_loss);
}

TEST(FitHoltWinters, RejectsHorizonNotShorterThanSeries) {
  FitOptions fit;
  fit.horizon = 48;
  auto r = FitHoltWinters(Options(Trend::kAdditive, false, Seasonal::kAdditive, 12),
                          Series(48, 12, 1), fit);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("shorter than the series"));
}

TEST(FitHoltWinters, ReportsHoldoutMetricsForFittedAndBaseline) {
  const std::vector<double> y = Series(120, 12, 2);
  const HoltWintersOptions o = Options(Trend::kAdditive, false, Seasonal::kAdditive, 12);
  FitOptions fit;
  fit.evaluate_holdout = true;
  fit.baseline = HoltWintersParams{0.9, 0.9, 0.9, 1.0};
  auto r = FitHoltWinters(o, y, fit);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_TRUE(r->holdout.has_value());
  ASSERT_TRUE(r->baseline_holdout.has_value());
  EXPECT_EQ(r->holdout->count, 12);
  EXPECT_EQ(r->baseline_holdout->count, 12);
  EXPECT_LT(r->holdout->rmse, r->baseline_holdout->rmse);
  EXPECT_TRUE(r->holdout->mape.has_value());
}

TEST(FitHoltWinters, NoHoldoutWhenTrainingPartWouldNotBeReady) {
  const std::vector<double> y = Series(30, 12, 2);  // 2 seasons + 6: 18 training points < 24
  FitOptions fit;
  fit.evaluate_holdout = true;
  auto r = FitHoltWinters(Options(Trend::kAdditive, false, Seasonal::kAdditive, 12), y, fit);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->holdout.has_value());
}

TEST(FitHoltWinters, RejectsBadInputAndReportsWarmUp) {
  const HoltWintersOptions o = Options(Trend::kAdditive, false, Seasonal::kAdditive, 12);
  auto short_series = FitHoltWinters(o, Series(20, 12, 1));
  ASSERT_FALSE(short_series.has_value());
  EXPECT_EQ(short_series.error().code, ErrorCode::kFailedPrecondition);
  FitOptions bad;
  bad.horizon = 0;
  EXPECT_EQ(FitHoltWinters(o, Series(48, 12, 1), bad).error().code, ErrorCode::kInvalidArgument);
  FitOptions bad_baseline;
  bad_baseline.baseline = HoltWintersParams{2.0, 0.1, 0.1, 1.0};
  auto r = FitHoltWinters(o, Series(48, 12, 1), bad_baseline);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("baseline: alpha"));
}

TEST(FitHoltWinters, KeepsGivenParametersWhenOnlyStatesAreFitted) {
  HoltWintersOptions o = Options(Trend::kNone, false, Seasonal::kAdditive, 4);
  o.initialization = Initialization::kEstimated;
  o.params = {0.4, 0.0, 0.2, 1.0};
  FitOptions fit;
  fit.fit_smoothing = false;
  auto r = FitHoltWinters(o, Series(40, 4, 9), fit);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->params.alpha, 0.4);
  EXPECT_EQ(r->params.gamma, 0.2);
}

TEST(ModelsErrorMetrics, ComputesRmseMaeAndMapeWhereDefined) {
  const std::vector<double> actual = {1.0, 2.0, 0.0, 4.0};
  const std::vector<double> predicted = {2.0, 2.0, 1.0, 2.0};
  const ErrorMetrics m = ComputeErrorMetrics(actual, predicted);
  EXPECT_EQ(m.count, 4);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt((1.0 + 0.0 + 1.0 + 4.0) / 4.0));
  EXPECT_DOUBLE_EQ(m.mae, 1.0);
  ASSERT_TRUE(m.mape.has_value());
  EXPECT_DOUBLE_EQ(*m.mape, 100.0 * (1.0 + 0.0 + 0.5) / 3.0);
  const std::vector<double> zeros = {0.0, 0.0};
  EXPECT_FALSE(ComputeErrorMetrics(zeros, zeros).mape.has_value());
  EXPECT_EQ(ComputeErrorMetrics({}, {}).count, 0);
}

}  // namespace
}  // namespace cpa::models
