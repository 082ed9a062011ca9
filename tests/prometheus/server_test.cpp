// The client, the value rules, the engine's Prometheus gatherer and history import against a
// real Prometheus server: two days of a seasonal series written with promtool, and live values
// scraped from an exporter the test runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "engine/kubernetes_metrics/prometheus_metric.h"
#include "prometheus/client.h"
#include "prometheus/history_import.h"
#include "store/open_store.h"
#include "store/sqlite_store.h"
#include "tests/prometheus/prometheus_server.h"

namespace cpa::prometheus {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_prometheus::Exporter;
using testing_prometheus::PrometheusServer;

// 2026-11-01T00:00:00Z: the history starts here, two days at 15 s.
constexpr int64_t kStart = 1793491200;
constexpr int64_t kStep = 15;
constexpr int64_t kPoints = 2 * 86400 / kStep;  // 11,520: more than one range query holds

double Seasonal(int64_t t, double base) {
  const double v = base + 50.0 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / 86400.0);
  return std::round(v * 1000.0) / 1000.0;
}

std::string History() {
  std::string out = "# TYPE cpa_test_load gauge\n";
  for (const auto& [app, base] : {std::pair{"web", 100.0}, {"api", 200.0}}) {
    for (int64_t i = 0; i < kPoints; ++i) {
      const int64_t t = kStart + i * kStep;
      out += fmt::format("cpa_test_load{{app=\"{}\"}} {} {}\n", app, Seasonal(t, base), t);
    }
  }
  out += "# EOF\n";
  return out;
}

TimePoint At(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

class PrometheusServerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("cpa-prometheus-" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    exporter_ = new Exporter();
    ASSERT_TRUE(exporter_->Start());
    exporter_->Set(
        "cpa_live{app=\"web\"} 42\ncpa_pod_load{pod=\"web-0\"} 3\ncpa_pod_load{pod=\"web-1\"} 5\n");
    server_ = new PrometheusServer(*dir_);
    testing_prometheus::ServerOptions options;
    options.openmetrics = History();
    options.exporter_port = exporter_->port();
    auto started = server_->Start(options);
    ASSERT_TRUE(started) << started.error().message;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete exporter_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ServerConfig config;
    config.address = server_->url();
    config.timeout_ms = 10000;
    auto c = Client::Create(config);
    ASSERT_TRUE(c) << c.error().message;
    client_ = std::move(*c);
  }
  // Waits (bounded) until the live series has been scraped.
  void WaitForScrape(const std::string& query) {
    for (int i = 0; i < 300; ++i) {
      auto r = client_->Query(query);
      if (r && !r->series.empty()) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << "never scraped: " << query;
  }

  static fs::path* dir_;
  static Exporter* exporter_;
  static PrometheusServer* server_;
  std::unique_ptr<Client> client_;
};

fs::path* PrometheusServerTest::dir_ = nullptr;
Exporter* PrometheusServerTest::exporter_ = nullptr;
PrometheusServer* PrometheusServerTest::server_ = nullptr;

TEST_F(PrometheusServerTest, InstantQueryOfTheImportedHistory) {
  const int64_t t = kStart + 6 * 3600;  // a quarter day in: the top of the season
  auto r = client_->Query("cpa_test_load{app=\"web\"}", At(t));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->type, ResultType::kVector);
  ASSERT_EQ(r->series.size(), 1u);
  EXPECT_DOUBLE_EQ(r->series[0].points[0].value, Seasonal(t, 100));
  auto scalar = client_->Query("scalar(cpa_test_load{app=\"api\"}) * 2", At(t));
  ASSERT_TRUE(scalar) << scalar.error().message;
  EXPECT_EQ(scalar->type, ResultType::kScalar);
  EXPECT_DOUBLE_EQ(ReduceInstant(*scalar, {})->value, 2 * Seasonal(t, 200));
}

TEST_F(PrometheusServerTest, EmptyNanMultiSeriesAndErrorReplies) {
  const TimePoint t = At(kStart + 3600);
  auto empty = client_->Query("cpa_test_load{app=\"nothing\"}", t);
  ASSERT_TRUE(empty) << empty.error().message;
  auto no_value = ReduceInstant(*empty, {});
  ASSERT_FALSE(no_value);
  EXPECT_NE(no_value.error().message.find("empty result"), std::string::npos);
  ValueRules with_default;
  with_default.empty_result_value = 1.5;
  EXPECT_EQ(ReduceInstant(*empty, with_default)->value, 1.5);

  auto nan = client_->Query("cpa_test_load{app=\"web\"} / 0 * 0", t);
  ASSERT_TRUE(nan) << nan.error().message;
  auto nan_value = ReduceInstant(*nan, {});
  ASSERT_FALSE(nan_value);
  EXPECT_NE(nan_value.error().message.find("NaN"), std::string::npos);

  auto multi = client_->Query("cpa_test_load", t);
  ASSERT_TRUE(multi) << multi.error().message;
  auto one = ReduceInstant(*multi, {});
  ASSERT_FALSE(one);
  EXPECT_NE(one.error().message.find("returned 2 series"), std::string::npos);
  ValueRules sum;
  sum.aggregation = Aggregation::kSum;
  EXPECT_DOUBLE_EQ(ReduceInstant(*multi, sum)->value,
                   Seasonal(kStart + 3600, 100) + Seasonal(kStart + 3600, 200));

  auto bad = client_->Query("sum(cpa_test_load", t);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("HTTP 400: Prometheus error bad_data"), std::string::npos)
      << bad.error().message;
}

engine::TargetState Target(const std::string& name, std::vector<std::string> pods) {
  engine::TargetState target;
  auto object = std::make_shared<JsonDocument>();
  object->Parse(fmt::format(R"({{"metadata":{{"name":"{}","namespace":"default"}}}})", name));
  target.object = object;
  for (const auto& pod : pods) {
    auto p = std::make_shared<JsonDocument>();
    p->Parse(
        fmt::format(R"({{"metadata":{{"name":"{}"}},"status":{{"phase":"Running","conditions":)"
                    R"([{{"type":"Ready","status":"True"}}]}}}})",
                    pod));
    target.pods.push_back(p);
  }
  target.current_replicas = static_cast<int>(pods.size());
  target.status_replicas = target.current_replicas;
  return target;
}

TEST_F(PrometheusServerTest, GathererTemplatesTheQueryAndReturnsAnExternalValue) {
  WaitForScrape("cpa_live");
  WaitForScrape("cpa_pod_load");
  config::PrometheusMetricSource source;
  source.query =
      R"(sum(cpa_live{app="{{target}}",job="exporter"}) + 0 * count(up{job="exporter",instance!="{{namespace}}"}))";
  source.target.type = config::MetricTargetType::kValue;
  source.target.value = Quantity::FromMilli(10000);
  auto m = engine::GatherPrometheusMetric(client_.get(), source, "default",
                                          Target("web", {"web-0", "web-1"}), SystemClock().Now());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->result.value, 42);
  EXPECT_EQ(m->value.current.value, 42000);
  EXPECT_EQ(m->value.ready_pod_count, 2);
  EXPECT_NE(m->result.query.find(R"(app="web")"), std::string::npos) << m->result.query;
  EXPECT_NE(m->result.query.find(R"(instance!="default")"), std::string::npos);

  // Per pod: one query per pod, summed; AverageValue gives the total as average_value.
  source.query = R"(cpa_pod_load{pod="{{pod}}"})";
  source.target.type = config::MetricTargetType::kAverageValue;
  source.target.average_value = Quantity::FromMilli(1000);
  m = engine::GatherPrometheusMetric(client_.get(), source, "default",
                                     Target("web", {"web-0", "web-1"}), SystemClock().Now());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->result.value, 8);
  EXPECT_EQ(m->value.current.average_value, 8000);
  EXPECT_EQ(m->result.pod_values.at("web-0"), 3);
  EXPECT_EQ(m->result.pod_values.at("web-1"), 5);

  auto no_client = engine::GatherPrometheusMetric(nullptr, source, "default", Target("web", {}),
                                                  SystemClock().Now());
  ASSERT_FALSE(no_client);
  EXPECT_NE(no_client.error().message.find("no top-level prometheus section"), std::string::npos);
}

TEST_F(PrometheusServerTest, ImportIsChunkedAndIdempotent) {
  const fs::path file = *dir_ / "import.db";
  store::StoreOptions options;
  options.path = file.string();
  options.max_age = std::chrono::milliseconds(0);
  auto store = store::OpenSqliteStore(options);
  ASSERT_TRUE(store) << store.error().message;
  RangeImport import;
  import.query = "cpa_test_load{app=\"web\"}";
  import.start = At(kStart);
  import.end = At(kStart + (kPoints - 1) * kStep);
  import.step = 15s;
  import.autoscaler = "default/web";
  import.resource = "prometheus";
  import.metric = "load";
  for (int round = 0; round < 2; ++round) {
    auto report = ImportRange(*client_, **store, import);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->requests, 2);  // 11,520 points > 11,000 per query
    EXPECT_EQ(report->points, kPoints);
    EXPECT_EQ(report->skipped, 0);
    auto series = (*store)->ListSeries("default/web");
    ASSERT_TRUE(series);
    ASSERT_EQ(series->size(), 1u);
    EXPECT_EQ((*series)[0].points, kPoints) << "round " << round;
  }
  auto values = (*store)->Values(store::SeriesRef::Metric("default/web", "prometheus", "load"), {});
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), static_cast<size_t>(kPoints));
  for (int64_t i : {int64_t{0}, int64_t{5000}, kPoints - 1}) {
    EXPECT_EQ((*values)[i].time, At(kStart + i * kStep));
    EXPECT_DOUBLE_EQ(*(*values)[i].value, Seasonal(kStart + i * kStep, 100));
  }
  // Several series without an aggregation: an error naming the cause.
  import.query = "cpa_test_load";
  import.metric = "both";
  auto multi = ImportRange(*client_, **store, import);
  ASSERT_FALSE(multi);
  EXPECT_NE(multi.error().message.find("returned 2 series"), std::string::npos);
}

TEST(PrometheusClient, DownAndSlowServersAreRetryableErrors) {
  ServerConfig config;
  config.address = fmt::format("http://127.0.0.1:{}", testing_prometheus::FreePort());
  config.timeout_ms = 2000;
  auto down = Client::Create(config);
  ASSERT_TRUE(down);
  auto r = (*down)->Query("up");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().Retryable()) << r.error().ToString();

  httplib::Server slow;
  slow.Get("/api/v1/query", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(1500ms);
    res.set_content(R"({"status":"success","data":{"resultType":"scalar","result":[1,"1"]}})",
                    "application/json");
  });
  const int port = slow.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { slow.listen_after_bind(); });
  while (!slow.is_running()) std::this_thread::sleep_for(1ms);
  config.address = fmt::format("http://127.0.0.1:{}/", port);
  config.timeout_ms = 200;
  auto slow_client = Client::Create(config);
  ASSERT_TRUE(slow_client);
  auto t = (*slow_client)->Query("up");
  ASSERT_FALSE(t);
  EXPECT_TRUE(t.error().Retryable()) << t.error().ToString();
  slow.stop();
  thread.join();
}

}  // namespace
}  // namespace cpa::prometheus
