// The kubernetesMetrics gatherer against the in-memory API server (kube/fake) through a real
// kube::Client: each spec type, pod grouping (ready / unready / missing / pending / failed /
// deleted), the CPU initialization period, requireKubernetesMetrics, and the exact JSON.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "engine/config/config.h"
#include "engine/kubernetes_metrics/gatherer.h"
#include "engine/kubernetes_metrics/kubernetes_metric.h"
#include "engine/kubernetes_metrics/metrics_api.h"
#include "engine/kubernetes_metrics/pod_grouping.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"

namespace cpa::engine {
namespace {

using kube::fake::ContainerUsage;
using kube::fake::FakeApiServer;
using kube::fake::FakeApiServerOptions;
using namespace std::chrono_literals;

constexpr const char* kNs = "shop";
constexpr const char* kSelector = "app=web";
// 2026-11-28T12:00:00Z
const TimePoint kStart = FromUnixMillis(1'795'867'200'000);

config::MetricTarget Target(config::MetricTargetType type) {
  config::MetricTarget t;
  t.type = type;
  if (type == config::MetricTargetType::kUtilization) t.average_utilization = 50;
  if (type == config::MetricTargetType::kValue) t.value = Quantity::FromMilli(10'000);
  if (type == config::MetricTargetType::kAverageValue) t.average_value = Quantity::FromMilli(500);
  return t;
}

config::MetricSpec ResourceSpec(std::string name, config::MetricTargetType type) {
  config::MetricSpec spec;
  spec.type = config::MetricSourceType::kResource;
  spec.resource = config::ResourceMetricSource{std::move(name), Target(type)};
  return spec;
}

config::MetricSpec ContainerResourceSpec(std::string name, std::string container) {
  config::MetricSpec spec;
  spec.type = config::MetricSourceType::kContainerResource;
  spec.container_resource = config::ContainerResourceMetricSource{
      std::move(name), std::move(container), Target(config::MetricTargetType::kUtilization)};
  return spec;
}

config::MetricSpec PodsSpec(std::string metric) {
  config::MetricSpec spec;
  spec.type = config::MetricSourceType::kPods;
  spec.pods = config::PodsMetricSource{config::MetricIdentifier{std::move(metric), std::nullopt},
                                       Target(config::MetricTargetType::kAverageValue)};
  return spec;
}

config::MetricSpec ObjectSpec(std::string metric, config::MetricTargetType type) {
  config::MetricSpec spec;
  spec.type = config::MetricSourceType::kObject;
  spec.object = config::ObjectMetricSource{
      config::ObjectReference{"apps/v1", "Deployment", "web"},
      config::MetricIdentifier{std::move(metric), std::nullopt}, Target(type)};
  return spec;
}

config::MetricSpec ExternalSpec(std::string metric, config::MetricTargetType type,
                                std::map<std::string, std::string> match_labels = {}) {
  config::MetricSpec spec;
  spec.type = config::MetricSourceType::kExternal;
  config::MetricIdentifier id{std::move(metric), std::nullopt};
  if (!match_labels.empty()) {
    id.selector = config::LabelSelector{std::move(match_labels), {}};
  }
  spec.external = config::ExternalMetricSource{std::move(id), Target(type)};
  return spec;
}

class EngineKubernetesMetricsTest : public ::testing::Test {
 protected:
  EngineKubernetesMetricsTest() : clock_(kStart) {}

  void SetUp() override {
    FakeApiServerOptions options;
    options.clock = &clock_;
    server_ = std::make_unique<FakeApiServer>(options);
    ASSERT_TRUE(server_->Start());
    kube::ConnectionConfig connection;
    connection.server = server_->url();
    connection.request_timeout = std::chrono::milliseconds(10000);
    auto client = kube::Client::Create(connection);
    ASSERT_TRUE(client) << client.error().ToString();
    client_ = std::move(*client);
    config_.namespace_ = kNs;
  }

  // A running pod of the target with one container per (name, cpu request, memory request).
  void AddPod(const std::string& name, bool ready,
              std::vector<std::tuple<std::string, std::string, std::string>> containers = {
                  {"app", "500m", "256Mi"}}) {
    std::string list;
    for (const auto& [c, cpu, memory] : containers) {
      if (!list.empty()) list += ',';
      list += fmt::format(
          R"({{"name":"{}","image":"web:1","resources":{{"requests":{{"cpu":"{}","memory":"{}"}}}}}})",
          c, cpu, memory);
    }
    auto created = server_->CreateObject(std::string_view(fmt::format(
        R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{}","namespace":"{}","labels":{{"app":"web"}}}},"spec":{{"containers":[{}]}}}})",
        name, kNs, list)));
    ASSERT_TRUE(created) << created.error().ToString();
    ASSERT_TRUE(server_->SetPodStatus(kNs, name, "Running", ready));
  }

  void SetCpu(const std::string& pod, const std::string& cpu, const std::string& memory = "100Mi") {
    server_->SetPodMetrics(kNs, pod, {ContainerUsage{"app", cpu, memory}});
  }

  // The run's target as the target stage reads it: pods listed by the scale's selector.
  TargetState Target(int replicas = 3) {
    TargetState target;
    auto object = std::make_shared<JsonDocument>();
    object->Parse(R"({"kind":"Deployment","metadata":{"name":"web"}})");
    target.object = object;
    target.current_replicas = replicas;
    target.selector = kSelector;
    auto pods = client_->ListPods(kNs, kSelector);
    EXPECT_TRUE(pods) << pods.error().ToString();
    if (pods) {
      for (const auto& item : (*pods)["items"].GetArray()) {
        auto pod = std::make_shared<JsonDocument>();
        pod->CopyFrom(item, pod->GetAllocator());
        target.pods.push_back(pod);
      }
    }
    return target;
  }

  Result<JsonDocument> Gather(const TargetState& target) {
    return GatherKubernetesMetrics(*client_, config_, target, clock_.Now());
  }

  JsonDocument GatherOk(const TargetState& target) {
    auto doc = Gather(target);
    EXPECT_TRUE(doc) << doc.error().ToString();
    return doc ? std::move(*doc) : JsonDocument();
  }

  static std::set<std::string> Keys(const JsonValue& object) {
    std::set<std::string> keys;
    for (const auto& m : object.GetObject()) keys.insert(m.name.GetString());
    return keys;
  }

  ManualClock clock_;
  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  config::Config config_;
};

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsResourceUtilizationExactJson) {
  AddPod("web-a", true);
  AddPod("web-b", true);
  clock_.Advance(10min);  // past cpuInitializationPeriod (300 s)
  SetCpu("web-a", "250m");
  SetCpu("web-b", "1");
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};

  JsonDocument doc = GatherOk(Target(2));
  auto expected = ParseJson(R"([{
    "current_replicas": 2,
    "spec": {"type": "Resource",
             "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
    "resource": {
      "pod_metrics_info": {
        "web-a": {"Timestamp": "2026-11-28T12:10:00Z", "Window": 30000000000, "Value": 250,
                  "timestamp": "2026-11-28T12:10:00Z", "window": 30000000000, "value": 250},
        "web-b": {"Timestamp": "2026-11-28T12:10:00Z", "Window": 30000000000, "Value": 1000,
                  "timestamp": "2026-11-28T12:10:00Z", "window": 30000000000, "value": 1000}
      },
      "requests": {"web-a": 500, "web-b": 500},
      "ready_pod_count": 2,
      "ignored_pods": {},
      "missing_pods": {},
      "total_pods": 2,
      "timestamp": "2026-11-28T12:10:00Z"
    }
  }])");
  ASSERT_TRUE(expected);
  EXPECT_EQ(doc, *expected) << ToJson(doc, true);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsGroupsReadyUnreadyMissingPendingFailed) {
  AddPod("web-ready", true);
  AddPod("web-missing", true);  // no sample
  AddPod("web-pending", false);
  AddPod("web-failed", false);
  AddPod("web-never-ready", false);  // unready since it started
  AddPod("web-was-ready", true);     // ready first, unready much later
  clock_.Advance(10min);
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-pending", "Pending", false));
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-failed", "Failed", false));
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-was-ready", "Running", false));
  for (const char* pod :
       {"web-ready", "web-pending", "web-failed", "web-never-ready", "web-was-ready"}) {
    SetCpu(pod, "100m");
  }
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};

  TargetState target = Target(6);
  // A pod being deleted is skipped (the target stage leaves these out; the rule holds anyway).
  auto deleting = std::make_shared<JsonDocument>();
  deleting->Parse(
      R"({"metadata":{"name":"web-deleting","deletionTimestamp":"2026-11-28T12:09:00Z"},
          "spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"1"}}}]},
          "status":{"phase":"Running"}})");
  target.pods.push_back(deleting);

  JsonDocument doc = GatherOk(target);
  ASSERT_EQ(doc.Size(), 1u);
  const JsonValue& r = doc[0]["resource"];
  EXPECT_EQ(r["ready_pod_count"].GetInt64(), 2);  // web-ready, web-was-ready
  EXPECT_EQ(Keys(r["ignored_pods"]), (std::set<std::string>{"web-never-ready", "web-pending"}));
  EXPECT_EQ(Keys(r["missing_pods"]), (std::set<std::string>{"web-missing"}));
  EXPECT_EQ(r["total_pods"].GetInt64(), 7);
  // Ignored pods' samples are removed; the failed pod's sample stays, as in the original.
  EXPECT_EQ(Keys(r["pod_metrics_info"]),
            (std::set<std::string>{"web-failed", "web-ready", "web-was-ready"}));
  EXPECT_TRUE(r["ignored_pods"]["web-pending"].IsObject());
  EXPECT_EQ(r["ignored_pods"]["web-pending"].MemberCount(), 0u);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsCpuInitializationPeriod) {
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};
  AddPod("web-a", true);
  SetCpu("web-a", "300m");

  // Started and became ready just now: the sample was not taken a full window (30 s) after
  // the Ready transition, so inside the initialization period it is ignored.
  JsonDocument early = GatherOk(Target(1));
  EXPECT_EQ(early[0]["resource"]["ready_pod_count"].GetInt64(), 0);
  EXPECT_EQ(Keys(early[0]["resource"]["ignored_pods"]), (std::set<std::string>{"web-a"}));
  EXPECT_EQ(early[0]["resource"]["pod_metrics_info"].MemberCount(), 0u);

  // One window later it counts, though still inside the period.
  clock_.Advance(31s);
  JsonDocument later = GatherOk(Target(1));
  EXPECT_EQ(later[0]["resource"]["ready_pod_count"].GetInt64(), 1);
  EXPECT_EQ(later[0]["resource"]["pod_metrics_info"]["web-a"]["Value"].GetInt64(), 300);

  // Unready inside the period: ignored.
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-a", "Running", false));
  clock_.Advance(1min);
  JsonDocument unready = GatherOk(Target(1));
  EXPECT_EQ(Keys(unready[0]["resource"]["ignored_pods"]), (std::set<std::string>{"web-a"}));

  // The same pod with a 60 s period is past it; it was ready before (not within
  // initialReadinessDelay of its start), so its sample counts again.
  config_.cpu_initialization_period_s = 60;
  JsonDocument short_period = GatherOk(Target(1));
  EXPECT_EQ(short_period[0]["resource"]["ready_pod_count"].GetInt64(), 1);
  EXPECT_EQ(short_period[0]["resource"]["ignored_pods"].MemberCount(), 0u);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsInitialReadinessDelay) {
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};
  config_.cpu_initialization_period_s = 60;
  AddPod("web-a", true);
  clock_.Advance(20s);
  // Became unready 20 s after starting: within initialReadinessDelay (30 s), so it reads as
  // "never ready" and is ignored after the initialization period.
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-a", "Running", false));
  clock_.Advance(5min);
  SetCpu("web-a", "100m");
  EXPECT_EQ(Keys(GatherOk(Target(1))[0]["resource"]["ignored_pods"]),
            (std::set<std::string>{"web-a"}));
  // With a 10 s delay the same pod had been ready: its sample counts.
  config_.initial_readiness_delay_s = 10;
  EXPECT_EQ(GatherOk(Target(1))[0]["resource"]["ready_pod_count"].GetInt64(), 1);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsMemoryAverageValueHasNoReadinessRule) {
  AddPod("web-a", false);  // unready, just started: would be ignored for cpu
  AddPod("web-b", true);
  server_->SetPodMetrics(kNs, "web-a", {ContainerUsage{"app", "10m", "128Mi"}});
  server_->SetPodMetrics(kNs, "web-b", {ContainerUsage{"app", "10m", "1Gi"}});
  config_.kubernetes_metric_specs = {
      ResourceSpec("memory", config::MetricTargetType::kAverageValue)};

  JsonDocument doc = GatherOk(Target(2));
  const JsonValue& r = doc[0]["resource"];
  EXPECT_EQ(r["ready_pod_count"].GetInt64(), 2);
  EXPECT_EQ(r["ignored_pods"].MemberCount(), 0u);
  EXPECT_EQ(r["pod_metrics_info"]["web-a"]["Value"].GetInt64(), 128LL * 1024 * 1024 * 1000);
  EXPECT_EQ(r["pod_metrics_info"]["web-b"]["value"].GetInt64(), 1024LL * 1024 * 1024 * 1000);
  EXPECT_TRUE(r["requests"].IsNull());  // requests are read for Utilization targets only
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsContainerResourcePicksNamedContainer) {
  AddPod("web-a", true, {{"app", "400m", "64Mi"}, {"sidecar", "100m", "32Mi"}});
  clock_.Advance(10min);
  server_->SetPodMetrics(
      kNs, "web-a",
      {ContainerUsage{"app", "200m", "10Mi"}, ContainerUsage{"sidecar", "50m", "10Mi"}});
  config_.kubernetes_metric_specs = {ContainerResourceSpec("cpu", "app")};

  JsonDocument doc = GatherOk(Target(1));
  ASSERT_EQ(doc.Size(), 1u);
  EXPECT_EQ(doc[0]["spec"]["type"], "ContainerResource");
  EXPECT_EQ(doc[0]["spec"]["containerResource"]["container"], "app");
  const JsonValue& r = doc[0]["resource"];
  EXPECT_EQ(r["pod_metrics_info"]["web-a"]["Value"].GetInt64(), 200);  // not 250 (whole pod)
  EXPECT_EQ(r["requests"]["web-a"].GetInt64(), 400);                   // not 500

  // The whole-pod Resource spec sums both containers.
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};
  JsonDocument whole = GatherOk(Target(1));
  EXPECT_EQ(whole[0]["resource"]["pod_metrics_info"]["web-a"]["Value"].GetInt64(), 250);
  EXPECT_EQ(whole[0]["resource"]["requests"]["web-a"].GetInt64(), 500);

  // A container missing from the pod's metrics fails the spec, as in the HPA.
  config_.kubernetes_metric_specs = {ContainerResourceSpec("cpu", "cache")};
  config_.require_kubernetes_metrics = true;
  auto missing = Gather(Target(1));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("container cache not present in metrics for pod web-a"),
            std::string::npos)
      << missing.error().message;
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsPodsMetricExactJson) {
  AddPod("web-a", true);
  AddPod("web-b", true);
  AddPod("web-c", true);  // no value: missing
  AddPod("web-d", false);
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-d", "Pending", false));
  server_->SetPodCustomMetric(kNs, "web-a", "requests_per_second", "1500m");
  server_->SetPodCustomMetric(kNs, "web-b", "requests_per_second", "3");
  config_.kubernetes_metric_specs = {PodsSpec("requests_per_second")};

  JsonDocument doc = GatherOk(Target(4));
  auto expected = ParseJson(R"([{
    "current_replicas": 4,
    "spec": {"type": "Pods",
             "pods": {"metric": {"name": "requests_per_second"},
                      "target": {"type": "AverageValue", "averageValue": "500m"}}},
    "pods": {
      "pod_metrics_info": {
        "web-a": {"Timestamp": "2026-11-28T12:00:00Z", "Window": 60000000000, "Value": 1500,
                  "timestamp": "2026-11-28T12:00:00Z", "window": 60000000000, "value": 1500},
        "web-b": {"Timestamp": "2026-11-28T12:00:00Z", "Window": 60000000000, "Value": 3000,
                  "timestamp": "2026-11-28T12:00:00Z", "window": 60000000000, "value": 3000}
      },
      "ready_pod_count": 2,
      "ignored_pods": {"web-d": {}},
      "missing_pods": {"web-c": {}},
      "total_pods": 4,
      "timestamp": "2026-11-28T12:00:00Z"
    }
  }])");
  ASSERT_TRUE(expected);
  EXPECT_EQ(doc, *expected) << ToJson(doc, true);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsObjectValueAndAverageValue) {
  AddPod("web-a", true);
  AddPod("web-b", false);
  server_->SetObjectMetric(kNs, "deployments.apps", "web", "queue_depth", "42");
  config_.kubernetes_metric_specs = {
      ObjectSpec("queue_depth", config::MetricTargetType::kValue),
      ObjectSpec("queue_depth", config::MetricTargetType::kAverageValue)};

  JsonDocument doc = GatherOk(Target(2));
  auto expected = ParseJson(R"([
    {"current_replicas": 2,
     "spec": {"type": "Object",
              "object": {"describedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                         "metric": {"name": "queue_depth"},
                         "target": {"type": "Value", "value": "10"}}},
     "object": {"current": {"value": 42000}, "ready_pod_count": 1,
                "timestamp": "2026-11-28T12:00:00Z"}},
    {"current_replicas": 2,
     "spec": {"type": "Object",
              "object": {"describedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                         "metric": {"name": "queue_depth"},
                         "target": {"type": "AverageValue", "averageValue": "500m"}}},
     "object": {"current": {"average_value": 42000}, "timestamp": "2026-11-28T12:00:00Z"}}
  ])");
  ASSERT_TRUE(expected);
  EXPECT_EQ(doc, *expected) << ToJson(doc, true);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsExternalSumsSeriesMatchingSelector) {
  AddPod("web-a", true);
  server_->SetExternalMetric(kNs, "queue_messages", {{"queue", "orders"}, {"zone", "a"}}, "30");
  server_->SetExternalMetric(kNs, "queue_messages", {{"queue", "orders"}, {"zone", "b"}}, "12500m");
  server_->SetExternalMetric(kNs, "queue_messages", {{"queue", "audit"}}, "1000");
  config_.kubernetes_metric_specs = {
      ExternalSpec("queue_messages", config::MetricTargetType::kValue, {{"queue", "orders"}}),
      ExternalSpec("queue_messages", config::MetricTargetType::kAverageValue,
                   {{"queue", "orders"}})};

  JsonDocument doc = GatherOk(Target(1));
  ASSERT_EQ(doc.Size(), 2u);
  EXPECT_EQ(doc[0]["spec"]["external"]["metric"]["selector"]["matchLabels"]["queue"], "orders");
  EXPECT_EQ(Keys(doc[0]["external"]),
            (std::set<std::string>{"current", "ready_pod_count", "timestamp"}));
  EXPECT_EQ(doc[0]["external"]["current"]["value"].GetInt64(), 42500);
  EXPECT_EQ(doc[0]["external"]["ready_pod_count"].GetInt64(), 1);
  EXPECT_EQ(doc[0]["external"]["timestamp"], "2026-11-28T12:00:00Z");
  EXPECT_EQ(Keys(doc[1]["external"]), (std::set<std::string>{"current", "timestamp"}));
  EXPECT_EQ(Keys(doc[1]["external"]["current"]), (std::set<std::string>{"average_value"}));
  EXPECT_EQ(doc[1]["external"]["current"]["average_value"].GetInt64(), 42500);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsRequiredFailureNamesSpecAndCause) {
  AddPod("web-a", true);
  clock_.Advance(10min);
  SetCpu("web-a", "100m");
  server_->SetExternalMetric(kNs, "queue_messages", {}, "7");
  config_.kubernetes_metric_specs = {
      ExternalSpec("queue_messages", config::MetricTargetType::kValue),
      ResourceSpec("cpu", config::MetricTargetType::kUtilization)};
  config_.require_kubernetes_metrics = true;
  server_->InjectResponse("GET", "/apis/metrics.k8s.io/", 503,
                          R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
                          R"("message":"metrics server unavailable","code":503})",
                          -1);

  auto result = Gather(Target(1));
  ASSERT_FALSE(result);
  const std::string& message = result.error().message;
  EXPECT_EQ(message.rfind("kubernetesMetricSpecs[1] (Resource cpu): ", 0), 0u) << message;
  EXPECT_NE(message.find("unable to fetch metrics from resource metrics API"), std::string::npos)
      << message;
  EXPECT_NE(message.find("metrics server unavailable"), std::string::npos) << message;
  EXPECT_TRUE(result.error().Retryable()) << result.error().ToString();
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsNotRequiredFailureIsLoggedAndLeftOut) {
  AddPod("web-a", true);
  server_->SetExternalMetric(kNs, "queue_messages", {}, "7");
  config_.kubernetes_metric_specs = {
      ResourceSpec("cpu", config::MetricTargetType::kUtilization),
      ExternalSpec("queue_messages", config::MetricTargetType::kValue), PodsSpec("not_served")};
  config_.require_kubernetes_metrics = false;
  server_->InjectResponse("GET", "/apis/metrics.k8s.io/", 500, R"({"message":"boom"})", -1);

  log::LogCapture capture;
  JsonDocument doc = GatherOk(Target(1));
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 1u);
  EXPECT_EQ(doc[0]["spec"]["type"], "External");
  EXPECT_EQ(doc[0]["external"]["current"]["value"].GetInt64(), 7000);
  EXPECT_TRUE(capture.Contains("kubernetesMetricSpecs[0] (Resource cpu)"))
      << fmt::format("{}", fmt::join(capture.Lines(), "\n"));
  EXPECT_TRUE(capture.Contains("kubernetesMetricSpecs[2] (Pods not_served)"));

  // Every spec failing still yields an (empty) array when not required.
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};
  JsonDocument empty = GatherOk(Target(1));
  ASSERT_TRUE(empty.IsArray());
  EXPECT_EQ(empty.Size(), 0u);
}

TEST_F(EngineKubernetesMetricsTest, EngineKubernetesMetricsResourceErrors) {
  config_.require_kubernetes_metrics = true;
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kUtilization)};

  // No samples at all.
  AddPod("web-a", true);
  auto none = Gather(Target(1));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no metrics returned from resource metrics API"),
            std::string::npos)
      << none.error().message;

  // A target without a selector cannot have its pods' metrics queried.
  SetCpu("web-a", "100m");
  TargetState no_selector = Target(1);
  no_selector.selector.clear();
  auto unselected = Gather(no_selector);
  ASSERT_FALSE(unselected);
  EXPECT_NE(unselected.error().message.find("no pod selector"), std::string::npos);

  // A pod without a cpu request cannot give a utilization.
  ASSERT_TRUE(server_->CreateObject(std::string_view(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-b","namespace":"shop","labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"web:1"}]}})")));
  ASSERT_TRUE(server_->SetPodStatus(kNs, "web-b", "Running", true));
  SetCpu("web-b", "100m");
  auto no_request = Gather(Target(2));
  ASSERT_FALSE(no_request);
  EXPECT_NE(
      no_request.error().message.find("missing request for cpu in container app of pod web-b"),
      std::string::npos)
      << no_request.error().message;
  // ... but an AverageValue target does not need requests.
  config_.kubernetes_metric_specs = {ResourceSpec("cpu", config::MetricTargetType::kAverageValue)};
  EXPECT_TRUE(Gather(Target(2)));
}

TEST(EngineKubernetesMetricsParseTest, EngineKubernetesMetricsGoDurations) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("30s").value(), nanoseconds(30'000'000'000));
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("1m30s").value(), nanoseconds(90'000'000'000));
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("10.5s").value(), nanoseconds(10'500'000'000));
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("250ms").value(), nanoseconds(250'000'000));
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("1h").value(), nanoseconds(3'600'000'000'000));
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("0").value(), nanoseconds(0));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration(""));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration("30"));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration("30x"));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration(".s"));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration("1.2.3s"));
  // Found by fuzz_kube_json: a huge duration overflowed the int64 conversion (UB when negated).
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration("-99999999999999999999h"));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration("9999999999999999999999999999s"));
  EXPECT_FALSE(kubernetes_metrics::ParseGoDuration("2562048h"));
  EXPECT_EQ(kubernetes_metrics::ParseGoDuration("-2562047h").value(),
            -nanoseconds(2562047LL * 3'600'000'000'000LL));
}

TEST(EngineKubernetesMetricsParseTest, EngineKubernetesMetricsGoTimeFormat) {
  EXPECT_EQ(kubernetes_metrics::FormatGoTime(kStart), "2026-11-28T12:00:00Z");
  EXPECT_EQ(kubernetes_metrics::FormatGoTime(kStart + std::chrono::milliseconds(250)),
            "2026-11-28T12:00:00.25Z");
  EXPECT_EQ(kubernetes_metrics::FormatGoTime(kStart + std::chrono::nanoseconds(1)),
            "2026-11-28T12:00:00.000000001Z");
}

TEST(EngineKubernetesMetricsParseTest, EngineKubernetesMetricsPodMetricsListMissingUsage) {
  auto list = ParseJson(R"({"items":[
    {"metadata":{"name":"a"},"timestamp":"2026-11-28T12:00:00Z","window":"15s",
     "containers":[{"name":"app","usage":{"cpu":"100m"}},{"name":"side","usage":{"memory":"1Mi"}}]},
    {"metadata":{"name":"b"},"timestamp":"2026-11-28T12:00:05Z","window":"15s","containers":[]},
    {"metadata":{"name":"c"},"timestamp":"2026-11-28T12:00:05Z","window":"15s",
     "containers":[{"name":"app","usage":{"cpu":"2"}}]}]})");
  ASSERT_TRUE(list);
  auto sample = kubernetes_metrics::ReadPodMetricsList(*list, "cpu");
  ASSERT_TRUE(sample) << sample.error().ToString();
  // a: one container lacks cpu -> missing; b: no containers -> missing.
  ASSERT_EQ(sample->metrics.size(), 1u);
  EXPECT_EQ(sample->metrics.at("c").value, 2000);
  EXPECT_EQ(sample->metrics.at("c").window, std::chrono::seconds(15));
  EXPECT_EQ(sample->timestamp, kStart);  // the first item's
  auto malformed = ParseJson(R"({"items":[{"metadata":{"name":"a"},"timestamp":"yesterday"}]})");
  ASSERT_TRUE(malformed);
  auto bad = kubernetes_metrics::ReadPodMetricsList(*malformed, "cpu");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace cpa::engine
