// The history routes' provider over a real (in-memory SQLite) store.
#include "api/store_history.h"

#include <gtest/gtest.h>

#include "store/open_store.h"

namespace cpa::api {
namespace {

class ApiStoreHistory : public testing::Test {
 protected:
  void SetUp() override {
    opened_ = store::OpenStore(store::StoreOptions{});
    ASSERT_FALSE(opened_.fallback_reason);
    for (int i = 0; i < 3; ++i) {
      store::RunRecord r;
      r.autoscaler = "default/web";
      r.time = FromUnixMillis(1'000'000 + i * 15'000);
      r.metrics.push_back(store::MetricPoint::FromText("web-0", "value", std::to_string(i)));
      r.metrics.push_back(store::MetricPoint::FromText("web-1", "value", "busy"));
      r.evaluation = store::Evaluation{i + 2, {{"hw", 1.5 + i}}};
      store::Decision d;
      d.current_replicas = 2;
      d.raw_target = i + 2;
      d.stabilized_target = i + 2;
      d.applied = i > 0;
      d.run_type = "scaler";
      r.decision = d;
      ASSERT_TRUE(opened_.store->Record(r));
    }
    provider_ = MakeStoreHistoryProvider({{"default/web", opened_.store.get()}}, clock_);
  }
  JsonDocument Query(HistoryKind kind, size_t limit = 0) {
    HistoryQuery q;
    q.autoscaler_id = "default/web";
    q.kind = kind;
    q.limit = limit;
    auto body = provider_(q);
    EXPECT_TRUE(body) << (body ? "" : body.error().message);
    auto doc = ParseJson(body ? *body : "{}");
    EXPECT_TRUE(doc);
    return std::move(*doc);
  }

  ManualClock clock_{FromUnixMillis(2'000'000)};
  store::OpenedStore opened_;
  HistoryProvider provider_;
};

TEST_F(ApiStoreHistory, MetricsOldestFirstWithNumbersAndText) {
  auto doc = Query(HistoryKind::kMetrics);
  EXPECT_STREQ(doc["kind"].GetString(), "metrics");
  const auto& items = doc["items"];
  ASSERT_EQ(items.Size(), 6u);
  EXPECT_EQ(items[0]["unixMs"].GetInt64(), 1'000'000);
  EXPECT_STREQ(items[0]["time"].GetString(), "1970-01-01T00:16:40.000Z");
  bool saw_text_only = false;
  for (const auto& item : items.GetArray()) {
    if (std::string(item["resource"].GetString()) == "web-1") {
      EXPECT_TRUE(item["value"].IsNull());
      EXPECT_STREQ(item["text"].GetString(), "busy");
      saw_text_only = true;
    }
  }
  EXPECT_TRUE(saw_text_only);
  EXPECT_EQ(Query(HistoryKind::kMetrics, 2)["items"].Size(), 2u);
}

TEST_F(ApiStoreHistory, EvaluationsCarryPredictions) {
  auto doc = Query(HistoryKind::kEvaluations);
  const auto& items = doc["items"];
  ASSERT_EQ(items.Size(), 3u);
  EXPECT_EQ(items[2]["targetReplicas"].GetInt(), 4);
  EXPECT_DOUBLE_EQ(items[2]["predictions"]["hw"].GetDouble(), 3.5);
}

TEST_F(ApiStoreHistory, DecisionsAndLimit) {
  auto doc = Query(HistoryKind::kDecisions, 2);
  const auto& items = doc["items"];
  ASSERT_EQ(items.Size(), 2u);  // the newest two, oldest first
  EXPECT_EQ(items[0]["rawTarget"].GetInt(), 3);
  EXPECT_TRUE(items[1]["applied"].GetBool());
  EXPECT_STREQ(items[1]["runType"].GetString(), "scaler");
  EXPECT_EQ(items[1]["currentReplicas"].GetInt(), 2);
}

TEST_F(ApiStoreHistory, WindowAndUnknownAutoscaler) {
  HistoryQuery q;
  q.autoscaler_id = "default/web";
  q.kind = HistoryKind::kDecisions;
  q.from = FromUnixMillis(1'015'000);
  q.to = FromUnixMillis(1'030'000);  // exclusive
  auto body = provider_(q);
  ASSERT_TRUE(body);
  auto doc = ParseJson(*body);
  ASSERT_EQ((*doc)["items"].Size(), 1u);
  q.autoscaler_id = "default/other";
  auto missing = provider_(q);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cpa::api
