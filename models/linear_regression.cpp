#include "models/linear_regression.h"

#include <cmath>

#include <Eigen/Dense>

namespace cpa::models {

Result<Line> FitLine(std::span<const double> times, std::span<const double> values,
                     int history_size) {
  if (times.size() != values.size()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{} timestamps but {} values", times.size(),
                      values.size());
  }
  if (history_size < 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "history size must be >= 0, got {}",
                      history_size);
  }
  size_t count = times.size();
  if (history_size > 0 && static_cast<size_t>(history_size) < count) {
    count = static_cast<size_t>(history_size);
  }
  if (count == 0) return MakeError(ErrorCode::kInvalidArgument, "no points to fit a line to");
  const size_t offset = times.size() - count;
  const Eigen::Map<const Eigen::ArrayXd> t(times.data() + offset, static_cast<Eigen::Index>(count));
  const Eigen::Map<const Eigen::ArrayXd> v(values.data() + offset,
                                           static_cast<Eigen::Index>(count));
  if (!t.allFinite() || !v.allFinite()) {
    return MakeError(ErrorCode::kInvalidArgument, "timestamps and values must be finite");
  }
  Line line;
  line.t_mean = t.mean();
  line.v_mean = v.mean();
  const Eigen::ArrayXd dt = t - line.t_mean;
  const double sxx = dt.square().sum();
  if (count > 1 && sxx > 0.0) {
    line.slope = (dt * (v - line.v_mean)).sum() / sxx;
  }
  line.intercept = line.v_mean - line.slope * line.t_mean;
  return line;
}

Result<double> PredictLinear(std::span<const double> times, std::span<const double> values,
                             double at, int history_size) {
  auto line = FitLine(times, values, history_size);
  if (!line) return std::unexpected(line.error());
  if (!std::isfinite(at)) return MakeError(ErrorCode::kInvalidArgument, "time must be finite");
  return line->At(at);
}

}  // namespace cpa::models
