// A fixed pool of worker threads running submitted tasks in FIFO order.
//
// Submit() never blocks; tasks queued when the pool is destroyed still run before the workers
// join (so in-flight and queued work completes on shutdown). Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cpa {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();  // drains the queue, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);
  // Blocks until the queue is empty and no task is running.
  void WaitIdle();

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cpa
