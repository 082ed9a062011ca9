// Holt-Winters (triple exponential smoothing): options, the smoothing recursion and forecasts.
//
// Pure math: no I/O, no clock. Every function is a pure function of its arguments and is
// thread-safe; results are plain values owned by the caller. Errors are values:
//   kInvalidArgument    bad options or bad data (NaN/inf, values <= 0 with multiplicative parts),
//   kFailedPrecondition "not ready": too little history; `MissingPoints` says how many points more.
//
// The model (Hyndman & Athanasopoulos, "Forecasting: principles and practice", section 8.3, in the
// error-correction form statsmodels' ExponentialSmoothing uses; beta is the trend smoothing of
// the trend equation itself, i.e. Hyndman's beta*). For t = 0..n-1, with l, b the state before
// y_t, s_t the seasonal for time t and phi = 1 when not damped:
//   base_t = l + phi*b        (additive trend)    l * b^phi  (multiplicative)     l (none)
//   yhat_t = base_t + s_t     (additive season)   base_t * s_t (multiplicative)   base_t (none)
//   l'     = alpha*(y_t - s_t) [or y_t / s_t, or y_t] + (1 - alpha)*base_t
//   b'     = beta*(l' - l) [or l' / l] + (1 - beta)*phi*b [or b^phi]
//   s_t+m  = gamma*(y_t - base_t) [or y_t / base_t] + (1 - gamma)*s_t
// Forecast h >= 1 steps after the last observation n-1, with phi_h = phi + phi^2 + ... + phi^h:
//   yhat_n+h-1 = (l + phi_h*b  [or l * b^phi_h]) (+ or *) s_(n+h-1 - m*(floor((h-1)/m) + 1))
// i.e. the newest seasonal of the target's phase. (statsmodels 0.13.5 uses the seasonal of one
// season earlier when h is a multiple of m, its issue #9538; we follow the formula above.)
//
// Initialization (the state before y_0: level l0, trend b0, seasonals s_0..s_m-1 for times 0..m-1):
//   known      l0, b0 and the full vector of m seasonals are given.
//   heuristic  statsmodels' `initialization_method="heuristic"` (Hyndman et al. 2008, section 2.6):
//              see models/initialization.h.
//   estimated  l0, b0, s0 are fitted together with the smoothing parameters (models/fit.h);
//              `RunHoltWinters` with kEstimated fits the initial states for the given parameters.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace cpa::models {

enum class Trend { kNone, kAdditive, kMultiplicative };
enum class Seasonal { kNone, kAdditive, kMultiplicative };
enum class Initialization { kKnown, kHeuristic, kEstimated };

// "none" | "add" | "mul" and "known" | "heuristic" | "estimated" (also accepts "additive",
// "multiplicative"). Unknown names are kInvalidArgument naming the known ones.
Result<Trend> ParseTrend(std::string_view name);
Result<Seasonal> ParseSeasonal(std::string_view name);
Result<Initialization> ParseInitialization(std::string_view name);
std::string_view TrendName(Trend trend);
std::string_view SeasonalName(Seasonal seasonal);
std::string_view InitializationName(Initialization initialization);

// Smoothing parameters. alpha, beta, gamma in [0, 1]; phi in (0, 1] (only used when damped).
struct HoltWintersParams {
  double alpha = 0.5;
  double beta = 0.1;
  double gamma = 0.1;
  double phi = 0.98;
};

// The state before the first observation: level, trend (additive: a difference per step;
// multiplicative: a ratio per step) and the seasonals of times 0..m-1.
struct InitialState {
  double level = 0.0;
  double trend = 0.0;
  std::vector<double> seasonal;
};

struct HoltWintersOptions {
  Trend trend = Trend::kAdditive;
  bool damped = false;
  Seasonal seasonal = Seasonal::kAdditive;
  int season_length = 0;  // m >= 2 when seasonal; ignored otherwise
  HoltWintersParams params;
  Initialization initialization = Initialization::kHeuristic;
  InitialState initial;  // used when initialization == kKnown

  // Checks ranges and consistency of the options alone (not the data).
  Status Validate() const;

  bool HasTrend() const { return trend != Trend::kNone; }
  bool HasSeasonal() const { return seasonal != Seasonal::kNone; }
  // m when seasonal, else 0.
  int SeasonLength() const { return HasSeasonal() ? season_length : 0; }
  // phi when damped, else 1.
  double Phi() const { return damped ? params.phi : 1.0; }
};

// The state after the last observation, ready to forecast.
struct FinalState {
  double level = 0.0;
  double trend = 0.0;
  // seasonal[j] is the seasonal of time n + j (j = 0..m-1), the newest of each phase.
  std::vector<double> seasonal;
};

struct HoltWintersResult {
  InitialState initial;        // the initial state used (given, heuristic or estimated)
  std::vector<double> fitted;  // one-step-ahead predictions of y_0..y_n-1
  double sse = 0.0;            // sum of squared one-step errors
  FinalState final_state;
  std::vector<double> forecast;  // h = 1..horizon steps after the last observation
};

// How many observations the options need before they can produce a forecast:
//   heuristic: max(10, 2m, 10 + 2*floor(m/2)) when seasonal, else 10;
//   estimated: 2m when seasonal, else 2 (then the start is heuristic when the heuristic's
//              requirement is met, else statsmodels' "simple" start);
//   known:     m when seasonal (a season longer than the series is refused), else 1.
int RequiredHistory(const HoltWintersOptions& options);
// max(0, RequiredHistory(options) - n).
int MissingPoints(const HoltWintersOptions& options, int n);

// Checks `y` against the options: finite values, > 0 for multiplicative parts, enough history
// (kFailedPrecondition "not ready: N more point(s) needed ..." otherwise).
Status ValidateSeries(const HoltWintersOptions& options, std::span<const double> y);

// Runs the recursion from `initial` over y with the given options' parameters; no validation
// (callers validate). Returns the fitted values, SSE and final state.
HoltWintersResult Smooth(const HoltWintersOptions& options, const InitialState& initial,
                         std::span<const double> y);

// Forecasts h = 1..horizon steps after the state `state` (see the formula above).
std::vector<double> ForecastFrom(const HoltWintersOptions& options, const FinalState& state,
                                 int horizon);

// Validates, initializes (known / heuristic / estimated for the fixed parameters), smooths and
// forecasts `horizon` (>= 0) steps.
Result<HoltWintersResult> RunHoltWinters(const HoltWintersOptions& options,
                                         std::span<const double> y, int horizon);

}  // namespace cpa::models
