// The tuning workflow end to end through the real `cpa` binary: `cpa history export` in every
// layout -> `cpa forecast -i`, `cpa forecast --store` with defaults, errors that list what
// exists, the fit verdict and the plot.
#include <gtest/gtest.h>

#include <cmath>

#include "store/sqlite_store.h"
#include "tests/cli/cli_runner.h"

namespace cpa::cli {
namespace {

using testing::CliResult;
using testing::RunCpa;
using testing::ScratchDir;

TimePoint At(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms)));
}

constexpr int64_t kStart = 1'764'000'000'000;  // 2025-11-24T16:00:00Z

class CliHistoryForecastTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_path_ = scratch_.File("history.db");
    store::StoreOptions options;
    options.path = store_path_;
    options.max_age = std::chrono::milliseconds(0);
    auto db = store::OpenSqliteStore(options);
    ASSERT_TRUE(db) << db.error().message;
    std::vector<store::RunRecord> runs;
    // 48 runs, 500 ms apart (sub-second on purpose), two pods, a season of 8 runs.
    for (int i = 0; i < 48; ++i) {
      store::RunRecord run;
      run.autoscaler = "ns/web";
      run.time = At(kStart + i * 500);
      const double load = 10 + 4 * std::sin(2 * M_PI * i / 8.0);
      run.metrics.push_back(
          store::MetricPoint::FromText("web-a", "value", fmt::format("{}", load)));
      run.metrics.push_back(
          store::MetricPoint::FromText("web-b", "value", fmt::format("{}", load + 2)));
      run.evaluation = store::Evaluation{static_cast<int64_t>(std::lround(load / 2)), {}};
      run.decision = store::Decision{
          3, run.evaluation->target_replicas, run.evaluation->target_replicas, true, "scaler", ""};
      runs.push_back(std::move(run));
    }
    ASSERT_TRUE((*db)->Record(runs));
  }

  CliResult Cpa(std::vector<std::string> args) { return RunCpa(args, scratch_); }

  ScratchDir scratch_;
  std::string store_path_;
};

TEST_F(CliHistoryForecastTest, EveryExportLayoutFeedsForecast) {
  struct Layout {
    std::vector<std::string> extra;
  };
  const std::vector<Layout> layouts = {{{"--kind", "metrics"}},
                                       {{"--kind", "metrics", "--resource", "web-b"}},
                                       {{"--kind", "metrics", "--step", "1s", "--agg", "max"}},
                                       {{"--kind", "evaluations"}},
                                       {{"--kind", "decisions"}}};
  int n = 0;
  for (const auto& layout : layouts) {
    const std::string csv = scratch_.File("export" + std::to_string(++n) + ".csv");
    std::vector<std::string> args = {"history",      "export", "--store",  store_path_,
                                     "--autoscaler", "ns/web", "--output", csv};
    args.insert(args.end(), layout.extra.begin(), layout.extra.end());
    CliResult exported = Cpa(args);
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    CliResult forecast = Cpa({"forecast", "-i", csv, "--season-length", "8", "-H", "3"});
    ASSERT_EQ(forecast.exit_code, 0) << layout.extra[1] << ": " << forecast.err;
    EXPECT_NE(forecast.out.find("step,timestamp,forecast\n1,"), std::string::npos) << forecast.out;
  }
}

TEST_F(CliHistoryForecastTest, SubSecondTimesAreKeptInTheForecast) {
  const std::string csv = scratch_.File("metrics.csv");
  ASSERT_EQ(
      Cpa({"history", "export", "--store", store_path_, "--autoscaler", "ns/web", "--output", csv})
          .exit_code,
      0);
  CliResult forecast = Cpa({"forecast", "-i", csv, "-H", "2"});
  ASSERT_EQ(forecast.exit_code, 0) << forecast.err;
  // The last run is at kStart + 23.5 s; steps of 500 ms follow it.
  EXPECT_NE(forecast.out.find("1,2025-11-24T16:00:24.000Z,"), std::string::npos) << forecast.out;
  EXPECT_NE(forecast.out.find("2,2025-11-24T16:00:24.500Z,"), std::string::npos) << forecast.out;
}

TEST_F(CliHistoryForecastTest, BareForecastFromAStoreUsesDefaults) {
  CliResult forecast = Cpa({"forecast", "--store", store_path_});
  ASSERT_EQ(forecast.exit_code, 0) << forecast.err;
  EXPECT_NE(forecast.out.find("# seasonal=none"), std::string::npos) << forecast.out;
  CliResult metric = Cpa({"forecast", "--store", store_path_, "--series", "metric:value:web-a",
                          "--season-length", "8"});
  ASSERT_EQ(metric.exit_code, 0) << metric.err;
  EXPECT_NE(metric.out.find("# seasonal=add"), std::string::npos) << metric.out;
}

TEST_F(CliHistoryForecastTest, MissingAutoscalerOrSeriesListsWhatExists) {
  CliResult show = Cpa({"history", "show", "--store", store_path_, "--autoscaler", "ns/nope"});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_NE(show.err.find("no autoscaler \"ns/nope\""), std::string::npos) << show.err;
  EXPECT_NE(show.err.find("it holds: ns/web"), std::string::npos) << show.err;

  CliResult metric = Cpa(
      {"history", "export", "--store", store_path_, "--autoscaler", "ns/web", "--metric", "cpu"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_NE(metric.err.find("its metrics: value"), std::string::npos) << metric.err;

  CliResult resource = Cpa(
      {"history", "show", "--store", store_path_, "--autoscaler", "ns/web", "--resource", "web-z"});
  EXPECT_EQ(resource.exit_code, 2);
  EXPECT_NE(resource.err.find("its resources: web-a, web-b"), std::string::npos) << resource.err;

  CliResult forecast =
      Cpa({"forecast", "--store", store_path_, "--autoscaler", "ns/nope", "--series", "decisions"});
  EXPECT_EQ(forecast.exit_code, 2);
  EXPECT_NE(forecast.err.find("it holds: ns/web"), std::string::npos) << forecast.err;
}

TEST_F(CliHistoryForecastTest, KindUsesTheRestVocabularyAndAcceptsTheSingular) {
  CliResult plural = Cpa({"history", "show", "--store", store_path_, "--autoscaler", "ns/web",
                          "--kind", "decisions", "--last", "1"});
  ASSERT_EQ(plural.exit_code, 0) << plural.err;
  EXPECT_NE(plural.out.find("STABILIZED"), std::string::npos);
  CliResult singular = Cpa({"history", "show", "--store", store_path_, "--autoscaler", "ns/web",
                            "--kind", "metric", "--last", "1"});
  ASSERT_EQ(singular.exit_code, 0) << singular.err;
  EXPECT_NE(singular.out.find("web-"), std::string::npos) << singular.out;
}

TEST_F(CliHistoryForecastTest, FitPrintsAVerdictAndDrawsAPlot) {
  const std::string csv = scratch_.File("evaluations.csv");
  ASSERT_EQ(Cpa({"history", "export", "--store", store_path_, "--autoscaler", "ns/web", "--kind",
                 "metrics", "--resource", "web-a", "--output", csv})
                .exit_code,
            0);
  const std::string png = scratch_.File("forecast.png");
  CliResult fit = Cpa({"forecast", "-i", csv, "--season-length", "8", "--fit", "--baseline",
                       "0.9,0.9,0.9", "--plot", png, "-H", "8"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.err.find("hold-out RMSE"), std::string::npos) << fit.err;
  EXPECT_NE(fit.err.find("than 0.9,0.9,0.9"), std::string::npos) << fit.err;
  const std::string image = testing::ReadFile(png);
  ASSERT_GT(image.size(), 1000u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace cpa::cli
