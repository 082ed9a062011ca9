#include "autoscalers/phpa/replay.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "engine/config/config_loader.h"

namespace cpa::phpa {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

config::Config LoadConfigFile(const std::string& relative) {
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

TEST(ReplayTest, EmptyDemandIsAnError) {
  config::Config config = LoadConfigFile("tests/data/phpa/replay_shell.yaml");
  auto result = Replay(config, ReplayOptions{});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace cpa::phpa
