// The harness end to end on short scenarios (minutes of simulated time): the built-in
// contenders through the engine, determinism of the CSV and summary bytes, the report files, and
// the live cluster served over the Kubernetes API.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "experiments/builtin_contenders.h"
#include "experiments/experiment.h"
#include "experiments/live_cluster.h"
#include "experiments/report.h"
#include "kube/client.h"

namespace cpa::experiments {
namespace {

// 40 minutes around the 09:00 rise (15 -> 25 users), one connection model.
Scenario Short() {
  Scenario s = DefaultScenario();
  s.start = FromUnixMillis(int64_t{1591002000} * 1000);  // 2020-06-01T09:00:00Z - 20 min
  s.start -= std::chrono::minutes(20);
  s.duration_s = 40 * 60;
  s.connections = {ConnectionModel::kPerRequest};
  s.contenders = {{"hpa-2020", "hpa-2020", ""}, {"phpa-2020", "phpa-2020", ""}};
  return s;
}

TEST(ExperimentTest, ShortScenarioEndToEndThroughTheEngine) {
  ExperimentOptions options;
  options.jobs = 2;
  int finished = 0;
  options.progress = [&](const Progress& p) { finished += p.finished.empty() ? 0 : 1; };
  auto result = RunExperiment(Short(), options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(finished, 2);
  ASSERT_EQ(result->runs.size(), 2u);
  for (const auto& run : result->runs) {
    EXPECT_EQ(run.autoscaler_runs, 160) << run.contender;
    // Only the runs before the first metrics-server scrape may fail (no metrics yet).
    EXPECT_LE(run.autoscaler_errors, 4) << run.first_error;
    auto days = ComputeDayMetrics(run);
    ASSERT_EQ(days.size(), 1u);
    ASSERT_EQ(days[0].rises.size(), 1u);
    EXPECT_EQ(days[0].rises[0].users_before, 15);
    EXPECT_EQ(days[0].rises[0].users_after, 25);
    // The HPA follows 15 users (about 5 pods) and then 25 (about 8).
    EXPECT_GE(run.trace.samples.back().replicas, 6);
    EXPECT_LE(run.trace.samples.back().replicas, 10);
  }
  // Within a day the 2020 PHPA has no season stored: it decides as the HPA.
  EXPECT_EQ(LoadRunsCsv(result->runs[0]), LoadRunsCsv(result->runs[1]));
}

TEST(ExperimentTest, SameSeedSameBytes) {
  ExperimentOptions options;
  options.only = {"hpa-2020"};
  Scenario s = Short();
  s.connections = {ConnectionModel::kSticky};
  auto a = RunExperiment(s, options);
  options.jobs = 1;
  auto b = RunExperiment(s, options);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(LoadRunsCsv(a->runs[0]), LoadRunsCsv(b->runs[0]));
  EXPECT_EQ(ReplicasCsv(a->runs[0]), ReplicasCsv(b->runs[0]));
  EXPECT_EQ(SummaryJson(*a), SummaryJson(*b));
  s.first_seed = 2;
  auto c = RunExperiment(s, options);
  ASSERT_TRUE(c);
  EXPECT_NE(LoadRunsCsv(a->runs[0]), LoadRunsCsv(c->runs[0]));
}

TEST(ExperimentTest, ReportFilesAndSummaryFields) {
  ExperimentOptions options;
  options.only = {"hpa-2020"};
  auto result = RunExperiment(Short(), options);
  ASSERT_TRUE(result) << result.error().message;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cpa-experiment-test-" + std::to_string(::getpid()));
  ReportOptions report;
  report.plots = false;
  auto written = WriteReport(*result, dir.string(), report);
  ASSERT_TRUE(written) << written.error().message;
  for (const char* f : {"report.md", "summary.json", "days.csv", "rises.csv",
                        "runs/hpa-2020_per-request_seed1_loadruns.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  }
  auto summary = ParseJson(SummaryJson(*result));
  ASSERT_TRUE(summary);
  const JsonValue& day = (*summary)["results"][0];
  for (const char* key : {"name", "day", "seed", "requests", "failed", "latencyMeanMs",
                          "latencyP95Ms", "latencyP99Ms", "latencyMaxMs", "riseLatencyMeanMs",
                          "replicaHours", "scaleEvents", "underProvisionedSeconds", "rises"}) {
    EXPECT_TRUE(day.HasMember(key)) << key;
  }
  const JsonValue& rise = day["rises"][0];
  for (const char* key : {"time", "usersBefore", "usersAfter", "first5MinMeanMs",
                          "first30MinMeanMs", "steadyMeanMs"}) {
    EXPECT_TRUE(rise.HasMember(key)) << key;
  }
  EXPECT_EQ(std::string(rise["time"].GetString()), "2020-06-01T09:00:00Z");
  EXPECT_TRUE((*summary)["spread"][0]["latencyMeanMs"].HasMember("stdev"));
  std::filesystem::remove_all(dir);
}

TEST(ExperimentTest, UnknownContenderAndBadConfigAreClearErrors) {
  Scenario s = Short();
  s.contenders = {{"x", "hpa-2021", ""}};
  auto unknown = RunExperiment(s, {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("hpa-2021"), std::string::npos);
  ExperimentOptions options;
  options.extra_configs = {"/nonexistent/config.yaml"};
  s.contenders.clear();
  auto missing = RunExperiment(s, options);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/config.yaml"), std::string::npos);
}

TEST(LiveClusterTest, ServesTheSimulationOverTheKubernetesApi) {
  SimulationOptions options;
  options.start = FromUnixMillis(0);
  options.duration_s = 3600;
  options.load.phases.clear();
  LiveCluster live(options, {});
  auto started = live.Start();
  ASSERT_TRUE(started) << started.error().message;
  kube::ConnectionConfig connection;
  connection.server = live.url();
  auto client = kube::Client::Create(connection);
  ASSERT_TRUE(client) << client.error().message;
  kube::ObjectRef web{"apps/v1", "Deployment", "web"};
  auto scale = (*client)->GetScale(web, "default");
  ASSERT_TRUE(scale) << scale.error().message;
  EXPECT_EQ(scale->replicas, 1);
  ASSERT_TRUE((*client)->PatchScaleReplicas(web, "default", 3));
  ASSERT_TRUE(live.Step(1));  // the scale reaches the simulation: two pods start
  EXPECT_EQ(live.simulation().replicas(), 3);
  auto pods = (*client)->ListPods("default", "app=web");
  ASSERT_TRUE(pods);
  EXPECT_EQ((*pods)["items"].Size(), 3u);
  ASSERT_TRUE(live.Step(120));  // started, and at least one scrape
  auto metrics = (*client)->GetPodMetrics("default", "app=web");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_GE((*metrics)["items"].Size(), 1u);
  EXPECT_NE(live.Kubeconfig().find(live.url()), std::string::npos);
}

}  // namespace
}  // namespace cpa::experiments
