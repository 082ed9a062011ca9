// Initial states of Holt-Winters computed from the data (statsmodels 0.13.5 formulas).
//
// Pure functions, thread-safe, no I/O. Callers check the history length first
// (RequiredHistory in models/holt_winters.h); these functions return kFailedPrecondition when
// it is too short.
//
// Heuristic (statsmodels `_initialization_heuristic`, Hyndman et al. 2008, section 2.6):
//   seasonal: k = max(min(5, n / m), ceil((10 + 2*floor(m/2)) / m)) cycles, x = y[0 : k*m];
//     trend T_i = centered moving average of x over m points (m odd), or the 2xm moving average
//     (m even: mean of the m-point means over [i-m/2, i+m/2-1] and [i-m/2+1, i+m/2]);
//     detrended d_i = x_i - T_i (additive) or x_i / T_i (multiplicative), where T_i exists;
//     s_j = mean of d_i over i = j (mod m), then normalized (additive: minus their mean;
//     multiplicative: divided by their mean); the series is replaced by the defined T_i.
//   level/trend: least squares of the first 10 values of the (replaced) series on 1..10:
//     l0 = intercept, b0 = slope (additive) or 1 + slope/intercept (multiplicative).
// Simple (statsmodels `_initialization_simple`, used by `estimated` as a start on short series):
//   non-seasonal: l0 = y0, b0 = y1 - y0 or y1 / y0;
//   seasonal: l0 = mean(y[0:m]), b0 = mean((y[m:2m] - y[0:m]) / m), s = y[0:m] - l0 or / l0.
#pragma once

#include <span>

#include "common/error.h"
#include "models/holt_winters.h"

namespace cpa::models {

Result<InitialState> HeuristicInitialState(Trend trend, Seasonal seasonal, int season_length,
                                           std::span<const double> y);

Result<InitialState> SimpleInitialState(Trend trend, Seasonal seasonal, int season_length,
                                        std::span<const double> y);

// Minimum number of points `HeuristicInitialState` needs.
int HeuristicRequiredHistory(Seasonal seasonal, int season_length);

}  // namespace cpa::models
