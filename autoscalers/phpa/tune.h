// `cpa tune`: fit a Holt-Winters model (and the linear model's historySize) to a recorded series
// and compare, on a held-out last season, the fitted parameters against the configured ones and
// the original PHPA's example 0.9/0.9/0.9; optionally score them by replaying decisions.
//
// Fitting is models/ (FitHoltWinters); the objective is the squared error `lookAhead` points ahead,
// what the evaluator uses. Candidates are fitted on the series without the hold-out and scored on
// it by their rolling `lookAhead`-ahead forecasts; the recommended parameters are then fitted on
// the whole series. Decision replay (ScoreReplay): at each point of the hold-out the decision is
// max(ceil(current value), ceil(forecast)) as `decisionType: maximum` takes it, and it is in effect
// `lookAhead` points later (a pod's start-up); it reports replica-hours and the share of points
// where the value exceeded the capacity then in effect, beside the HPA alone (no model).
// Deterministic; pure apart from the series given. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autoscalers/phpa/series_source.h"
#include "common/error.h"
#include "models/fit.h"
#include "models/holt_winters.h"

namespace cpa::phpa {

struct TuneOptions {
  // Trend, seasonal, damping, seasonalPeriods and initialization of the model to fit; its params
  // are ignored (see `configured`).
  models::HoltWintersOptions model;
  std::optional<models::HoltWintersParams> configured;  // the config's alpha/beta/gamma
  models::HoltWintersParams original = {0.9, 0.9, 0.9, 0.98};
  int look_ahead = 1;      // points ahead (the evaluator's holtWinters.lookAhead in runs)
  int holdout = 0;         // held-out points; 0: one season (a fifth without season)
  int stored_seasons = 4;  // written into the snippet
  std::string model_name = "HoltWintersPrediction";
  bool score_replay = false;
  // historySize values tried for the linear model (empty: not tuned).
  std::vector<int> linear_history_sizes = {2, 3, 5, 10, 20, 30, 60};

  Status Validate() const;
};

struct ReplayScore {
  double replica_hours = 0.0;            // sum of the capacity in effect over the hold-out
  double under_provisioned_share = 0.0;  // share of points whose value exceeded the capacity
  int scale_events = 0;                  // capacity changes
};

struct Candidate {
  std::string
      name;  // "fitted", "configured", "original 0.9/0.9/0.9", "linear historySize=N", "hpa only"
  std::optional<models::HoltWintersParams> params;
  std::optional<int> history_size;            // linear candidates
  std::optional<models::ErrorMetrics> error;  // none for "hpa only"
  std::optional<ReplayScore> replay;
  std::string problem;  // why it could not be scored
};

struct TuneResult {
  int points = 0;
  int holdout = 0;
  Duration step{};
  std::vector<Candidate> candidates;
  models::FitResult recommended;         // fitted on the whole series
  std::optional<int> best_history_size;  // linear
  std::string snippet;                   // YAML for evaluate.phpa.models[]
};

Result<TuneResult> Tune(const Series& series, const TuneOptions& options);

}  // namespace cpa::phpa
