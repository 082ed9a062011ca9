#include "store/store.h"

namespace cpa::store {

Result<std::optional<int64_t>> MaxEvaluatedTarget(Store& store, std::string_view autoscaler,
                                                  TimePoint now, Duration window) {
  auto max = store.Aggregate(SeriesRef::Of(std::string(autoscaler), SeriesKind::kEvaluationTarget),
                             Window::Last(now, window), Extreme::kMax);
  if (!max) return std::unexpected(max.error());
  if (!*max) return std::optional<int64_t>();
  return std::optional<int64_t>(static_cast<int64_t>(**max));
}

}  // namespace cpa::store
