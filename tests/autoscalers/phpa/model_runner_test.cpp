#include "autoscalers/phpa/model_runner.h"

#include <cmath>

#include <gtest/gtest.h>

#include "models/holt_winters.h"

namespace cpa::phpa {
namespace {

constexpr int64_t kBase = 1'699'920'000'000;  // a midnight, a multiple of every period used
constexpr int64_t kInterval = 15'000;

TimePoint At(int64_t run) { return FromUnixMillis(kBase + run * kInterval); }

ModelOptions HoltWinters(int m, int stored, models::Initialization init) {
  ModelOptions o;
  o.type = ModelType::kHoltWinters;
  o.name = "hw";
  HoltWintersModelOptions hw;
  hw.model.trend = models::Trend::kAdditive;
  hw.model.seasonal = models::Seasonal::kAdditive;
  hw.model.season_length = m;
  hw.model.params = {0.5, 0.1, 0.3, 0.98};
  hw.model.initialization = init;
  hw.configured_alpha = 0.5;
  hw.configured_beta = 0.1;
  hw.configured_gamma = 0.3;
  hw.stored_seasons = stored;
  o.holt_winters = hw;
  return o;
}

double Seasonal(int64_t run, int m) {
  return 10.0 + 5.0 * std::sin(2.0 * M_PI * static_cast<double>(run % m) / m) +
         0.3 * std::cos(static_cast<double>(run) * 1.7);
}

TEST(ModelRunnerTest, WarmingUpAbstainsWithTheReason) {
  ModelRunner runner(HoltWinters(4, 4, models::Initialization::kHeuristic), kInterval);
  const int required = models::RequiredHistory(runner.options().holt_winters->model);
  for (int i = 0; i < required - 1; ++i) {
    runner.Observe(At(i), Seasonal(i, 4));
    ModelOutcome out = runner.Predict(At(i));
    EXPECT_FALSE(out.replicas);
    EXPECT_NE(out.reason.find("warming up"), std::string::npos) << out.reason;
    EXPECT_NE(out.reason.find(std::to_string(required - 1 - i) + " more point"), std::string::npos)
        << out.reason;
  }
  runner.Observe(At(required - 1), Seasonal(required - 1, 4));
  ModelOutcome out = runner.Predict(At(required - 1));
  EXPECT_TRUE(out.replicas) << out.reason;
  EXPECT_TRUE(out.reason.empty());
}

// The kept state advanced run by run gives exactly what a full recomputation over the same
// window gives, and full recomputations happen only when the window start moves.
TEST(ModelRunnerTest, IncrementalEqualsFullRecomputation) {
  const int m = 8;
  const int stored = 3;
  ModelRunner runner(HoltWinters(m, stored, models::Initialization::kHeuristic), kInterval);
  const int runs = 12 * m + 5;
  int64_t recomputed_when_full = 0;
  for (int i = 0; i < runs; ++i) {
    if (i == 6 * m) recomputed_when_full = runner.full_recomputations();
    runner.Observe(At(i), Seasonal(i, m));
    ModelOutcome out = runner.Predict(At(i));
    const auto history = runner.history();
    EXPECT_LE(static_cast<int>(history.size()), (stored + 1) * m);
    if (!out.prediction) continue;
    EXPECT_GE(static_cast<int>(history.size()), stored * m - m);
    std::vector<double> y;
    for (const Point& p : history) y.push_back(p.value);
    auto full = models::RunHoltWinters(runner.options().holt_winters->model, y, 1);
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(*out.prediction, full->forecast[0]) << "run " << i;
  }
  // One recomputation per season (the window start or the heuristic start moves), not one per
  // run.
  EXPECT_LE(runner.full_recomputations() - recomputed_when_full, (runs - 6 * m) / m + 1);
}

TEST(ModelRunnerTest, LookAheadForecastsThatManyRunsAhead) {
  const int m = 6;
  ModelOptions o = HoltWinters(m, 4, models::Initialization::kKnown);
  auto& hw = *o.holt_winters;
  hw.model.params = {0.0, 0.0, 0.0, 1.0};  // the known pattern never changes
  hw.model.initial.level = 10.0;
  hw.model.initial.trend = 0.0;
  hw.model.initial.seasonal = {0, 1, 2, 3, 4, 5};
  hw.look_ahead = 3;
  ModelRunner runner(o, kInterval);
  for (int i = 0; i < 2 * m; ++i) runner.Observe(At(i), 10.0 + i % m);
  ModelOutcome out = runner.Predict(At(2 * m - 1));
  ASSERT_TRUE(out.prediction) << out.reason;
  // The newest point is phase 5; three runs later is phase (5 + 3) % 6 = 2.
  EXPECT_DOUBLE_EQ(*out.prediction, 12.0);
  EXPECT_EQ(*out.replicas, 12);
}

TEST(ModelRunnerTest, SkippedRunsAreAggregated) {
  for (auto [aggregation, expected] :
       {std::pair{Aggregation::kMax, 9.0}, std::pair{Aggregation::kMean, 5.0},
        std::pair{Aggregation::kLast, 2.0}}) {
    ModelOptions o;
    o.type = ModelType::kLinear;
    o.name = "lin";
    o.per_sync_period = 3;
    o.aggregation = aggregation;
    o.linear = LinearOptions{10, 0};
    ModelRunner runner(o, kInterval);
    runner.Observe(At(0), 4.0);
    runner.Observe(At(1), 9.0);
    EXPECT_TRUE(runner.history().empty());  // the period is not over yet
    runner.Observe(At(2), 2.0);
    ASSERT_EQ(runner.history().size(), 1u);
    EXPECT_DOUBLE_EQ(runner.history()[0].value, expected);
    // A missed run closes the open period at the next run of a later one.
    runner.Observe(At(3), 1.0);
    runner.Observe(At(7), 1.0);
    EXPECT_EQ(runner.history().size(), 2u);
  }
}

TEST(ModelRunnerTest, LinearPredictsLookAheadAfterTheNewestPoint) {
  ModelOptions o;
  o.type = ModelType::kLinear;
  o.name = "lin";
  o.linear = LinearOptions{4, 30'000};
  ModelRunner runner(o, kInterval);
  runner.Observe(At(0), 1.0);
  EXPECT_FALSE(runner.Predict(At(0)).replicas);
  for (int i = 1; i < 8; ++i) runner.Observe(At(i), 1.0 + i);  // +1 per run
  EXPECT_EQ(runner.history().size(), 4u);
  ModelOutcome out = runner.Predict(At(7));
  ASSERT_TRUE(out.prediction) << out.reason;
  EXPECT_NEAR(*out.prediction, 10.0, 1e-9);  // 8 now, two runs later 10
  EXPECT_EQ(*out.replicas, 10);
}

TEST(ModelRunnerTest, ResetDurationAndStartInterval) {
  ModelOptions o;
  o.type = ModelType::kLinear;
  o.name = "lin";
  o.linear = LinearOptions{10, 0};
  o.start_interval_ms = 60'000;
  o.reset_duration_ms = 300'000;
  ModelRunner runner(o, kInterval);
  runner.Observe(At(1), 1.0);  // 15 s past the minute: waits for the next full minute
  runner.Observe(At(2), 1.0);
  runner.Observe(At(3), 1.0);
  EXPECT_TRUE(runner.history().empty());
  runner.Observe(At(4), 1.0);
  runner.Observe(At(5), 1.0);
  EXPECT_EQ(runner.history().size(), 2u);
  runner.Observe(At(5 + 21), 1.0);  // 5 min 15 s later: the history is cleared
  EXPECT_TRUE(runner.history().empty());
  runner.Observe(At(28), 1.0);
  EXPECT_EQ(runner.history().size(), 1u);
}

class ScriptedFetcher : public TuningFetcher {
 public:
  Result<TunedParams> Fetch(const ModelOptions&, std::span<const Point> history) override {
    ++calls;
    last_history = history.size();
    return reply;
  }
  Result<TunedParams> reply = TunedParams{};
  int calls = 0;
  size_t last_history = 0;
};

TEST(ModelRunnerTest, TuningHookParametersAndFallback) {
  ModelOptions o = HoltWinters(4, 4, models::Initialization::kHeuristic);
  config::MethodConfig hook;
  hook.type = "http";
  o.holt_winters->runtime_tuning_fetch_hook = hook;
  ScriptedFetcher fetcher;
  fetcher.reply = TunedParams{0.2, 0.05, 0.4};
  ModelRunner runner(o, kInterval, &fetcher);
  const int n = 20;
  for (int i = 0; i < n; ++i) runner.Observe(At(i), Seasonal(i, 4));
  ModelOutcome tuned = runner.Predict(At(n - 1));
  ASSERT_TRUE(tuned.params);
  EXPECT_EQ(tuned.params->alpha, 0.2);
  EXPECT_EQ(tuned.params->gamma, 0.4);
  EXPECT_EQ(fetcher.calls, 1);
  EXPECT_EQ(fetcher.last_history, runner.history().size());
  EXPECT_GE(fetcher.last_history, 16u);

  fetcher.reply = MakeError(ErrorCode::kInvalidArgument, "reply must be a JSON object");
  runner.Observe(At(n), Seasonal(n, 4));
  ModelOutcome fallback = runner.Predict(At(n));
  ASSERT_TRUE(fallback.replicas) << fallback.reason;
  EXPECT_EQ(fallback.params->alpha, 0.5);  // the configured values
  EXPECT_NE(fallback.note.find("runtimeTuningFetchHook failed"), std::string::npos);

  // Without configured values, a failed hook makes the model abstain.
  o.holt_winters->configured_alpha.reset();
  ModelRunner bare(o, kInterval, &fetcher);
  for (int i = 0; i < n; ++i) bare.Observe(At(i), Seasonal(i, 4));
  ModelOutcome abstained = bare.Predict(At(n - 1));
  EXPECT_FALSE(abstained.replicas);
  EXPECT_NE(abstained.reason.find("none are configured"), std::string::npos) << abstained.reason;
}

}  // namespace
}  // namespace cpa::phpa
