#include "experiments/legacy_phpa.h"

#include <cmath>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "common/json.h"

namespace cpa::experiments {
namespace {

models::HoltWintersOptions HwOptions(const LegacyPhpaOptions& o) {
  models::HoltWintersOptions hw;
  hw.trend = models::Trend::kAdditive;
  hw.seasonal = models::Seasonal::kAdditive;
  hw.season_length = o.season_length;
  hw.params.alpha = o.alpha;
  hw.params.beta = o.beta;
  hw.params.gamma = o.gamma;
  hw.initialization = models::Initialization::kKnown;
  return hw;
}

models::InitialState Initial(const std::vector<double>& y, int m) {
  models::InitialState s;
  double level = 0;
  for (int i = 0; i < m; ++i) level += y[static_cast<size_t>(i)];
  level /= m;
  s.level = level;
  if (static_cast<int>(y.size()) >= 2 * m) {
    double trend = 0;
    for (int i = 0; i < m; ++i) {
      trend += (y[static_cast<size_t>(m + i)] - y[static_cast<size_t>(i)]) / m;
    }
    s.trend = trend / m;
  }
  s.seasonal.resize(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i)
    s.seasonal[static_cast<size_t>(i)] = y[static_cast<size_t>(i)] - level;
  return s;
}

int RoundUp(double forecast) {
  if (!std::isfinite(forecast) || forecast <= 0) return 0;
  return static_cast<int>(std::ceil(forecast - 1e-9));
}

}  // namespace

LegacyPhpaMethod::LegacyPhpaMethod(std::unique_ptr<engine::Method> hpa, LegacyPhpaOptions options)
    : hpa_(std::move(hpa)), options_(options) {}

int LegacyPhpaMethod::Forecast(const LegacyPhpaOptions& options,
                               const std::deque<double>& history) {
  const int m = options.season_length;
  if (static_cast<int>(history.size()) < m) return 0;
  std::vector<double> y(history.begin(), history.end());
  auto hw = HwOptions(options);
  auto result = models::Smooth(hw, Initial(y, m), y);
  auto f = models::ForecastFrom(hw, result.final_state, 1);
  return f.empty() ? 0 : RoundUp(f[0]);
}

Result<std::string> LegacyPhpaMethod::Call(std::string_view input, std::stop_token stop) {
  auto out = hpa_->Call(input, stop);
  if (!out) return std::unexpected(out.error());
  auto doc = ParseJson(*out);
  if (!doc || !doc->IsObject() || !doc->HasMember("targetReplicas") ||
      !(*doc)["targetReplicas"].IsInt()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "hpa evaluation without targetReplicas: {}",
                      engine::QuoteForError(*out));
  }
  const int hpa_value = (*doc)["targetReplicas"].GetInt();
  std::lock_guard lock(mu_);
  const int m = options_.season_length;
  const size_t capacity = static_cast<size_t>(m) * static_cast<size_t>(options_.stored_seasons);
  history_.push_back(hpa_value);
  if (history_.size() > capacity) {
    // Only whole seasons are kept: drop the oldest season once one more is complete.
    while (history_.size() > capacity) {
      for (int i = 0; i < m && !history_.empty(); ++i) history_.pop_front();
    }
    state_.reset();
  }
  int forecast = 0;
  const int n = static_cast<int>(history_.size());
  if (n >= m) {
    const auto hw = HwOptions(options_);
    const int seasons_for_trend = n >= 2 * m ? 2 : 1;
    if (!state_ || seasons_for_trend != trend_seasons_) {
      std::vector<double> y(history_.begin(), history_.end());
      state_ = models::Smooth(hw, Initial(y, m), y).final_state;
      smoothed_ = history_.size();
      trend_seasons_ = seasons_for_trend;
    } else {
      for (; smoothed_ < history_.size(); ++smoothed_) {
        models::InitialState s{state_->level, state_->trend, std::move(state_->seasonal)};
        const double y = history_[smoothed_];
        state_ = models::Smooth(hw, s, std::span<const double>(&y, 1)).final_state;
      }
    }
    auto f = models::ForecastFrom(hw, *state_, 1);
    forecast = f.empty() ? 0 : RoundUp(f[0]);
  }
  return fmt::format("{{\"targetReplicas\": {}}}", std::max(hpa_value, forecast));
}

}  // namespace cpa::experiments
