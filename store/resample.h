// Resampling a series to a fixed step, as prediction models need (one value per interval).
//
// Buckets are [window.from + k*step, window.from + (k+1)*step) for every k covering the window;
// a bucket with no numeric sample has no value (a gap, left to the caller to fill). Samples
// without a numeric value are ignored. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/query.h"
#include "store/records.h"
#include "store/store.h"

namespace cpa::store {

enum class Aggregation { kMean, kMax, kLast };

// "mean", "max", "last"; nullopt for other names.
std::optional<Aggregation> ParseAggregation(std::string_view name);

struct Bucket {
  TimePoint start;
  std::optional<double> value;
  int64_t count = 0;  // numeric samples in the bucket
};

// At most this many buckets per call (a guard against a whole-epoch window with a 1 ms step).
inline constexpr int64_t kMaxBuckets = 10'000'000;

// `samples` must be sorted by time (as the store returns them). The window must be finite and
// non-empty and step positive.
Result<std::vector<Bucket>> Resample(std::span<const Sample> samples, const Window& window,
                                     Duration step, Aggregation aggregation);

// Reads the series' window from the store and resamples it.
Result<std::vector<Bucket>> Resample(Store& store, const SeriesRef& series, const Window& window,
                                     Duration step, Aggregation aggregation);

}  // namespace cpa::store
