// Reading a recorded series for `cpa tune` and `cpa replay`: a CSV of `timestamp,value` rows
// (timestamps in seconds since the epoch or RFC 3339, an optional header row, `#` comments, an
// optional third column kept as `extra`), or a
// series of a store file written by `cpa run`.
//
// Store series names (`--series`): evaluations, decisions (stabilized targets), current (current
// replicas), metric:NAME[:RESOURCE] (without a resource: the sum or mean over resources at each
// time, see SeriesReduce), phpa (the phpa evaluator's learned history). Pure functions apart from
// reading the file or store they are given; thread-safe.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/store.h"

namespace cpa::phpa {

struct Series {
  std::vector<TimePoint> times;  // non-decreasing
  std::vector<double> values;
  // A third CSV column when the file has one (`timestamp,value,replicas`): what happened.
  std::vector<std::optional<double>> extra;
  size_t size() const { return values.size(); }
};

// How points of several resources at one time become one value.
enum class SeriesReduce { kMean, kSum };

Result<Series> ReadSeriesCsv(std::istream& in, std::string_view name);
// `path` "-" reads stdin.
Result<Series> ReadSeriesFile(const std::string& path);
Result<Series> ReadSeriesStore(store::Store& store, const std::string& autoscaler,
                               const std::string& series,
                               SeriesReduce reduce = SeriesReduce::kMean);
// Opens `path` read-only and reads the series.
Result<Series> ReadSeriesStoreFile(const std::string& path, const std::string& autoscaler,
                                   const std::string& series,
                                   SeriesReduce reduce = SeriesReduce::kMean);

// The median spacing of the times (0 with fewer than two points).
Duration MedianStep(const Series& series);

}  // namespace cpa::phpa
