// Runs many autoscalers, each on its own schedule, on one shared pool of workers.
//
// Schedule (CONTRACTS.md section 1): the first run is at the next multiple of `startTime` ms
// since the Unix epoch (strictly after the start), then every `interval` ms on that grid. The
// wall clock is read once, for that alignment; the grid itself runs on the monotonic clock, so a
// step of the system time (back or forward) neither stalls the loop nor runs missed slots. A run
// still in flight when its next slot comes is not overlapped: the slot is skipped and logged,
// never queued. One autoscaler failing or hanging never delays the others (up to the pool size).
// Run() blocks until `stop` is requested, then lets runs in flight finish and returns;
// `cancel_runs` (e.g. a second SIGTERM or a grace period) cancels runs in flight instead.
// Autoscalers and the Clock must outlive Run(). Add() only before Run().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

#include "common/clock.h"
#include "common/thread_pool.h"
#include "engine/autoscaler.h"

namespace cpa::engine {

// Called after every scheduled run with its outcome and how long it took.
using RunObserver =
    std::function<void(Autoscaler&, const std::expected<RunResult, StageError>&, Duration)>;

// The first run time for a startTime alignment: the next multiple of `start_time_ms` after `now`.
TimePoint FirstRunTime(TimePoint now, int64_t start_time_ms);

class Scheduler {
 public:
  Scheduler(Clock& clock, int workers);
  void Add(Autoscaler& autoscaler);
  // Called on the worker thread after every scheduled run (recording, metrics, tests).
  void SetObserver(RunObserver observer) { observer_ = std::move(observer); }
  void Run(std::stop_token stop, std::stop_token cancel_runs = {});

  struct Stats {
    int64_t runs = 0;
    int64_t failures = 0;
    int64_t skipped = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    Autoscaler* autoscaler;
    MonotonicTime next_run;
    std::atomic<bool> in_flight{false};
    // Slow-run reporting (scheduler thread only): the first skip is a warning with a hint, later
    // ones are counted and reported once per kSkipReportPeriod.
    bool warned_slow = false;
    int64_t skipped_unreported = 0;
    MonotonicTime last_skip_report;
  };
  static constexpr Duration kSkipReportPeriod = std::chrono::minutes(5);
  void Dispatch(Entry& entry, std::stop_token cancel_runs);

  Clock& clock_;
  int workers_;
  std::vector<std::unique_ptr<Entry>> entries_;
  RunObserver observer_;
  std::atomic<int64_t> runs_{0}, failures_{0}, skipped_{0};
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace cpa::engine
