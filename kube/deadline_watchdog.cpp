#include "kube/deadline_watchdog.h"

#include <algorithm>

namespace cpa::kube {

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t DeadlineWatchdog::Arm(SteadyTime deadline, std::function<void()> on_expiry) {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  uint64_t id = ++next_id_;
  entries_.emplace(id, Entry{deadline, std::move(on_expiry)});
  cv_.notify_all();
  return id;
}

void DeadlineWatchdog::Disarm(uint64_t id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

void DeadlineWatchdog::Loop() {
  std::unique_lock lock(mu_);
  while (!done_) {
    auto now = std::chrono::steady_clock::now();
    SteadyTime next = SteadyTime::max();
    for (auto& [id, e] : entries_) {
      if (e.deadline <= now) {
        e.on_expiry();  // under the lock: Disarm waits for it
        e.deadline = now + std::chrono::milliseconds(50);
      }
      next = std::min(next, e.deadline);
    }
    if (next == SteadyTime::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
  }
}

}  // namespace cpa::kube
