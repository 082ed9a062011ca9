// Behaviour of the Store interface, run against both the file and the in-memory store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace cpa::store {
namespace {

using ::testing::ElementsAre;
using testing::EvaluationRun;
using testing::MetricRun;
using testing::Ms;

enum class Backend { kMemory, kFile };

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  std::unique_ptr<Store> Open(StoreOptions options = {}) {
    options.max_age = std::chrono::milliseconds(0);
    return OpenWith(options);
  }
  std::unique_ptr<Store> OpenWith(StoreOptions options) {
    if (GetParam() == Backend::kFile) options.path = dir_.File("cpa.db");
    auto store = OpenSqliteStore(options);
    EXPECT_TRUE(store.has_value()) << store.error().ToString();
    return std::move(*store);
  }
  static std::vector<int64_t> Times(const std::vector<Sample>& samples) {
    std::vector<int64_t> out;
    for (const auto& s : samples) out.push_back(ToMillis(s.time));
    return out;
  }

  testing::TempDir dir_;
};

TEST_P(StoreTest, KeepsRawTextAndParsedNumber) {
  auto store = Open();
  RunRecord run;
  run.autoscaler = "default/web";
  run.time = Ms(1000);
  run.metrics = {MetricPoint::FromText("web-1", "value", "3"),
                 MetricPoint::FromText("web-2", "value", " 4.50\n"),
                 MetricPoint::FromText("web-3", "value", "{\"rps\": 7}")};
  ASSERT_TRUE(store->Record(run));
  auto all = store->Values(SeriesRef::Metric("default/web", "", "value"), {});
  ASSERT_TRUE(all) << all.error().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].resource, "web-1");
  EXPECT_EQ((*all)[0].text, "3");
  EXPECT_EQ((*all)[0].value, 3.0);
  EXPECT_EQ((*all)[1].text, " 4.50\n");
  EXPECT_EQ((*all)[1].value, 4.5);
  EXPECT_EQ((*all)[2].text, "{\"rps\": 7}");
  EXPECT_EQ((*all)[2].value, std::nullopt);
}

TEST_P(StoreTest, WindowIsInclusiveStartExclusiveEnd) {
  auto store = Open();
  std::vector<RunRecord> runs;
  for (int64_t t : {999, 1000, 1500, 1999, 2000}) runs.push_back(MetricRun("a/b", t, "r", "1"));
  ASSERT_TRUE(store->Record(runs));
  auto series = SeriesRef::Metric("a/b", "r", "value");
  auto got = store->Values(series, Query{Window{Ms(1000), Ms(2000)}, 0});
  ASSERT_TRUE(got);
  EXPECT_THAT(Times(*got), ElementsAre(1000, 1500, 1999));
  // Sub-millisecond bounds cover every millisecond they touch: from rounds down, to rounds up.
  auto sub = store->Values(series, Query{Window{Ms(1000) + std::chrono::microseconds(500),
                                                Ms(1500) + std::chrono::microseconds(1)},
                                         0});
  ASSERT_TRUE(sub);
  EXPECT_THAT(Times(*sub), ElementsAre(1000, 1500));
  auto empty = store->Values(series, Query{Window{Ms(2001), Ms(5000)}, 0});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_P(StoreTest, LastWindowExpiresARecordExactlyItsLengthOld) {
  auto store = Open();
  ASSERT_TRUE(store->Record(EvaluationRun("ns/x", 10'000, 7)));  // exactly 60 s before now
  ASSERT_TRUE(store->Record(EvaluationRun("ns/x", 10'001, 5)));
  ASSERT_TRUE(store->Record(EvaluationRun("ns/x", 70'000, 2)));  // now
  ASSERT_TRUE(store->Record(EvaluationRun("ns/x", 70'001, 9)));  // in the future
  auto max = MaxEvaluatedTarget(*store, "ns/x", Ms(70'000), std::chrono::seconds(60));
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, 5);
  auto min = store->Aggregate(SeriesRef::Of("ns/x", SeriesKind::kEvaluationTarget),
                              Window::Last(Ms(70'000), std::chrono::seconds(60)), Extreme::kMin);
  ASSERT_TRUE(min);
  EXPECT_EQ(*min, 2.0);
  auto none = MaxEvaluatedTarget(*store, "other/x", Ms(70'000), std::chrono::seconds(60));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, std::nullopt);
}

TEST_P(StoreTest, LastNReturnsNewestInTimeOrder) {
  auto store = Open();
  std::vector<RunRecord> runs;
  for (int i = 0; i < 10; ++i) runs.push_back(MetricRun("a/b", i * 15'000, "r", std::to_string(i)));
  ASSERT_TRUE(store->Record(runs));
  auto last = store->Values(SeriesRef::Metric("a/b", "r", "value"), Query{Window::All(), 3});
  ASSERT_TRUE(last);
  EXPECT_THAT(Times(*last), ElementsAre(105'000, 120'000, 135'000));
  // Last N of a window.
  auto windowed =
      store->Values(SeriesRef::Metric("a/b", "r", "value"), Query{Window{Ms(0), Ms(45'000)}, 2});
  ASSERT_TRUE(windowed);
  EXPECT_THAT(Times(*windowed), ElementsAre(15'000, 30'000));
}

TEST_P(StoreTest, AllResourcesOfAMetricMergeInTimeOrder) {
  auto store = Open();
  std::vector<RunRecord> runs;
  for (int i = 0; i < 3; ++i) {
    RunRecord run;
    run.autoscaler = "a/b";
    run.time = Ms(i * 1000);
    run.metrics = {MetricPoint::FromText("pod-b", "cpu", std::to_string(10 + i)),
                   MetricPoint::FromText("pod-a", "cpu", std::to_string(20 + i)),
                   MetricPoint::FromText("pod-a", "mem", "99")};
    runs.push_back(run);
  }
  ASSERT_TRUE(store->Record(runs));
  auto cpu = store->Values(SeriesRef::Metric("a/b", "", "cpu"), {});
  ASSERT_TRUE(cpu);
  ASSERT_EQ(cpu->size(), 6u);
  EXPECT_EQ((*cpu)[0].resource, "pod-a");
  EXPECT_EQ((*cpu)[1].resource, "pod-b");
  EXPECT_EQ(ToMillis((*cpu)[5].time), 2000);
  auto last2 = store->Values(SeriesRef::Metric("a/b", "", "cpu"), Query{Window::All(), 2});
  ASSERT_TRUE(last2);
  ASSERT_EQ(last2->size(), 2u);
  EXPECT_EQ((*last2)[0].value, 22.0);
  EXPECT_EQ((*last2)[1].value, 12.0);
  auto max = store->Aggregate(SeriesRef::Metric("a/b", "", "cpu"), Window::All(), Extreme::kMax);
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, 22.0);
  auto min_b =
      store->Aggregate(SeriesRef::Metric("a/b", "pod-b", "cpu"), Window::All(), Extreme::kMin);
  ASSERT_TRUE(min_b);
  EXPECT_EQ(*min_b, 10.0);
  auto series = store->ListSeries("a/b");
  ASSERT_TRUE(series);
  ASSERT_EQ(series->size(), 3u);
  EXPECT_EQ((*series)[0].metric, "cpu");
  EXPECT_EQ((*series)[0].resource, "pod-a");
  EXPECT_EQ((*series)[0].points, 3);
  EXPECT_EQ(ToMillis((*series)[0].last), 2000);
  EXPECT_EQ((*series)[2].metric, "mem");
}

TEST_P(StoreTest, SameSeriesAndMillisecondReplacesThePoint) {
  auto store = Open();
  ASSERT_TRUE(store->Record(MetricRun("a/b", 5, "r", "1")));
  ASSERT_TRUE(store->Record(MetricRun("a/b", 5, "r", "two")));
  auto got = store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].text, "two");
  EXPECT_EQ((*got)[0].value, std::nullopt);
}

TEST_P(StoreTest, EvaluationsKeepPredictionsAndDecisionsKeepEveryField) {
  auto store = Open();
  RunRecord run;
  run.autoscaler = "shop/api";
  run.time = Ms(60'000);
  run.evaluation = Evaluation{4, {{"linear", 3.5}, {"holt", 4.25}}};
  run.decision = Decision{2, 4, 3, true, "scaler", ""};
  RunRecord failed;
  failed.autoscaler = "shop/api";
  failed.time = Ms(75'000);
  failed.decision = Decision{2, std::nullopt, std::nullopt, false, "api_dry_run", "metric: boom"};
  ASSERT_TRUE(store->Record(std::vector<RunRecord>{run, failed}));

  auto evaluations = store->Evaluations("shop/api", {});
  ASSERT_TRUE(evaluations);
  ASSERT_EQ(evaluations->size(), 1u);
  EXPECT_EQ((*evaluations)[0].evaluation.target_replicas, 4);
  EXPECT_EQ((*evaluations)[0].evaluation.predictions,
            (std::map<std::string, double>{{"holt", 4.25}, {"linear", 3.5}}));
  auto decisions = store->Decisions("shop/api", {});
  ASSERT_TRUE(decisions);
  ASSERT_EQ(decisions->size(), 2u);
  const Decision& d0 = (*decisions)[0].decision;
  EXPECT_EQ(d0.current_replicas, 2);
  EXPECT_EQ(d0.raw_target, 4);
  EXPECT_EQ(d0.stabilized_target, 3);
  EXPECT_TRUE(d0.applied);
  EXPECT_EQ(d0.run_type, "scaler");
  EXPECT_EQ(d0.error, "");
  const Decision& d1 = (*decisions)[1].decision;
  EXPECT_EQ(d1.raw_target, std::nullopt);
  EXPECT_FALSE(d1.applied);
  EXPECT_EQ(d1.run_type, "api_dry_run");
  EXPECT_EQ(d1.error, "metric: boom");

  auto holt = store->Values(SeriesRef{"shop/api", SeriesKind::kPrediction, "", "holt"}, {});
  ASSERT_TRUE(holt);
  ASSERT_EQ(holt->size(), 1u);
  EXPECT_EQ((*holt)[0].value, 4.25);
  auto stabilized =
      store->Values(SeriesRef::Of("shop/api", SeriesKind::kDecisionStabilizedTarget), {});
  ASSERT_TRUE(stabilized);
  ASSERT_EQ(stabilized->size(), 2u);
  EXPECT_EQ((*stabilized)[0].value, 3.0);
  EXPECT_EQ((*stabilized)[1].value, std::nullopt);
  auto raw_max = store->Aggregate(SeriesRef::Of("shop/api", SeriesKind::kDecisionRawTarget),
                                  Window::All(), Extreme::kMax);
  ASSERT_TRUE(raw_max);
  EXPECT_EQ(*raw_max, 4.0);
  auto last_decision = store->Decisions("shop/api", Query{Window::All(), 1});
  ASSERT_TRUE(last_decision);
  ASSERT_EQ(last_decision->size(), 1u);
  EXPECT_EQ(ToMillis((*last_decision)[0].time), 75'000);
}

TEST_P(StoreTest, SameMillisecondEvaluationAndDecisionReplaceTheEarlierOnes) {
  auto store = Open();
  RunRecord first;
  first.autoscaler = "a/b";
  first.time = Ms(1000);
  first.evaluation = Evaluation{5, {{"old-model", 1.0}}};
  first.decision = Decision{1, 5, 5, true, "scaler", ""};
  RunRecord second = first;
  second.evaluation = Evaluation{6, {{"new-model", 2.0}}};
  second.decision = Decision{1, 6, 4, false, "api", "later"};
  auto st = store->Record(first);
  ASSERT_TRUE(st) << st.error().ToString();
  ASSERT_TRUE(store->Record(second));
  auto evaluations = store->Evaluations("a/b", {});
  ASSERT_TRUE(evaluations);
  ASSERT_EQ(evaluations->size(), 1u);
  EXPECT_EQ((*evaluations)[0].evaluation.target_replicas, 6);
  EXPECT_EQ((*evaluations)[0].evaluation.predictions,
            (std::map<std::string, double>{{"new-model", 2.0}}));
  auto decisions = store->Decisions("a/b", {});
  ASSERT_TRUE(decisions);
  ASSERT_EQ(decisions->size(), 1u);
  EXPECT_EQ((*decisions)[0].decision.stabilized_target, 4);
  EXPECT_EQ((*decisions)[0].decision.error, "later");
}

TEST_P(StoreTest, ListsAutoscalersSorted) {
  auto store = Open();
  ASSERT_TRUE(store->Record(EvaluationRun("z/last", 1, 1)));
  ASSERT_TRUE(store->Record(MetricRun("a/first", 1, "r", "1")));
  auto names = store->ListAutoscalers();
  ASSERT_TRUE(names);
  EXPECT_THAT(*names, ElementsAre("a/first", "z/last"));
}

TEST_P(StoreTest, ABatchIsAllOrNothing) {
  auto store = Open();
  std::vector<RunRecord> runs = {MetricRun("a/b", 1, "r", "1"), MetricRun("", 2, "r", "2")};
  auto status = store->Record(runs);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  auto got = store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  // The store still works after the rollback (its id caches were dropped).
  ASSERT_TRUE(store->Record(MetricRun("a/b", 3, "r", "3")));
  got = store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(got);
  EXPECT_THAT(Times(*got), ElementsAre(3));
}

TEST_P(StoreTest, RetentionByAgeIsRelativeToTheNewestRunOfTheAutoscaler) {
  StoreOptions options;
  options.max_age = std::chrono::seconds(60);
  auto store = OpenWith(options);
  std::vector<RunRecord> runs;
  for (int i = 0; i <= 10; ++i) {
    runs.push_back(MetricRun("a/b", i * 15'000, "gone-pod", "1"));
    runs.push_back(EvaluationRun("a/b", i * 15'000, i));
  }
  runs.push_back(MetricRun("other/c", 0, "r", "1"));
  ASSERT_TRUE(store->Record(runs));
  // Newest a/b run is 150 s: rows older than 90 s are gone, 90 s itself stays.
  auto points = store->Values(SeriesRef::Metric("a/b", "gone-pod", "value"), {});
  ASSERT_TRUE(points);
  EXPECT_THAT(Times(*points), ElementsAre(90'000, 105'000, 120'000, 135'000, 150'000));
  auto evaluations = store->Values(SeriesRef::Of("a/b", SeriesKind::kEvaluationTarget), {});
  ASSERT_TRUE(evaluations);
  EXPECT_EQ(evaluations->size(), 5u);
  // Another autoscaler's history is judged by its own newest run.
  auto other = store->Values(SeriesRef::Metric("other/c", "r", "value"), {});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 1u);
  // A series no longer written (a pod that went away) expires as well.
  ASSERT_TRUE(store->Record(MetricRun("a/b", 400'000, "new-pod", "1")));
  points = store->Values(SeriesRef::Metric("a/b", "gone-pod", "value"), {});
  ASSERT_TRUE(points);
  EXPECT_TRUE(points->empty());
}

TEST_P(StoreTest, RetentionByCountKeepsTheNewestRowsPerSeries) {
  StoreOptions options;
  options.max_age = std::chrono::milliseconds(0);
  options.max_points_per_series = 4;
  auto store = OpenWith(options);
  for (int i = 0; i < 10; ++i) {
    RunRecord run = MetricRun("a/b", i * 1000, "r", std::to_string(i));
    run.evaluation = Evaluation{i, {{"m", 1.0 * i}}};
    run.decision = Decision{1, i, i, false, "scaler", ""};
    ASSERT_TRUE(store->Record(run));
  }
  auto points = store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(points);
  EXPECT_THAT(Times(*points), ElementsAre(6000, 7000, 8000, 9000));
  auto evaluations = store->Evaluations("a/b", {});
  ASSERT_TRUE(evaluations);
  ASSERT_EQ(evaluations->size(), 4u);
  EXPECT_EQ((*evaluations)[0].evaluation.target_replicas, 6);
  auto predictions = store->Values(SeriesRef{"a/b", SeriesKind::kPrediction, "", "m"}, {});
  ASSERT_TRUE(predictions);
  EXPECT_EQ(predictions->size(), 4u);
  auto decisions = store->Decisions("a/b", {});
  ASSERT_TRUE(decisions);
  EXPECT_EQ(decisions->size(), 4u);
}

TEST_P(StoreTest, RetentionDrainsABacklogInBoundedChunks) {
  StoreOptions options;
  options.max_age = std::chrono::seconds(5);
  options.retention_chunk = 10;
  auto store = OpenWith(options);
  // One batch of 101 points 0..100 s: 95 of them are already older than 5 s. Each batch deletes
  // at most 10 expired rows, so the backlog drains over the next batches.
  std::vector<RunRecord> runs;
  for (int i = 0; i <= 100; ++i) runs.push_back(MetricRun("a/b", i * 1000, "r", "1"));
  ASSERT_TRUE(store->Record(runs));
  auto points = store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(points);
  EXPECT_EQ(points->size(), 91u);
  EXPECT_EQ(ToMillis(points->front().time), 10'000);
  for (int i = 1; i < 20; ++i) ASSERT_TRUE(store->Record(MetricRun("a/b", 100'000 + i, "r", "1")));
  points = store->Values(SeriesRef::Metric("a/b", "r", "value"), {});
  ASSERT_TRUE(points);
  EXPECT_EQ(ToMillis(points->front().time), 96'000);
}

TEST_P(StoreTest, StatsReportSizeAndVersion) {
  auto store = Open();
  std::vector<RunRecord> runs;
  for (int i = 0; i < 1000; ++i) runs.push_back(MetricRun("a/b", i, "r", std::to_string(i)));
  ASSERT_TRUE(store->Record(runs));
  auto stats = store->Stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->schema_version, 2);
  EXPECT_GT(stats->bytes_used, 1000 * 8);
  if (GetParam() == Backend::kFile) {
    EXPECT_GT(stats->bytes_on_disk, 0);
    EXPECT_EQ(stats->location, dir_.File("cpa.db"));
  } else {
    EXPECT_EQ(stats->bytes_on_disk, 0);
    EXPECT_EQ(stats->location, "memory");
  }
}

TEST_P(StoreTest, UnknownAutoscalerReadsAsEmpty) {
  auto store = Open();
  auto values = store->Values(SeriesRef::Metric("no/such", "", "value"), {});
  ASSERT_TRUE(values);
  EXPECT_TRUE(values->empty());
  auto evaluations = store->Evaluations("no/such", {});
  ASSERT_TRUE(evaluations);
  EXPECT_TRUE(evaluations->empty());
  auto series = store->ListSeries("no/such");
  ASSERT_TRUE(series);
  EXPECT_TRUE(series->empty());
}

INSTANTIATE_TEST_SUITE_P(Store, StoreTest, ::testing::Values(Backend::kMemory, Backend::kFile),
                         [](const auto& info) {
                           return info.param == Backend::kMemory ? "Memory" : "File";
                         });

}  // namespace
}  // namespace cpa::store
