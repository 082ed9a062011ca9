// One-step SSE of Holt-Winters and its exact gradient by reverse-mode differentiation of the
// recursion in models/holt_winters.h (used to fit `estimated` initial states).
#include <cmath>
#include <vector>

#include "models/fit.h"

namespace cpa::models {

double SseGradient(const HoltWintersOptions& options, const InitialState& initial,
                   std::span<const double> y, std::vector<double>& gradient) {
  const int m = options.SeasonLength();
  const size_t n = y.size();
  const Trend trend = options.trend;
  const Seasonal seasonal = options.seasonal;
  const double alpha = options.params.alpha;
  const double beta = options.params.beta;
  const double gamma = options.params.gamma;
  const double phi = options.Phi();
  const bool has_season = seasonal != Seasonal::kNone;
  const bool mul_season = seasonal == Seasonal::kMultiplicative;

  // Forward pass, keeping the states: level[t], trend[t] before y_t; season[k] = s of time k.
  std::vector<double> level(n + 1), slope(n + 1);
  std::vector<double> season(has_season ? n + static_cast<size_t>(m) : 0);
  level[0] = initial.level;
  slope[0] = trend == Trend::kNone ? 0.0 : initial.trend;
  for (int j = 0; j < m; ++j)
    season[static_cast<size_t>(j)] = initial.seasonal[static_cast<size_t>(j)];
  struct Step {
    double d, base, st, u, yhat;
  };
  auto step = [&](size_t t) {
    Step s{};
    const double l = level[t];
    const double b = slope[t];
    s.d = 0.0;
    s.base = l;
    if (trend == Trend::kAdditive) {
      s.d = phi * b;
      s.base = l + s.d;
    } else if (trend == Trend::kMultiplicative) {
      s.d = std::pow(b, phi);
      s.base = l * s.d;
    }
    s.st = has_season ? season[t] : (mul_season ? 1.0 : 0.0);
    s.yhat = s.base;
    s.u = y[t];
    if (seasonal == Seasonal::kAdditive) {
      s.yhat = s.base + s.st;
      s.u = y[t] - s.st;
    } else if (mul_season) {
      s.yhat = s.base * s.st;
      s.u = y[t] / s.st;
    }
    return s;
  };
  double sse = 0.0;
  for (size_t t = 0; t < n; ++t) {
    const Step s = step(t);
    const double e = y[t] - s.yhat;
    sse += e * e;
    const double l_new = alpha * s.u + (1.0 - alpha) * s.base;
    level[t + 1] = l_new;
    if (trend == Trend::kAdditive) {
      slope[t + 1] = beta * (l_new - level[t]) + (1.0 - beta) * s.d;
    } else if (trend == Trend::kMultiplicative) {
      slope[t + 1] = beta * (l_new / level[t]) + (1.0 - beta) * s.d;
    }
    if (seasonal == Seasonal::kAdditive) {
      season[t + m] = gamma * (y[t] - s.base) + (1.0 - gamma) * s.st;
    } else if (mul_season) {
      season[t + m] = gamma * (y[t] / s.base) + (1.0 - gamma) * s.st;
    }
  }

  // Backward pass.
  double g_alpha = 0.0, g_beta = 0.0, g_gamma = 0.0, g_phi = 0.0;
  double level_bar = 0.0;  // adjoint of level[t + 1]
  double slope_bar = 0.0;  // adjoint of slope[t + 1]
  std::vector<double> season_bar(season.size(), 0.0);
  for (size_t t = n; t-- > 0;) {
    const Step s = step(t);
    const double l = level[t];
    const double b = slope[t];
    const double l_new = level[t + 1];
    const double yt = y[t];
    const double e = yt - s.yhat;
    double lp_bar = level_bar;
    const double bp_bar = slope_bar;
    const double sp_bar = has_season ? season_bar[t + m] : 0.0;
    double base_bar = 0.0, d_bar = 0.0, u_bar = 0.0, st_bar = 0.0, l_bar = 0.0, b_bar = 0.0;
    const double yhat_bar = -2.0 * e;
    if (seasonal == Seasonal::kAdditive) {
      base_bar += -gamma * sp_bar;
      st_bar += (1.0 - gamma) * sp_bar;
      g_gamma += sp_bar * (yt - s.base - s.st);
    } else if (mul_season) {
      base_bar += -gamma * yt / (s.base * s.base) * sp_bar;
      st_bar += (1.0 - gamma) * sp_bar;
      g_gamma += sp_bar * (yt / s.base - s.st);
    }
    if (trend == Trend::kAdditive) {
      lp_bar += beta * bp_bar;
      l_bar += -beta * bp_bar;
      d_bar += (1.0 - beta) * bp_bar;
      g_beta += bp_bar * (l_new - l - s.d);
    } else if (trend == Trend::kMultiplicative) {
      lp_bar += beta / l * bp_bar;
      l_bar += -beta * l_new / (l * l) * bp_bar;
      d_bar += (1.0 - beta) * bp_bar;
      g_beta += bp_bar * (l_new / l - s.d);
    }
    u_bar += alpha * lp_bar;
    base_bar += (1.0 - alpha) * lp_bar;
    g_alpha += lp_bar * (s.u - s.base);
    if (seasonal == Seasonal::kNone) {
      base_bar += yhat_bar;
    } else if (seasonal == Seasonal::kAdditive) {
      base_bar += yhat_bar;
      st_bar += yhat_bar;
      st_bar -= u_bar;
    } else {
      base_bar += s.st * yhat_bar;
      st_bar += s.base * yhat_bar;
      st_bar += -yt / (s.st * s.st) * u_bar;
    }
    if (trend == Trend::kNone) {
      l_bar += base_bar;
    } else if (trend == Trend::kAdditive) {
      l_bar += base_bar;
      d_bar += base_bar;
      b_bar += phi * d_bar;
      g_phi += b * d_bar;
    } else {
      l_bar += s.d * base_bar;
      d_bar += l * base_bar;
      b_bar += phi * std::pow(b, phi - 1.0) * d_bar;
      g_phi += s.d * std::log(b) * d_bar;
    }
    if (has_season) season_bar[t] += st_bar;
    level_bar = l_bar;
    slope_bar = b_bar;
  }
  gradient.assign(6 + static_cast<size_t>(m), 0.0);
  gradient[0] = g_alpha;
  gradient[1] = trend == Trend::kNone ? 0.0 : g_beta;
  gradient[2] = has_season ? g_gamma : 0.0;
  gradient[3] = options.damped ? g_phi : 0.0;
  gradient[4] = level_bar;
  gradient[5] = trend == Trend::kNone ? 0.0 : slope_bar;
  for (int j = 0; j < m; ++j)
    gradient[6 + static_cast<size_t>(j)] = season_bar[static_cast<size_t>(j)];
  return sse;
}

}  // namespace cpa::models
