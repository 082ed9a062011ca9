// The phpa evaluator through the real engine (Autoscaler, KubeCluster, Kubernetes metrics
// gatherer) against kube/fake over HTTP, with a manual clock over several simulated days and a
// seasonal external metric the test drives.
#include "autoscalers/phpa/phpa_evaluator.h"

#include <cmath>
#include <fstream>
#include <thread>

#include <httplib.h>

#include <gtest/gtest.h>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "common/log.h"
#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/kube_cluster.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "store/sqlite_store.h"

namespace cpa::phpa {
namespace {

constexpr int kRunsPerDay = 96;  // a "day" of 96 runs (15 min each)
constexpr int64_t kIntervalMs = 900'000;
const TimePoint kStart = FromUnixMillis(1'699'920'000'000);

void RegisterOnce() {
  static const bool done = [] {
    (void)hpa::RegisterHpaMethodType();
    (void)RegisterPhpaMethodType();
    return true;
  }();
  (void)done;
}

// Demand in units; the HPA wants one replica per 10 units.
double Demand(int run) {
  return 60.0 - 45.0 * std::cos(2.0 * M_PI * (run % kRunsPerDay) / kRunsPerDay);
}

std::string Config(const std::string& extra_model = "") {
  return fmt::format(R"(
scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
namespace: default
interval: {}
minReplicas: 1
maxReplicas: 50
evaluate:
  type: phpa
  phpa:
    metrics:
      - type: External
        external:
          metric: {{name: demand}}
          target: {{type: AverageValue, averageValue: "10"}}
    behavior:
      scaleDown: {{stabilizationWindowSeconds: 0}}
    decisionType: maximum
    models:
      - type: HoltWinters
        name: daily
        holtWinters:
          alpha: 0.5
          beta: 0.01
          gamma: 0.5
          seasonalPeriods: {}
          storedSeasons: 3
          lookAhead: 2
          initializationMethod: heuristic
{}
)",
                     kIntervalMs, kRunsPerDay, extra_model);
}

class PhpaEvaluatorTest : public ::testing::Test {
 protected:
  PhpaEvaluatorTest() : clock_(kStart) {}

  void SetUp() override {
    RegisterOnce();
    kube::fake::FakeApiServerOptions options;
    options.clock = &clock_;
    server_ = std::make_unique<kube::fake::FakeApiServer>(options);
    ASSERT_TRUE(server_->Start());
    kube::ConnectionConfig connection;
    connection.server = server_->url();
    connection.request_timeout = std::chrono::milliseconds(10000);
    auto client = kube::Client::Create(connection);
    ASSERT_TRUE(client) << client.error().ToString();
    client_ = std::move(*client);
    cluster_ = std::make_unique<engine::KubeCluster>(*client_);
    auto created = server_->CreateObject(std::string_view(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "web", "namespace": "default"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
               "template": {"metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "app", "image": "web:1"}]}}}})"));
    ASSERT_TRUE(created) << created.error().ToString();
    auto store = store::OpenSqliteStore({});
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }

  std::unique_ptr<engine::Autoscaler> NewAutoscaler(const std::string& text) {
    config::LoadOptions load;
    load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
    auto loaded = config::LoadConfigFromText(text, "phpa.yaml", load);
    if (!loaded) {
      for (const auto& e : loaded.error().errors) ADD_FAILURE() << e.ToString();
      return nullptr;
    }
    engine::AutoscalerOptions options;
    options.store = store_.get();
    options.kube_api = client_.get();
    auto a = engine::Autoscaler::Create(loaded->config, *cluster_, clock_, std::move(options));
    if (!a) {
      ADD_FAILURE() << a.error().ToString();
      return nullptr;
    }
    return std::move(*a);
  }

  struct Step {
    int hpa = 0;       // the HPA's own proposal
    int decision = 0;  // the phpa's combined decision
    int replicas = 0;  // after normalization
    std::string abstained;
    std::string note;
    std::optional<int> model;
    int history_points = 0;
  };

  // One run at `run` (clock at kStart + run * interval) with the demand of that run.
  Step RunAt(engine::Autoscaler& autoscaler, int run) {
    clock_.Set(kStart + std::chrono::milliseconds(kIntervalMs * run));
    server_->SetExternalMetric("default", "demand", {}, fmt::format("{}", Demand(run)));
    auto result = autoscaler.Run(engine::RunType::kScaler);
    Step step;
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().ToString());
    if (!result || !result->audit) return step;
    const JsonValue& audit = *result->audit;
    EXPECT_TRUE(audit.HasMember("phpa")) << ToJson(audit);
    if (!audit.HasMember("phpa")) return step;
    const JsonValue& p = audit["phpa"];
    step.hpa = p["hpaReplicas"].GetInt();
    step.decision = p["decision"].GetInt();
    step.replicas = result->decision->target_replicas;
    const JsonValue& m = p["models"][0];
    step.abstained = m["abstained"].GetString();
    step.note = m["note"].GetString();
    if (m["replicas"].IsInt()) step.model = m["replicas"].GetInt();
    step.history_points = m["historyPoints"].GetInt();
    return step;
  }

  ManualClock clock_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<engine::KubeCluster> cluster_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(PhpaEvaluatorTest, PredictionsLeadTheHpaAndWarmUpNeverDragsTheDecisionDown) {
  auto autoscaler = NewAutoscaler(Config());
  ASSERT_TRUE(autoscaler);
  const int days = 5;
  int rising = 0;
  int led = 0;
  int warming = 0;
  for (int run = 0; run < days * kRunsPerDay; ++run) {
    Step s = RunAt(*autoscaler, run);
    ASSERT_GE(s.decision, s.hpa) << "run " << run;  // maximum never goes below the HPA
    if (!s.model) {
      ++warming;
      EXPECT_NE(s.abstained.find("warming up"), std::string::npos) << s.abstained;
      EXPECT_EQ(s.decision, s.hpa) << "run " << run;  // an abstaining model does not vote
      continue;
    }
    const int phase = run % kRunsPerDay;
    if (run >= 3 * kRunsPerDay && phase >= 8 && phase < kRunsPerDay / 2 - 8) {
      ++rising;  // demand rising steeply
      if (s.decision > s.hpa) ++led;
    }
  }
  // Heuristic start with a season of 96: 192 points (two days) before the first prediction.
  EXPECT_EQ(warming, 2 * kRunsPerDay - 1);
  ASSERT_GT(rising, 0);
  EXPECT_GT(led, rising * 3 / 4) << led << " of " << rising;
}

TEST_F(PhpaEvaluatorTest, RestartKeepsTheHistory) {
  auto autoscaler = NewAutoscaler(Config());
  ASSERT_TRUE(autoscaler);
  const int before = 3 * kRunsPerDay;
  Step last;
  for (int run = 0; run < before; ++run) last = RunAt(*autoscaler, run);
  ASSERT_TRUE(last.model) << last.abstained;
  autoscaler.reset();  // the process ends; the store (its file) stays
  auto restarted = NewAutoscaler(Config());
  ASSERT_TRUE(restarted);
  Step first = RunAt(*restarted, before);
  EXPECT_TRUE(first.model) << "the model warmed up again: " << first.abstained;
  EXPECT_EQ(first.history_points, last.history_points + 1);
}

// Each model's forecast is stored with the run's evaluation (the predictions series of `cpa
// history show --kind predictions`); a warming-up model stores none.
TEST_F(PhpaEvaluatorTest, PredictionsAreStoredWithTheEvaluation) {
  auto autoscaler = NewAutoscaler(Config());
  ASSERT_TRUE(autoscaler);
  const int runs = 2 * kRunsPerDay + 3;
  for (int run = 0; run < runs; ++run) RunAt(*autoscaler, run);
  auto rows = store_->Evaluations("default/web", {});
  ASSERT_TRUE(rows) << rows.error().ToString();
  ASSERT_EQ(rows->size(), static_cast<size_t>(runs));
  EXPECT_TRUE(rows->front().evaluation.predictions.empty());  // warming up
  const auto& last = rows->back().evaluation;
  ASSERT_EQ(last.predictions.count("daily"), 1u);
  // The stored value is the forecast the audit reports, and it rounds up to the model's vote.
  clock_.Set(kStart + std::chrono::milliseconds(kIntervalMs * runs));
  server_->SetExternalMetric("default", "demand", {}, fmt::format("{}", Demand(runs)));
  auto result = autoscaler->Run(engine::RunType::kScaler);
  ASSERT_TRUE(result) << result.error().ToString();
  const JsonValue& model = (*result->audit)["phpa"]["models"][0];
  auto stored = store_->Evaluations("default/web", {.window = store::Window::All(), .last = 1});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_DOUBLE_EQ(stored->front().evaluation.predictions.at("daily"),
                   model["prediction"].GetDouble());
  EXPECT_EQ(model["replicas"].GetInt(),
            static_cast<int>(std::ceil(model["prediction"].GetDouble())));
}

// A tuning hook that answers garbage: an error in the audit, and the configured values are used.
TEST_F(PhpaEvaluatorTest, BadTuningHookReplyFallsBackToConfiguredValues) {
  httplib::Server hook;
  std::atomic<int> calls = 0;
  std::string body_seen;
  std::mutex mu;
  hook.Post("/tune", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    {
      std::lock_guard lock(mu);
      body_seen = req.body;
    }
    res.set_content("not json at all", "text/plain");
  });
  hook.set_keep_alive_max_count(1);  // close after each reply: stop() need not wait
  const int port = hook.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { hook.listen_after_bind(); });
  const std::string tuned = fmt::format(R"(      - type: HoltWinters
        name: tuned
        holtWinters:
          alpha: 0.5
          beta: 0.01
          gamma: 0.5
          seasonalPeriods: {}
          storedSeasons: 3
          initializationMethod: heuristic
          runtimeTuningFetchHook:
            type: http
            timeout: 5000
            http:
              method: POST
              url: http://127.0.0.1:{}/tune
              successCodes: [200]
              parameterMode: body)",
                                        kRunsPerDay, port);
  auto autoscaler = NewAutoscaler(Config(tuned));
  ASSERT_TRUE(autoscaler);
  std::optional<JsonDocument> model;
  for (int run = 0; run < 2 * kRunsPerDay + 2; ++run) {
    clock_.Set(kStart + std::chrono::milliseconds(kIntervalMs * run));
    server_->SetExternalMetric("default", "demand", {}, fmt::format("{}", Demand(run)));
    auto result = autoscaler->Run(engine::RunType::kScaler);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    const JsonValue& m = (*result->audit)["phpa"]["models"][1];
    model.emplace();
    model->CopyFrom(m, model->GetAllocator());
  }
  hook.stop();
  serving.join();
  ASSERT_TRUE(model);
  EXPECT_GT(calls.load(), 0);
  EXPECT_TRUE((*model)["replicas"].IsInt()) << ToJson(*model);
  EXPECT_NE(std::string((*model)["note"].GetString()).find("runtimeTuningFetchHook failed"),
            std::string::npos)
      << ToJson(*model);
  EXPECT_NE(std::string((*model)["note"].GetString()).find("not json at all"), std::string::npos);
  EXPECT_EQ((*model)["alpha"].GetDouble(), 0.5);
  std::lock_guard lock(mu);
  EXPECT_NE(body_seen.find("\"replicaHistory\""), std::string::npos);
  EXPECT_NE(body_seen.find("\"name\":\"tuned\""), std::string::npos);
}

// learn: load — the models learn the demand in replicas (usage / per-pod target), unrounded.
TEST_F(PhpaEvaluatorTest, LearnLoadLearnsTheDemandInReplicas) {
  std::string text = Config();
  text.replace(text.find("decisionType: maximum"), 21, "decisionType: maximum\n    learn: load");
  auto autoscaler = NewAutoscaler(text);
  ASSERT_TRUE(autoscaler);
  for (int run = 0; run < 5; ++run) {
    clock_.Set(kStart + std::chrono::milliseconds(kIntervalMs * run));
    server_->SetExternalMetric("default", "demand", {}, fmt::format("{}", Demand(run)));
    auto result = autoscaler->Run(engine::RunType::kScaler);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    const JsonValue& p = (*result->audit)["phpa"];
    ASSERT_TRUE(p["learned"].IsNumber()) << ToJson(*result->audit);
    EXPECT_NEAR(p["learned"].GetDouble(), Demand(run) / 10.0, 1e-3) << "run " << run;
  }
  auto stored = store_->Values(Predictor::HistorySeries("default/web", LearnSource::kLoad), {});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), 5u);
}

// An original PHPA model block, unchanged under evaluate.phpa, loads without errors or warnings.
TEST_F(PhpaEvaluatorTest, OriginalModelBlockLoadsThroughTheConfigLoader) {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : ".") +
                   "/tests/data/phpa/original_models.yaml");
  ASSERT_TRUE(in);
  std::string text =
      "scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
      "evaluate:\n  type: phpa\n  phpa:\n";
  std::string line;
  while (std::getline(in, line)) text += "    " + line + "\n";
  config::LoadOptions load;
  load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto loaded = config::LoadConfigFromText(text, "original.yaml", load);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().errors.front().ToString();
  for (const auto& w : loaded->warnings) {
    EXPECT_EQ(w.path.rfind("evaluate.phpa", 0), std::string::npos) << w.ToString();
  }
  EXPECT_EQ(loaded->config.evaluate.type, "phpa");
}

TEST_F(PhpaEvaluatorTest, ConfigErrorsNameTheirKeys) {
  RegisterOnce();
  config::LoadOptions load;
  load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto loaded = config::LoadConfigFromText(R"(
scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
evaluate:
  type: phpa
  phpa:
    tolerance: -1
    models:
      - type: HoltWinters
        name: hw
        holtWinters: {alpha: 2, beta: 0.1, gamma: 0.1, seasonalPeriods: 6}
)",
                                           "bad.yaml", load);
  ASSERT_FALSE(loaded.has_value());
  bool alpha = false;
  bool tolerance = false;
  for (const auto& e : loaded.error().errors) {
    alpha = alpha || e.path == "evaluate.phpa.models[0].holtWinters.alpha";
    tolerance = tolerance || e.path == "evaluate.phpa.tolerance";
  }
  EXPECT_TRUE(alpha);
  EXPECT_TRUE(tolerance);
}

}  // namespace
}  // namespace cpa::phpa
