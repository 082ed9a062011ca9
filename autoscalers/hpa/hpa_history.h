// Where the HPA normalization keeps its history: the recommendations of past runs (read by the
// stabilization windows) and the scale events (read by the behavior policies' periods).
//
// STABLE API (used by `hpa`, `phpa` and the experiment harness). InMemoryHpaHistory keeps them
// in memory (a `cpa evaluate` snapshot, tests); StoreHpaHistory keeps them in the history store
// as series of the autoscaler (resource "hpa" by default: metrics "recommendation",
// "initialRecommendation", "scaleEvent" and "audit"), so a restart keeps them — the real HPA
// forgets them. Times are stored at millisecond resolution. Implementations are thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "engine/methods/evaluator.h"
#include "store/store.h"

namespace cpa::hpa {

using engine::TimedReplicas;

class HpaHistory {
 public:
  virtual ~HpaHistory() = default;
  // Recommendations with time >= since, oldest first (the initial recommendation included).
  virtual Result<std::vector<TimedReplicas>> Recommendations(TimePoint since) = 0;
  // Scale events with time >= since, oldest first; `replicas` is the change (+ up, - down).
  virtual Result<std::vector<TimedReplicas>> ScaleEvents(TimePoint since) = 0;
  // Whether any recommendation was ever recorded (the HPA records the current replica count as
  // an initial recommendation the first time it sees a target).
  virtual Result<bool> HasRecommendations() = 0;
  virtual Status AddRecommendation(TimePoint at, int replicas) = 0;
  // The first recommendation (the current replicas when first seen); kept apart from a run's
  // recommendation of the same instant.
  virtual Status AddInitialRecommendation(TimePoint at, int replicas) = 0;
  virtual Status AddScaleEvent(TimePoint at, int replica_change) = 0;
  // The decision's audit (JSON); a no-op where nothing is persisted.
  virtual Status AddAudit(TimePoint /*at*/, const std::string& /*json*/) { return OkStatus(); }
};

class InMemoryHpaHistory final : public HpaHistory {
 public:
  InMemoryHpaHistory() = default;
  explicit InMemoryHpaHistory(const engine::EvaluatorHistorySeed& seed);
  Result<std::vector<TimedReplicas>> Recommendations(TimePoint since) override;
  Result<std::vector<TimedReplicas>> ScaleEvents(TimePoint since) override;
  Result<bool> HasRecommendations() override;
  Status AddRecommendation(TimePoint at, int replicas) override;
  Status AddInitialRecommendation(TimePoint at, int replicas) override;
  Status AddScaleEvent(TimePoint at, int replica_change) override;

 private:
  std::mutex mu_;
  std::vector<TimedReplicas> recommendations_;
  std::vector<TimedReplicas> scale_events_;
};

class StoreHpaHistory final : public HpaHistory {
 public:
  // `resource` names the series group ("hpa"; the phpa may use "phpa").
  StoreHpaHistory(store::Store& store, std::string autoscaler_id, std::string resource = "hpa");
  Result<std::vector<TimedReplicas>> Recommendations(TimePoint since) override;
  Result<std::vector<TimedReplicas>> ScaleEvents(TimePoint since) override;
  Result<bool> HasRecommendations() override;
  Status AddRecommendation(TimePoint at, int replicas) override;
  Status AddInitialRecommendation(TimePoint at, int replicas) override;
  Status AddScaleEvent(TimePoint at, int replica_change) override;
  Status AddAudit(TimePoint at, const std::string& json) override;

 private:
  Result<std::vector<TimedReplicas>> Read(std::string_view metric, TimePoint since);
  Status Write(TimePoint at, std::string_view metric, std::string text);

  store::Store& store_;
  std::string id_;
  std::string resource_;
  std::mutex mu_;
  bool has_recommendations_ = false;  // cached once true
};

// The history an evaluator keeps: the snapshot's (`cpa evaluate`, in memory, never written
// back), else the store's under series group `resource`, else memory.
std::unique_ptr<HpaHistory> OpenHpaHistory(const engine::EvaluatorFactoryContext& context,
                                           std::string resource = "hpa");

}  // namespace cpa::hpa
