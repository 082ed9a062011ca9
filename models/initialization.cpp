#include "models/initialization.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cpa::models {

int HeuristicRequiredHistory(Seasonal seasonal, int season_length) {
  if (seasonal == Seasonal::kNone) return 10;
  const int m = season_length;
  return std::max({10, 2 * m, 10 + 2 * (m / 2)});
}

namespace {

// Least squares of v[0..9] on x = 1..10: (intercept, slope), as numpy's pinv gives it.
std::pair<double, double> LineOnFirstTen(std::span<const double> v) {
  double mean = 0.0;
  for (int i = 0; i < 10; ++i) mean += v[static_cast<size_t>(i)];
  mean /= 10.0;
  double sxy = 0.0;
  for (int i = 0; i < 10; ++i) sxy += (i + 1 - 5.5) * (v[static_cast<size_t>(i)] - mean);
  const double slope = sxy / 82.5;  // sum of (x - 5.5)^2 over x = 1..10
  return {mean - slope * 5.5, slope};
}

}  // namespace

Result<InitialState> HeuristicInitialState(Trend trend, Seasonal seasonal, int season_length,
                                           std::span<const double> y) {
  const int n = static_cast<int>(y.size());
  const int required = HeuristicRequiredHistory(seasonal, season_length);
  if (n < required) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "not ready: {} more point(s) needed (heuristic initialization needs {}, "
                      "have {})",
                      required - n, required, n);
  }
  InitialState state;
  std::vector<double> trend_series;  // the series the level/trend regression runs on
  std::span<const double> level_source = y;
  if (seasonal != Seasonal::kNone) {
    const int m = season_length;
    const int min_obs = 10 + 2 * (m / 2);
    int k_cycles = std::min(5, n / m);
    k_cycles = std::max(k_cycles, (min_obs + m - 1) / m);
    const int len = std::min(n, k_cycles * m);
    // Prefix sums for the moving averages (compensated, so the window sums stay exact to
    // rounding even for long series).
    std::vector<double> prefix(static_cast<size_t>(len) + 1, 0.0);
    double compensation = 0.0;
    for (int i = 0; i < len; ++i) {
      const double term = y[static_cast<size_t>(i)] - compensation;
      const double sum = prefix[i] + term;
      compensation = (sum - prefix[i]) - term;
      prefix[i + 1] = sum;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const int half = m / 2;
    const double scale = 1.0 / m;
    // The centred moving average at i (defined for half <= i < len - half):
    //   m odd:  mean of y[i - half .. i + half];
    //   m even: pandas' rolling(m, center=True) covers [i - m/2, i + m/2 - 1], then shift(-1) and
    //           the mean of two neighbours: (T_i + T_{i+1}) / 2.
    auto moving_average = [&](int i) {
      if (m % 2 == 1) return (prefix[i + half + 1] - prefix[i - half]) * scale;
      const double a = (prefix[i + half] - prefix[i - half]) * scale;
      const double b = (prefix[i + half + 1] - prefix[i - half + 1]) * scale;
      return (a + b) / 2.0;
    };
    std::vector<double> sums(static_cast<size_t>(m), 0.0);
    std::vector<int> counts(static_cast<size_t>(m), 0);
    for (int i = half, phase = half % m; i + half < len; ++i) {
      const double ma = moving_average(i);
      if (trend_series.size() < 10) trend_series.push_back(ma);
      const double d = seasonal == Seasonal::kAdditive ? y[static_cast<size_t>(i)] - ma
                                                       : y[static_cast<size_t>(i)] / ma;
      sums[static_cast<size_t>(phase)] += d;
      counts[static_cast<size_t>(phase)] += 1;
      if (++phase == m) phase = 0;
    }
    state.seasonal.resize(static_cast<size_t>(m));
    double mean = 0.0;
    for (int j = 0; j < m; ++j) {
      state.seasonal[j] = counts[j] > 0 ? sums[j] / counts[j] : nan;
      mean += state.seasonal[j];
    }
    mean /= m;
    for (double& s : state.seasonal) {
      s = seasonal == Seasonal::kAdditive ? s - mean : s / mean;
    }
    level_source = trend_series;
    if (level_source.size() < 10) {
      return MakeErrorF(ErrorCode::kFailedPrecondition,
                        "not ready: the heuristic needs 10 seasonally adjusted points, got {}",
                        level_source.size());
    }
  }
  const auto [intercept, slope] = LineOnFirstTen(level_source);
  state.level = intercept;
  if (trend == Trend::kAdditive) {
    state.trend = slope;
  } else if (trend == Trend::kMultiplicative) {
    state.trend = 1.0 + slope / intercept;
  }
  return state;
}

Result<InitialState> SimpleInitialState(Trend trend, Seasonal seasonal, int season_length,
                                        std::span<const double> y) {
  const int n = static_cast<int>(y.size());
  InitialState state;
  if (seasonal == Seasonal::kNone) {
    const int required = trend == Trend::kNone ? 1 : 2;
    if (n < required) {
      return MakeErrorF(ErrorCode::kFailedPrecondition, "not ready: {} more point(s) needed",
                        required - n);
    }
    state.level = y[0];
    if (trend == Trend::kAdditive) state.trend = y[1] - y[0];
    if (trend == Trend::kMultiplicative) state.trend = y[1] / y[0];
    return state;
  }
  const int m = season_length;
  if (n < 2 * m) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "not ready: {} more point(s) needed (two full seasons of {})", 2 * m - n, m);
  }
  double level = 0.0;
  for (int i = 0; i < m; ++i) level += y[static_cast<size_t>(i)];
  level /= m;
  state.level = level;
  if (trend != Trend::kNone) {
    double sum = 0.0;
    for (int i = 0; i < m; ++i)
      sum += (y[static_cast<size_t>(m + i)] - y[static_cast<size_t>(i)]) / m;
    state.trend = sum / m;
    // statsmodels uses the additive difference here for both trend kinds; a ratio start is the
    // only sensible one for a multiplicative trend.
    if (trend == Trend::kMultiplicative) state.trend = 1.0 + state.trend / level;
  }
  state.seasonal.resize(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i) {
    state.seasonal[i] = seasonal == Seasonal::kAdditive ? y[static_cast<size_t>(i)] - level
                                                        : y[static_cast<size_t>(i)] / level;
  }
  return state;
}

}  // namespace cpa::models
