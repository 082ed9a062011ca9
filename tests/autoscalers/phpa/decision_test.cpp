#include "autoscalers/phpa/decision.h"

#include <gtest/gtest.h>

namespace cpa::phpa {
namespace {

ModelOutcome Ready(std::string name, int replicas) {
  ModelOutcome m;
  m.name = std::move(name);
  m.prediction = replicas - 0.5;
  m.replicas = replicas;
  return m;
}

ModelOutcome Abstained(std::string name) {
  ModelOutcome m;
  m.name = std::move(name);
  m.reason = "warming up: 3 more point(s) needed";
  return m;
}

TEST(DecisionTest, CombinesTheHpaAndReadyModelsOnly) {
  const std::vector<ModelOutcome> models = {Ready("a", 7), Abstained("b"), Ready("c", 2)};
  EXPECT_EQ(Combine(DecisionType::kMaximum, 4, models), 7);
  EXPECT_EQ(Combine(DecisionType::kMinimum, 4, models), 2);
  EXPECT_EQ(Combine(DecisionType::kMean, 4, models), 5);             // 13 / 3 rounded up
  EXPECT_EQ(Combine(DecisionType::kMedian, 4, models), 4);           // 2, 4, 7
  EXPECT_EQ(Combine(DecisionType::kMedian, 4, {Ready("a", 7)}), 6);  // (4 + 7) / 2 rounded up
}

TEST(DecisionTest, WarmingUpModelsDoNotDragTheDecisionDown) {
  const std::vector<ModelOutcome> models = {Abstained("a"), Abstained("b")};
  for (auto type : {DecisionType::kMaximum, DecisionType::kMinimum, DecisionType::kMean,
                    DecisionType::kMedian}) {
    EXPECT_EQ(Combine(type, 6, models), 6) << DecisionTypeName(type);
  }
}

TEST(DecisionTest, AuditSaysWhatEachModelDid) {
  Audit audit;
  audit.hpa_replicas = 3;
  audit.learned = 3.0;
  audit.models = {Ready("hw", 5), Abstained("lin")};
  audit.decision = Combine(audit.decision_type, audit.hpa_replicas, audit.models);
  JsonDocument doc = AuditToJson(audit);
  EXPECT_EQ(doc["decision"].GetInt(), 5);
  EXPECT_EQ(doc["hpaReplicas"].GetInt(), 3);
  ASSERT_EQ(doc["models"].Size(), 2u);
  EXPECT_EQ(doc["models"][0]["replicas"].GetInt(), 5);
  EXPECT_TRUE(doc["models"][1]["replicas"].IsNull());
  EXPECT_STREQ(doc["models"][1]["abstained"].GetString(), "warming up: 3 more point(s) needed");
  const std::string line = AuditSummary(audit);
  EXPECT_NE(line.find("hw=5"), std::string::npos) << line;
  EXPECT_NE(line.find("lin abstained (warming up"), std::string::npos) << line;
  EXPECT_NE(line.find("maximum 5"), std::string::npos) << line;
}

}  // namespace
}  // namespace cpa::phpa
