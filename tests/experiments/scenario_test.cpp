// Scenario files: the bundled ones load; bad keys and values are errors naming the key.
#include "experiments/scenario.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace cpa::experiments {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

TEST(ScenarioTest, BundledScenariosLoad) {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(SourceDir() + "/experiments/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    auto s = LoadScenarioFile(entry.path().string());
    EXPECT_TRUE(s) << entry.path() << ": " << s.error().message;
    ++count;
  }
  EXPECT_GE(count, 4);
}

TEST(ScenarioTest, DefaultIsTheOriginalExperiment) {
  auto s = ParseScenario("{}", "x.yaml", "");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->duration_s, 3 * 86400.0);
  EXPECT_EQ(s->load.users, 15);
  ASSERT_EQ(s->load.phases.size(), 2u);
  EXPECT_EQ(s->load.phases[1].users, 40);
  EXPECT_EQ(FormatRfc3339(s->start), "2020-06-01T23:25:00Z");
  EXPECT_EQ(s->autoscaler.season_length, 5760);
  EXPECT_EQ(s->connections.size(), 2u);
}

TEST(ScenarioTest, ErrorsNameTheKey) {
  auto bad = ParseScenario("load: {users: -1, thinkSeconds: [5, 3]}\ncluster: {cpuLimitCores: 0}\n",
                           "bad.yaml", "");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("load.users"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("load.thinkSeconds"), std::string::npos);
  EXPECT_NE(bad.error().message.find("cluster.cpuLimitCores"), std::string::npos);
  auto typo = ParseScenario("durationHour: 3\n", "typo.yaml", "");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("durationHour"), std::string::npos);
  auto contender = ParseScenario("contenders: [{name: x}]\n", "c.yaml", "");
  ASSERT_FALSE(contender);
  EXPECT_NE(contender.error().message.find("contenders[0]"), std::string::npos);
}

}  // namespace
}  // namespace cpa::experiments
