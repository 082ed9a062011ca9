#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.h"
#include "tests/engine/memory_cluster.h"
#include "tests/engine/test_paths.h"

namespace cpa::engine {
namespace {

using namespace std::chrono_literals;
using testing_paths::Logic;

TEST(EngineScheduler, FirstRunAlignsToNextMultipleOfStartTime) {
  EXPECT_EQ(ToUnixMillis(FirstRunTime(FromUnixMillis(125'000), 60'000)), 180'000);
  EXPECT_EQ(ToUnixMillis(FirstRunTime(FromUnixMillis(120'000), 60'000)), 180'000);
  EXPECT_EQ(ToUnixMillis(FirstRunTime(FromUnixMillis(120'000), 1)), 120'001);
}

config::Config MakeConfig(const std::string& name, const std::string& evaluation_file) {
  config::Config c;
  c.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", name};
  c.interval_ms = 15'000;
  c.start_time_ms = 60'000;
  c.metric.type = "shell";
  c.metric.shell = config::ShellMethodConfig{"/bin/echo", {"1"}, false};
  c.evaluate.type = "shell";
  c.evaluate.shell =
      config::ShellMethodConfig{Logic("evaluate-from-env.sh"), {evaluation_file}, false};
  return c;
}

struct Recorded {
  std::mutex mu;
  std::vector<std::pair<std::string, int64_t>> runs;  // id, clock ms at run
  std::vector<std::string> failures;
};

TEST(EngineScheduler, RunsOnTheStartTimeGridAndIsolatesFailures) {
  auto dir = std::filesystem::temp_directory_path() / ("cpa-sched-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ok.json") << R"({"targetReplicas": 3})";
  std::ofstream(dir / "bad.json") << "not json";
  ManualClock clock(FromUnixMillis(1'000'050'000));  // 30 s past a full minute
  MemoryCluster good_cluster(1);
  MemoryCluster bad_cluster(1);
  auto good =
      Autoscaler::Create(MakeConfig("good", (dir / "ok.json").string()), good_cluster, clock);
  auto bad = Autoscaler::Create(MakeConfig("bad", (dir / "bad.json").string()), bad_cluster, clock);
  ASSERT_TRUE(good && bad);
  Scheduler scheduler(clock, 2);
  scheduler.Add(**good);
  scheduler.Add(**bad);
  Recorded rec;
  std::atomic<int> done{0};
  scheduler.SetObserver([&](Autoscaler& a, const auto& result, Duration) {
    std::lock_guard lock(rec.mu);
    rec.runs.emplace_back(a.id(), ToUnixMillis(clock.Now()));
    if (!result) rec.failures.push_back(a.id());
    ++done;
  });
  std::stop_source stop;
  std::jthread runner([&] { scheduler.Run(stop.get_token()); });
  struct StopOnExit {
    std::stop_source& s;
    ~StopOnExit() { s.request_stop(); }
  } stop_on_exit{stop};
  auto wait_for = [&](int n) {
    for (int i = 0; i < 2000 && done < n; ++i) std::this_thread::sleep_for(5ms);
  };
  auto wait_sleeping = [&] {
    for (int i = 0; i < 2000 && clock.Sleepers() == 0; ++i) std::this_thread::sleep_for(1ms);
  };
  wait_sleeping();
  clock.Advance(29s);  // 1s before the minute: nothing yet
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(done, 0);
  clock.Advance(1s);  // the full minute: first runs
  wait_for(2);
  ASSERT_EQ(done, 2);
  wait_sleeping();
  clock.Advance(15s);  // one interval later
  wait_for(4);
  EXPECT_EQ(done, 4);
  stop.request_stop();
  runner.join();
  EXPECT_EQ(good_cluster.replicas(), 3);
  EXPECT_EQ(bad_cluster.scales(), 0);
  std::lock_guard lock(rec.mu);
  EXPECT_EQ(rec.failures.size(), 2u);
  for (const auto& f : rec.failures) EXPECT_EQ(f, "default/bad");
  EXPECT_EQ(scheduler.stats().runs, 4);
  EXPECT_EQ(scheduler.stats().failures, 2);
  std::filesystem::remove_all(dir);
}

TEST(EngineScheduler, SlowRunIsSkippedNotQueued) {
  auto dir = std::filesystem::temp_directory_path() / ("cpa-slow-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ok.json") << R"({"targetReplicas": 2})";
  ManualClock clock(FromUnixMillis(0));
  MemoryCluster cluster(1);
  auto c = MakeConfig("slow", (dir / "ok.json").string());
  c.start_time_ms = 1'000;
  c.interval_ms = 1'000;
  c.metric.shell = config::ShellMethodConfig{"/bin/sleep", {"0.6"}, false};
  auto a = Autoscaler::Create(c, cluster, clock);
  ASSERT_TRUE(a);
  Scheduler scheduler(clock, 2);
  scheduler.Add(**a);
  std::atomic<int> done{0};
  scheduler.SetObserver([&](Autoscaler&, const auto&, Duration) { ++done; });
  std::stop_source stop;
  std::jthread runner([&] { scheduler.Run(stop.get_token()); });
  for (int i = 0; i < 2000 && clock.Sleepers() == 0; ++i) std::this_thread::sleep_for(1ms);
  clock.Advance(1s);  // first run starts and takes 0.6 s of real time
  std::this_thread::sleep_for(100ms);
  clock.Advance(1s);  // its next slot while it is still running: skipped
  for (int i = 0; i < 400 && done < 1; ++i) std::this_thread::sleep_for(5ms);
  stop.request_stop();
  runner.join();
  EXPECT_EQ(done, 1);
  EXPECT_EQ(scheduler.stats().skipped, 1);
  std::filesystem::remove_all(dir);
}

TEST(EngineScheduler, SlowRunsWarnOnceWithAHintThenReportACount) {
  auto dir = std::filesystem::temp_directory_path() / ("cpa-slow2-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ok.json") << R"({"targetReplicas": 2})";
  ManualClock clock(FromUnixMillis(0));
  MemoryCluster cluster(1);
  auto c = MakeConfig("slow", (dir / "ok.json").string());
  c.start_time_ms = 1'000;
  c.interval_ms = 1'000;
  c.metric.shell = config::ShellMethodConfig{"/bin/sleep", {"1"}, false};
  auto a = Autoscaler::Create(c, cluster, clock);
  ASSERT_TRUE(a);
  log::LogCapture capture;
  Scheduler scheduler(clock, 2);
  scheduler.Add(**a);
  std::atomic<int> done{0};
  scheduler.SetObserver([&](Autoscaler&, const auto&, Duration) { ++done; });
  std::stop_source stop;
  std::jthread runner([&] { scheduler.Run(stop.get_token()); });
  auto wait_for_sleeper = [&] {
    for (int i = 0; i < 2000 && clock.Sleepers() == 0; ++i) std::this_thread::sleep_for(1ms);
  };
  wait_for_sleeper();
  clock.Advance(1s);  // the first run starts and takes 1 s of real time
  std::this_thread::sleep_for(50ms);
  wait_for_sleeper();
  clock.Advance(1s);  // skipped: the warning with the hint
  std::this_thread::sleep_for(50ms);
  wait_for_sleeper();
  clock.Advance(1s);  // skipped: counted, not logged
  std::this_thread::sleep_for(50ms);
  wait_for_sleeper();
  clock.Advance(6min);  // skipped again, 5 minutes after the first: the count is reported
  for (int i = 0; i < 400 && done < 1; ++i) std::this_thread::sleep_for(5ms);
  stop.request_stop();
  runner.join();
  int hints = 0;
  int counts = 0;
  for (const auto& line : capture.Lines()) {
    if (line.find("raise it") != std::string::npos) ++hints;
    if (line.find("2 more run(s) skipped in the last 6 min") != std::string::npos) ++counts;
  }
  EXPECT_EQ(hints, 1);
  EXPECT_EQ(counts, 1);
  EXPECT_EQ(scheduler.stats().skipped, 3 + 359);  // three skipped slots + the missed ones
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cpa::engine
