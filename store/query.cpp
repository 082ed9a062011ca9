#include "store/query.h"

#include <limits>
#include <utility>

namespace cpa::store {
namespace {

// Millisecond range a TimePoint (nanoseconds on this platform) can hold without overflow.
constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / 1'000'000 - 1;

}  // namespace

Window Window::Last(TimePoint now, Duration d) {
  // (now - d, now] == [now - d + 1ms, now + 1ms) at millisecond resolution.
  int64_t now_ms = ToMillis(now);
  int64_t d_ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return Window{FromMillis(now_ms - d_ms + 1), FromMillis(now_ms + 1)};
}

Window Window::All() { return Window{FromMillis(-kMaxMillis), FromMillis(kMaxMillis)}; }

SeriesRef SeriesRef::Metric(std::string autoscaler, std::string resource, std::string metric) {
  return SeriesRef{std::move(autoscaler), SeriesKind::kMetric, std::move(resource),
                   std::move(metric)};
}

SeriesRef SeriesRef::Of(std::string autoscaler, SeriesKind kind) {
  return SeriesRef{std::move(autoscaler), kind, "", ""};
}

std::string_view SeriesKindName(SeriesKind kind) {
  switch (kind) {
    case SeriesKind::kMetric:
      return "metric";
    case SeriesKind::kEvaluationTarget:
      return "evaluation";
    case SeriesKind::kPrediction:
      return "prediction";
    case SeriesKind::kDecisionCurrent:
      return "current";
    case SeriesKind::kDecisionRawTarget:
      return "raw-target";
    case SeriesKind::kDecisionStabilizedTarget:
      return "stabilized-target";
  }
  return "unknown";
}

int64_t ToMillis(TimePoint t) {
  // Floor, so a sub-millisecond instant belongs to the millisecond it falls in.
  int64_t ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
  if (ms > kMaxMillis) return kMaxMillis;
  if (ms < -kMaxMillis) return -kMaxMillis;
  return ms;
}

int64_t ToMillisCeil(TimePoint t) {
  int64_t ms = std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count();
  if (ms > kMaxMillis) return kMaxMillis;
  if (ms < -kMaxMillis) return -kMaxMillis;
  return ms;
}

TimePoint FromMillis(int64_t ms) {
  if (ms > kMaxMillis) ms = kMaxMillis;
  if (ms < -kMaxMillis) ms = -kMaxMillis;
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms)));
}

}  // namespace cpa::store
