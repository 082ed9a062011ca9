// Fitting (tuning) Holt-Winters parameters, and error metrics on a held-out last season.
//
// Pure math on NLopt, no I/O, no clock; deterministic (fixed grid, fixed optimizer settings, no
// randomness). Thread-safe: every call owns its optimizer.
//
// What is optimized (see docs/models.md):
//   objective  horizon == 1: the one-step SSE (what statsmodels minimizes);
//              horizon == H > 1: the sum of squared errors of the H-step-ahead forecasts made at
//              every point of the series (what an autoscaler needs a pod start-up ahead).
//   smoothing  alpha, beta, gamma in [0, 1] and phi in [0.8, 1] (when damped): a coarse grid
//              (5 values per parameter, 2 for phi; early abandon) picks the 3 best starts, each
//              gets a loose NLopt LN_BOBYQA descent, and the best is polished by BOBYQA. The box
//              contains statsmodels' feasible set (beta <= alpha, gamma <= 1 - alpha), so at
//              equal initial states our optimum is at least as good.
//   estimated  initial level, trend and seasonals are then fitted together with the smoothing
//              parameters by NLopt's LD_LBFGS on the one-step SSE with an exact reverse-mode
//              gradient, starting from the heuristic (or simple) start and the grid/BOBYQA result.
// Metrics: the series without its last season (or `holdout_points`) is fitted again, then the
// fitted and the baseline parameters are run over the whole series and scored on the held-out
// points by their `horizon`-step-ahead forecasts (rolling origin, as the autoscaler uses them).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "common/error.h"
#include "models/holt_winters.h"

namespace cpa::models {

struct ErrorMetrics {
  int count = 0;
  double rmse = 0.0;
  double mae = 0.0;
  std::optional<double> mape;  // percent, over points with y != 0; unset when there are none
};

// Metrics of predictions against actual values (same length; empty gives count 0).
ErrorMetrics ComputeErrorMetrics(std::span<const double> actual, std::span<const double> predicted);

struct FitOptions {
  int horizon = 1;             // objective horizon H >= 1
  bool fit_smoothing = true;   // false: keep options.params, fit only estimated initial states
  int max_evaluations = 4000;  // per local optimization
  bool evaluate_holdout = false;
  int holdout_points = 0;                     // 0: one season when seasonal, else max(1, n / 5)
  std::optional<HoltWintersParams> baseline;  // also scored on the hold-out, e.g. 0.9/0.9/0.9

  Status Validate() const;
};

struct FitResult {
  HoltWintersParams params;             // fitted (or given, when !fit_smoothing)
  InitialState initial;                 // initial state used with them
  double sse = 0.0;                     // one-step SSE over the whole series
  double objective = 0.0;               // the minimized objective (== sse when horizon == 1)
  int evaluations = 0;                  // objective evaluations spent
  std::optional<ErrorMetrics> holdout;  // fitted parameters on the held-out points
  std::optional<ErrorMetrics> baseline_holdout;  // baseline parameters on the held-out points
};

// Fits the parameters of `options` (trend, seasonal, damping and initialization method are
// kept) to `y`. Errors as RunHoltWinters (invalid input, not ready).
Result<FitResult> FitHoltWinters(const HoltWintersOptions& options, std::span<const double> y,
                                 const FitOptions& fit = {});

// Fits only the initial state for the fixed parameters of `options` by minimizing the one-step
// SSE, starting from `start`. Used by `initialization = estimated` with fixed parameters.
InitialState EstimateInitialState(const HoltWintersOptions& options, std::span<const double> y,
                                  const InitialState& start);

// Sum of squared `horizon`-step-ahead errors of forecasts made at every origin whose target lies
// in [first_target, n); horizon 1 and first_target 0 give the SSE. Non-finite results are +inf.
double HorizonLoss(const HoltWintersOptions& options, const InitialState& initial,
                   std::span<const double> y, int horizon, int first_target,
                   std::vector<double>* predictions = nullptr);

// One-step SSE and its exact gradient with respect to (alpha, beta, gamma, phi, level, trend,
// seasonal[0..m-1]) (reverse mode). `gradient` is resized to 4 + 2 + m.
double SseGradient(const HoltWintersOptions& options, const InitialState& initial,
                   std::span<const double> y, std::vector<double>& gradient);

}  // namespace cpa::models
