#include "operator/work_queue.h"

#include <algorithm>

namespace cpa::op {

WorkQueue::WorkQueue(Clock& clock, BackoffOptions backoff) : clock_(clock), backoff_(backoff) {
  timer_ = std::jthread([this](std::stop_token stop) { TimerLoop(stop); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
  timer_.request_stop();
  {
    std::lock_guard lock(mu_);
    timer_wake_.request_stop();
  }
  if (timer_.joinable()) timer_.join();
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key) != 0) return;
  dirty_.insert(key);
  ++adds_;
  if (processing_.count(key) != 0) return;  // queued again by Done()
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, Duration delay) {
  if (delay <= Duration::zero()) return Add(key);
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  TimePoint at = clock_.Now() + delay;
  // Keep only the earliest pending time of a key.
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->second != key) continue;
    if (it->first <= at) return;
    waiting_.erase(it);
    break;
  }
  bool earliest = waiting_.empty() || at < waiting_.begin()->first;
  waiting_.emplace(at, key);
  if (earliest) timer_wake_.request_stop();  // the timer re-plans
}

Duration WorkQueue::NextBackoff(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  int n = it == failures_.end() ? 0 : it->second;
  auto delay = backoff_.base;
  for (int i = 0; i < n && delay < backoff_.max; ++i) delay *= 2;
  return std::min(delay, backoff_.max);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  Duration delay = NextBackoff(key);
  {
    std::lock_guard lock(mu_);
    ++failures_[key];
    ++retries_;
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::optional<std::string> WorkQueue::Get(std::stop_token stop) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, stop, [&] { return shutting_down_ || !queue_.empty(); });
  if (shutting_down_ || queue_.empty()) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) != 0 && !shutting_down_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
  timer_wake_.request_stop();
}

size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t WorkQueue::WaitingLen() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

int64_t WorkQueue::Adds() const {
  std::lock_guard lock(mu_);
  return adds_;
}

int64_t WorkQueue::Retries() const {
  std::lock_guard lock(mu_);
  return retries_;
}

void WorkQueue::TimerLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    TimePoint deadline = TimePoint::max();
    std::stop_token wake;
    {
      std::lock_guard lock(mu_);
      if (shutting_down_) return;
      TimePoint now = clock_.Now();
      while (!waiting_.empty() && waiting_.begin()->first <= now) {
        std::string key = waiting_.begin()->second;
        waiting_.erase(waiting_.begin());
        AddLocked(key);
      }
      if (!waiting_.empty()) deadline = waiting_.begin()->first;
      timer_wake_ = std::stop_source();
      wake = timer_wake_.get_token();
    }
    // Sleep until the earliest deadline, a new earlier one (wake) or the queue's end (stop).
    std::stop_source both;
    std::stop_callback on_stop(stop, [&] { both.request_stop(); });
    std::stop_callback on_wake(wake, [&] { both.request_stop(); });
    clock_.SleepUntil(deadline, both.get_token());
  }
}

}  // namespace cpa::op
