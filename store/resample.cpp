#include "store/resample.h"

#include <algorithm>

namespace cpa::store {

std::optional<Aggregation> ParseAggregation(std::string_view name) {
  if (name == "mean") return Aggregation::kMean;
  if (name == "max") return Aggregation::kMax;
  if (name == "last") return Aggregation::kLast;
  return std::nullopt;
}

Result<std::vector<Bucket>> Resample(std::span<const Sample> samples, const Window& window,
                                     Duration step, Aggregation aggregation) {
  const int64_t from = ToMillis(window.from);
  const int64_t to = ToMillisCeil(window.to);
  const int64_t step_ms = std::chrono::duration_cast<std::chrono::milliseconds>(step).count();
  if (step_ms <= 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "resample step must be at least 1ms");
  }
  if (to <= from) return MakeError(ErrorCode::kInvalidArgument, "resample window is empty");
  const int64_t span = to - from;
  const int64_t count = span / step_ms + (span % step_ms != 0 ? 1 : 0);
  if (count > kMaxBuckets) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "resampling {} ms at a {} ms step gives {} buckets, more than {}; narrow "
                      "the window or widen the step",
                      span, step_ms, count, kMaxBuckets);
  }
  std::vector<Bucket> buckets(static_cast<size_t>(count));
  std::vector<double> sums(buckets.size(), 0.0);
  for (size_t i = 0; i < buckets.size(); ++i) {
    buckets[i].start = FromMillis(from + static_cast<int64_t>(i) * step_ms);
  }
  for (const Sample& s : samples) {
    if (!s.value) continue;
    int64_t t = ToMillis(s.time);
    if (t < from || t >= to) continue;
    Bucket& b = buckets[static_cast<size_t>((t - from) / step_ms)];
    double v = *s.value;
    switch (aggregation) {
      case Aggregation::kMean:
        sums[static_cast<size_t>((t - from) / step_ms)] += v;
        break;
      case Aggregation::kMax:
        b.value = b.value ? std::max(*b.value, v) : v;
        break;
      case Aggregation::kLast:
        b.value = v;  // samples are in time order
        break;
    }
    ++b.count;
  }
  if (aggregation == Aggregation::kMean) {
    for (size_t i = 0; i < buckets.size(); ++i) {
      if (buckets[i].count > 0) buckets[i].value = sums[i] / static_cast<double>(buckets[i].count);
    }
  }
  return buckets;
}

Result<std::vector<Bucket>> Resample(Store& store, const SeriesRef& series, const Window& window,
                                     Duration step, Aggregation aggregation) {
  auto samples = store.Values(series, Query{window, 0});
  if (!samples) return std::unexpected(samples.error());
  return Resample(*samples, window, step, aggregation);
}

}  // namespace cpa::store
