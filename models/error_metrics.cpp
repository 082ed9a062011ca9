// Error metrics (RMSE, MAE, MAPE) of predictions against actual values.
#include <cmath>

#include "models/fit.h"

namespace cpa::models {

ErrorMetrics ComputeErrorMetrics(std::span<const double> actual,
                                 std::span<const double> predicted) {
  ErrorMetrics metrics;
  const size_t n = std::min(actual.size(), predicted.size());
  if (n == 0) return metrics;
  double sq = 0.0, abs_sum = 0.0, pct = 0.0;
  int pct_count = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = actual[i] - predicted[i];
    sq += e * e;
    abs_sum += std::abs(e);
    if (actual[i] != 0.0) {
      pct += std::abs(e / actual[i]);
      ++pct_count;
    }
  }
  metrics.count = static_cast<int>(n);
  metrics.rmse = std::sqrt(sq / static_cast<double>(n));
  metrics.mae = abs_sum / static_cast<double>(n);
  if (pct_count > 0) metrics.mape = 100.0 * pct / pct_count;
  return metrics;
}

}  // namespace cpa::models
