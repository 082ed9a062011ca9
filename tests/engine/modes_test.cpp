// Observe mode, the fallback policy and the Kubernetes Events of runs (engine/stages/events.h),
// with in-process methods against an in-memory cluster and store.
#include <gtest/gtest.h>

#include <mutex>

#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/fallback.h"
#include "engine/stages/events.h"
#include "store/open_store.h"
#include "tests/engine/memory_cluster.h"

namespace cpa::engine {
namespace {

// A method whose next answer the test sets (an error when `fail` is set).
class ScriptedMethod final : public Method {
 public:
  struct State {
    std::mutex mu;
    std::string output;
    bool fail = false;
  };
  explicit ScriptedMethod(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Result<std::string> Call(std::string_view, std::stop_token) override {
    std::lock_guard lock(state_->mu);
    if (state_->fail) return MakeError(ErrorCode::kUnavailable, "metrics backend down");
    return state_->output;
  }

 private:
  std::shared_ptr<State> state_;
};

class CollectingSink final : public EventSink {
 public:
  void Emit(const config::ScaleTargetRef& target, const std::string& ns,
            const TargetEvent& event) override {
    std::lock_guard lock(mu_);
    events.push_back(event);
    where.push_back(ns + "/" + target.name);
  }
  std::mutex mu_;
  std::vector<TargetEvent> events;
  std::vector<std::string> where;
};

class EngineModes : public testing::Test {
 protected:
  void SetUp() override {
    config_.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
    config_.run_mode = config::RunMode::kPerResource;
    config_.max_replicas = 20;
    metric_->output = "0.5";
    evaluate_->output = R"({"targetReplicas": 6})";
  }
  std::unique_ptr<Autoscaler> Make(bool observe_flag = false) {
    AutoscalerOptions o;
    o.store = store_.store.get();
    o.metric = std::make_unique<ScriptedMethod>(metric_);
    o.evaluate = std::make_unique<ScriptedMethod>(evaluate_);
    o.events = &sink_;
    o.observe = observe_flag;
    auto a = Autoscaler::Create(config_, cluster_, clock_, std::move(o));
    EXPECT_TRUE(a) << (a ? "" : a.error().message);
    return std::move(*a);
  }
  void FailMetrics(bool fail) {
    std::lock_guard lock(metric_->mu);
    metric_->fail = fail;
  }
  // One run, 15 s after the previous one (the store keys decisions by time).
  std::expected<RunResult, StageError> Run(Autoscaler& a, RunType type) {
    clock_.Advance(std::chrono::seconds(15));
    return a.Run(type);
  }
  std::vector<store::DecisionRow> Decisions() {
    auto d = store_.store->Decisions("default/web", {});
    EXPECT_TRUE(d);
    return d ? *d : std::vector<store::DecisionRow>{};
  }

  config::Config config_;
  MemoryCluster cluster_{2};
  ManualClock clock_{FromUnixMillis(1'800'000'000'000)};
  store::OpenedStore store_ = store::OpenStore({});
  std::shared_ptr<ScriptedMethod::State> metric_ = std::make_shared<ScriptedMethod::State>();
  std::shared_ptr<ScriptedMethod::State> evaluate_ = std::make_shared<ScriptedMethod::State>();
  CollectingSink sink_;
};

TEST_F(EngineModes, ObserveModeDecidesAndRecordsButNeverScales) {
  config_.mode = config::Mode::kObserve;
  auto a = Make();
  EXPECT_TRUE(a->observe());
  auto r = Run(*a, RunType::kScaler);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->decision->target_replicas, 6);
  EXPECT_TRUE(r->decision->observed);
  EXPECT_FALSE(r->decision->applied);
  EXPECT_EQ(cluster_.scales(), 0);
  EXPECT_EQ(cluster_.replicas(), 2);
  auto api = Run(*a, RunType::kApi);  // the API's evaluation does not scale either
  ASSERT_TRUE(api);
  EXPECT_EQ(cluster_.scales(), 0);
  auto rows = Decisions();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].decision.run_type, "observe");
  EXPECT_EQ(rows[1].decision.run_type, "api_observe");
  EXPECT_EQ(rows[0].decision.stabilized_target, 6);
  EXPECT_EQ(rows[0].decision.current_replicas, 2);
  EXPECT_FALSE(rows[0].decision.applied);
  EXPECT_TRUE(sink_.events.empty());  // nothing happened to the target
}

TEST_F(EngineModes, ObserveFlagOverridesALiveConfig) {
  auto a = Make(/*observe_flag=*/true);
  ASSERT_TRUE(Run(*a, RunType::kScaler));
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(EngineModes, FallbackScalesAfterTheThresholdAndResumesOnSuccess) {
  config_.fallback = config::FallbackConfig{3, 5, false};
  auto a = Make();
  FailMetrics(true);
  for (int i = 1; i <= 2; ++i) {
    auto r = Run(*a, RunType::kScaler);
    ASSERT_FALSE(r);
    EXPECT_FALSE(r.error().fallback_replicas) << "run " << i;
    EXPECT_EQ(cluster_.replicas(), 2);
  }
  auto third = Run(*a, RunType::kScaler);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().stage, "metric");
  EXPECT_EQ(third.error().fallback_replicas, 5);
  EXPECT_EQ(cluster_.replicas(), 5);
  // Further failures: already at the fallback size, nothing more to do.
  auto fourth = Run(*a, RunType::kScaler);
  ASSERT_FALSE(fourth);
  EXPECT_FALSE(fourth.error().fallback_replicas);
  EXPECT_EQ(cluster_.scales(), 1);
  // The first good run resumes normal control, and resets the count.
  FailMetrics(false);
  ASSERT_TRUE(Run(*a, RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 6);
  FailMetrics(true);
  cluster_.set_replicas(1);
  ASSERT_FALSE(Run(*a, RunType::kScaler));
  ASSERT_FALSE(Run(*a, RunType::kScaler));
  EXPECT_EQ(cluster_.replicas(), 1);  // two failures: under the threshold again
  // The fallback scale is recorded with the run's error, as applied.
  auto rows = Decisions();
  ASSERT_GE(rows.size(), 3u);
  EXPECT_TRUE(rows[2].decision.applied);
  EXPECT_EQ(rows[2].decision.stabilized_target, 5);
  EXPECT_NE(rows[2].decision.error.find("metric"), std::string::npos);
}

TEST_F(EngineModes, FallbackNeverScalesDownUnlessAllowed) {
  config_.fallback = config::FallbackConfig{1, 3, false};
  cluster_.set_replicas(8);
  auto a = Make();
  FailMetrics(true);
  auto r = Run(*a, RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().fallback_replicas);
  EXPECT_EQ(cluster_.replicas(), 8);

  config_.fallback->allow_scale_down = true;
  auto b = Make();
  r = Run(*b, RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().fallback_replicas, 3);
  EXPECT_EQ(cluster_.replicas(), 3);
}

TEST_F(EngineModes, FallbackIsOffByDefaultAndCountsOnlyScheduledRuns) {
  auto a = Make();
  FailMetrics(true);
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(Run(*a, RunType::kScaler));
  EXPECT_EQ(cluster_.scales(), 0);

  config_.fallback = config::FallbackConfig{1, 4, false};
  auto b = Make();
  ASSERT_FALSE(Run(*b, RunType::kApi));
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(EngineModes, FallbackInObserveModeOnlyRecordsWhatItWouldDo) {
  config_.fallback = config::FallbackConfig{1, 4, false};
  config_.mode = config::Mode::kObserve;
  auto a = Make();
  FailMetrics(true);
  auto r = Run(*a, RunType::kScaler);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().fallback_replicas);
  EXPECT_EQ(cluster_.scales(), 0);
  auto rows = Decisions();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].decision.run_type, "observe");
  EXPECT_EQ(rows[0].decision.stabilized_target, 4);
}

TEST_F(EngineModes, EventsForAppliedScalesAndFailedRuns) {
  auto a = Make();
  ASSERT_TRUE(Run(*a, RunType::kScaler));
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].type, "Normal");
  EXPECT_EQ(sink_.events[0].reason, "SuccessfulRescale");
  EXPECT_EQ(sink_.events[0].message, "New size: 6; reason: evaluation returned 6");
  EXPECT_EQ(sink_.where[0], "default/web");
  ASSERT_TRUE(Run(*a, RunType::kScaler));  // no change: no event
  ASSERT_TRUE(Run(*a, RunType::kApiDryRun));
  EXPECT_EQ(sink_.events.size(), 1u);
  FailMetrics(true);
  ASSERT_FALSE(Run(*a, RunType::kScaler));
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[1].type, "Warning");
  EXPECT_EQ(sink_.events[1].reason, "FailedGetMetrics");
  EXPECT_EQ(sink_.events[1].message, "the metric stage failed: resource web: metrics backend down");
  cluster_.set_fail_get(true);
  ASSERT_FALSE(Run(*a, RunType::kScaler));
  EXPECT_EQ(sink_.events.back().reason, "FailedGetScale");
}

TEST(EngineEvents, ReasonsNameTheStageAndClampsAreExplained) {
  EXPECT_EQ(FailureReason("target"), "FailedGetScale");
  EXPECT_EQ(FailureReason("preMetric"), "FailedGetMetrics");
  EXPECT_EQ(FailureReason("evaluate"), "FailedComputeMetricsReplicas");
  EXPECT_EQ(FailureReason("postEvaluate"), "FailedComputeMetricsReplicas");
  EXPECT_EQ(FailureReason("stabilize"), "FailedComputeMetricsReplicas");
  EXPECT_EQ(FailureReason("scale"), "FailedRescale");
  EXPECT_EQ(FailureReason("postScale"), "FailedRescale");
  RunResult r;
  r.decision = ScaleDecision{2, 50, 10, false, true, false};
  auto events = EventsForRun(r, nullptr);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message,
            "New size: 10; reason: evaluation returned 50, lowered by "
            "minReplicas/maxReplicas/stabilization");
  r.decision->applied = false;
  StageError scale_error{"scale", Error{ErrorCode::kConflict, "the object has been modified"}};
  events = EventsForRun(r, &scale_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "FailedRescale");
  EXPECT_EQ(events[0].message,
            "New size: 10; reason: evaluation returned 50, lowered by "
            "minReplicas/maxReplicas/stabilization; error: scale: " +
                scale_error.error.ToString());
}

TEST(EngineModesConfig, ModeAndFallbackKeysAreParsedAndValidated) {
  auto load = [](const std::string& yaml) {
    config::LoadOptions o;
    o.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
    return config::LoadConfigFromText(yaml, "config.yaml", o);
  };
  const std::string base =
      "scaleTargetRef: {kind: Deployment, name: web}\n"
      "metric: {type: shell, shell: {entrypoint: /bin/true}}\n"
      "evaluate: {type: shell, shell: {entrypoint: /bin/true}}\n";
  auto ok = load(base + "mode: observe\nfallback: {failureThreshold: 3, replicas: 4}\n");
  ASSERT_TRUE(ok) << (ok ? "" : ok.error().errors[0].ToString());
  EXPECT_EQ(ok->config.mode, config::Mode::kObserve);
  ASSERT_TRUE(ok->config.fallback);
  EXPECT_EQ(ok->config.fallback->failure_threshold, 3);
  EXPECT_EQ(ok->config.fallback->replicas, 4);
  EXPECT_FALSE(ok->config.fallback->allow_scale_down);
  auto json = ToJson(config::ConfigToJson(ok->config));
  EXPECT_NE(json.find(R"("mode":"observe")"), std::string::npos) << json;

  auto defaults = load(base);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->config.mode, config::Mode::kLive);
  EXPECT_FALSE(defaults->config.fallback);

  auto first_error = [&](const std::string& extra) {
    auto r = load(base + extra);
    return r ? std::string("ok") : r.error().errors.at(0).ToString();
  };
  EXPECT_NE(first_error("mode: shadow\n").find("mode"), std::string::npos);
  EXPECT_NE(first_error("fallback: {failureThreshold: 0, replicas: 2}\n")
                .find("fallback.failureThreshold"),
            std::string::npos);
  EXPECT_NE(
      first_error("fallback: {failureThreshold: 2, replicas: 50}\n").find("fallback.replicas"),
      std::string::npos);
  EXPECT_NE(first_error("fallback: {replicas: 2}\n").find("failureThreshold"), std::string::npos);
}

}  // namespace
}  // namespace cpa::engine
