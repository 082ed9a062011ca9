// A keyed work queue for level-triggered reconciles, as client-go's workqueue: a key (here
// "namespace/name") is queued at most once however often it is added (duplicates coalesce), is
// handed to at most one worker at a time (a key added while it is processed is queued again when
// Done() is called), and can be added after a delay. AddRateLimited() delays by a per-key
// exponential backoff (base * 2^failures, capped) that Forget() resets.
//
// Delays run on the injected Clock (a ManualClock in tests) through one timer thread owned by
// the queue. Thread-safe: any thread may call any method. ShutDown() wakes every Get().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>

#include "common/clock.h"

namespace cpa::op {

struct BackoffOptions {
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds max{5 * 60 * 1000};
};

class WorkQueue {
 public:
  explicit WorkQueue(Clock& clock, BackoffOptions backoff = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, Duration delay);
  // Adds after this key's next backoff delay and counts a failure for it.
  void AddRateLimited(const std::string& key);
  // Resets the key's failure count (after a success or a terminal error).
  void Forget(const std::string& key);
  int Failures(const std::string& key) const;
  // The delay the next AddRateLimited(key) would use.
  Duration NextBackoff(const std::string& key) const;

  // Blocks for the next key; nullopt once shut down (or `stop` is requested).
  std::optional<std::string> Get(std::stop_token stop = {});
  // Marks a key from Get() as processed.
  void Done(const std::string& key);
  void ShutDown();

  size_t Len() const;         // keys ready to be handed out
  size_t WaitingLen() const;  // keys waiting for their delay
  int64_t Adds() const;       // Add() calls that queued a key (not coalesced)
  int64_t Retries() const;    // AddRateLimited() calls

 private:
  void AddLocked(const std::string& key);
  void TimerLoop(std::stop_token stop);

  Clock& clock_;
  BackoffOptions backoff_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or to be queued once processed
  std::set<std::string> processing_;  // handed out, not Done
  std::multimap<TimePoint, std::string> waiting_;
  std::map<std::string, int> failures_;
  bool shutting_down_ = false;
  int64_t adds_ = 0;
  int64_t retries_ = 0;
  std::stop_source timer_wake_;  // replaced each time the timer must re-plan
  std::jthread timer_;
};

}  // namespace cpa::op
