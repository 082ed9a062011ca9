// The record step and store-backed stabilization: every run lands in the store, and the
// downscale window survives a restart (a new Autoscaler over the same SQLite file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/autoscaler.h"
#include "store/open_store.h"
#include "tests/engine/memory_cluster.h"
#include "tests/engine/test_paths.h"

namespace cpa::engine {
namespace {

using namespace std::chrono_literals;
using testing_paths::Logic;

class EngineAutoscalerStore : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cpa-store-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
    config_.downscale_stabilization_s = 300;
    config_.metric.type = "shell";
    config_.metric.shell = config::ShellMethodConfig{"/bin/echo", {"0.75"}, false};
    config_.evaluate.type = "shell";
    config_.evaluate.shell = config::ShellMethodConfig{
        Logic("evaluate-from-env.sh"), {(dir_ / "evaluation.json").string()}, false};
    options_.path = (dir_ / "history.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Evaluate(int n) {
    std::ofstream(dir_ / "evaluation.json") << "{\"targetReplicas\": " << n << "}";
  }
  std::unique_ptr<Autoscaler> Make(store::Store& s) {
    AutoscalerOptions o;
    o.store = &s;
    auto a = Autoscaler::Create(config_, cluster_, clock_, std::move(o));
    EXPECT_TRUE(a);
    return std::move(*a);
  }

  std::filesystem::path dir_;
  config::Config config_;
  store::StoreOptions options_;
  MemoryCluster cluster_{2};
  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
};

TEST_F(EngineAutoscalerStore, EveryRunIsRecorded) {
  auto opened = store::OpenStore(options_);
  ASSERT_FALSE(opened.fallback_reason);
  auto a = Make(*opened.store);
  Evaluate(5);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  auto metrics =
      opened.store->Values(store::SeriesRef::Metric("default/web", "web-0", "value"), {});
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->size(), 1u);
  EXPECT_EQ((*metrics)[0].text, "0.75\n");
  EXPECT_DOUBLE_EQ(*(*metrics)[0].value, 0.75);
  auto decisions = opened.store->Decisions("default/web", {});
  ASSERT_TRUE(decisions);
  ASSERT_EQ(decisions->size(), 1u);
  const auto& d = (*decisions)[0].decision;
  EXPECT_EQ(*d.current_replicas, 2);
  EXPECT_EQ(*d.raw_target, 5);
  EXPECT_EQ(*d.stabilized_target, 5);
  EXPECT_TRUE(d.applied);
  EXPECT_EQ(d.run_type, "scaler");
  EXPECT_TRUE(d.error.empty());
  // A failed run is recorded with its error.
  std::ofstream(dir_ / "evaluation.json") << "nonsense";
  clock_.Advance(15s);
  ASSERT_FALSE(a->Run(RunType::kScaler));
  decisions = opened.store->Decisions("default/web", {});
  ASSERT_EQ(decisions->size(), 2u);
  EXPECT_NE((*decisions)[1].decision.error.find("evaluate:"), std::string::npos);
  EXPECT_FALSE((*decisions)[1].decision.applied);
}

TEST_F(EngineAutoscalerStore, StabilizationWindowSurvivesRestart) {
  {
    auto opened = store::OpenStore(options_);
    auto a = Make(*opened.store);
    Evaluate(7);
    ASSERT_TRUE(a->Run(RunType::kScaler));
    EXPECT_EQ(cluster_.replicas(), 7);
  }  // the process "restarts": store closed, autoscaler gone
  clock_.Advance(60s);
  auto reopened = store::OpenStore(options_);
  ASSERT_FALSE(reopened.fallback_reason);
  auto b = Make(*reopened.store);
  Evaluate(2);
  ASSERT_TRUE(b->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 7);  // 7 is still in the 300 s window
  clock_.Advance(241s);               // 301 s after the 7
  ASSERT_TRUE(b->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 2);
}

TEST_F(EngineAutoscalerStore, DryRunsDoNotFeedTheWindow) {
  auto opened = store::OpenStore(options_);
  auto a = Make(*opened.store);
  Evaluate(9);
  ASSERT_TRUE(a->Run(RunType::kApiDryRun));
  EXPECT_EQ(cluster_.scales(), 0);
  Evaluate(3);
  clock_.Advance(15s);
  ASSERT_TRUE(a->Run(RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 3);
  auto decisions = opened.store->Decisions("default/web", {});
  ASSERT_EQ(decisions->size(), 2u);
  EXPECT_EQ((*decisions)[0].decision.run_type, "api_dry_run");
}

}  // namespace
}  // namespace cpa::engine
