// store/series_input: every layout `cpa history export` writes reads back as a series, and a
// store series that does not exist is an error that lists what does.
#include <gtest/gtest.h>

#include <sstream>

#include "store/csv.h"
#include "store/series_input.h"
#include "store/sqlite_store.h"
#include "tests/store/store_test_util.h"

namespace cpa::store {
namespace {

using testing::Ms;

Result<TimeSeries> Read(const std::string& text, std::string_view column = {}) {
  std::istringstream in(text);
  return ReadCsvSeries(in, "in.csv", column);
}

TEST(StoreSeriesInputTest, PlainRowsInSecondsKeepMillisecondsAndSkipAHeader) {
  auto s = Read("timestamp,value\n10,1\n10.25,2\n10.5,4\n");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->unix_ms, (std::vector<int64_t>{10'000, 10'250, 10'500}));
  EXPECT_EQ(s->values, (std::vector<double>{1, 2, 4}));
  EXPECT_FALSE(s->absolute_times);
}

TEST(StoreSeriesInputTest, PlainRowsInRfc3339AreAbsolute) {
  auto s = Read("2026-11-28T12:00:00Z,1\n2026-11-28T12:00:00.500Z,3\n");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(s->absolute_times);
  ASSERT_EQ(s->unix_ms.size(), 2u);
  EXPECT_EQ(s->unix_ms[1] - s->unix_ms[0], 500);
}

TEST(StoreSeriesInputTest, MetricExportAveragesPodsAtOneTime) {
  std::vector<Sample> samples = {{Ms(1000), 2.0, "2", "pod-a"},
                                 {Ms(1000), 4.0, "4", "pod-b"},
                                 {Ms(16'000), 5.0, "5", "pod-a"},
                                 {Ms(31'000), std::nullopt, "n/a", "pod-a"}};
  auto s = Read(SamplesToCsv(samples));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->unix_ms, (std::vector<int64_t>{1000, 16'000}));
  EXPECT_EQ(s->values, (std::vector<double>{3.0, 5.0}));
  EXPECT_EQ(s->value_column, "value");
  EXPECT_TRUE(s->absolute_times);
}

TEST(StoreSeriesInputTest, ResampledExportSkipsEmptyBuckets) {
  std::vector<Bucket> buckets = {
      {Ms(0), 1.5, 2}, {Ms(15'000), std::nullopt, 0}, {Ms(30'000), 7, 1}};
  auto s = Read(BucketsToCsv(buckets));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->unix_ms, (std::vector<int64_t>{0, 30'000}));
  EXPECT_EQ(s->values, (std::vector<double>{1.5, 7.0}));
}

TEST(StoreSeriesInputTest, EvaluationAndDecisionExportsAndAChosenColumn) {
  EvaluationRow e1{Ms(0), Evaluation{3, {{"hw", 2.5}}}};
  EvaluationRow e2{Ms(15'000), Evaluation{5, {{"hw", 4.5}}}};
  auto evaluations = Read(EvaluationsToCsv(std::vector<EvaluationRow>{e1, e2}));
  ASSERT_TRUE(evaluations) << evaluations.error().message;
  EXPECT_EQ(evaluations->values, (std::vector<double>{3, 5}));
  EXPECT_EQ(evaluations->value_column, "target_replicas");
  auto predictions = Read(EvaluationsToCsv(std::vector<EvaluationRow>{e1, e2}), "prediction:hw");
  ASSERT_TRUE(predictions) << predictions.error().message;
  EXPECT_EQ(predictions->values, (std::vector<double>{2.5, 4.5}));

  DecisionRow ok{Ms(0), Decision{2, 6, 4, true, "scaler", ""}};
  DecisionRow failed{Ms(15'000), Decision{std::nullopt, std::nullopt, std::nullopt, false, "scaler",
                                          "evaluate: boom"}};
  DecisionRow later{Ms(30'000), Decision{4, 1, 4, false, "scaler", ""}};
  auto decisions = Read(DecisionsToCsv(std::vector<DecisionRow>{ok, failed, later}));
  ASSERT_TRUE(decisions) << decisions.error().message;
  EXPECT_EQ(decisions->values, (std::vector<double>{4, 4}));
  EXPECT_EQ(decisions->value_column, "stabilized_target");
  auto raw = Read(DecisionsToCsv(std::vector<DecisionRow>{ok, later}), "raw_target");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->values, (std::vector<double>{6, 1}));
}

TEST(StoreSeriesInputTest, ErrorsNameTheLineAndTheColumns) {
  auto unknown = Read("time,unix_ms,target_replicas\n2026-01-01T00:00:00.000Z,0,1\n", "nope");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("value columns: target_replicas"), std::string::npos)
      << unknown.error().message;
  auto bad = Read("1,2\n3,x\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("in.csv:2"), std::string::npos) << bad.error().message;
  auto backwards = Read("5,1\n4,1\n");
  ASSERT_FALSE(backwards);
  EXPECT_NE(backwards.error().message.find("must not decrease"), std::string::npos);
  auto long_line = Read("1," + std::string(70'000, '1') + "\n");
  ASSERT_FALSE(long_line);
  EXPECT_NE(long_line.error().message.find("in.csv:1: line longer than"), std::string::npos);
  auto empty = Read("timestamp,value\n");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("no data rows"), std::string::npos);
}

// Found by fuzz_csv_series: a unix_ms beyond int64 (and a time beyond what a TimePoint holds)
// overflowed the conversion.
TEST(StoreSeriesInputTest, TimesOutsideTheRepresentableRangeAreErrors) {
  auto huge = Read("time,unix_ms,value\nx,1e300,1\n");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("between the years 1678 and 2261"), std::string::npos)
      << huge.error().message;
  EXPECT_FALSE(Read("time,unix_ms,value\nx,9000000000001,1\n"));
  EXPECT_TRUE(Read("time,unix_ms,value\nx,8999999999999,1\n"));
  EXPECT_FALSE(Read("1e300,1\n2e300,2\n"));
  EXPECT_FALSE(Read("-1e18,1\n"));
}

TEST(StoreSeriesInputTest, StoreSeriesDefaultsToTheOnlyAutoscalerAndListsWhatExists) {
  auto store = OpenSqliteStore(StoreOptions{});
  ASSERT_TRUE(store);
  std::vector<RunRecord> runs;
  for (int i = 0; i < 4; ++i) {
    RunRecord run = testing::MetricRun("ns/web", i * 15'000, "pod-a", std::to_string(i), "cpu");
    run.evaluation = Evaluation{i + 1, {}};
    runs.push_back(run);
  }
  ASSERT_TRUE((*store)->Record(runs));
  auto evaluations = ReadStoreSeries(**store, "", "evaluations");
  ASSERT_TRUE(evaluations) << evaluations.error().message;
  EXPECT_EQ(evaluations->values, (std::vector<double>{1, 2, 3, 4}));
  auto metric = ReadStoreSeries(**store, "ns/web", "metric:cpu");
  ASSERT_TRUE(metric) << metric.error().message;
  EXPECT_EQ(metric->values, (std::vector<double>{0, 1, 2, 3}));

  auto no_autoscaler = ReadStoreSeries(**store, "ns/nope", "evaluations");
  ASSERT_FALSE(no_autoscaler);
  EXPECT_NE(no_autoscaler.error().message.find("it holds: ns/web"), std::string::npos)
      << no_autoscaler.error().message;
  auto no_metric = ReadStoreSeries(**store, "ns/web", "metric:memory");
  ASSERT_FALSE(no_metric);
  EXPECT_NE(no_metric.error().message.find("metric:cpu:pod-a"), std::string::npos)
      << no_metric.error().message;
}

}  // namespace
}  // namespace cpa::store
