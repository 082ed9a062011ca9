#include "api/routes.h"

#include <gtest/gtest.h>

namespace cpa::api {
namespace {

TEST(ApiRoutes, MatchesExactPathsAndAutoscalerIds) {
  EXPECT_EQ(MatchRoute("/healthz").route, Route::kHealthz);
  EXPECT_EQ(MatchRoute("/metrics").route, Route::kPrometheus);
  EXPECT_EQ(MatchRoute("/api/v1/metrics").route, Route::kMetrics);
  EXPECT_FALSE(MatchRoute("/api/v1/metrics").scoped);
  auto m = MatchRoute("/api/v1/autoscalers/shop/backend/evaluation");
  EXPECT_EQ(m.route, Route::kEvaluation);
  EXPECT_TRUE(m.scoped);
  EXPECT_EQ(m.autoscaler_id, "shop/backend");
  EXPECT_EQ(m.name, "/api/v1/autoscalers/{namespace}/{name}/evaluation");
  EXPECT_EQ(MatchRoute("/api/v1/autoscalers/shop/backend").route, Route::kAutoscaler);
  for (const char* none :
       {"", "/", "/healthz/", "/api/v1/metrics/", "/api/v1/autoscalers/",
        "/api/v1/autoscalers/shop", "/api/v1/autoscalers/shop/",
        "/api/v1/autoscalers/shop/backend/", "/api/v1/autoscalers//backend/metrics",
        "/api/v1/autoscalers/shop/backend/metrics/", "/api/v1/autoscalers/shop/backend/metrics/x",
        "/api/v1/autoscalers/shop/backend/scale"}) {
    EXPECT_EQ(MatchRoute(none).route, Route::kNone) << none;
  }
}

TEST(ApiRoutes, AllowHeaderListsTheMethodsOfEachRoute) {
  EXPECT_EQ(AllowHeader(Route::kEvaluation), "POST, OPTIONS");
  EXPECT_EQ(AllowHeader(Route::kMetrics), "GET, OPTIONS");
  EXPECT_EQ(AllowHeader(Route::kHealthz), "GET, HEAD, OPTIONS");
  EXPECT_EQ(AllowHeader(Route::kHistory), "GET, HEAD, OPTIONS");
}

}  // namespace
}  // namespace cpa::api
