// Total deadlines for blocking calls that only have per-read and per-write timeouts (cpp-httplib:
// a server sending one byte per read timeout would hold such a call for ever).
//
// Arm(deadline, on_expiry) runs `on_expiry` on the watchdog's thread once the deadline has passed,
// and again every 50 ms until the call disarms it (which covers a deadline that fires while the
// socket is still being opened); `on_expiry` typically shuts the connection down so the blocked
// read or write returns. After Disarm(id) returns, `on_expiry` is neither running nor run again.
// One thread, started on first Arm; steady_clock (a deadline is a duration, not a time of day).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace cpa::kube {

class DeadlineWatchdog {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  DeadlineWatchdog() = default;
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;
  ~DeadlineWatchdog();

  uint64_t Arm(SteadyTime deadline, std::function<void()> on_expiry);
  void Disarm(uint64_t id);

 private:
  struct Entry {
    SteadyTime deadline;
    std::function<void()> on_expiry;
  };
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 0;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace cpa::kube
