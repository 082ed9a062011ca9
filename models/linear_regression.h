// Linear regression of a metric on time, as the predictive autoscaler's `Linear` model.
//
// Least squares of value on time (seconds) over the last `history_size` points (all when 0),
// evaluated at a given time (typically now + lookAhead). Pure math on Eigen, no I/O, no clock;
// thread-safe. Matches numpy.polyfit(t, v, deg=1) evaluated with numpy.polyval, computed in the
// centred form (slope = sum((t - mean t)(v - mean v)) / sum((t - mean t)^2)), which stays exact for
// epoch-second timestamps. Special cases: one point -> that point's value; all timestamps equal
// -> the mean of the values (slope 0; numpy returns a minimum-norm solution there, which is not a
// usable prediction). Errors: no points, mismatched lengths, NaN/inf -> kInvalidArgument.
#pragma once

#include <span>

#include "common/error.h"

namespace cpa::models {

struct Line {
  double slope = 0.0;      // value per second
  double intercept = 0.0;  // value at t = 0
  double t_mean = 0.0;     // centre of the fitted times
  double v_mean = 0.0;     // value of the line at t_mean

  double At(double t) const { return v_mean + slope * (t - t_mean); }
};

// Fits the line to the last `history_size` points (0: all).
Result<Line> FitLine(std::span<const double> times, std::span<const double> values,
                     int history_size = 0);

// FitLine(...)->At(at).
Result<double> PredictLinear(std::span<const double> times, std::span<const double> values,
                             double at, int history_size = 0);

}  // namespace cpa::models
