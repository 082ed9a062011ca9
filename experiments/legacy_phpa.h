// The Predictive HPA as it ran in 2020 (parameter table items 21-24), as an evaluate Method that
// wraps the HPA evaluator: every run it stores the HPA's raw value, predicts one run ahead with
// additive Holt-Winters over at most `stored_seasons` whole seasons (models/), rounds the forecast
// up, predicts 0 until a full season is stored, and returns max(HPA value, forecast). The engine
// then clamps it and applies the downscale stabilization (item 21).
//
// Initial state (the original's Holt-Winters library): level = mean of the first season, trend =
// the mean per-step change between the first two seasons (0 while only one is stored), seasonals
// = the first season minus the level. Our `phpa` evaluator deliberately differs (it never votes
// 0); this class exists only to reproduce the original. Thread-safe (a mutex guards the history).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/methods/method.h"
#include "models/holt_winters.h"

namespace cpa::experiments {

struct LegacyPhpaOptions {
  double alpha = 0.1;
  double beta = 0.1;
  double gamma = 0.9;
  int season_length = 5760;
  int stored_seasons = 4;
};

class LegacyPhpaMethod final : public engine::Method {
 public:
  LegacyPhpaMethod(std::unique_ptr<engine::Method> hpa, LegacyPhpaOptions options);
  Result<std::string> Call(std::string_view input, std::stop_token stop) override;

  // The forecast for the next run from `history` (oldest first); 0 until a season is stored.
  static int Forecast(const LegacyPhpaOptions& options, const std::deque<double>& history);

 private:
  std::unique_ptr<engine::Method> hpa_;
  LegacyPhpaOptions options_;
  std::mutex mu_;
  std::deque<double> history_;
  // Incremental smoothing: the state after `smoothed_` points of the current window, valid while
  // the window's start and initialization do not change.
  std::optional<models::FinalState> state_;
  size_t smoothed_ = 0;
  int trend_seasons_ = 0;  // seasons the initial trend was computed from (1 or 2)
};

}  // namespace cpa::experiments
