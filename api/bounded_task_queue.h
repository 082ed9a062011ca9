// An httplib::TaskQueue with a fixed number of workers and a bounded queue of accepted
// connections (internal to api/).
//
// enqueue() blocks the accept loop while `max_pending` connections already wait for a worker,
// so further clients wait in the kernel's listen backlog instead of growing memory without
// bound. shutdown() lets queued connections be served, then joins the workers. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace cpa::api {

class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(int threads, int max_pending);
  ~BoundedTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void Work();

  size_t max_pending_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable space_cv_;
  std::deque<std::function<void()>> queue_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cpa::api
