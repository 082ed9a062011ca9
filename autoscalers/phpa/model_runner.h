// ModelRunner: one prediction model of the phpa evaluator with its history and state.
//
// It turns one learned value per run into model points (one per `perSyncPeriod` runs, the skipped
// runs aggregated by mean/max/last), keeps them in time order sized by storedSeasons/historySize,
// and predicts. Holt-Winters keeps its smoothed state between runs and advances it by the new
// points only; it recomputes from the start of its history when the start moves (once per season:
// the window is anchored on whole seasons, between storedSeasons and storedSeasons + 1 seasons
// long), when the initial state would change (a heuristic start while its first 5 seasons fill
// up; an estimated start, refitted to the window on every point) or when tuned parameters
// change, so the prediction always equals a full recomputation over the same window. A model that
// cannot predict yet abstains and says why. Not thread-safe: the evaluator serializes runs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "autoscalers/phpa/phpa_options.h"
#include "common/clock.h"
#include "common/error.h"
#include "models/holt_winters.h"

namespace cpa::phpa {

// One learned value of one run (or one model point).
struct Point {
  TimePoint time;
  double value = 0.0;
};

// What a model said this run.
struct ModelOutcome {
  std::string name;
  ModelType type = ModelType::kHoltWinters;
  std::optional<double> prediction;  // raw forecast (replicas, or load in replicas)
  std::optional<int> replicas;       // ceil(prediction), >= 0; set when the model takes part
  std::string reason;                // why it abstained; empty when it takes part
  std::string note;                  // e.g. tuning hook failure, parameters used
  int history_points = 0;            // model points it predicted from
  std::optional<models::HoltWintersParams> params;  // Holt-Winters parameters used
};

// Parameters a runtimeTuningFetchHook returned (each optional).
struct TunedParams {
  std::optional<double> alpha;
  std::optional<double> beta;
  std::optional<double> gamma;
};

// Asks for Holt-Winters parameters before a prediction (the runtimeTuningFetchHook).
class TuningFetcher {
 public:
  virtual ~TuningFetcher() = default;
  virtual Result<TunedParams> Fetch(const ModelOptions& model, std::span<const Point> history) = 0;
};

class ModelRunner {
 public:
  // `interval_ms` is the autoscaler's run interval; `fetcher` (may be null) must outlive this.
  ModelRunner(ModelOptions options, int64_t interval_ms, TuningFetcher* fetcher = nullptr);

  // Feeds one run's learned value (runs in time order).
  void Observe(TimePoint time, double value);
  // The model's prediction at `now` (the time of the newest observed run).
  ModelOutcome Predict(TimePoint now);

  const ModelOptions& options() const { return options_; }
  // Model points held, oldest first.
  std::span<const Point> history() const { return points_; }
  // Raw runs this model needs from the store to rebuild its history after a restart.
  int64_t RawPointsNeeded() const;
  // Duration of one model point (perSyncPeriod * interval).
  int64_t PeriodMs() const { return period_ms_; }
  // Full Holt-Winters recomputations so far (tests and benchmarks: incremental updates do not
  // count).
  int64_t full_recomputations() const { return full_recomputations_; }

 private:
  void ClosePending();
  void Trim();
  ModelOutcome PredictLinear(TimePoint now);
  ModelOutcome PredictHoltWinters();
  int64_t AnchorStep() const;

  ModelOptions options_;
  int64_t interval_ms_;
  int64_t period_ms_;
  TuningFetcher* fetcher_;

  std::vector<Point> points_;
  std::vector<int64_t> buckets_;  // bucket index of each point
  std::vector<double> pending_;
  int64_t pending_bucket_ = 0;
  TimePoint pending_time_;
  std::optional<TimePoint> last_time_;
  std::optional<TimePoint> start_at_;
  int64_t generation_ = 0;  // changes whenever points_ changes

  // Holt-Winters state over points_[0, state_points_), for state_params_.
  bool state_valid_ = false;
  size_t state_points_ = 0;
  models::HoltWintersParams state_params_;
  int64_t state_init_key_ = 0;
  models::FinalState state_;
  int64_t full_recomputations_ = 0;

  std::optional<ModelOutcome> cached_;
  int64_t cached_generation_ = -1;
};

}  // namespace cpa::phpa
