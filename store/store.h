// store::Store: the embedded time-series store every run writes to and stabilization, HPA
// behavior, prediction models, replay and `cpa history` read from.
//
// Implementations: SqliteStore (sqlite_store.h; a file, or SQLite in memory when no path is set).
// OpenStore (open_store.h) picks one from StoreOptions and falls back to memory when the file
// cannot be used. Every method is thread-safe. Writes are serialized (one writer); readers never
// block the writer and see only whole committed batches. Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/query.h"
#include "store/records.h"

namespace cpa::store {

// A metric series an autoscaler has, with its extent.
struct SeriesInfo {
  std::string resource;
  std::string metric;
  int64_t points = 0;
  TimePoint first;
  TimePoint last;
};

struct StoreStats {
  std::string location;       // "memory" or the database file path
  int64_t bytes_on_disk = 0;  // database file + WAL (0 in memory)
  int64_t bytes_used = 0;     // pages in use (page_count - freelist_count) * page_size
  int64_t schema_version = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores every run in one transaction: all of them or none. After the commit, retention
  // removes a bounded number of expired rows of the autoscalers written (see StoreOptions).
  // A metric point with the same (autoscaler, resource, metric, time) as a stored one replaces it.
  virtual Status Record(std::span<const RunRecord> runs) = 0;
  Status Record(const RunRecord& run) { return Record(std::span<const RunRecord>(&run, 1)); }

  // Autoscaler ids with anything stored, sorted.
  virtual Result<std::vector<std::string>> ListAutoscalers() = 0;
  // Metric series of one autoscaler, sorted by (metric, resource).
  virtual Result<std::vector<SeriesInfo>> ListSeries(std::string_view autoscaler) = 0;

  // Values of a series in a window, oldest first (ties: by resource).
  virtual Result<std::vector<Sample>> Values(const SeriesRef& series, const Query& query) = 0;
  // Max or min numeric value of a series in a window; nullopt when it has none there.
  // Served from an index: cost grows with the rows in the window, not with the table.
  virtual Result<std::optional<double>> Aggregate(const SeriesRef& series, const Window& window,
                                                  Extreme extreme) = 0;

  virtual Result<std::vector<EvaluationRow>> Evaluations(std::string_view autoscaler,
                                                         const Query& query) = 0;
  virtual Result<std::vector<DecisionRow>> Decisions(std::string_view autoscaler,
                                                     const Query& query) = 0;

  virtual Result<StoreStats> Stats() = 0;
  // "memory" or the file path, for logs.
  virtual std::string Location() const = 0;
};

// The downscale stabilization query: the largest evaluated target of `autoscaler` in
// Window::Last(now, window); nullopt when there is none.
Result<std::optional<int64_t>> MaxEvaluatedTarget(Store& store, std::string_view autoscaler,
                                                  TimePoint now, Duration window);

}  // namespace cpa::store
