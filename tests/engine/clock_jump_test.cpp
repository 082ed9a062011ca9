// Steps of the wall clock (issue 14): an hour back and a day forward in the middle of runs, with a
// ManualClock whose Jump() moves the wall clock only, as when the system time is set. The
// scheduler keeps its interval (it neither waits for the wall clock to catch up an hour nor runs
// the slots of a day at once), downscale stabilization holds across the jump with and without a
// store (no scale caused only by the jump), and the store keeps the series it was given.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "engine/autoscaler.h"
#include "engine/scheduler.h"
#include "store/sqlite_store.h"
#include "tests/engine/memory_cluster.h"
#include "tests/engine/test_paths.h"
#include "tests/support/child_process.h"

namespace cpa::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_paths::Logic;
using testing_support::WaitUntil;

class EngineClockJump : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cpa-clock-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
    config_.interval_ms = 15'000;
    config_.start_time_ms = 1'000;
    config_.downscale_stabilization_s = 300;
    config_.metric.type = "shell";
    config_.metric.shell = config::ShellMethodConfig{"/bin/echo", {"1"}, false};
    config_.evaluate.type = "shell";
    config_.evaluate.shell = config::ShellMethodConfig{
        Logic("evaluate-from-env.sh"), {(dir_ / "evaluation.json").string()}, false};
    Evaluate(6);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Evaluate(int n) {
    std::ofstream(dir_ / "evaluation.json") << "{\"targetReplicas\": " << n << "}";
  }
  std::unique_ptr<Autoscaler> Make(store::Store* store = nullptr) {
    AutoscalerOptions options;
    options.store = store;
    auto a = Autoscaler::Create(config_, cluster_, clock_, std::move(options));
    EXPECT_TRUE(a) << (a ? "" : a.error().message);
    return std::move(*a);
  }

  fs::path dir_;
  config::Config config_;
  MemoryCluster cluster_{2};
  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
};

TEST_F(EngineClockJump, SchedulerKeepsItsIntervalWhenTheWallClockJumps) {
  auto a = Make();
  Scheduler scheduler(clock_, 2);
  scheduler.Add(*a);
  std::mutex mu;
  std::vector<int64_t> run_wall_ms;
  std::atomic<int> runs{0};
  scheduler.SetObserver([&](Autoscaler&, const auto&, Duration) {
    std::lock_guard lock(mu);
    run_wall_ms.push_back(ToUnixMillis(clock_.Now()));
    ++runs;
  });
  log::LogCapture logs;
  std::stop_source stop;
  std::jthread runner([&] { scheduler.Run(stop.get_token()); });
  struct StopOnExit {
    std::stop_source& s;
    ~StopOnExit() { s.request_stop(); }
  } stop_on_exit{stop};
  // One interval of time passes once the scheduler sleeps again; then exactly one more run.
  auto step = [&](Duration by, int expected_runs) {
    EXPECT_TRUE(WaitUntil([&] { return clock_.Sleepers() > 0; }));
    clock_.Advance(by);
    EXPECT_TRUE(WaitUntil([&] { return runs.load() >= expected_runs; }, 5s))
        << "no run " << expected_runs << " after " << by.count() << " ns";
    std::this_thread::sleep_for(20ms);  // a spinning scheduler would run more than once here
    EXPECT_EQ(runs.load(), expected_runs);
  };
  step(1s, 1);  // the first run, on the startTime grid
  step(15s, 2);
  clock_.Jump(-1h);  // the system time is set back an hour between two runs
  step(15s, 3);      // the next run is one interval later, not an hour and an interval
  clock_.Jump(24h);  // and forward a day
  step(15s, 4);      // one run, not the 5,760 slots of the day
  step(15s, 5);
  stop.request_stop();
  runner.join();
  EXPECT_EQ(scheduler.stats().skipped, 0);
  EXPECT_FALSE(logs.Contains("missed"));
  std::lock_guard lock(mu);
  ASSERT_EQ(run_wall_ms.size(), 5u);
  EXPECT_EQ(run_wall_ms[2] - run_wall_ms[1], 15'000 - 3'600'000);  // the wall clock did jump
  EXPECT_EQ(run_wall_ms[3] - run_wall_ms[2], 15'000 + 86'400'000);
}

// With and without a store file: 6 is evaluated, then 2 in every later run. The 300 s window
// holds 6 for 300 s of real time, whatever the wall clock says.
class EngineClockJumpStabilization : public EngineClockJump,
                                     public testing::WithParamInterface<bool> {};

TEST_P(EngineClockJumpStabilization, NoDownscaleCausedByAJump) {
  std::unique_ptr<store::Store> store;
  if (GetParam()) {
    auto opened = store::OpenSqliteStore(store::StoreOptions{.path = (dir_ / "h.db").string()});
    ASSERT_TRUE(opened) << opened.error().ToString();
    store = std::move(*opened);
  }
  auto a = Make(store.get());
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6);
  Evaluate(2);
  clock_.Advance(15s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6);  // held
  clock_.Jump(-1h);                   // the 6 now looks an hour in the future
  clock_.Advance(15s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6) << "the backward jump emptied the window";
  clock_.Jump(24h);  // the 6 now looks a day old
  clock_.Advance(15s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6) << "the forward jump emptied the window";
  clock_.Advance(300s);  // 345 s of real time after the 6: it has left the window
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 2);
  EXPECT_EQ(cluster_.scales(), 2);  // up to 6, down to 2: nothing caused by the jumps
  if (store) {
    // The evaluations are stored at the wall times of their runs, jumps included, and read back
    // in time order.
    auto evaluations = store->Evaluations("default/web", {});
    ASSERT_TRUE(evaluations) << evaluations.error().ToString();
    ASSERT_EQ(evaluations->size(), 5u);
    for (size_t i = 1; i < evaluations->size(); ++i) {
      EXPECT_LT((*evaluations)[i - 1].time, (*evaluations)[i].time);
    }
    EXPECT_EQ((*evaluations)[0].evaluation.target_replicas, 2);  // the run an hour "earlier"
  }
}

INSTANTIATE_TEST_SUITE_P(History, EngineClockJumpStabilization, testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Store" : "Memory"; });

}  // namespace
}  // namespace cpa::engine
