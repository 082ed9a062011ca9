#include "autoscalers/phpa/phpa_options.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/json.h"

namespace cpa::phpa {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string SourceDir() {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

struct Parsed {
  PhpaOptions options;
  config::ConfigIssues issues;
};

Parsed ParseYamlText(const std::string& yaml) {
  Parsed p;
  auto doc = ParseYaml(yaml);
  EXPECT_TRUE(doc.has_value());
  p.options = ParsePhpaOptions(*doc, "evaluate.phpa", p.issues, kHpaKeys);
  return p;
}

bool HasError(const config::ConfigIssues& issues, const std::string& path,
              const std::string& text) {
  for (const auto& e : issues.errors) {
    if (e.path == path && e.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(PhpaOptionsTest, OriginalConfigLoadsUnchanged) {
  Parsed p = ParseYamlText(ReadFile(SourceDir() + "/tests/data/phpa/original_models.yaml"));
  ASSERT_TRUE(p.issues.errors.empty()) << p.issues.errors[0].ToString();
  EXPECT_TRUE(p.issues.warnings.empty()) << p.issues.warnings[0].ToString();
  ASSERT_EQ(p.options.models.size(), 3u);
  const ModelOptions& hw = p.options.models[0];
  EXPECT_EQ(hw.type, ModelType::kHoltWinters);
  EXPECT_EQ(hw.name, "HoltWintersPrediction");
  EXPECT_EQ(hw.start_interval_ms, 60'000);
  EXPECT_EQ(hw.reset_duration_ms, 300'000);
  EXPECT_EQ(hw.calculation_timeout_ms, 25'000);
  ASSERT_TRUE(hw.holt_winters);
  EXPECT_DOUBLE_EQ(hw.holt_winters->model.params.alpha, 0.9);
  EXPECT_EQ(hw.holt_winters->model.season_length, 6);
  EXPECT_EQ(hw.holt_winters->stored_seasons, 4);
  EXPECT_EQ(hw.holt_winters->model.trend, models::Trend::kAdditive);
  EXPECT_EQ(hw.holt_winters->model.initialization, models::Initialization::kEstimated);
  EXPECT_EQ(hw.HistoryPoints(), 24);
  const ModelOptions& lin = p.options.models[1];
  EXPECT_EQ(lin.type, ModelType::kLinear);
  EXPECT_EQ(lin.linear->history_size, 6);
  EXPECT_EQ(lin.linear->look_ahead_ms, 10'000);
  const ModelOptions& dyn = p.options.models[2];
  ASSERT_TRUE(dyn.holt_winters->runtime_tuning_fetch_hook);
  EXPECT_EQ(dyn.holt_winters->runtime_tuning_fetch_hook->type, "http");
  EXPECT_EQ(dyn.holt_winters->runtime_tuning_fetch_hook->http->parameter_mode,
            config::ParameterMode::kBody);
  EXPECT_FALSE(dyn.holt_winters->configured_alpha);
  EXPECT_EQ(p.options.decision_type, DecisionType::kMaximum);
  EXPECT_EQ(p.options.learn, LearnSource::kHpaReplicas);
}

TEST(PhpaOptionsTest, ErrorsNameTheirKeys) {
  Parsed p = ParseYamlText(R"(
decisionType: biggest
learn: cpu
models:
  - type: Arima
    name: a
  - type: HoltWinters
    name: b
    perSyncPeriod: 0
    startInterval: soon
    holtWinters: {alpha: 1.5, trend: add, seasonal: add, seasonalPeriods: 1}
  - type: Linear
    name: b
    linear: {lookAhead: -1}
  - type: HoltWinters
    name: c
    holtWinters: {alpha: 0.5, beta: 0.1, gamma: 0.1, seasonalPeriods: 10, storedSeasons: 1,
                  initializationMethod: heuristic}
)");
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.decisionType", "biggest"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.learn", "known: hpaReplicas, load"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[0].type", "Arima"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[1].perSyncPeriod", ">= 1"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[1].startInterval", "duration"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[1].holtWinters.alpha", "[0, 1]"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[1].holtWinters.beta", "required"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[1].holtWinters.seasonalPeriods", ">= 2"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[2].name", "duplicate"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[2].linear.historySize", "required"));
  EXPECT_TRUE(HasError(p.issues, "evaluate.phpa.models[2].linear.lookAhead", ">= 0"));
  EXPECT_TRUE(
      HasError(p.issues, "evaluate.phpa.models[3].holtWinters.storedSeasons", "fewer than the 20"));
}

TEST(PhpaOptionsTest, UnknownKeysWarnButHpaKeysDoNot) {
  Parsed p = ParseYamlText(R"(
metrics: []
tolerance: 0.2
modles: []
)");
  EXPECT_TRUE(p.issues.errors.empty());
  ASSERT_EQ(p.issues.warnings.size(), 1u);
  EXPECT_EQ(p.issues.warnings[0].path, "evaluate.phpa.modles");
}

TEST(PhpaOptionsTest, OursKeys) {
  Parsed p = ParseYamlText(R"(
learn: load
decisionType: median
models:
  - type: HoltWinters
    name: hw
    perSyncPeriod: 4
    aggregation: mean
    holtWinters: {alpha: 0.5, beta: 0.1, gamma: 0.2, seasonalPeriods: 96, storedSeasons: 3,
                  lookAhead: 8, dampedTrend: true, phi: 0.95,
                  initializationMethod: known, initialLevel: 3, initialTrend: 0,
                  initialSeasonal: 0}
)");
  ASSERT_TRUE(p.issues.errors.empty()) << p.issues.errors[0].ToString();
  EXPECT_EQ(p.options.learn, LearnSource::kLoad);
  EXPECT_EQ(p.options.decision_type, DecisionType::kMedian);
  const ModelOptions& m = p.options.models[0];
  EXPECT_EQ(m.aggregation, Aggregation::kMean);
  EXPECT_EQ(m.holt_winters->look_ahead, 8);
  EXPECT_DOUBLE_EQ(m.holt_winters->model.params.phi, 0.95);
  EXPECT_EQ(m.holt_winters->model.initial.seasonal.size(), 96u);
}

TEST(PhpaOptionsTest, Durations) {
  auto d = [](const char* json) {
    auto doc = ParseJson(json);
    return ParseDurationMs(*doc);
  };
  EXPECT_EQ(d("\"60s\""), 60'000);
  EXPECT_EQ(d("\"1h30m\""), 5'400'000);
  EXPECT_EQ(d("\"250ms\""), 250);
  EXPECT_EQ(d("\"1.5s\""), 1'500);
  EXPECT_EQ(d("1000"), 1'000);
  EXPECT_EQ(d("\"0\""), 0);
  EXPECT_FALSE(d("\"5 minutes\""));
  EXPECT_FALSE(d("\"\""));
  EXPECT_FALSE(d("true"));
}

}  // namespace
}  // namespace cpa::phpa
