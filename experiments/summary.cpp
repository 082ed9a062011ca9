#include "experiments/summary.h"

#include <algorithm>
#include <cmath>

namespace cpa::experiments {
namespace {

constexpr double kDay = 86400.0;

struct Acc {
  int64_t n = 0;
  double sum = 0;
  void Add(const LoadRunRecord& r) {
    n += r.requests;
    sum += r.latency_sum_s;
  }
  double MeanMs() const { return n > 0 ? 1000.0 * sum / static_cast<double>(n) : 0.0; }
};

}  // namespace

std::vector<DayMetrics> ComputeDayMetrics(const RunOutput& run) {
  const Trace& trace = run.trace;
  std::vector<DayMetrics> days(trace.days.size());
  for (size_t d = 0; d < days.size(); ++d) {
    DayMetrics& m = days[d];
    m.name = run.contender;
    m.connection = run.connection;
    m.seed = run.seed;
    m.day = static_cast<int>(d) + 1;
    m.latency_p95_ms = trace.days[d].histogram.Quantile(0.95) * 1000.0;
    m.latency_p99_ms = trace.days[d].histogram.Quantile(0.99) * 1000.0;
    m.replica_hours = trace.days[d].replica_seconds / 3600.0;
    m.scale_events = trace.days[d].scale_events;
    m.under_provisioned_s = trace.days[d].under_provisioned_s;
  }
  std::vector<Acc> totals(days.size());
  const auto& runs = trace.load_runs;
  auto day_of = [&](double t) {
    return std::min(days.size() - 1, static_cast<size_t>(std::max(0.0, t) / kDay));
  };
  for (const auto& r : runs) {
    DayMetrics& m = days[day_of(r.start_s)];
    m.requests += r.requests;
    m.failed += r.failed;
    m.latency_max_ms = std::max(m.latency_max_ms, r.latency_max_s * 1000.0);
    totals[day_of(r.start_s)].Add(r);
  }
  for (size_t d = 0; d < days.size(); ++d) days[d].latency_mean_ms = totals[d].MeanMs();
  std::vector<Acc> rise_totals(days.size());
  std::vector<bool> has_rise(days.size(), false);
  for (size_t i = 1; i < runs.size(); ++i) {
    if (runs[i].scheduled_users <= runs[i - 1].scheduled_users) continue;
    RiseMetrics rise;
    rise.time_s = runs[i].start_s;
    rise.users_before = runs[i - 1].scheduled_users;
    rise.users_after = runs[i].scheduled_users;
    size_t end = i + 1;  // the phase ends where the scheduled users change
    while (end < runs.size() && runs[end].scheduled_users == runs[i].scheduled_users) ++end;
    Acc first5, first30, steady;
    for (size_t j = i; j < end; ++j) {
      const double offset = runs[j].start_s - rise.time_s;
      if (offset < 300) first5.Add(runs[j]);
      if (offset < 1800) {
        first30.Add(runs[j]);
      } else {
        steady.Add(runs[j]);
      }
    }
    // The 30 minutes after the rise, even when the phase is shorter (a spike and what follows).
    Acc window;
    for (size_t j = i; j < runs.size() && runs[j].start_s - rise.time_s < 1800; ++j) {
      window.Add(runs[j]);
    }
    rise.first5_mean_ms = first5.MeanMs();
    rise.first30_mean_ms = first30.MeanMs();
    if (steady.n > 0) rise.steady_mean_ms = steady.MeanMs();
    const size_t d = day_of(rise.time_s);
    days[d].rises.push_back(rise);
    rise_totals[d].n += window.n;
    rise_totals[d].sum += window.sum;
    has_rise[d] = true;
  }
  for (size_t d = 0; d < days.size(); ++d) {
    if (has_rise[d]) days[d].rise_latency_mean_ms = rise_totals[d].MeanMs();
  }
  return days;
}

Spread ComputeSpread(const std::vector<double>& values) {
  Spread s;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  if (values.size() > 1) {
    double sq = 0;
    for (double v : values) sq += (v - s.mean) * (v - s.mean);
    s.stdev = std::sqrt(sq / static_cast<double>(values.size() - 1));
  }
  return s;
}

}  // namespace cpa::experiments
