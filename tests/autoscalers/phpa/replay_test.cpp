#include "autoscalers/phpa/replay.h"

#include <sys/wait.h>
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "autoscalers/phpa/phpa_evaluator.h"
#include "engine/config/config_loader.h"

namespace cpa::phpa {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

void RegisterOnce() {
  static const bool done = [] {
    (void)hpa::RegisterHpaMethodType();
    (void)RegisterPhpaMethodType();
    return true;
  }();
  (void)done;
}

config::Config LoadConfigFile(const std::string& relative) {
  RegisterOnce();
  config::LoadOptions load;
  load.path = SourceDir() + "/" + relative;
  load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  load.require_target = false;
  auto loaded = config::LoadConfig(load);
  EXPECT_TRUE(loaded.has_value());
  if (!loaded) {
    for (const auto& e : loaded.error().errors) ADD_FAILURE() << e.ToString();
    return {};
  }
  return loaded->config;
}

Series Demand(int points) {
  Series s;
  for (int t = 0; t < points; ++t) {
    s.times.push_back(FromUnixMillis(1'699'920'000'000 + int64_t{t} * 15'000));
    s.values.push_back(10.0 + 8.0 * std::sin(t / 5.0));
    s.extra.push_back(3.0);
  }
  return s;
}

TEST(ReplayTest, UserLogicReplayIsDeterministic) {
  config::Config config = LoadConfigFile("tests/data/phpa/replay_shell.yaml");
  ReplayOptions options;
  options.demand = Demand(30);
  options.actual = options.demand.extra;
  options.pod_startup = std::chrono::seconds(30);
  options.pod_capacity = 2.0;
  auto first = Replay(config, options);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto second = Replay(config, options);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(ReplayCsv(*first), ReplayCsv(*second));
  EXPECT_EQ(first->summary.runs, 30);
  EXPECT_EQ(first->summary.failed_runs, 0);
  // One replica per 2 units of demand: the first run sees 10 -> 5 replicas.
  EXPECT_EQ(first->rows[0].evaluated, 5);
  EXPECT_EQ(first->rows[0].replicas, 5);
  // The two new pods take 30 s to run: under-provisioned meanwhile.
  EXPECT_EQ(first->rows[0].ready, 3);
  EXPECT_TRUE(first->rows[0].under_provisioned);
  ASSERT_TRUE(first->summary.under_provisioned_hours);
  EXPECT_GT(*first->summary.under_provisioned_hours, 0.0);
  ASSERT_TRUE(first->summary.actual_replica_hours);
  EXPECT_NEAR(*first->summary.actual_replica_hours, 3.0 * 30 * 15 / 3600.0, 1e-9);
  EXPECT_GT(first->summary.replica_hours, 0.0);
  EXPECT_GT(first->summary.scale_events, 0);
}

Series Seasonal(int days) {
  Series s;
  for (int t = 0; t < days * 96; ++t) {
    s.times.push_back(FromUnixMillis(1'699'920'000'000 + int64_t{t} * 15'000));
    s.values.push_back(3.0 + 2.0 * std::sin(2.0 * M_PI * t / 96.0));
  }
  return s;
}

TEST(ReplayTest, PhpaReplayIsDeterministicAndLeadsTheHpa) {
  config::Config phpa = LoadConfigFile("tests/data/phpa/phpa_replay.yaml");
  ReplayOptions options;
  options.demand = Seasonal(8);
  options.pod_startup = std::chrono::seconds(60);
  options.pod_capacity = 0.5;  // 50% of a 1-core request
  auto first = Replay(phpa, options);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  auto second = Replay(phpa, options);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(ReplayCsv(*first), ReplayCsv(*second));
  EXPECT_EQ(first->summary.failed_runs, 0);
  // The same config with the HPA alone (no models) is under-provisioned for longer.
  config::Config hpa_only = phpa;
  auto doc = ParseJson(hpa_only.evaluate.options_json);
  ASSERT_TRUE(doc.has_value());
  doc->RemoveMember("models");
  hpa_only.evaluate.options_json = ToJson(*doc);
  auto hpa = Replay(hpa_only, options);
  ASSERT_TRUE(hpa.has_value());
  ASSERT_TRUE(first->summary.under_provisioned_hours && hpa->summary.under_provisioned_hours);
  EXPECT_LT(*first->summary.under_provisioned_hours, *hpa->summary.under_provisioned_hours);
}

// The real binary twice on the same input: the same bytes on stdout.
TEST(ReplayTest, CpaReplayOutputIsByteIdenticalOnRerun) {
  const char* dir_env = std::getenv("CPA_BINARY_DIR");
  const std::string bin = dir_env != nullptr ? dir_env : "build";
  const std::string dir = ::testing::TempDir();
  const std::string csv = dir + "/phpa_replay_demand.csv";
  {
    std::ofstream out(csv);
    const Series s = Seasonal(6);
    out << "timestamp,demand\n";
    for (size_t i = 0; i < s.size(); ++i) {
      out << ToUnixMillis(s.times[i]) / 1000 << "," << s.values[i] << "\n";
    }
  }
  auto run = [&] {
    const std::string command = bin + "/cli/cpa replay -c " + SourceDir() +
                                "/tests/data/phpa/phpa_replay.yaml -i " + csv +
                                " --pod-startup 60s --pod-capacity 0.5 2>/dev/null";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0);
    return output;
  };
  const std::string first = run();
  const std::string second = run();
  EXPECT_NE(first.find("# runs=576"), std::string::npos) << first.substr(0, 300);
  EXPECT_NE(first.find("time,unix_ms,demand,replicas"), std::string::npos);
  EXPECT_EQ(first, second);
}

std::string RunCpa(const std::string& args, int* exit_code) {
  const char* dir_env = std::getenv("CPA_BINARY_DIR");
  const std::string command =
      std::string(dir_env != nullptr ? dir_env : "build") + "/cli/cpa " + args + " 2>/dev/null";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

TEST(TuneCliTest, PrintsTheTableAndASnippetForTheConfigsModel) {
  const std::string csv = ::testing::TempDir() + "/phpa_tune_series.csv";
  {
    std::ofstream out(csv);
    out << "timestamp,value\n";
    for (int t = 0; t < 96 * 8; ++t) {
      out << 1'700'000'000 + 15 * t << ","
          << 6.0 + 4.0 * std::sin(2.0 * M_PI * t / 96.0) + 0.3 * std::sin(t * 1.7) << "\n";
    }
  }
  int code = -1;
  const std::string out = RunCpa(
      "tune -i " + csv + " -c " + SourceDir() + "/tests/data/phpa/phpa_replay.yaml --score-replay",
      &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# points=768 holdout=96"), std::string::npos) << out;
  EXPECT_NE(out.find("\nfitted,"), std::string::npos);
  EXPECT_NE(out.find("\nconfigured,0.3,0.01,0.3,"), std::string::npos) << out;
  EXPECT_NE(out.find("\noriginal 0.9/0.9/0.9,"), std::string::npos);
  EXPECT_NE(out.find("\nhpa only,"), std::string::npos);
  EXPECT_NE(out.find("  name: hw\n"), std::string::npos);
  EXPECT_NE(out.find("    seasonalPeriods: 96\n"), std::string::npos);
  EXPECT_NE(out.find("    lookAhead: 4\n"), std::string::npos);
  int bad = -1;
  RunCpa("tune -i " + csv, &bad);  // no season length for a seasonal model
  EXPECT_EQ(bad, 2);
}

TEST(ReplayTest, EmptyDemandIsAnError) {
  config::Config config = LoadConfigFile("tests/data/phpa/replay_shell.yaml");
  auto result = Replay(config, ReplayOptions{});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace cpa::phpa
