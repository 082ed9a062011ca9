#include "autoscalers/phpa/model_runner.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/linear_regression.h"

namespace cpa::phpa {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

double Aggregate(Aggregation aggregation, const std::vector<double>& values) {
  switch (aggregation) {
    case Aggregation::kMax:
      return *std::max_element(values.begin(), values.end());
    case Aggregation::kLast:
      return values.back();
    case Aggregation::kMean: {
      double sum = 0.0;
      for (double v : values) sum += v;
      return sum / static_cast<double>(values.size());
    }
  }
  return values.back();
}

bool SameParams(const models::HoltWintersParams& a, const models::HoltWintersParams& b) {
  return a.alpha == b.alpha && a.beta == b.beta && a.gamma == b.gamma && a.phi == b.phi;
}

// ceil with a little slack, so 3.0000000001 (rounding noise) stays 3; never negative.
int ToReplicas(double prediction) {
  const double r = std::ceil(prediction - 1e-9);
  if (!(r > 0.0)) return 0;
  if (r > 1e9) return 1'000'000'000;
  return static_cast<int>(r);
}

// What the initial state depends on besides the window start: the heuristic start of a seasonal
// model uses the first k seasons, k = max(min(5, n / m), ceil((10 + 2 * floor(m / 2)) / m))
// (models/initialization.h), so it is fixed once k stops growing; a known start is fixed; an
// estimated start is fitted to the whole window, so it changes with every point.
int64_t InitializationKey(const models::HoltWintersOptions& options, int n) {
  switch (options.initialization) {
    case models::Initialization::kKnown:
      return 0;
    case models::Initialization::kEstimated:
      return n;
    case models::Initialization::kHeuristic:
      break;
  }
  if (!options.HasSeasonal()) return 0;
  const int m = options.season_length;
  const int minimum = (10 + 2 * (m / 2) + m - 1) / m;
  const int k = std::max(std::min(5, n / m), minimum);
  return k * m <= n ? k : -static_cast<int64_t>(n) - 1;  // all of a short window is used
}

}  // namespace

ModelRunner::ModelRunner(ModelOptions options, int64_t interval_ms, TuningFetcher* fetcher)
    : options_(std::move(options)),
      interval_ms_(std::max<int64_t>(1, interval_ms)),
      period_ms_(interval_ms_ * std::max(1, options_.per_sync_period)),
      fetcher_(fetcher) {}

int64_t ModelRunner::AnchorStep() const {
  if (options_.type == ModelType::kHoltWinters && options_.holt_winters &&
      options_.holt_winters->model.HasSeasonal()) {
    return options_.holt_winters->model.season_length;
  }
  return 1;
}

int64_t ModelRunner::RawPointsNeeded() const {
  return (static_cast<int64_t>(options_.HistoryPoints()) + AnchorStep()) *
         std::max(1, options_.per_sync_period);
}

void ModelRunner::Observe(TimePoint time, double value) {
  if (!std::isfinite(value)) return;
  if (last_time_ && options_.reset_duration_ms > 0 &&
      time - *last_time_ > std::chrono::milliseconds(options_.reset_duration_ms)) {
    // A gap longer than resetDuration: the old history no longer describes the load.
    points_.clear();
    buckets_.clear();
    pending_.clear();
    start_at_.reset();
    state_valid_ = false;
    ++generation_;
  }
  last_time_ = time;
  const int64_t t = ToUnixMillis(time);
  if (!start_at_) {
    const int64_t step = options_.start_interval_ms;
    start_at_ = step > 0 ? FromUnixMillis(FloorDiv(t + step - 1, step) * step) : time;
  }
  if (time < *start_at_) return;
  const int64_t bucket = FloorDiv(t, period_ms_);
  if (!pending_.empty() && bucket != pending_bucket_) ClosePending();
  pending_.push_back(value);
  pending_bucket_ = bucket;
  pending_time_ = time;
  // The last run of its bucket closes it at once (no waiting for the next run).
  if (FloorDiv(t + interval_ms_, period_ms_) != bucket) ClosePending();
}

void ModelRunner::ClosePending() {
  if (pending_.empty()) return;
  points_.push_back({pending_time_, Aggregate(options_.aggregation, pending_)});
  buckets_.push_back(pending_bucket_);
  pending_.clear();
  ++generation_;
  Trim();
}

void ModelRunner::Trim() {
  const int64_t capacity = options_.HistoryPoints();
  if (capacity <= 0 || points_.empty()) return;
  size_t drop = 0;
  if (options_.type == ModelType::kLinear) {
    if (static_cast<int64_t>(points_.size()) > capacity) {
      drop = points_.size() - static_cast<size_t>(capacity);
    }
  } else {
    // Keep the points from the start of the season holding the oldest of the newest `capacity`
    // buckets: the window start moves once per season, wherever the history began.
    const int64_t step = AnchorStep();
    const int64_t oldest = buckets_.back() - capacity + 1;
    const int64_t anchor = FloorDiv(oldest, step) * step;
    while (drop < buckets_.size() && buckets_[drop] < anchor) ++drop;
  }
  if (drop == 0) return;
  points_.erase(points_.begin(), points_.begin() + static_cast<std::ptrdiff_t>(drop));
  buckets_.erase(buckets_.begin(), buckets_.begin() + static_cast<std::ptrdiff_t>(drop));
  state_valid_ = false;
}

ModelOutcome ModelRunner::Predict(TimePoint /*now*/) {
  if (cached_ && cached_generation_ == generation_) return *cached_;
  ModelOutcome outcome =
      options_.type == ModelType::kLinear ? PredictLinear(TimePoint{}) : PredictHoltWinters();
  outcome.name = options_.name;
  outcome.type = options_.type;
  outcome.history_points = static_cast<int>(points_.size());
  if (outcome.prediction && outcome.reason.empty()) {
    outcome.replicas = ToReplicas(*outcome.prediction);
  }
  cached_ = outcome;
  cached_generation_ = generation_;
  return outcome;
}

ModelOutcome ModelRunner::PredictLinear(TimePoint) {
  ModelOutcome out;
  const LinearOptions& linear = *options_.linear;
  const int needed = std::min(2, linear.history_size);
  if (static_cast<int>(points_.size()) < needed) {
    out.reason = fmt::format("warming up: {} more point(s) needed (have {}, need {})",
                             needed - static_cast<int>(points_.size()), points_.size(), needed);
    return out;
  }
  std::vector<double> times;
  std::vector<double> values;
  times.reserve(points_.size());
  values.reserve(points_.size());
  for (const Point& p : points_) {
    times.push_back(static_cast<double>(ToUnixMillis(p.time)) / 1000.0);
    values.push_back(p.value);
  }
  const double at = times.back() + static_cast<double>(linear.look_ahead_ms) / 1000.0;
  auto prediction = models::PredictLinear(times, values, at, linear.history_size);
  if (!prediction) {
    out.reason = "cannot predict: " + prediction.error().message;
    return out;
  }
  out.prediction = *prediction;
  return out;
}

ModelOutcome ModelRunner::PredictHoltWinters() {
  ModelOutcome out;
  const HoltWintersModelOptions& hw = *options_.holt_winters;
  models::HoltWintersOptions options = hw.model;
  const int n = static_cast<int>(points_.size());
  if (const int missing = models::MissingPoints(options, n); missing > 0) {
    out.reason = fmt::format("warming up: {} more point(s) needed (have {}, need {})", missing, n,
                             models::RequiredHistory(options));
    return out;
  }
  if (hw.runtime_tuning_fetch_hook && fetcher_ != nullptr) {
    auto tuned = fetcher_->Fetch(options_, points_);
    if (!tuned) {
      out.note = fmt::format("runtimeTuningFetchHook failed ({}); using the configured values",
                             tuned.error().message);
    } else {
      if (tuned->alpha) options.params.alpha = *tuned->alpha;
      if (tuned->beta) options.params.beta = *tuned->beta;
      if (tuned->gamma) options.params.gamma = *tuned->gamma;
      out.note = "parameters from runtimeTuningFetchHook";
    }
    const bool tuned_all = tuned && tuned->alpha && (tuned->beta || !options.HasTrend()) &&
                           (tuned->gamma || !options.HasSeasonal());
    const bool configured_all = hw.configured_alpha &&
                                (hw.configured_beta || !options.HasTrend()) &&
                                (hw.configured_gamma || !options.HasSeasonal());
    if (!tuned_all && !configured_all) {
      out.reason = out.note.empty() ? "no alpha/beta/gamma: the runtimeTuningFetchHook gave "
                                      "none and none are configured"
                                    : out.note + ", but none are configured for what it omitted";
      out.note.clear();
      return out;
    }
  }
  out.params = options.params;
  if (auto valid = options.Validate(); !valid) {
    out.reason = "invalid parameters: " + valid.error().message;
    return out;
  }
  std::vector<double> y(points_.size());
  for (size_t i = 0; i < points_.size(); ++i) y[i] = points_[i].value;
  const int horizon =
      std::max(1, (hw.look_ahead + options_.per_sync_period - 1) / options_.per_sync_period);
  const int64_t init_key = InitializationKey(options, n);
  if (state_valid_ && SameParams(state_params_, options.params) && state_points_ <= y.size() &&
      init_key == state_init_key_) {
    if (state_points_ < y.size()) {
      // Advance the kept state by the new points only: the same recursion, the same result.
      models::InitialState from{state_.level, state_.trend, std::move(state_.seasonal)};
      auto tail = std::span<const double>(y).subspan(state_points_);
      const bool positive = options.trend == models::Trend::kMultiplicative ||
                            options.seasonal == models::Seasonal::kMultiplicative;
      for (double v : tail) {
        if (!std::isfinite(v) || (positive && v <= 0.0)) {
          out.reason = fmt::format(
              "cannot predict: value {} is not usable (multiplicative parts need values > 0)", v);
          state_valid_ = false;
          return out;
        }
      }
      state_ = models::Smooth(options, from, tail).final_state;
      state_points_ = y.size();
    }
  } else {
    auto result = models::RunHoltWinters(options, y, 0);
    ++full_recomputations_;
    if (!result) {
      state_valid_ = false;
      out.reason = "cannot predict: " + result.error().message;
      return out;
    }
    state_ = std::move(result->final_state);
    state_params_ = options.params;
    state_init_key_ = init_key;
    state_points_ = y.size();
    state_valid_ = true;
  }
  const std::vector<double> forecast = models::ForecastFrom(options, state_, horizon);
  const double value = forecast.back();
  if (!std::isfinite(value)) {
    state_valid_ = false;
    out.reason = "cannot predict: the forecast is not finite";
    return out;
  }
  out.prediction = value;
  return out;
}

}  // namespace cpa::phpa
