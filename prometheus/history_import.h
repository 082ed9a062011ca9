// Filling the store from Prometheus: `cpa history import` and the `store.backfill` of `cpa run`.
//
// ImportRange runs one range query over [start, end] at `step`, split into requests of at most
// kMaxPointsPerQuery points (Prometheus refuses more), reduces the series of each step to one
// value with ValueRules (NaN/Inf steps are skipped and counted), and writes one metric point per
// step to (autoscaler, resource, metric). The store keeps one point per (series, time), so
// importing a range twice stores each point once. BackfillPlan decides which range a store
// lacks. The client and store must outlive the calls; not thread-safe per call.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "prometheus/client.h"
#include "prometheus/query_value.h"
#include "store/store.h"

namespace cpa::prometheus {

struct RangeImport {
  std::string query;
  TimePoint start;
  TimePoint end;
  std::chrono::milliseconds step{15000};
  ValueRules rules;  // emptyResultValue is not used: steps without samples are skipped
  std::string autoscaler;
  std::string resource;
  std::string metric;
};

struct ImportReport {
  int64_t requests = 0;
  int64_t points = 0;   // points written (a rerun rewrites the same points)
  int64_t skipped = 0;  // steps with no sample, or a NaN/Inf value
  std::optional<TimePoint> first;
  std::optional<TimePoint> last;
};

Result<ImportReport> ImportRange(Client& client, store::Store& store, const RangeImport& import);

// The range a store lacks so that the series holds history back to `now - needed`:
// nullopt when the oldest stored point is old enough; otherwise [now - needed, end] where end is
// one step before the oldest stored point (or `now` when the series is empty).
struct MissingRange {
  TimePoint start;
  TimePoint end;
};
Result<std::optional<MissingRange>> BackfillPlan(store::Store& store,
                                                 const store::SeriesRef& series, TimePoint now,
                                                 Duration needed, std::chrono::milliseconds step);

}  // namespace cpa::prometheus
