#include "engine/stages/store_decision_history.h"

#include <algorithm>
#include <limits>

namespace cpa::engine {

Result<std::optional<int>> StoreDecisionHistory::MaxInWindow(TimePoint now, Duration window) {
  auto max = store::MaxEvaluatedTarget(store_, id_, now, window);
  if (!max) return std::unexpected(max.error().WithContext("read stabilization window"));
  if (!*max) return std::optional<int>();
  return std::optional<int>(
      static_cast<int>(std::clamp<int64_t>(**max, 0, std::numeric_limits<int>::max())));
}

}  // namespace cpa::engine
