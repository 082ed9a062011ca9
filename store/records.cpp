#include "store/records.h"

#include <utility>

#include "store/number.h"

namespace cpa::store {

MetricPoint MetricPoint::FromText(std::string resource, std::string metric, std::string text) {
  MetricPoint point{std::move(resource), std::move(metric), std::move(text), std::nullopt};
  point.value = ParseNumber(point.text);
  return point;
}

}  // namespace cpa::store
