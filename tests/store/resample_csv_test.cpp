#include <gtest/gtest.h>

#include "store/csv.h"
#include "store/number.h"
#include "store/resample.h"
#include "store/sqlite_store.h"
#include "tests/store/store_test_util.h"

namespace cpa::store {
namespace {

using testing::Ms;

Sample At(int64_t ms, std::optional<double> value) {
  return Sample{Ms(ms), value, value ? FormatNumber(*value) : "x", ""};
}

std::vector<std::optional<double>> Values(const std::vector<Bucket>& buckets) {
  std::vector<std::optional<double>> out;
  for (const auto& b : buckets) out.push_back(b.value);
  return out;
}

TEST(StoreResampleTest, MeanMaxLastPerStepWithGaps) {
  std::vector<Sample> samples = {At(0, 1), At(5, 3), At(10, 2), At(29, 8), At(30, std::nullopt),
                                 At(35, 4)};
  Window window{Ms(0), Ms(40)};
  auto mean = Resample(samples, window, std::chrono::milliseconds(10), Aggregation::kMean);
  ASSERT_TRUE(mean);
  EXPECT_EQ(Values(*mean), (std::vector<std::optional<double>>{2.0, 2.0, 8.0, 4.0}));
  auto max = Resample(samples, window, std::chrono::milliseconds(10), Aggregation::kMax);
  ASSERT_TRUE(max);
  EXPECT_EQ(Values(*max), (std::vector<std::optional<double>>{3.0, 2.0, 8.0, 4.0}));
  auto last =
      Resample(samples, Window{Ms(0), Ms(45)}, std::chrono::milliseconds(10), Aggregation::kLast);
  ASSERT_TRUE(last);
  EXPECT_EQ(Values(*last), (std::vector<std::optional<double>>{3.0, 2.0, 8.0, 4.0, std::nullopt}));
  EXPECT_EQ((*last)[3].count, 1);  // the non-numeric sample is ignored
  EXPECT_EQ(ToMillis((*last)[4].start), 40);
}

TEST(StoreResampleTest, RejectsBadStepsAndHugeBucketCounts) {
  EXPECT_FALSE(
      Resample({}, Window{Ms(0), Ms(10)}, std::chrono::milliseconds(0), Aggregation::kMean));
  EXPECT_FALSE(
      Resample({}, Window{Ms(10), Ms(10)}, std::chrono::milliseconds(1), Aggregation::kMean));
  EXPECT_FALSE(Resample({}, Window::All(), std::chrono::milliseconds(1), Aggregation::kMean));
  EXPECT_EQ(ParseAggregation("last"), Aggregation::kLast);
  EXPECT_EQ(ParseAggregation("median"), std::nullopt);
}

TEST(StoreResampleTest, ResamplesAStoredSeries) {
  auto store = OpenSqliteStore(StoreOptions{});
  ASSERT_TRUE(store);
  std::vector<RunRecord> runs;
  for (int i = 0; i < 8; ++i)
    runs.push_back(testing::MetricRun("a/b", i * 5000, "r", std::to_string(i)));
  ASSERT_TRUE((*store)->Record(runs));
  auto buckets = Resample(**store, SeriesRef::Metric("a/b", "r", "value"),
                          Window{Ms(0), Ms(40'000)}, std::chrono::seconds(15), Aggregation::kMax);
  ASSERT_TRUE(buckets);
  EXPECT_EQ(Values(*buckets), (std::vector<std::optional<double>>{2.0, 5.0, 7.0}));
}

TEST(StoreCsvTest, QuotesFieldsThatNeedIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
}

TEST(StoreCsvTest, SamplesEvaluationsAndDecisions) {
  std::vector<Sample> samples = {Sample{Ms(1700000000123), 2.5, "2.5", "pod-1"},
                                 Sample{Ms(1700000015000), std::nullopt, "{\"a\": 1}", "pod,2"}};
  EXPECT_EQ(SamplesToCsv(samples),
            "time,unix_ms,resource,value,text\n"
            "2023-11-14T22:13:20.123Z,1700000000123,pod-1,2.5,2.5\n"
            "2023-11-14T22:13:35.000Z,1700000015000,\"pod,2\",,\"{\"\"a\"\": 1}\"\n");
  std::vector<EvaluationRow> evaluations = {{Ms(0), Evaluation{3, {{"linear", 2.5}}}},
                                            {Ms(1000), Evaluation{4, {{"holt", 5}}}}};
  EXPECT_EQ(EvaluationsToCsv(evaluations),
            "time,unix_ms,target_replicas,prediction:holt,prediction:linear\n"
            "1970-01-01T00:00:00.000Z,0,3,,2.5\n"
            "1970-01-01T00:00:01.000Z,1000,4,5,\n");
  std::vector<DecisionRow> decisions = {
      {Ms(0), Decision{1, 3, 2, true, "scaler", ""}},
      {Ms(1), Decision{std::nullopt, std::nullopt, std::nullopt, false, "api", "boom, again"}}};
  EXPECT_EQ(DecisionsToCsv(decisions),
            "time,unix_ms,current_replicas,raw_target,stabilized_target,applied,run_type,error\n"
            "1970-01-01T00:00:00.000Z,0,1,3,2,true,scaler,\n"
            "1970-01-01T00:00:00.001Z,1,,,,false,api,\"boom, again\"\n");
  std::vector<Bucket> buckets = {{Ms(0), 1.5, 2}, {Ms(15000), std::nullopt, 0}};
  EXPECT_EQ(BucketsToCsv(buckets),
            "time,unix_ms,value,count\n"
            "1970-01-01T00:00:00.000Z,0,1.5,2\n"
            "1970-01-01T00:00:15.000Z,15000,,0\n");
}

}  // namespace
}  // namespace cpa::store
