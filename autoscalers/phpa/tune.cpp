#include "autoscalers/phpa/tune.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "models/initialization.h"
#include "models/linear_regression.h"

namespace cpa::phpa {
namespace {

int Ceil(double v) {
  const double r = std::ceil(v - 1e-9);
  if (!(r > 0.0)) return 0;
  return r > 1e9 ? 1'000'000'000 : static_cast<int>(r);
}

// The start state a model run over `train` would use (as models/ initializes).
Result<models::InitialState> Start(const models::HoltWintersOptions& o,
                                   std::span<const double> train) {
  const int m = o.SeasonLength();
  switch (o.initialization) {
    case models::Initialization::kKnown:
      return o.initial;
    case models::Initialization::kHeuristic:
      return models::HeuristicInitialState(o.trend, o.seasonal, m, train);
    case models::Initialization::kEstimated: {
      const bool heuristic_ok =
          static_cast<int>(train.size()) >= models::HeuristicRequiredHistory(o.seasonal, m);
      auto start = heuristic_ok ? models::HeuristicInitialState(o.trend, o.seasonal, m, train)
                                : models::SimpleInitialState(o.trend, o.seasonal, m, train);
      if (!start) return start;
      return models::EstimateInitialState(o, train, *start);
    }
  }
  return models::HeuristicInitialState(o.trend, o.seasonal, m, train);
}

// Decisions at origin j - h (max of the value seen then and the forecast for j) in effect at j.
ReplayScore Replay(std::span<const double> y, int first, int h,
                   const std::vector<double>* predictions, double step_hours) {
  ReplayScore score;
  int under = 0;
  int previous = -1;
  const int n = static_cast<int>(y.size());
  for (int j = first; j < n; ++j) {
    int capacity = Ceil(y[static_cast<size_t>(j - h)]);
    if (predictions != nullptr) {
      capacity = std::max(capacity, Ceil((*predictions)[static_cast<size_t>(j - first)]));
    }
    score.replica_hours += capacity * step_hours;
    if (y[static_cast<size_t>(j)] > capacity + 1e-9) ++under;
    if (previous >= 0 && capacity != previous) ++score.scale_events;
    previous = capacity;
  }
  score.under_provisioned_share = n > first ? static_cast<double>(under) / (n - first) : 0.0;
  return score;
}

std::string Number(double v) { return fmt::format("{:.4g}", v); }

}  // namespace

Status TuneOptions::Validate() const {
  CPA_RETURN_IF_ERROR(model.Validate());
  if (look_ahead < 1) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "lookAhead must be >= 1, got {}", look_ahead);
  }
  if (holdout < 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "holdout must be >= 0, got {}", holdout);
  }
  if (stored_seasons < 1) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "storedSeasons must be >= 1, got {}",
                      stored_seasons);
  }
  for (int hs : linear_history_sizes) {
    if (hs < 1) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "historySize must be >= 1, got {}", hs);
    }
  }
  return OkStatus();
}

Result<TuneResult> Tune(const Series& series, const TuneOptions& options) {
  CPA_RETURN_IF_ERROR(options.Validate());
  const std::span<const double> y = series.values;
  const int n = static_cast<int>(y.size());
  const int h = options.look_ahead;
  TuneResult result;
  result.points = n;
  result.step = MedianStep(series);
  int holdout = options.holdout;
  if (holdout == 0) {
    holdout = options.model.HasSeasonal() ? options.model.season_length : std::max(1, n / 5);
  }
  const int n_train = n - holdout;
  if (holdout >= n || n_train <= h) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "the series has {} point(s): too few to hold out {} and fit the rest", n,
                      holdout);
  }
  if (const int missing = models::MissingPoints(options.model, n_train); missing > 0) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "not enough history: the model needs {} point(s) before the hold-out of {}, "
                      "the series has {} in all ({} more needed)",
                      models::RequiredHistory(options.model), holdout, n, missing);
  }
  result.holdout = holdout;
  const auto train = y.first(static_cast<size_t>(n_train));
  const auto actual = y.subspan(static_cast<size_t>(n_train));
  const double step_hours = std::chrono::duration<double>(result.step).count() / 3600.0;

  models::FitOptions fit;
  fit.horizon = h;
  auto train_fit = models::FitHoltWinters(options.model, train, fit);
  if (!train_fit) return std::unexpected(train_fit.error());

  auto score = [&](std::string name, const models::HoltWintersParams& params,
                   const std::optional<models::InitialState>& initial) {
    Candidate c;
    c.name = std::move(name);
    c.params = params;
    models::HoltWintersOptions o = options.model;
    o.params = params;
    if (auto valid = o.Validate(); !valid) {
      c.problem = valid.error().message;
      return c;
    }
    models::InitialState start;
    if (initial) {
      start = *initial;
    } else {
      auto s = Start(o, train);
      if (!s) {
        c.problem = s.error().message;
        return c;
      }
      start = *std::move(s);
    }
    std::vector<double> predicted;
    models::HorizonLoss(o, start, y, h, n_train, &predicted);
    c.error = models::ComputeErrorMetrics(actual, predicted);
    if (options.score_replay) c.replay = Replay(y, n_train, h, &predicted, step_hours);
    return c;
  };
  result.candidates.push_back(score("fitted", train_fit->params, train_fit->initial));
  if (options.configured) result.candidates.push_back(score("configured", *options.configured, {}));
  result.candidates.push_back(score("original 0.9/0.9/0.9", options.original, {}));

  // Linear: rolling predictions `h` points ahead from the last historySize points.
  std::vector<double> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    t[static_cast<size_t>(i)] =
        std::chrono::duration<double>(series.times[static_cast<size_t>(i)].time_since_epoch())
            .count();
  }
  const double step_s = std::chrono::duration<double>(result.step).count();
  double best_rmse = std::numeric_limits<double>::infinity();
  for (int hs : options.linear_history_sizes) {
    Candidate c;
    c.name = fmt::format("linear historySize={}", hs);
    c.history_size = hs;
    std::vector<double> predicted;
    for (int j = n_train; j < n; ++j) {
      const int origin = j - h;
      const int from = std::max(0, origin - hs + 1);
      const auto ts = std::span<const double>(t).subspan(static_cast<size_t>(from),
                                                         static_cast<size_t>(origin - from + 1));
      const auto vs = y.subspan(static_cast<size_t>(from), static_cast<size_t>(origin - from + 1));
      auto p = models::PredictLinear(ts, vs, t[static_cast<size_t>(origin)] + h * step_s);
      predicted.push_back(p ? *p : vs.back());
    }
    c.error = models::ComputeErrorMetrics(actual, predicted);
    if (options.score_replay) c.replay = Replay(y, n_train, h, &predicted, step_hours);
    if (c.error->rmse < best_rmse) {
      best_rmse = c.error->rmse;
      result.best_history_size = hs;
    }
    result.candidates.push_back(std::move(c));
  }
  if (options.score_replay) {
    Candidate hpa;
    hpa.name = "hpa only";
    hpa.replay = Replay(y, n_train, h, nullptr, step_hours);
    result.candidates.push_back(std::move(hpa));
  }

  auto all = models::FitHoltWinters(options.model, y, fit);
  if (!all) return std::unexpected(all.error());
  result.recommended = *std::move(all);

  const models::HoltWintersOptions& m = options.model;
  const auto& p = result.recommended.params;
  std::string s = fmt::format(
      "# evaluate.phpa.models[] entry fitted by `cpa tune` on {} points ({} held out)\n"
      "- type: HoltWinters\n"
      "  name: {}\n"
      "  holtWinters:\n"
      "    alpha: {}\n",
      n, holdout, options.model_name, Number(p.alpha));
  if (m.HasTrend()) s += fmt::format("    beta: {}\n", Number(p.beta));
  if (m.HasSeasonal()) s += fmt::format("    gamma: {}\n", Number(p.gamma));
  s += fmt::format("    trend: {}\n    seasonal: {}\n", models::TrendName(m.trend),
                   models::SeasonalName(m.seasonal));
  if (m.damped) s += fmt::format("    dampedTrend: true\n    phi: {}\n", Number(p.phi));
  if (m.HasSeasonal()) s += fmt::format("    seasonalPeriods: {}\n", m.season_length);
  s += fmt::format("    storedSeasons: {}\n    lookAhead: {}\n    initializationMethod: {}\n",
                   options.stored_seasons, h, models::InitializationName(m.initialization));
  if (result.best_history_size) {
    s += fmt::format(
        "# the best linear model on the same hold-out\n"
        "- type: Linear\n"
        "  name: LinearPrediction\n"
        "  linear:\n"
        "    historySize: {}\n"
        "    lookAhead: {}\n",
        *result.best_history_size, static_cast<int64_t>(std::llround(h * step_s * 1000.0)));
  }
  result.snippet = std::move(s);
  return result;
}

}  // namespace cpa::phpa
