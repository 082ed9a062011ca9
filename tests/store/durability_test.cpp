// Crash safety and concurrency of the file store.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "tests/store/store_test_util.h"

namespace cpa::store {
namespace {

using testing::Ms;
using testing::TempDir;

constexpr int kPointsPerBatch = 50;

// Batch i: one run at t = i s with kPointsPerBatch pods, an evaluation and a decision.
RunRecord Batch(int64_t i) {
  RunRecord run;
  run.autoscaler = "default/web";
  run.time = Ms(i * 1000);
  for (int p = 0; p < kPointsPerBatch; ++p) {
    run.metrics.push_back(
        MetricPoint::FromText("pod-" + std::to_string(p), "value", std::to_string(i)));
  }
  run.evaluation = Evaluation{i, {}};
  run.decision = Decision{1, i, i, true, "scaler", ""};
  return run;
}

// A child writes batches in a loop and reports each committed batch number on a pipe; the parent
// SIGKILLs it mid-loop. After reopening, every reported batch is there in full, at most one more
// (the batch in flight) may be, and it too is whole.
TEST(StoreDurabilityTest, KillDuringWriteLoopLosesAtMostTheBatchInFlight) {
  TempDir dir;
  std::string path = dir.File("crash.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto store = OpenSqliteStore(StoreOptions{.path = path, .max_age = {}});
    if (!store) _exit(2);
    for (int64_t i = 0;; ++i) {
      if (!(*store)->Record(Batch(i))) _exit(3);
      if (write(fds[1], &i, sizeof(i)) != static_cast<ssize_t>(sizeof(i))) _exit(4);
    }
  }
  close(fds[1]);
  int64_t last_committed = -1;
  while (last_committed < 200) {
    int64_t i = 0;
    ASSERT_EQ(read(fds[0], &i, sizeof(i)), static_cast<ssize_t>(sizeof(i)));
    last_committed = i;
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  // Drain what the child reported before it died.
  int64_t i = 0;
  while (read(fds[0], &i, sizeof(i)) == static_cast<ssize_t>(sizeof(i))) last_committed = i;
  close(fds[0]);

  auto store = OpenSqliteStore(StoreOptions{.path = path, .max_age = {}});
  ASSERT_TRUE(store) << store.error().ToString();
  auto points = (*store)->Values(SeriesRef::Metric("default/web", "", "value"), {});
  ASSERT_TRUE(points) << points.error().ToString();
  std::vector<int> per_batch(static_cast<size_t>(last_committed) + 2, 0);
  for (const Sample& s : *points) {
    int64_t batch = ToMillis(s.time) / 1000;
    ASSERT_LE(batch, last_committed + 1) << "a batch that was never started";
    ASSERT_EQ(s.value, static_cast<double>(batch));
    ++per_batch[static_cast<size_t>(batch)];
  }
  for (int64_t b = 0; b <= last_committed; ++b) {
    EXPECT_EQ(per_batch[static_cast<size_t>(b)], kPointsPerBatch) << "batch " << b;
  }
  int in_flight = per_batch[static_cast<size_t>(last_committed) + 1];
  EXPECT_TRUE(in_flight == 0 || in_flight == kPointsPerBatch) << in_flight;
  auto evaluations = (*store)->Evaluations("default/web", {});
  ASSERT_TRUE(evaluations);
  EXPECT_GE(static_cast<int64_t>(evaluations->size()), last_committed + 1);
  EXPECT_LE(static_cast<int64_t>(evaluations->size()), last_committed + 2);
  // And the reopened file takes writes.
  EXPECT_TRUE((*store)->Record(Batch(last_committed + 10)));
}

// A reader querying while a writer commits batches sees only whole batches, never goes back in
// time, and is not blocked out (it completes many queries during the writes).
TEST(StoreDurabilityTest, ReaderSeesWholeBatchesWhileAWriterCommits) {
  TempDir dir;
  auto opened = OpenSqliteStore(StoreOptions{.path = dir.File("concurrent.db"), .max_age = {}});
  ASSERT_TRUE(opened);
  Store& store = **opened;
  constexpr int64_t kBatches = 300;
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::atomic<int> torn{0};
  std::atomic<int> backwards{0};
  std::atomic<int64_t> reads{0};
  std::thread reader([&] {
    size_t previous = 0;
    while (!done.load()) {
      auto points = store.Values(SeriesRef::Metric("default/web", "", "value"), {});
      if (!points) {
        ++reader_errors;
        continue;
      }
      if (points->size() % kPointsPerBatch != 0) ++torn;
      if (points->size() < previous) ++backwards;
      previous = points->size();
      auto max =
          MaxEvaluatedTarget(store, "default/web", Ms(kBatches * 1000), std::chrono::hours(1));
      if (!max) ++reader_errors;
      ++reads;
    }
  });
  for (int64_t b = 0; b < kBatches; ++b) {
    ASSERT_TRUE(store.Record(Batch(b)));
    // Give the reader a chance between batches on a loaded machine.
    if (b % 50 == 0) std::this_thread::yield();
  }
  // Let the reader observe the final state at least once.
  int64_t reads_at_end = reads.load();
  while (reads.load() < reads_at_end + 2) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_GT(reads.load(), 2);
  auto points = store.Values(SeriesRef::Metric("default/web", "", "value"), {});
  ASSERT_TRUE(points);
  EXPECT_EQ(points->size(), static_cast<size_t>(kBatches * kPointsPerBatch));
}

}  // namespace
}  // namespace cpa::store
