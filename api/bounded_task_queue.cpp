#include "api/bounded_task_queue.h"

#include <algorithm>

namespace cpa::api {

BoundedTaskQueue::BoundedTaskQueue(int threads, int max_pending)
    : max_pending_(static_cast<size_t>(std::max(1, max_pending))) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  space_cv_.wait(lock, [&] { return queue_.size() < max_pending_ || shutdown_; });
  queue_.push_back(std::move(fn));
  work_cv_.notify_one();
}

void BoundedTaskQueue::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutdown_ && threads_.empty()) return;
    shutdown_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void BoundedTaskQueue::Work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return !queue_.empty() || shutdown_; });
      if (queue_.empty()) return;  // shut down and drained
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    space_cv_.notify_one();
    fn();
  }
}

}  // namespace cpa::api
