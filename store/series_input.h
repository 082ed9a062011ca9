// One numeric time series as the offline commands (`cpa forecast`, and any command that takes a
// series) read it: from a CSV file or from a series of a store file written by `cpa run`.
//
// CSV: every layout `cpa history export` writes is readable as is (its header names the columns:
// metrics `time,unix_ms,resource,value,text`, resampled `time,unix_ms,value,count`, evaluations
// `time,unix_ms,target_replicas,...`, decisions `time,unix_ms,current_replicas,raw_target,
// stabilized_target,...`), and so are plain `timestamp,value` rows (seconds since the epoch or
// RFC 3339, optional header). Rows with the same time (one per pod) are averaged; rows without a
// value (empty buckets, failed runs) are skipped. Times keep millisecond resolution.
// Store: `evaluations`, `decisions` or `metric:NAME[:RESOURCE]` of one autoscaler; an autoscaler
// or series that does not exist is an error that lists what does.
// Pure functions over their inputs; thread-safe.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace cpa::store {

struct TimeSeries {
  std::vector<int64_t> unix_ms;  // non-decreasing... strictly increasing after averaging
  std::vector<double> values;
  // Times came as RFC 3339 or Unix milliseconds (print them back as RFC 3339); false for plain
  // numeric seconds, which are printed back as numbers.
  bool absolute_times = false;
  std::string value_column;  // which column (or store series) the values came from
};

// `column` picks the value column of a layout with several (e.g. "raw_target"); empty takes the
// layout's natural one (value, target_replicas, stabilized_target). `name` labels errors.
Result<TimeSeries> ReadCsvSeries(std::istream& in, std::string_view name,
                                 std::string_view column = {});

// `series`: "evaluations", "decisions" or "metric:NAME[:RESOURCE]" (without a resource, the mean
// over resources at each time). `autoscaler` empty: the store's only autoscaler (an error that
// lists them when there are several).
Result<TimeSeries> ReadStoreSeries(Store& store, std::string_view autoscaler,
                                   std::string_view series);

}  // namespace cpa::store
