#include "autoscalers/phpa/predictor.h"

#include <cmath>

#include <gtest/gtest.h>

#include "autoscalers/phpa/tuning_hook.h"
#include "store/sqlite_store.h"

namespace cpa::phpa {
namespace {

constexpr int64_t kBase = 1'699'920'000'000;
constexpr int64_t kInterval = 15'000;
constexpr int kSeason = 12;

TimePoint At(int64_t run) { return FromUnixMillis(kBase + run * kInterval); }

int Load(int64_t run) {
  return static_cast<int>(
      std::lround(6.0 + 4.0 * std::sin(2.0 * M_PI * (run % kSeason) / kSeason)));
}

PredictorOptions Options(store::Store* store) {
  PredictorOptions o;
  o.interval_ms = kInterval;
  o.autoscaler = "default/web";
  o.store = store;
  ModelOptions hw;
  hw.type = ModelType::kHoltWinters;
  hw.name = "hw";
  HoltWintersModelOptions h;
  h.model.season_length = kSeason;
  h.model.params = {0.3, 0.05, 0.3, 0.98};
  h.model.initialization = models::Initialization::kHeuristic;
  h.configured_alpha = 0.3;
  h.configured_beta = 0.05;
  h.configured_gamma = 0.3;
  h.stored_seasons = 3;
  h.look_ahead = 2;
  hw.holt_winters = h;
  ModelOptions lin;
  lin.type = ModelType::kLinear;
  lin.name = "lin";
  lin.linear = LinearOptions{5, 15'000};
  o.phpa.models = {hw, lin};
  return o;
}

std::unique_ptr<store::Store> MemoryStore() {
  auto s = store::OpenSqliteStore({});
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

TEST(PredictorTest, RestartKeepsTheHistory) {
  auto store = MemoryStore();
  auto reference = Predictor::Create(Options(nullptr));
  ASSERT_TRUE(reference.has_value());
  auto first = Predictor::Create(Options(store.get()));
  ASSERT_TRUE(first.has_value());
  const int runs = 5 * kSeason;
  for (int i = 0; i < runs; ++i) {
    (*reference)->Run(At(i), Load(i), Load(i));
    (*first)->Run(At(i), Load(i), Load(i));
  }
  first->reset();  // the process ends
  auto second = Predictor::Create(Options(store.get()));
  ASSERT_TRUE(second.has_value());
  for (int i = runs; i < runs + 3; ++i) {
    Audit expected = (*reference)->Run(At(i), Load(i), Load(i));
    Audit got = (*second)->Run(At(i), Load(i), Load(i));
    ASSERT_EQ(got.models.size(), 2u);
    for (size_t k = 0; k < got.models.size(); ++k) {
      ASSERT_TRUE(got.models[k].prediction) << got.models[k].reason;
      EXPECT_EQ(*got.models[k].prediction, *expected.models[k].prediction);
      EXPECT_EQ(got.models[k].history_points, expected.models[k].history_points);
    }
    EXPECT_EQ(got.decision, expected.decision);
  }
  auto stored =
      store->Values(Predictor::HistorySeries("default/web", LearnSource::kHpaReplicas), {});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), static_cast<size_t>(runs + 3));
}

TEST(PredictorTest, DryRunsRecordNothing) {
  auto store = MemoryStore();
  auto p = Predictor::Create(Options(store.get()));
  ASSERT_TRUE(p.has_value());
  Audit audit = (*p)->Run(At(0), 4, 4.0, /*dry_run=*/true);
  EXPECT_EQ(audit.decision, 4);
  EXPECT_TRUE((*p)->models()[0].history().empty());
  auto stored =
      store->Values(Predictor::HistorySeries("default/web", LearnSource::kHpaReplicas), {});
  EXPECT_TRUE(stored->empty());
}

TEST(PredictorTest, WarmUpDoesNotDragTheDecisionDown) {
  auto p = Predictor::Create(Options(nullptr));
  ASSERT_TRUE(p.has_value());
  for (int i = 0; i < 5; ++i) {
    Audit audit = (*p)->Run(At(i), 9, 9.0);
    EXPECT_FALSE(audit.models[0].replicas);
    EXPECT_EQ(audit.decision, 9);
  }
}

TEST(TuningReplyTest, ParsesAndRejects) {
  auto ok = ParseTuningReply(R"({"alpha": 0.2, "gamma": 0.7})");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->alpha, 0.2);
  EXPECT_FALSE(ok->beta);
  EXPECT_EQ(ok->gamma, 0.7);
  auto not_json = ParseTuningReply("<html>oops</html>");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_NE(not_json.error().message.find("<html>oops</html>"), std::string::npos);
  auto out_of_range = ParseTuningReply(R"({"alpha": 1.7})");
  ASSERT_FALSE(out_of_range.has_value());
  EXPECT_NE(out_of_range.error().message.find("alpha"), std::string::npos);
  EXPECT_FALSE(ParseTuningReply(R"({"beta": "high"})").has_value());
}

}  // namespace
}  // namespace cpa::phpa
