#include "engine/scheduler.h"

#include <algorithm>

#include "common/log.h"

namespace cpa::engine {

TimePoint FirstRunTime(TimePoint now, int64_t start_time_ms) {
  int64_t now_ms = ToUnixMillis(now);
  int64_t delay = start_time_ms - (now_ms % start_time_ms);
  return FromUnixMillis(now_ms + delay);
}

Scheduler::Scheduler(Clock& clock, int workers) : clock_(clock), workers_(std::max(1, workers)) {}

void Scheduler::Add(Autoscaler& autoscaler) {
  auto entry = std::make_unique<Entry>();
  entry->autoscaler = &autoscaler;
  entries_.push_back(std::move(entry));
}

Scheduler::Stats Scheduler::stats() const { return Stats{runs_, failures_, skipped_}; }

void Scheduler::Dispatch(Entry& entry, std::stop_token cancel_runs) {
  if (entry.in_flight.exchange(true)) {
    ++skipped_;
    const MonotonicTime now = clock_.Monotonic();
    if (!entry.warned_slow) {
      entry.warned_slow = true;
      entry.last_skip_report = now;
      log::Warning(
          "autoscaler {}: a run is still in progress at the next interval ({} ms), so this run "
          "is skipped; runs take longer than `interval`: raise it, or make the user logic "
          "faster. Further skips are counted and reported every {} min",
          entry.autoscaler->id(), entry.autoscaler->config().interval_ms,
          std::chrono::duration_cast<std::chrono::minutes>(kSkipReportPeriod).count());
      return;
    }
    ++entry.skipped_unreported;
    if (now - entry.last_skip_report >= kSkipReportPeriod) {
      log::Warning(
          "autoscaler {}: {} more run(s) skipped in the last {} min (runs still take "
          "longer than interval {} ms)",
          entry.autoscaler->id(), entry.skipped_unreported,
          std::chrono::duration_cast<std::chrono::minutes>(now - entry.last_skip_report).count(),
          entry.autoscaler->config().interval_ms);
      entry.skipped_unreported = 0;
      entry.last_skip_report = now;
    }
    return;
  }
  pool_->Submit([this, &entry, cancel_runs] {
    const MonotonicTime started = clock_.Monotonic();
    auto result = entry.autoscaler->Run(RunType::kScaler, cancel_runs);
    auto elapsed = std::chrono::duration_cast<Duration>(clock_.Monotonic() - started);
    ++runs_;
    if (!result) ++failures_;
    if (observer_) observer_(*entry.autoscaler, result, elapsed);
    entry.in_flight = false;
  });
}

void Scheduler::Run(std::stop_token stop, std::stop_token cancel_runs) {
  pool_ = std::make_unique<ThreadPool>(workers_);
  const TimePoint wall = clock_.Now();
  MonotonicTime now = clock_.Monotonic();
  for (auto& e : entries_) {
    const Duration delay = FirstRunTime(wall, e->autoscaler->config().start_time_ms) - wall;
    e->next_run = now + std::chrono::duration_cast<MonotonicTime::duration>(delay);
  }
  while (!stop.stop_requested() && !entries_.empty()) {
    auto earliest = std::min_element(entries_.begin(), entries_.end(),
                                     [](auto& a, auto& b) { return a->next_run < b->next_run; })
                        ->get()
                        ->next_run;
    if (!clock_.SleepUntilMonotonic(earliest, stop)) break;
    now = clock_.Monotonic();
    for (auto& e : entries_) {
      if (e->next_run > now) continue;
      Dispatch(*e, cancel_runs);
      auto interval = std::chrono::milliseconds(e->autoscaler->config().interval_ms);
      e->next_run += interval;
      int64_t missed = 0;
      if (e->next_run <= now) {  // slots that passed while the process was paused: skip them
        missed = (now - e->next_run) / interval + 1;
        e->next_run += missed * interval;
      }
      if (missed > 0) {
        skipped_ += missed;
        log::Warning(
            "autoscaler {}: {} scheduled run(s) missed (the process was paused or "
            "overloaded)",
            e->autoscaler->id(), missed);
      }
    }
  }
  pool_.reset();  // waits for runs in flight
}

}  // namespace cpa::engine
