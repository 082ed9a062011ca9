// Internal to models/: the Holt-Winters recursion as one template per (trend, seasonal), so the
// hot loop has no branches on the model kind. See models/holt_winters.h for the equations.
// Header-only, pure, thread-safe.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "models/holt_winters.h"

namespace cpa::models::internal {

// Calls on_step(t, one_step_prediction, horizon_prediction) for t = 0..n-1 (stopping early when
// on_step returns a bool and it is false; the final state is then partial), where the horizon
// prediction is the `horizon`-step-ahead forecast of y[t + horizon - 1] made from the state
// before y[t] (equal to the one-step prediction when horizon == 1), and returns the final state.
template <Trend kTrend, Seasonal kSeasonal, typename OnStep>
FinalState RunKernel(const HoltWintersParams& p, double phi, int m, const InitialState& init,
                     std::span<const double> y, int horizon, OnStep&& on_step) {
  const double alpha = p.alpha;
  const double beta = p.beta;
  const double gamma = p.gamma;
  constexpr bool kHasSeason = kSeasonal != Seasonal::kNone;
  const int ring_size = kHasSeason ? m : 1;
  std::vector<double> ring(static_cast<size_t>(ring_size),
                           kSeasonal == Seasonal::kMultiplicative ? 1.0 : 0.0);
  if constexpr (kHasSeason) {
    for (int j = 0; j < m; ++j)
      ring[static_cast<size_t>(j)] = init.seasonal[static_cast<size_t>(j)];
  }
  // phi_h = phi + ... + phi^h for the horizon forecasts.
  double phi_h = 0.0;
  double phi_power = 1.0;
  for (int i = 1; i <= horizon; ++i) {
    phi_power *= phi;
    phi_h += phi_power;
  }
  const int h_offset = kHasSeason ? (horizon - 1) % m : 0;
  const double alpha_beta = alpha * beta;
  const double a11 = 1.0 - alpha;
  const double a12 = (1.0 - alpha) * phi;
  const double a22 = phi * (1.0 - alpha_beta);
  double l = init.level;
  double b = kTrend == Trend::kNone ? 0.0 : init.trend;
  int idx = 0;
  int idx_h = h_offset;
  double* s = ring.data();
  const size_t n = y.size();
  for (size_t t = 0; t < n; ++t) {
    const double yt = y[t];
    double d = 0.0;
    double base = l;
    if constexpr (kTrend == Trend::kAdditive) {
      d = phi * b;
      base = l + d;
    } else if constexpr (kTrend == Trend::kMultiplicative) {
      d = phi == 1.0 ? b : std::pow(b, phi);
      base = l * d;
    }
    const double st = kHasSeason ? s[idx] : 0.0;
    double yhat = base;
    double u = yt;
    if constexpr (kSeasonal == Seasonal::kAdditive) {
      yhat = base + st;
      u = yt - st;
    } else if constexpr (kSeasonal == Seasonal::kMultiplicative) {
      yhat = base * st;
      u = yt / st;
    }
    double yhat_h = yhat;
    if (horizon > 1) {
      double base_h = l;
      if constexpr (kTrend == Trend::kAdditive) {
        base_h = l + phi_h * b;
      } else if constexpr (kTrend == Trend::kMultiplicative) {
        base_h = l * std::pow(b, phi_h);
      }
      if constexpr (kSeasonal == Seasonal::kAdditive) {
        yhat_h = base_h + s[idx_h];
      } else if constexpr (kSeasonal == Seasonal::kMultiplicative) {
        yhat_h = base_h * s[idx_h];
      } else {
        yhat_h = base_h;
      }
    }
    if constexpr (std::is_same_v<decltype(on_step(t, yhat, yhat_h)), bool>) {
      if (!on_step(t, yhat, yhat_h)) break;  // the caller has seen enough
    } else {
      on_step(t, yhat, yhat_h);
    }
    double l_new;
    if constexpr (kTrend == Trend::kAdditive) {
      // The same update written as a linear map of (l, b) plus the input u, which shortens the
      // loop-carried dependency chain about threefold (equal up to rounding):
      //   l' = (1 - alpha) l + (1 - alpha) phi b + alpha u
      //   b' = beta (l' - l) + (1 - beta) phi b = -alpha beta l + phi (1 - alpha beta) b + alpha
      //   beta u
      l_new = a11 * l + (a12 * b + alpha * u);
      b = a22 * b + alpha_beta * (u - l);
    } else if constexpr (kTrend == Trend::kMultiplicative) {
      l_new = alpha * u + (1.0 - alpha) * base;
      b = beta * (l_new / l) + (1.0 - beta) * d;
    } else {
      l_new = a11 * l + alpha * u;
    }
    if constexpr (kSeasonal == Seasonal::kAdditive) {
      s[idx] = st + gamma * (u - base);  // = gamma (y - base) + (1 - gamma) s
    } else if constexpr (kSeasonal == Seasonal::kMultiplicative) {
      s[idx] = gamma * (yt / base) + (1.0 - gamma) * st;
    }
    l = l_new;
    if constexpr (kHasSeason) {
      if (++idx == m) idx = 0;
      if (++idx_h == m) idx_h = 0;
    }
  }
  FinalState final_state;
  final_state.level = l;
  final_state.trend = kTrend == Trend::kNone ? 0.0 : b;
  if constexpr (kHasSeason) {
    final_state.seasonal.resize(static_cast<size_t>(m));
    for (int j = 0; j < m; ++j) {
      final_state.seasonal[static_cast<size_t>(j)] = ring[static_cast<size_t>((idx + j) % m)];
    }
  }
  return final_state;
}

// The one-step-ahead pass of Smooth for the linear models (trend none or additive, damped or
// not; seasonal none or additive): writes fitted[0..n-1], returns the SSE and leaves the final
// state in *out. Bit for bit the arithmetic of RunKernel with Smooth's callback (the same
// operations in the same order, so results do not change and advancing a state in pieces still
// equals one pass, which autoscalers/phpa/model_runner relies on), without its overheads:
//   - the SSE and the state live in registers (through the callback the SSE was a memory
//     read-modify-write per point, a store-forwarding round trip on the loop-carried path);
//   - the seasonals are read and updated in place in out->seasonal (no separate ring buffer and
//     no copy with a division per phase at the end), in runs that never wrap around, so the
//     inner loop has no index wrap test;
//   - no horizon or model-kind branches;
//   - out of line: inlined into its caller beside RunKernel's instantiations, GCC 12 kept the SSE
//     and constants on the stack.
// (Two observations per iteration with A^2 on the chain was measured about 13 us faster on
// 23,040 points, but its rounding depends on where a pass starts, which would break the
// incremental-equals-full-recomputation guarantee; it is not used.)
template <Trend kTrend, Seasonal kSeasonal>
[[gnu::noinline]] double SmoothLinearKernel(const HoltWintersParams& p, double phi, int m,
                                            const InitialState& init, std::span<const double> y,
                                            double* fitted, FinalState* out) {
  static_assert(kTrend != Trend::kMultiplicative && kSeasonal != Seasonal::kMultiplicative);
  constexpr bool kHasTrend = kTrend == Trend::kAdditive;
  constexpr bool kHasSeason = kSeasonal == Seasonal::kAdditive;
  const double alpha = p.alpha;
  const double gamma = p.gamma;
  const double alpha_beta = alpha * p.beta;
  const double a11 = 1.0 - alpha;
  const double a12 = (1.0 - alpha) * phi;
  const double a22 = phi * (1.0 - alpha_beta);
  double l = init.level;
  double b = kHasTrend ? init.trend : 0.0;
  double sse = 0.0;
  const size_t n = y.size();
  const double* yp = y.data();
  if constexpr (kHasSeason) {
    out->seasonal.assign(init.seasonal.begin(), init.seasonal.begin() + m);
  }
  double* ring = kHasSeason ? out->seasonal.data() : nullptr;
  size_t t = 0;
  size_t idx = 0;  // ring position of time t
  while (t < n) {
    // A run of observations whose seasonals are contiguous in the ring (no wrap-around).
    const size_t end = kHasSeason ? t + std::min(n - t, static_cast<size_t>(m) - idx) : n;
    for (; t < end; ++t) {
      const double yt = yp[t];
      double base = l;
      if constexpr (kHasTrend) base = l + phi * b;
      double yhat = base;
      double u = yt;
      double st = 0.0;
      if constexpr (kHasSeason) {
        st = ring[idx];
        yhat = base + st;
        u = yt - st;
      }
      fitted[t] = yhat;
      const double e = yt - yhat;
      sse += e * e;
      // The state update of RunKernel (see there for the linear-map form).
      if constexpr (kHasTrend) {
        const double l_new = a11 * l + (a12 * b + alpha * u);
        b = a22 * b + alpha_beta * (u - l);
        l = l_new;
      } else {
        l = a11 * l + alpha * u;
      }
      if constexpr (kHasSeason) {
        ring[idx] = st + gamma * (u - base);
        ++idx;
      }
    }
    if (kHasSeason && idx == static_cast<size_t>(m)) idx = 0;
  }
  out->level = l;
  out->trend = kHasTrend ? b : 0.0;
  if constexpr (kHasSeason) {
    // ring[idx] is the seasonal of time n: rotate it to the front.
    std::rotate(out->seasonal.begin(), out->seasonal.begin() + static_cast<std::ptrdiff_t>(idx),
                out->seasonal.end());
  }
  return sse;
}

// Dispatches a runtime (trend, seasonal) pair to the matching RunKernel instantiation.
template <typename OnStep>
FinalState Run(const HoltWintersOptions& o, const HoltWintersParams& p, const InitialState& init,
               std::span<const double> y, int horizon, OnStep&& on_step) {
  const double phi = o.damped ? p.phi : 1.0;
  const int m = o.SeasonLength();
#define CPA_HW_CASE(T, S)                                                          \
  if (o.trend == Trend::T && o.seasonal == Seasonal::S) {                          \
    return RunKernel<Trend::T, Seasonal::S>(p, phi, m, init, y, horizon, on_step); \
  }
  CPA_HW_CASE(kNone, kNone)
  CPA_HW_CASE(kNone, kAdditive)
  CPA_HW_CASE(kNone, kMultiplicative)
  CPA_HW_CASE(kAdditive, kNone)
  CPA_HW_CASE(kAdditive, kAdditive)
  CPA_HW_CASE(kAdditive, kMultiplicative)
  CPA_HW_CASE(kMultiplicative, kNone)
  CPA_HW_CASE(kMultiplicative, kAdditive)
#undef CPA_HW_CASE
  return RunKernel<Trend::kMultiplicative, Seasonal::kMultiplicative>(p, phi, m, init, y, horizon,
                                                                      on_step);
}

}  // namespace cpa::models::internal
