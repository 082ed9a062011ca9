// The 2020 PHPA semantics over a scripted HPA: 0 until a season is stored, then max(HPA value,
// rounded-up one-run-ahead Holt-Winters forecast); only whole seasons kept.
#include "experiments/legacy_phpa.h"

#include <deque>

#include <gtest/gtest.h>

#include "common/json.h"

namespace cpa::experiments {
namespace {

class ScriptedHpa final : public engine::Method {
 public:
  explicit ScriptedHpa(std::vector<int> values) : values_(std::move(values)) {}
  Result<std::string> Call(std::string_view, std::stop_token) override {
    return fmt::format("{{\"targetReplicas\": {}}}", values_[next_++ % values_.size()]);
  }

 private:
  std::vector<int> values_;
  size_t next_ = 0;
};

int Target(engine::Method& m) {
  auto out = m.Call("{}", {});
  EXPECT_TRUE(out);
  return (*ParseJson(*out))["targetReplicas"].GetInt();
}

TEST(LegacyPhpaTest, FollowsTheHpaUntilASeasonIsStoredThenPredictsTheSeason) {
  // Season of 4 runs: 1, 1, 1, 8 (a daily spike). Until 4 values are stored the forecast is 0,
  // so the target is the HPA's own value; afterwards the run before each spike predicts it.
  LegacyPhpaOptions options{
      .alpha = 0.1, .beta = 0.1, .gamma = 0.9, .season_length = 4, .stored_seasons = 4};
  LegacyPhpaMethod phpa(std::make_unique<ScriptedHpa>(std::vector<int>{1, 1, 1, 8}), options);
  EXPECT_EQ(Target(phpa), 1);
  EXPECT_EQ(Target(phpa), 1);
  EXPECT_EQ(Target(phpa), 1);
  // 4th value stored: a season; the forecast for the next run (phase 0, value 1) is small but > 0.
  const int after_season = Target(phpa);
  EXPECT_GE(after_season, 8);  // max(HPA 8, forecast)
  EXPECT_LE(Target(phpa), 2);  // phase 0: forecast near 1
  EXPECT_LE(Target(phpa), 2);
  // The run before the spike: the HPA says 1, the forecast of the spike (phase 3) is about 8.
  EXPECT_GE(Target(phpa), 7);
}

TEST(LegacyPhpaTest, ForecastIsZeroBeforeASeasonAndMatchesIncrementalUpdates) {
  LegacyPhpaOptions options{
      .alpha = 0.3, .beta = 0.1, .gamma = 0.9, .season_length = 3, .stored_seasons = 2};
  std::deque<double> history = {2, 5};
  EXPECT_EQ(LegacyPhpaMethod::Forecast(options, history), 0);
  // The method keeps at most 2 whole seasons; its answers agree with a from-scratch forecast.
  std::vector<int> values = {2, 5, 9, 3, 6, 10, 2, 5, 9, 3, 6, 11, 4};
  LegacyPhpaMethod phpa(std::make_unique<ScriptedHpa>(values), options);
  std::deque<double> kept;
  for (int v : values) {
    kept.push_back(v);
    if (kept.size() > 6) {
      for (int i = 0; i < 3; ++i) kept.pop_front();
    }
    const int expected = std::max(v, LegacyPhpaMethod::Forecast(options, kept));
    EXPECT_EQ(Target(phpa), expected) << "after " << kept.size() << " values";
  }
}

}  // namespace
}  // namespace cpa::experiments
