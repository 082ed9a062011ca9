#include "models/fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <nlopt.h>

#include "models/initialization.h"
#include "models/smoothing_kernel.h"

namespace cpa::models {

namespace {

constexpr double kPenalty = 1e300;  // objective value of a diverged recursion
constexpr double kPhiLower = 0.8;   // statsmodels' default lower bound of phi
constexpr double kPhiUpper = 1.0;

// Which smoothing parameters are free: indexes into (alpha, beta, gamma, phi).
std::vector<int> ActiveSmoothing(const HoltWintersOptions& o) {
  std::vector<int> active = {0};
  if (o.HasTrend()) active.push_back(1);
  if (o.HasSeasonal()) active.push_back(2);
  if (o.damped) active.push_back(3);
  return active;
}

double& ParamRef(HoltWintersParams& p, int index) {
  switch (index) {
    case 0:
      return p.alpha;
    case 1:
      return p.beta;
    case 2:
      return p.gamma;
    default:
      return p.phi;
  }
}

double LowerBound(int index) { return index == 3 ? kPhiLower : 0.0; }
double UpperBound(int index) { return index == 3 ? kPhiUpper : 1.0; }

// --- smoothing parameters: grid + BOBYQA -------------------------------------------------------

struct SmoothingProblem {
  HoltWintersOptions options;
  const InitialState* initial;
  std::span<const double> y;
  int horizon;
  std::vector<int> active;
  int evaluations = 0;

  double Eval(const double* x) {
    ++evaluations;
    for (size_t i = 0; i < active.size(); ++i) ParamRef(options.params, active[i]) = x[i];
    const double loss = HorizonLoss(options, *initial, y, horizon, 0);
    return std::isfinite(loss) ? loss : kPenalty;
  }
};

double SmoothingObjective(unsigned, const double* x, double*, void* data) {
  return static_cast<SmoothingProblem*>(data)->Eval(x);
}

// Minimizes the horizon loss over the free smoothing parameters; returns the best parameters.
HoltWintersParams FitSmoothing(const HoltWintersOptions& options, const InitialState& initial,
                               std::span<const double> y, int horizon, int max_evaluations,
                               const HoltWintersParams* extra_start, int& evaluations) {
  SmoothingProblem problem{options, &initial, y, horizon, ActiveSmoothing(options)};
  const size_t dim = problem.active.size();
  // Coarse grid.
  static constexpr double kGrid[] = {0.02, 0.1, 0.3, 0.6, 0.9};
  static constexpr double kPhiGrid[] = {0.9, 0.98};
  std::vector<std::pair<double, std::vector<double>>> scored;
  std::vector<double> x(dim);
  std::vector<size_t> counter(dim, 0);
  auto grid_size = [&](size_t i) {
    return problem.active[i] == 3 ? std::size(kPhiGrid) : std::size(kGrid);
  };
  while (true) {
    for (size_t i = 0; i < dim; ++i) {
      x[i] = problem.active[i] == 3 ? kPhiGrid[counter[i]] : kGrid[counter[i]];
    }
    scored.emplace_back(0.0, x);
    size_t i = 0;
    while (i < dim && ++counter[i] == grid_size(i)) counter[i++] = 0;
    if (i == dim) break;
  }
  // Grid points are scored with early abandon: a recursion whose running loss already exceeds
  // the third best complete loss cannot be one of the 3 starts, so it stops there.
  std::vector<double> best3 = {kPenalty, kPenalty, kPenalty};
  for (auto& [value, point] : scored) {
    ++problem.evaluations;
    HoltWintersOptions& o = problem.options;
    for (size_t i = 0; i < dim; ++i) ParamRef(o.params, problem.active[i]) = point[i];
    const double cutoff = best3[2];
    const size_t h1 = static_cast<size_t>(horizon - 1);
    const size_t n = y.size();
    double loss = 0.0;
    internal::Run(o, o.params, initial, y, horizon, [&](size_t t, double, double yhat_h) {
      if (t + h1 < n) {
        const double e = y[t + h1] - yhat_h;
        loss += e * e;
      }
      return loss <= cutoff;  // NaN compares false: stop
    });
    value = std::isfinite(loss) && loss <= cutoff ? loss : kPenalty;
    if (value < best3[2]) {
      best3[2] = value;
      std::sort(best3.begin(), best3.end());
    }
  }
  if (extra_start != nullptr) {
    HoltWintersParams p = *extra_start;
    for (size_t i = 0; i < dim; ++i) {
      x[i] = std::clamp(ParamRef(p, problem.active[i]), LowerBound(problem.active[i]),
                        UpperBound(problem.active[i]));
    }
    scored.emplace_back(problem.Eval(x.data()), x);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> lb(dim), ub(dim), step(dim, 0.05);
  for (size_t i = 0; i < dim; ++i) {
    lb[i] = LowerBound(problem.active[i]);
    ub[i] = UpperBound(problem.active[i]);
    if (problem.active[i] == 3) step[i] = 0.02;
  }
  // Local refinement by BOBYQA from x (value = objective at x); keeps the better of start and
  // result.
  auto refine = [&](std::vector<double>& x, double& value, double xtol, double ftol,
                    double step_scale) {
    std::vector<double> scaled_step = step;
    for (double& v : scaled_step) v *= step_scale;
    std::vector<double> trial = x;
    nlopt_opt opt = nlopt_create(NLOPT_LN_BOBYQA, static_cast<unsigned>(dim));
    nlopt_set_lower_bounds(opt, lb.data());
    nlopt_set_upper_bounds(opt, ub.data());
    nlopt_set_min_objective(opt, SmoothingObjective, &problem);
    nlopt_set_xtol_rel(opt, xtol);
    nlopt_set_ftol_rel(opt, ftol);
    nlopt_set_maxeval(opt, max_evaluations);
    nlopt_set_initial_step(opt, scaled_step.data());
    double trial_value = value;
    const nlopt_result rc = nlopt_optimize(opt, trial.data(), &trial_value);
    nlopt_destroy(opt);
    if ((rc > 0 || rc == NLOPT_ROUNDOFF_LIMITED) && trial_value < value) {
      x = std::move(trial);
      value = trial_value;
    }
  };
  // Stage 1: a quick, loose descent from each of the 3 best grid points (they may lie in
  // different basins); stage 2: polish the best of them.
  const size_t starts = std::min<size_t>(3, scored.size());
  double best_value = scored.front().first;
  std::vector<double> best_x = scored.front().second;
  for (size_t s = 0; s < starts; ++s) {
    std::vector<double> x = scored[s].second;
    double value = scored[s].first;
    refine(x, value, 5e-2, 1e-4, 1.0);
    if (value < best_value) {
      best_value = value;
      best_x = std::move(x);
    }
  }
  refine(best_x, best_value, 1e-5, 1e-9, 0.2);
  evaluations += problem.evaluations;
  HoltWintersParams best = options.params;
  for (size_t i = 0; i < dim; ++i) ParamRef(best, problem.active[i]) = best_x[i];
  return best;
}

// --- estimated initial states (and smoothing parameters): L-BFGS with exact gradient ------------

struct JointProblem {
  HoltWintersOptions options;
  std::span<const double> y;
  std::vector<int> active_smoothing;  // empty when the smoothing parameters are fixed
  double level_scale = 1.0;
  double trend_scale = 1.0;
  double season_scale = 1.0;
  double loss_scale = 1.0;
  int m = 0;
  int evaluations = 0;
  InitialState state;
  std::vector<double> gradient;
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> best_x;

  size_t Dim() const {
    return active_smoothing.size() + 1 + (options.HasTrend() ? 1 : 0) + static_cast<size_t>(m);
  }
  void Unpack(const double* x) {
    size_t k = 0;
    for (int index : active_smoothing) ParamRef(options.params, index) = x[k++];
    state.level = x[k++] * level_scale;
    if (options.HasTrend()) state.trend = x[k++] * trend_scale;
    state.seasonal.resize(static_cast<size_t>(m));
    for (int j = 0; j < m; ++j) state.seasonal[static_cast<size_t>(j)] = x[k++] * season_scale;
  }
  void Pack(const HoltWintersParams& p, const InitialState& s, double* x) const {
    size_t k = 0;
    HoltWintersParams copy = p;
    for (int index : active_smoothing) x[k++] = ParamRef(copy, index);
    x[k++] = s.level / level_scale;
    if (options.HasTrend()) x[k++] = s.trend / trend_scale;
    for (int j = 0; j < m; ++j) x[k++] = s.seasonal[static_cast<size_t>(j)] / season_scale;
  }
  double Eval(const double* x, double* grad) {
    ++evaluations;
    Unpack(x);
    const double sse = SseGradient(options, state, y, gradient);
    const size_t dim = Dim();
    if (!std::isfinite(sse)) {
      if (grad != nullptr) std::fill(grad, grad + dim, 0.0);
      return kPenalty;
    }
    if (sse < best) {
      best = sse;
      best_x.assign(x, x + dim);
    }
    if (grad != nullptr) {
      size_t k = 0;
      for (int index : active_smoothing)
        grad[k++] = gradient[static_cast<size_t>(index)] * loss_scale;
      grad[k++] = gradient[4] * level_scale * loss_scale;
      if (options.HasTrend()) grad[k++] = gradient[5] * trend_scale * loss_scale;
      for (int j = 0; j < m; ++j) {
        grad[k++] = gradient[6 + static_cast<size_t>(j)] * season_scale * loss_scale;
      }
    }
    return sse * loss_scale;
  }
};

double JointObjective(unsigned, const double* x, double* grad, void* data) {
  return static_cast<JointProblem*>(data)->Eval(x, grad);
}

// Fits the initial state (and the smoothing parameters when `fit_smoothing`) by L-BFGS on the
// one-step SSE, from (options.params, start). Returns the best found (never worse than start).
std::pair<HoltWintersParams, InitialState> FitJoint(const HoltWintersOptions& options,
                                                    std::span<const double> y,
                                                    const InitialState& start, bool fit_smoothing,
                                                    int max_evaluations, int& evaluations) {
  JointProblem problem;
  problem.options = options;
  problem.y = y;
  problem.m = options.SeasonLength();
  if (fit_smoothing) problem.active_smoothing = ActiveSmoothing(options);
  double mean_abs = 0.0;
  for (double v : y) mean_abs += std::abs(v);
  mean_abs = y.empty() ? 1.0 : mean_abs / static_cast<double>(y.size());
  if (!(mean_abs > 0.0)) mean_abs = 1.0;
  problem.level_scale = mean_abs;
  problem.trend_scale = options.trend == Trend::kAdditive ? mean_abs : 1.0;
  problem.season_scale = options.seasonal == Seasonal::kAdditive ? mean_abs : 1.0;
  problem.loss_scale =
      1.0 / (mean_abs * mean_abs * static_cast<double>(std::max<size_t>(1, y.size())));
  const size_t dim = problem.Dim();
  std::vector<double> x(dim), lb(dim, -HUGE_VAL), ub(dim, HUGE_VAL);
  problem.Pack(options.params, start, x.data());
  size_t k = 0;
  for (int index : problem.active_smoothing) {
    lb[k] = LowerBound(index);
    ub[k] = UpperBound(index);
    ++k;
  }
  const bool positive_level =
      options.trend == Trend::kMultiplicative || options.seasonal == Seasonal::kMultiplicative;
  if (positive_level) lb[k] = 1e-9;
  ++k;
  if (options.HasTrend()) {
    if (options.trend == Trend::kMultiplicative) lb[k] = 1e-9;
    ++k;
  }
  for (int j = 0; j < problem.m; ++j, ++k) {
    if (options.seasonal == Seasonal::kMultiplicative) lb[k] = 1e-9;
  }
  for (size_t i = 0; i < dim; ++i) x[i] = std::clamp(x[i], lb[i], ub[i]);
  const double start_value = problem.Eval(x.data(), nullptr);
  nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, static_cast<unsigned>(dim));
  nlopt_set_lower_bounds(opt, lb.data());
  nlopt_set_upper_bounds(opt, ub.data());
  nlopt_set_min_objective(opt, JointObjective, &problem);
  nlopt_set_ftol_rel(opt, 1e-12);
  nlopt_set_xtol_rel(opt, 1e-10);
  nlopt_set_maxeval(opt, max_evaluations);
  nlopt_set_vector_storage(opt, 20);
  double value = start_value;
  nlopt_optimize(opt, x.data(), &value);
  nlopt_destroy(opt);
  evaluations += problem.evaluations;
  if (!problem.best_x.empty()) problem.Unpack(problem.best_x.data());
  return {problem.options.params, problem.state};
}

Result<InitialState> StartState(const HoltWintersOptions& options, std::span<const double> y) {
  const int m = options.SeasonLength();
  switch (options.initialization) {
    case Initialization::kKnown:
      return options.initial;
    case Initialization::kHeuristic:
      return HeuristicInitialState(options.trend, options.seasonal, m, y);
    case Initialization::kEstimated:
      if (static_cast<int>(y.size()) >= HeuristicRequiredHistory(options.seasonal, m)) {
        return HeuristicInitialState(options.trend, options.seasonal, m, y);
      }
      return SimpleInitialState(options.trend, options.seasonal, m, y);
  }
  return options.initial;
}

struct CoreFit {
  HoltWintersParams params;
  InitialState initial;
  int evaluations = 0;
};

Result<CoreFit> FitCore(const HoltWintersOptions& options, std::span<const double> y,
                        const FitOptions& fit) {
  auto start = StartState(options, y);
  if (!start) return std::unexpected(start.error());
  CoreFit core{options.params, *std::move(start), 0};
  HoltWintersOptions work = options;
  if (fit.fit_smoothing) {
    core.params = FitSmoothing(work, core.initial, y, fit.horizon, fit.max_evaluations, nullptr,
                               core.evaluations);
    work.params = core.params;
  }
  if (options.initialization == Initialization::kEstimated) {
    const bool joint = fit.fit_smoothing && fit.horizon == 1;
    auto [params, state] =
        FitJoint(work, y, core.initial, joint, fit.max_evaluations, core.evaluations);
    core.initial = std::move(state);
    if (joint) core.params = params;
    work.params = core.params;
    if (fit.fit_smoothing && fit.horizon > 1) {
      core.params = FitSmoothing(work, core.initial, y, fit.horizon, fit.max_evaluations,
                                 &work.params, core.evaluations);
    }
  }
  return core;
}

}  // namespace

Status FitOptions::Validate() const {
  if (horizon < 1) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "fit horizon must be >= 1, got {}", horizon);
  }
  if (max_evaluations < 1) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "max evaluations must be >= 1, got {}",
                      max_evaluations);
  }
  if (holdout_points < 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "holdout points must be >= 0, got {}",
                      holdout_points);
  }
  return OkStatus();
}

double HorizonLoss(const HoltWintersOptions& options, const InitialState& initial,
                   std::span<const double> y, int horizon, int first_target,
                   std::vector<double>* predictions) {
  const size_t n = y.size();
  const size_t h1 = static_cast<size_t>(horizon - 1);
  const size_t first = static_cast<size_t>(std::max(0, first_target));
  if (predictions != nullptr) {
    predictions->assign(n > first ? n - first : 0, std::numeric_limits<double>::quiet_NaN());
  }
  double loss = 0.0;
  internal::Run(options, options.params, initial, y, horizon, [&](size_t t, double, double yhat_h) {
    const size_t target = t + h1;
    if (target >= n || target < first) return;
    const double e = y[target] - yhat_h;
    loss += e * e;
    if (predictions != nullptr) (*predictions)[target - first] = yhat_h;
  });
  return std::isfinite(loss) ? loss : std::numeric_limits<double>::infinity();
}

InitialState EstimateInitialState(const HoltWintersOptions& options, std::span<const double> y,
                                  const InitialState& start) {
  int evaluations = 0;
  return FitJoint(options, y, start, false, 4000, evaluations).second;
}

Result<FitResult> FitHoltWinters(const HoltWintersOptions& options, std::span<const double> y,
                                 const FitOptions& fit) {
  CPA_RETURN_IF_ERROR(options.Validate());
  CPA_RETURN_IF_ERROR(fit.Validate());
  CPA_RETURN_IF_ERROR(ValidateSeries(options, y));
  if (static_cast<size_t>(fit.horizon) >= y.size()) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "fit horizon {} must be shorter than the series ({} points)", fit.horizon,
                      y.size());
  }
  if (fit.baseline) {
    HoltWintersOptions baseline = options;
    baseline.params = *fit.baseline;
    if (auto status = baseline.Validate(); !status) {
      return std::unexpected(status.error().WithContext("baseline"));
    }
  }
  auto core = FitCore(options, y, fit);
  if (!core) return std::unexpected(core.error());
  FitResult result;
  result.params = core->params;
  result.initial = core->initial;
  result.evaluations = core->evaluations;
  HoltWintersOptions fitted = options;
  fitted.params = result.params;
  result.sse = HorizonLoss(fitted, result.initial, y, 1, 0);
  if (!std::isfinite(result.sse)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no parameters keep the recursion finite on this series (check the model "
                     "kind: multiplicative parts need values well away from 0)");
  }
  result.objective =
      fit.horizon == 1 ? result.sse : HorizonLoss(fitted, result.initial, y, fit.horizon, 0);

  if (fit.evaluate_holdout) {
    const int n = static_cast<int>(y.size());
    int holdout = fit.holdout_points;
    if (holdout == 0) holdout = options.HasSeasonal() ? options.season_length : std::max(1, n / 5);
    const int n_train = n - holdout;
    if (holdout < n && MissingPoints(options, n_train) == 0) {
      const auto train = y.first(static_cast<size_t>(n_train));
      const auto actual = y.subspan(static_cast<size_t>(n_train));
      FitOptions train_fit = fit;
      train_fit.evaluate_holdout = false;
      auto train_core = FitCore(options, train, train_fit);
      if (!train_core) return std::unexpected(train_core.error());
      result.evaluations += train_core->evaluations;
      HoltWintersOptions train_options = options;
      train_options.params = train_core->params;
      std::vector<double> predicted;
      HorizonLoss(train_options, train_core->initial, y, fit.horizon, n_train, &predicted);
      result.holdout = ComputeErrorMetrics(actual, predicted);
      if (fit.baseline) {
        HoltWintersOptions baseline = options;
        baseline.params = *fit.baseline;
        auto start = StartState(baseline, train);
        if (!start) return std::unexpected(start.error());
        InitialState initial = *std::move(start);
        if (baseline.initialization == Initialization::kEstimated) {
          initial = EstimateInitialState(baseline, train, initial);
        }
        HorizonLoss(baseline, initial, y, fit.horizon, n_train, &predicted);
        result.baseline_holdout = ComputeErrorMetrics(actual, predicted);
      }
    }
  }
  return result;
}

}  // namespace cpa::models
