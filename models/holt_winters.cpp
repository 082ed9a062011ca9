#include "models/holt_winters.h"

#include <algorithm>
#include <cmath>

#include "models/fit.h"
#include "models/initialization.h"
#include "models/smoothing_kernel.h"

namespace cpa::models {

Result<Trend> ParseTrend(std::string_view name) {
  if (name == "none" || name.empty()) return Trend::kNone;
  if (name == "add" || name == "additive") return Trend::kAdditive;
  if (name == "mul" || name == "multiplicative") return Trend::kMultiplicative;
  return MakeErrorF(ErrorCode::kInvalidArgument, "unknown trend \"{}\" (known: none, add, mul)",
                    name);
}

Result<Seasonal> ParseSeasonal(std::string_view name) {
  if (name == "none" || name.empty()) return Seasonal::kNone;
  if (name == "add" || name == "additive") return Seasonal::kAdditive;
  if (name == "mul" || name == "multiplicative") return Seasonal::kMultiplicative;
  return MakeErrorF(ErrorCode::kInvalidArgument, "unknown seasonal \"{}\" (known: none, add, mul)",
                    name);
}

Result<Initialization> ParseInitialization(std::string_view name) {
  if (name == "known") return Initialization::kKnown;
  if (name == "heuristic") return Initialization::kHeuristic;
  if (name == "estimated") return Initialization::kEstimated;
  return MakeErrorF(ErrorCode::kInvalidArgument,
                    "unknown initialization method \"{}\" (known: estimated, heuristic, known)",
                    name);
}

std::string_view TrendName(Trend trend) {
  switch (trend) {
    case Trend::kNone:
      return "none";
    case Trend::kAdditive:
      return "add";
    case Trend::kMultiplicative:
      return "mul";
  }
  return "none";
}

std::string_view SeasonalName(Seasonal seasonal) {
  switch (seasonal) {
    case Seasonal::kNone:
      return "none";
    case Seasonal::kAdditive:
      return "add";
    case Seasonal::kMultiplicative:
      return "mul";
  }
  return "none";
}

std::string_view InitializationName(Initialization initialization) {
  switch (initialization) {
    case Initialization::kKnown:
      return "known";
    case Initialization::kHeuristic:
      return "heuristic";
    case Initialization::kEstimated:
      return "estimated";
  }
  return "known";
}

namespace {

Status CheckUnit(std::string_view name, double value) {
  if (!std::isfinite(value) || value < 0.0 || value > 1.0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{} must be in [0, 1], got {}", name, value);
  }
  return OkStatus();
}

}  // namespace

Status HoltWintersOptions::Validate() const {
  CPA_RETURN_IF_ERROR(CheckUnit("alpha", params.alpha));
  if (HasTrend()) CPA_RETURN_IF_ERROR(CheckUnit("beta", params.beta));
  if (HasSeasonal()) CPA_RETURN_IF_ERROR(CheckUnit("gamma", params.gamma));
  if (damped) {
    if (!HasTrend()) {
      return MakeError(ErrorCode::kInvalidArgument, "damped requires a trend (add or mul)");
    }
    if (!std::isfinite(params.phi) || params.phi <= 0.0 || params.phi > 1.0) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "phi must be in (0, 1], got {}", params.phi);
    }
  }
  if (HasSeasonal() && season_length < 2) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "season length must be >= 2 with seasonality, got {}", season_length);
  }
  if (initialization == Initialization::kKnown) {
    if (!std::isfinite(initial.level)) {
      return MakeError(ErrorCode::kInvalidArgument, "initial level must be finite");
    }
    if (HasTrend() && !std::isfinite(initial.trend)) {
      return MakeError(ErrorCode::kInvalidArgument, "initial trend must be finite");
    }
    if (trend == Trend::kMultiplicative && initial.trend <= 0.0) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "initial trend must be > 0 with a multiplicative trend, got {}",
                        initial.trend);
    }
    if ((trend == Trend::kMultiplicative || seasonal == Seasonal::kMultiplicative) &&
        initial.level <= 0.0) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "initial level must be > 0 with multiplicative components, got {}",
                        initial.level);
    }
    if (HasSeasonal()) {
      if (static_cast<int>(initial.seasonal.size()) != season_length) {
        return MakeErrorF(ErrorCode::kInvalidArgument,
                          "known initialization needs {} initial seasonals (one per season "
                          "step), got {}",
                          season_length, initial.seasonal.size());
      }
      for (size_t j = 0; j < initial.seasonal.size(); ++j) {
        const double v = initial.seasonal[j];
        if (!std::isfinite(v) || (seasonal == Seasonal::kMultiplicative && v <= 0.0)) {
          return MakeErrorF(ErrorCode::kInvalidArgument,
                            "initial seasonal[{}] = {} is invalid (must be finite{})", j, v,
                            seasonal == Seasonal::kMultiplicative ? " and > 0" : "");
        }
      }
    } else if (!initial.seasonal.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "initial seasonals given but the model has no seasonality");
    }
  }
  return OkStatus();
}

int RequiredHistory(const HoltWintersOptions& options) {
  const int m = options.SeasonLength();
  switch (options.initialization) {
    case Initialization::kKnown:
      return options.HasSeasonal() ? m : 1;
    case Initialization::kHeuristic:
      return HeuristicRequiredHistory(options.seasonal, m);
    case Initialization::kEstimated:
      return options.HasSeasonal() ? 2 * m : 2;
  }
  return 1;
}

int MissingPoints(const HoltWintersOptions& options, int n) {
  return std::max(0, RequiredHistory(options) - n);
}

Status ValidateSeries(const HoltWintersOptions& options, std::span<const double> y) {
  const bool positive =
      options.trend == Trend::kMultiplicative || options.seasonal == Seasonal::kMultiplicative;
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "value {} is not finite ({})", i, y[i]);
    }
    if (positive && y[i] <= 0.0) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "value {} is {}: multiplicative trend or seasonality needs values > 0", i,
                        y[i]);
    }
  }
  const int n = static_cast<int>(y.size());
  if (const int missing = MissingPoints(options, n); missing > 0) {
    return MakeErrorF(ErrorCode::kFailedPrecondition,
                      "not ready: {} more point(s) needed ({} initialization{} needs {}, have {})",
                      missing, InitializationName(options.initialization),
                      options.HasSeasonal()
                          ? fmt::format(" with season length {}", options.season_length)
                          : std::string(),
                      RequiredHistory(options), n);
  }
  return OkStatus();
}

HoltWintersResult Smooth(const HoltWintersOptions& options, const InitialState& initial,
                         std::span<const double> y) {
  HoltWintersResult result;
  result.initial = initial;
  result.fitted.resize(y.size());
  double sse = 0.0;
  double* fitted = result.fitted.data();
  result.final_state =
      internal::Run(options, options.params, initial, y, 1, [&](size_t t, double yhat, double) {
        fitted[t] = yhat;
        const double e = y[t] - yhat;
        sse += e * e;
      });
  result.sse = sse;
  return result;
}

std::vector<double> ForecastFrom(const HoltWintersOptions& options, const FinalState& state,
                                 int horizon) {
  std::vector<double> out;
  if (horizon <= 0) return out;
  out.reserve(static_cast<size_t>(horizon));
  const double phi = options.Phi();
  const int m = options.SeasonLength();
  double phi_h = 0.0;
  double phi_power = 1.0;
  for (int h = 1; h <= horizon; ++h) {
    phi_power *= phi;
    phi_h += phi_power;
    double value = state.level;
    if (options.trend == Trend::kAdditive) {
      value = state.level + phi_h * state.trend;
    } else if (options.trend == Trend::kMultiplicative) {
      value = state.level * std::pow(state.trend, phi_h);
    }
    if (options.HasSeasonal()) {
      const double s = state.seasonal[static_cast<size_t>((h - 1) % m)];
      value = options.seasonal == Seasonal::kAdditive ? value + s : value * s;
    }
    out.push_back(value);
  }
  return out;
}

Result<HoltWintersResult> RunHoltWinters(const HoltWintersOptions& options,
                                         std::span<const double> y, int horizon) {
  CPA_RETURN_IF_ERROR(options.Validate());
  if (horizon < 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "horizon must be >= 0, got {}", horizon);
  }
  CPA_RETURN_IF_ERROR(ValidateSeries(options, y));
  const int m = options.SeasonLength();
  InitialState initial;
  switch (options.initialization) {
    case Initialization::kKnown:
      initial = options.initial;
      break;
    case Initialization::kHeuristic: {
      auto init = HeuristicInitialState(options.trend, options.seasonal, m, y);
      if (!init) return std::unexpected(init.error());
      initial = *std::move(init);
      break;
    }
    case Initialization::kEstimated: {
      const bool heuristic_ok =
          static_cast<int>(y.size()) >= HeuristicRequiredHistory(options.seasonal, m);
      auto start = heuristic_ok ? HeuristicInitialState(options.trend, options.seasonal, m, y)
                                : SimpleInitialState(options.trend, options.seasonal, m, y);
      if (!start) return std::unexpected(start.error());
      initial = EstimateInitialState(options, y, *start);
      break;
    }
  }
  HoltWintersResult result = Smooth(options, initial, y);
  if (!std::isfinite(result.sse)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the recursion diverged (non-finite predictions); check the parameters and "
                     "initial values");
  }
  result.forecast = ForecastFrom(options, result.final_state, horizon);
  return result;
}

}  // namespace cpa::models
