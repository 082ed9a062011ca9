#include "models/initialization.h"

#include <algorithm>
#include <array>
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
  std::array<double, 10> trend_series{};  // the first ten moving averages
  size_t trend_points = 0;
  std::span<const double> level_source = y;
  if (seasonal != Seasonal::kNone) {
    const int m = season_length;
    const int min_obs = 10 + 2 * (m / 2);
    int k_cycles = std::min(5, n / m);
    k_cycles = std::max(k_cycles, (min_obs + m - 1) / m);
    const int len = std::min(n, k_cycles * m);
    const int half = m / 2;
    const double scale = 1.0 / m;
    // The centred moving average at i, defined for half <= i < len - half:
    //   m odd:  mean of y[i - half .. i + half];
    //   m even: pandas' rolling(m, center=True) covers [i - m/2, i + m/2 - 1], then shift(-1) and
    //           the mean of two neighbours: (T_i + T_{i+1}) / 2, where T_{i+1} = T_i +
    //           (y[i + m/2] - y[i - m/2]) / m.
    // One pass: the window sum [i - half, i - half + m) slides by one point per step (adding
    // the difference of the point entering and the point leaving), with Knuth's TwoSum
    // compensation so it stays exact to rounding over long series; only `sum + v` is on the
    // loop-carried path.
    const double* x = y.data();
    const int lo = half;
    const int hi = len - half;  // i in [lo, hi)
    state.seasonal.assign(static_cast<size_t>(m), 0.0);
    double* seasonal_sums = state.seasonal.data();
    const bool additive = seasonal == Seasonal::kAdditive;
    const bool odd = m % 2 == 1;
    // The range [lo, hi) is cut into kChains segments whose sliding sums advance in the same
    // loop: independent dependency chains the CPU overlaps (one chain is latency-bound).
    struct Chain {
      int i = 0;
      int phase = 0;
      double sum = 0.0;
      double compensation = 0.0;
      void Add(double v) {  // Knuth's TwoSum: only `sum + v` is on the loop-carried path
        const double t = sum + v;
        const double bp = t - sum;
        compensation += (sum - (t - bp)) + (v - bp);
        sum = t;
      }
    };
    constexpr int kChains = 4;
    const int total = hi - lo;
    const int per_chain = total / kChains;  // the last chain also takes the remainder
    Chain chains[kChains];
    for (int c = 0; c < kChains; ++c) {
      Chain& ch = chains[c];
      ch.i = lo + c * per_chain;
      ch.phase = ch.i % m;
      // Eight accumulators, eight independent addition chains (measured ~1.5 us faster than four).
      double partial[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
      const double* w = x + (ch.i - half);
      int k = 0;
      for (; k + 8 <= m; k += 8) {
        for (int j = 0; j < 8; ++j) partial[j] += w[k + j];
      }
      for (; k < m; ++k) partial[0] += w[k];
      for (const double p : partial) ch.Add(p);
    }
    // The first ten moving averages feed the level/trend regression: a copy of the first chain,
    // whose window starts at [0, m), slid ten times.
    {
      Chain first = chains[0];
      for (int i = lo; i < hi && trend_points < trend_series.size(); ++i) {
        const double window = (first.sum + first.compensation) * scale;
        trend_series[trend_points++] =
            odd ? window : (window + (window + (x[i + half] - x[i - half]) * scale)) / 2.0;
        if (i + 1 < hi) first.Add(x[i - half + m] - x[i - half]);
      }
    }
    auto step = [&](Chain& ch) {
      const int i = ch.i;
      const double window = (ch.sum + ch.compensation) * scale;
      const double ma =
          odd ? window : (window + (window + (x[i + half] - x[i - half]) * scale)) / 2.0;
      seasonal_sums[ch.phase] += additive ? x[i] - ma : x[i] / ma;
      if (++ch.phase == m) ch.phase = 0;
      if (i + 1 < hi) ch.Add(x[i - half + m] - x[i - half]);  // to [i + 1 - half, ... + m)
      ch.i = i + 1;
    };
    for (int t = 0; t < per_chain; ++t) {
      for (int c = 0; c < kChains; ++c) step(chains[c]);
    }
    while (chains[kChains - 1].i < hi) step(chains[kChains - 1]);
    // Phase j was summed once per i in [lo, hi) with i = j (mod m): (hi - lo) / m times, once
    // more for the first (hi - lo) % m phases from lo % m on. (No division per phase: this
    // loop runs m times.)
    const int base = (hi - lo) / m;
    const int extra = (hi - lo) % m;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inv_base = base > 0 ? 1.0 / base : nan;
    const double inv_more = 1.0 / (base + 1);
    double mean = 0.0;
    for (int k = 0, j = lo % m; k < m; ++k) {
      state.seasonal[j] *= k < extra ? inv_more : inv_base;
      mean += state.seasonal[j];
      if (++j == m) j = 0;
    }
    mean /= m;
    const double inv_mean = 1.0 / mean;
    for (double& s : state.seasonal) {
      s = additive ? s - mean : s * inv_mean;
    }
    level_source = std::span<const double>(trend_series.data(), trend_points);
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
