#include "autoscalers/hpa/hpa_history.h"

#include <algorithm>
#include <cmath>

namespace cpa::hpa {
namespace {

std::vector<TimedReplicas> Since(const std::vector<TimedReplicas>& all, TimePoint since) {
  std::vector<TimedReplicas> out;
  for (const auto& r : all) {
    if (r.time >= since) out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TimedReplicas& a, const TimedReplicas& b) { return a.time < b.time; });
  return out;
}

}  // namespace

InMemoryHpaHistory::InMemoryHpaHistory(const engine::EvaluatorHistorySeed& seed)
    : recommendations_(seed.recommendations), scale_events_(seed.scale_events) {}

Result<std::vector<TimedReplicas>> InMemoryHpaHistory::Recommendations(TimePoint since) {
  std::lock_guard lock(mu_);
  return Since(recommendations_, since);
}

Result<std::vector<TimedReplicas>> InMemoryHpaHistory::ScaleEvents(TimePoint since) {
  std::lock_guard lock(mu_);
  return Since(scale_events_, since);
}

Result<bool> InMemoryHpaHistory::HasRecommendations() {
  std::lock_guard lock(mu_);
  return !recommendations_.empty();
}

Status InMemoryHpaHistory::AddRecommendation(TimePoint at, int replicas) {
  std::lock_guard lock(mu_);
  recommendations_.push_back({at, replicas});
  return OkStatus();
}

Status InMemoryHpaHistory::AddInitialRecommendation(TimePoint at, int replicas) {
  return AddRecommendation(at, replicas);
}

Status InMemoryHpaHistory::AddScaleEvent(TimePoint at, int replica_change) {
  std::lock_guard lock(mu_);
  scale_events_.push_back({at, replica_change});
  return OkStatus();
}

StoreHpaHistory::StoreHpaHistory(store::Store& store, std::string autoscaler_id,
                                 std::string resource)
    : store_(store), id_(std::move(autoscaler_id)), resource_(std::move(resource)) {}

Result<std::vector<TimedReplicas>> StoreHpaHistory::Read(std::string_view metric, TimePoint since) {
  store::Query query;
  query.window = store::Window{since, store::Window::All().to};
  auto samples =
      store_.Values(store::SeriesRef::Metric(id_, resource_, std::string(metric)), query);
  if (!samples) {
    return std::unexpected(
        samples.error().WithContext(fmt::format("read {} history of {}", metric, id_)));
  }
  std::vector<TimedReplicas> out;
  out.reserve(samples->size());
  for (const auto& s : *samples) {
    if (!s.value || !std::isfinite(*s.value)) continue;
    out.push_back({s.time, static_cast<int>(std::llround(*s.value))});
  }
  return out;
}

Status StoreHpaHistory::Write(TimePoint at, std::string_view metric, std::string text) {
  store::RunRecord record;
  record.autoscaler = id_;
  record.time = at;
  record.metrics.push_back(
      store::MetricPoint::FromText(resource_, std::string(metric), std::move(text)));
  auto s = store_.Record(record);
  if (!s)
    return std::unexpected(s.error().WithContext(fmt::format("record {} of {}", metric, id_)));
  return OkStatus();
}

Result<std::vector<TimedReplicas>> StoreHpaHistory::Recommendations(TimePoint since) {
  auto recs = Read("recommendation", since);
  if (!recs) return recs;
  auto initial = Read("initialRecommendation", since);
  if (!initial) return initial;
  recs->insert(recs->end(), initial->begin(), initial->end());
  std::stable_sort(recs->begin(), recs->end(),
                   [](const TimedReplicas& a, const TimedReplicas& b) { return a.time < b.time; });
  return recs;
}

Result<std::vector<TimedReplicas>> StoreHpaHistory::ScaleEvents(TimePoint since) {
  return Read("scaleEvent", since);
}

Result<bool> StoreHpaHistory::HasRecommendations() {
  {
    std::lock_guard lock(mu_);
    if (has_recommendations_) return true;
  }
  store::Query query;
  query.last = 1;
  for (std::string_view metric : {"initialRecommendation", "recommendation"}) {
    auto samples =
        store_.Values(store::SeriesRef::Metric(id_, resource_, std::string(metric)), query);
    if (!samples) return std::unexpected(samples.error());
    if (!samples->empty()) {
      std::lock_guard lock(mu_);
      has_recommendations_ = true;
      return true;
    }
  }
  return false;
}

Status StoreHpaHistory::AddRecommendation(TimePoint at, int replicas) {
  CPA_RETURN_IF_ERROR(Write(at, "recommendation", std::to_string(replicas)));
  std::lock_guard lock(mu_);
  has_recommendations_ = true;
  return OkStatus();
}

Status StoreHpaHistory::AddInitialRecommendation(TimePoint at, int replicas) {
  CPA_RETURN_IF_ERROR(Write(at, "initialRecommendation", std::to_string(replicas)));
  std::lock_guard lock(mu_);
  has_recommendations_ = true;
  return OkStatus();
}

Status StoreHpaHistory::AddScaleEvent(TimePoint at, int replica_change) {
  return Write(at, "scaleEvent", std::to_string(replica_change));
}

Status StoreHpaHistory::AddAudit(TimePoint at, const std::string& json) {
  return Write(at, "audit", json);
}

std::unique_ptr<HpaHistory> OpenHpaHistory(const engine::EvaluatorFactoryContext& context,
                                           std::string resource) {
  if (context.seed != nullptr) return std::make_unique<InMemoryHpaHistory>(*context.seed);
  if (context.store != nullptr) {
    return std::make_unique<StoreHpaHistory>(*context.store, context.autoscaler_id,
                                             std::move(resource));
  }
  return std::make_unique<InMemoryHpaHistory>();
}

}  // namespace cpa::hpa
