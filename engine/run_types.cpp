#include "engine/run_types.h"

#include <algorithm>
#include <charconv>

#include "engine/cluster.h"

namespace cpa::engine {

std::string_view RunTypeName(RunType type) {
  switch (type) {
    case RunType::kScaler:
      return "scaler";
    case RunType::kApi:
      return "api";
    case RunType::kApiDryRun:
      return "api_dry_run";
  }
  return "scaler";
}

std::string ObjectName(const JsonValue& object) { return MetadataString(object, "name"); }

namespace {

// Splits "web-12" into ("web", 12); no ordinal -> -1.
std::pair<std::string_view, long> SplitOrdinal(std::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == name.size()) return {name, -1};
  long ordinal = 0;
  auto tail = name.substr(dash + 1);
  auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), ordinal);
  if (ec != std::errc() || ptr != tail.data() + tail.size()) return {name, -1};
  return {name.substr(0, dash), ordinal};
}

}  // namespace

void SortPods(std::vector<std::shared_ptr<const JsonDocument>>& pods) {
  std::stable_sort(pods.begin(), pods.end(), [](const auto& a, const auto& b) {
    std::string na = ObjectName(*a);
    std::string nb = ObjectName(*b);
    auto [pa, oa] = SplitOrdinal(na);
    auto [pb, ob] = SplitOrdinal(nb);
    if (oa >= 0 && ob >= 0 && pa == pb) return oa < ob;
    return na < nb;
  });
}

}  // namespace cpa::engine
