#include "api/prometheus.h"

#include <gtest/gtest.h>

#include "api/metrics_registry.h"
#include "api/timed_method.h"
#include "tests/api/prometheus_parser.h"

namespace cpa::api {
namespace {

using testing::ParseExposition;

TEST(ApiPrometheus, NamesAreCheckedWhenDeclared) {
  prometheus::Registry r;
  EXPECT_FALSE(r.AddCounter("1bad", "h", {}));
  EXPECT_FALSE(r.AddCounter("bad-name", "h", {}));
  EXPECT_FALSE(r.AddGauge("ok", "h", {"__reserved"}));
  EXPECT_FALSE(r.AddGauge("ok2", "h", {"a:b"}));
  EXPECT_FALSE(r.AddHistogram("h", "h", {"le"}, {1}));
  EXPECT_FALSE(r.AddHistogram("h2", "h", {}, {2, 1}));
  EXPECT_TRUE(r.AddCounter("ns:ok_total", "h", {"a"}));
  EXPECT_FALSE(r.AddGauge("ns:ok_total", "h", {}));  // duplicate
}

TEST(ApiPrometheus, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(prometheus::EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(prometheus::EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
  EXPECT_EQ(prometheus::FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(prometheus::FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(prometheus::FormatValue(0.25), "0.25");
  EXPECT_EQ(prometheus::FormatValue(3), "3");
}

TEST(ApiPrometheus, ExpositionRoundTripsThroughAStrictParser) {
  prometheus::Registry r;
  auto c = r.AddCounter("test_total", "A counter with \\ and\nnewline.", {"who"});
  auto g = r.AddGauge("test_gauge", "A gauge.", {});
  auto h = r.AddHistogram("test_seconds", "A histogram.", {"op"}, {0.1, 1, 10});
  ASSERT_TRUE(c && g && h);
  r.Increment(*c, {"a \"quoted\"\nvalue\\"}, 2);
  r.Increment(*c, {"b"});
  r.Increment(*c, {"b"}, -5);       // ignored: counters only go up
  r.Increment(*c, {"x", "extra"});  // ignored: wrong label count
  r.Set(*g, {}, -3.5);
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) r.Observe(*h, {"read"}, v);
  auto parsed = ParseExposition(r.Exposition());
  ASSERT_TRUE(parsed) << parsed.error().message << "\n" << r.Exposition();
  EXPECT_EQ(parsed->types.at("test_total"), "counter");
  EXPECT_EQ(parsed->types.at("test_seconds"), "histogram");
  EXPECT_EQ(parsed->Value("test_total", {{"who", "a \"quoted\"\nvalue\\"}}), 2);
  EXPECT_EQ(parsed->Value("test_total", {{"who", "b"}}), 1);
  EXPECT_EQ(parsed->Value("test_gauge", {}), -3.5);
  // le is inclusive: 0.1 falls in the 0.1 bucket.
  EXPECT_EQ(parsed->Value("test_seconds_bucket", {{"op", "read"}, {"le", "0.1"}}), 2);
  EXPECT_EQ(parsed->Value("test_seconds_bucket", {{"op", "read"}, {"le", "1"}}), 3);
  EXPECT_EQ(parsed->Value("test_seconds_bucket", {{"op", "read"}, {"le", "10"}}), 4);
  EXPECT_EQ(parsed->Value("test_seconds_bucket", {{"op", "read"}, {"le", "+Inf"}}), 5);
  EXPECT_EQ(parsed->Value("test_seconds_count", {{"op", "read"}}), 5);
  EXPECT_DOUBLE_EQ(parsed->Value("test_seconds_sum", {{"op", "read"}}), 55.65);
}

TEST(ApiPrometheus, ParserRejectsMalformedText) {
  // The parser itself must catch what it is meant to catch.
  EXPECT_FALSE(ParseExposition("x 1\n"));  // no TYPE
  EXPECT_FALSE(ParseExposition("# TYPE x gauge\nx{a=b} 1\n"));
  EXPECT_FALSE(ParseExposition("# TYPE x gauge\nx one\n"));
  EXPECT_FALSE(ParseExposition("# TYPE x gauge\nx{a=\"\\t\"} 1\n"));
  EXPECT_FALSE(ParseExposition("# TYPE x gauge\nx 1"));
  EXPECT_FALSE(ParseExposition(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"));
  EXPECT_TRUE(ParseExposition(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"));
}

TEST(ApiMetricsRegistry, RecordsRunsFailuresAndReplicas) {
  ManualClock clock(FromUnixMillis(1'700'000'000'000));
  MetricsRegistry m(clock);
  engine::RunResult ok;
  ok.evaluation = engine::Evaluation{7, {}};
  ok.decision = engine::ScaleDecision{2, 7, 5, false, true};
  m.RecordRun("default/web", engine::RunType::kScaler, ok, Seconds(0.2));
  engine::RunResult dry = ok;
  dry.decision->target_replicas = 9;
  m.RecordRun("default/web", engine::RunType::kApiDryRun, dry, Seconds(0.01));
  m.RecordRun("default/web", engine::RunType::kApi,
              std::unexpected(engine::StageError{
                  "evaluate", Error{ErrorCode::kInvalidArgument, "bad \"output\""}}),
              Seconds(3));
  m.ObserveMethodCall("default/web", "metric", true, Seconds(0.002));
  m.SetStoreSizeBytes(4096);
  auto parsed = ParseExposition(m.Exposition());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(
      parsed->Value("cpa_runs_total",
                    {{"autoscaler", "default/web"}, {"run_type", "scaler"}, {"result", "success"}}),
      1);
  EXPECT_EQ(
      parsed->Value("cpa_runs_total",
                    {{"autoscaler", "default/web"}, {"run_type", "api"}, {"result", "failure"}}),
      1);
  EXPECT_EQ(parsed->Value("cpa_run_failures_total",
                          {{"autoscaler", "default/web"}, {"stage", "evaluate"}}),
            1);
  // The dry run does not move the decided target.
  EXPECT_EQ(parsed->Value("cpa_target_replicas", {{"autoscaler", "default/web"}}), 5);
  EXPECT_EQ(parsed->Value("cpa_current_replicas", {{"autoscaler", "default/web"}}), 2);
  EXPECT_EQ(parsed->Value("cpa_scales_total", {{"autoscaler", "default/web"}}), 1);
  EXPECT_EQ(parsed->Value("cpa_last_run_success", {{"autoscaler", "default/web"}}), 0);
  EXPECT_EQ(parsed->Value("cpa_last_run_timestamp_seconds", {{"autoscaler", "default/web"}}),
            1'700'000'000);
  EXPECT_EQ(parsed->Value("cpa_store_size_bytes", {}), 4096);
  EXPECT_EQ(parsed->Sum("cpa_run_duration_seconds_count", {{"autoscaler", "default/web"}}), 3);
  EXPECT_EQ(
      parsed->Value("cpa_method_call_duration_seconds_count",
                    {{"autoscaler", "default/web"}, {"method", "metric"}, {"result", "success"}}),
      1);
  auto last = m.last_run("default/web");
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->ok);
  EXPECT_EQ(last->error, "evaluate: invalid_argument: bad \"output\"");
  EXPECT_FALSE(m.last_run("default/other"));
}

}  // namespace
}  // namespace cpa::api

namespace cpa::api {
namespace {

class FixedMethod final : public engine::Method {
 public:
  explicit FixedMethod(Result<std::string> out) : out_(std::move(out)) {}
  Result<std::string> Call(std::string_view, std::stop_token) override { return out_; }

 private:
  Result<std::string> out_;
};

TEST(ApiTimedMethod, ReportsEachCallAndPassesResultsThrough) {
  ManualClock clock;
  MetricsRegistry m(clock);
  TimedMethod ok(std::make_unique<FixedMethod>(std::string("42")), m, "default/web", "metric");
  TimedMethod bad(std::make_unique<FixedMethod>(MakeError(ErrorCode::kDeadlineExceeded, "slow")), m,
                  "default/web", "evaluate");
  EXPECT_EQ(*ok.Call("{}", {}), "42");
  EXPECT_EQ(*ok.Call("{}", {}), "42");
  auto failed = bad.Call("{}", {});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kDeadlineExceeded);
  auto parsed = testing::ParseExposition(m.Exposition());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(
      parsed->Value("cpa_method_call_duration_seconds_count",
                    {{"autoscaler", "default/web"}, {"method", "metric"}, {"result", "success"}}),
      2);
  EXPECT_EQ(
      parsed->Value("cpa_method_call_duration_seconds_count",
                    {{"autoscaler", "default/web"}, {"method", "evaluate"}, {"result", "failure"}}),
      1);
}

}  // namespace
}  // namespace cpa::api
