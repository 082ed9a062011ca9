// Fault injection for the built-in evaluators `hpa` and `phpa` (issue 14): every Kubernetes API
// call one run makes — discovery, the scale GET, the target GET, the pod list, the metrics API of
// each metric source (metrics.k8s.io, custom.metrics.k8s.io pods and object,
// external.metrics.k8s.io), the scale PATCH, the Event POST and the CustomPodAutoscaler status
// PATCH — answered with a 500, a 429 with Retry-After, a 503 with an HTML body, a connection closed
// without a reply, a reply slower than the client's deadline, a truncated body, and where they make
// sense a 404, a 409, an empty metrics list or a write whose reply is lost. The real engine
// (Autoscaler, KubeCluster, EventRecorder, CrStatusReporter) runs against kube/fake over HTTP.
//
// For each: no scale while the fault lasts (the target's replicas and the PATCH count), never a
// scale-down read from missing metrics, one log line per failed run, a phpa with stored history
// neither scales nor learns from a failed gather, and the next run after the fault clears scales.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "autoscalers/hpa/hpa_evaluator.h"
#include "autoscalers/phpa/phpa_evaluator.h"
#include "autoscalers/phpa/predictor.h"
#include "common/log.h"
#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/config/method_types.h"
#include "engine/event_recorder.h"
#include "engine/kube_cluster.h"
#include "engine/status_reporter.h"
#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "store/sqlite_store.h"
#include "tests/support/api_fault_kinds.h"
#include "tests/support/child_process.h"

namespace cpa::evaluator_faults {
namespace {

using namespace std::chrono_literals;
using Fault = kube::fake::FakeApiServer::Fault;

constexpr int kStartReplicas = 4;
constexpr int kWantReplicas = 6;  // every metric below reads 1.5x its target on 4 pods
constexpr auto kDeadline = 150ms;
constexpr auto kSlow = 400ms;
constexpr int kFaultedRuns = 3;
constexpr int kSlowFaultedRuns = 2;  // each waits the whole deadline

enum class Evaluator { kHpa, kPhpa };
enum class Metric { kResource, kPods, kObject, kExternal };
enum class Call {
  kDiscovery,
  kScaleGet,
  kTargetGet,
  kPodList,
  kMetric,
  kScalePatch,
  kEventPost,
  kStatusPatch,
  kEverything,  // the whole API server: every request of the run (and its Events) fails
};
using FaultKind = testing_support::ApiFaultKind;
using testing_support::Name;

struct Case {
  Evaluator evaluator;
  Call call;
  Metric metric;
  FaultKind fault;
};

std::string_view Name(Evaluator e) { return e == Evaluator::kHpa ? "hpa" : "phpa"; }
std::string_view Name(Metric m) {
  switch (m) {
    case Metric::kResource:
      return "resource";
    case Metric::kPods:
      return "pods";
    case Metric::kObject:
      return "object";
    case Metric::kExternal:
      return "external";
  }
  return "";
}
std::string_view Name(Call c) {
  switch (c) {
    case Call::kDiscovery:
      return "discovery";
    case Call::kScaleGet:
      return "scale_get";
    case Call::kTargetGet:
      return "target_get";
    case Call::kPodList:
      return "pod_list";
    case Call::kMetric:
      return "metrics";
    case Call::kScalePatch:
      return "scale_patch";
    case Call::kEventPost:
      return "event_post";
    case Call::kStatusPatch:
      return "status_patch";
    case Call::kEverything:
      return "everything";
  }
  return "";
}

std::string CaseName(const Case& c) {
  std::string call(Name(c.call));
  if (c.call == Call::kMetric) call += "_" + std::string(Name(c.metric));
  return fmt::format("{}_{}_{}", Name(c.evaluator), call, Name(c.fault));
}

void PrintTo(const Case& c, std::ostream* os) { *os << CaseName(c); }

bool IsWrite(Call c) {
  return c == Call::kScalePatch || c == Call::kEventPost || c == Call::kStatusPatch;
}
// Best-effort side effects: their failure never fails the run nor holds back the scale.
bool IsSideEffect(Call c) { return c == Call::kEventPost || c == Call::kStatusPatch; }

std::vector<FaultKind> FaultsFor(Call call) {
  std::vector<FaultKind> out = {FaultKind::k500,   FaultKind::k429,  FaultKind::k503Html,
                                FaultKind::kReset, FaultKind::kSlow, FaultKind::kTruncated};
  if (IsWrite(call)) {
    out.push_back(FaultKind::k409);
    out.push_back(FaultKind::kReplyLost);
  } else {
    out.push_back(FaultKind::k404);
  }
  if (call == Call::kMetric) out.push_back(FaultKind::kEmptyList);
  if (call == Call::kMetric || call == Call::kScaleGet) out.push_back(FaultKind::kTrickle);
  return out;
}

std::vector<Case> AllCases() {
  std::vector<Case> out;
  for (Evaluator e : {Evaluator::kHpa, Evaluator::kPhpa}) {
    for (Call call :
         {Call::kDiscovery, Call::kScaleGet, Call::kTargetGet, Call::kPodList, Call::kMetric,
          Call::kScalePatch, Call::kEventPost, Call::kStatusPatch, Call::kEverything}) {
      std::vector<Metric> metrics = {Metric::kResource};
      if (call == Call::kMetric) {
        metrics = {Metric::kResource, Metric::kPods, Metric::kObject, Metric::kExternal};
      }
      for (Metric m : metrics) {
        for (FaultKind f : FaultsFor(call)) out.push_back({e, call, m, f});
      }
    }
  }
  return out;
}

// A 409 on the target, as the API server words a conflict on it.
const char* kStatus409 =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"web","group":"apps","kind":"deployments"},"code":409})";

const std::string kDeploymentPath = "/apis/apps/v1/namespaces/default/deployments/web";
const std::string kScalePath = kDeploymentPath + "/scale";

// The request(s) a call is, as a fault selector.
Fault SelectorFor(Call call, Metric metric) {
  Fault f;
  f.exact = true;
  switch (call) {
    case Call::kDiscovery:
      f.method = "GET";
      f.path = "/apis/apps/v1";
      break;
    case Call::kScaleGet:
      f.method = "GET";
      f.path = kScalePath;
      break;
    case Call::kTargetGet:
      f.method = "GET";
      f.path = kDeploymentPath;
      break;
    case Call::kPodList:
      f.method = "GET";
      f.path = "/api/v1/namespaces/default/pods";
      break;
    case Call::kMetric:
      f.method = "GET";
      f.exact = false;
      switch (metric) {
        case Metric::kResource:
          f.path = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods";
          break;
        case Metric::kPods:
          f.path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/";
          break;
        case Metric::kObject:
          f.path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/web/";
          break;
        case Metric::kExternal:
          f.path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/";
          break;
      }
      break;
    case Call::kScalePatch:
      f.method = "PATCH";
      f.path = kScalePath;
      break;
    case Call::kEventPost:
      f.method = "POST";
      f.path = "/apis/events.k8s.io/v1/namespaces/default/events";
      break;
    case Call::kStatusPatch:
      f.method = "PATCH";
      f.path =
          "/apis/custompodautoscaler.com/v1/namespaces/default/custompodautoscalers/web/status";
      break;
    case Call::kEverything:
      f.method = "*";
      f.path = "/";
      f.exact = false;
      break;
  }
  return f;
}

std::string EmptyListFor(Metric metric) {
  switch (metric) {
    case Metric::kResource:
      return R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[]})";
    case Metric::kPods:
    case Metric::kObject:
      return R"({"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta2","metadata":{},"items":[]})";
    case Metric::kExternal:
      return R"({"kind":"ExternalMetricValueList","apiVersion":"external.metrics.k8s.io/v1beta1","metadata":{},"items":[]})";
  }
  return "";
}

Fault MakeFault(const Case& c) {
  Fault f = SelectorFor(c.call, c.metric);
  testing_support::SetFailure(f, c.fault, kSlow);
  if (c.fault == FaultKind::k409) f.body = kStatus409;
  if (c.fault == FaultKind::kEmptyList) f.body = EmptyListFor(c.metric);
  return f;
}

std::string MetricYaml(Metric m) {
  switch (m) {
    case Metric::kResource:
      return "{type: Resource, resource: {name: cpu, target: {type: Utilization, "
             "averageUtilization: 50}}}";
    case Metric::kPods:
      return "{type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, "
             "averageValue: \"10\"}}}";
    case Metric::kObject:
      return "{type: Object, object: {describedObject: {apiVersion: apps/v1, kind: Deployment, "
             "name: web}, metric: {name: hits}, target: {type: Value, value: \"100\"}}}";
    case Metric::kExternal:
      return "{type: External, external: {metric: {name: queue}, target: {type: Value, value: "
             "\"10\"}}}";
  }
  return "";
}

void RegisterOnce() {
  static const bool done = [] {
    if (config::FindMethodType("hpa") == nullptr) (void)hpa::RegisterHpaMethodType();
    if (config::FindMethodType("phpa") == nullptr) (void)phpa::RegisterPhpaMethodType();
    return true;
  }();
  (void)done;
}

std::string ReadSourceFile(const std::string& relative) {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : ".") + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A cluster (CRD, CustomPodAutoscaler web, Deployment web at 4 ready pods with 100m cpu
// requests, every metric at 1.5x its target) and the engine wired as `cpa run` wires it, on a
// manual clock.
class EvaluatorHarness {
 public:
  EvaluatorHarness() : clock_(FromUnixMillis(1'800'000'000'000)) {
    RegisterOnce();
    kube::fake::FakeApiServerOptions options;
    options.clock = &clock_;
    options.threads = 8;
    server_ = std::make_unique<kube::fake::FakeApiServer>(options);
    EXPECT_TRUE(server_->Start());
    EXPECT_TRUE(server_->CreateObject(ReadSourceFile("deploy/crd.yaml")));
    EXPECT_TRUE(server_->CreateObject(std::string_view(
        R"({"apiVersion":"custompodautoscaler.com/v1","kind":"CustomPodAutoscaler",
            "metadata":{"name":"web","namespace":"default"},
            "spec":{"template":{"spec":{"containers":[{"name":"a","image":"cpa"}]}},
                    "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}}})")));
    EXPECT_TRUE(server_->CreateObject(std::string_view(fmt::format(
        R"({{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"web","namespace":"default"}},
            "spec":{{"replicas":{},"selector":{{"matchLabels":{{"app":"web"}}}},
            "template":{{"metadata":{{"labels":{{"app":"web"}}}},
            "spec":{{"containers":[{{"name":"app","image":"web:1",
                     "resources":{{"requests":{{"cpu":"100m"}}}}}}]}}}}}}}})",
        kStartReplicas))));
    for (const auto& pod : server_->ListObjects("v1", "Pod", "default")) {
      const std::string name = MetadataString(pod, "name");
      server_->SetPodMetrics("default", name, {{"app", "75m", "64Mi"}});
      server_->SetPodCustomMetric("default", name, "rps", "15");
    }
    server_->SetObjectMetric("default", "deployments.apps", "web", "hits", "150");
    server_->SetExternalMetric("default", "queue", {}, "15");
    kube::ConnectionConfig connection;
    connection.server = server_->url();
    connection.request_timeout = kDeadline;
    connection.connect_timeout = kDeadline;
    auto client = kube::Client::Create(connection);
    EXPECT_TRUE(client);
    client_ = std::move(*client);
    cluster_ = std::make_unique<engine::KubeCluster>(*client_);
    events_ = std::make_unique<engine::EventRecorder>(*client_, clock_);
    status_ = std::make_unique<engine::CrStatusReporter>(*client_, "default", "web");
    auto store = store::OpenSqliteStore({});
    EXPECT_TRUE(store);
    store_ = std::move(*store);
  }

  // phpa: stored points one interval apart, as a previous process would have left them. The
  // default, three points of 9 replicas: a Linear model over them predicts 9, above the HPA's 6
  // and the current 4.
  void SeedPhpaHistory(const std::vector<double>& values = {9, 9, 9}) {
    const auto series =
        phpa::Predictor::HistorySeries("default/web", phpa::LearnSource::kHpaReplicas);
    for (size_t i = 0; i < values.size(); ++i) {
      store::RunRecord record;
      record.autoscaler = "default/web";
      record.time = clock_.Now() - std::chrono::seconds(15 * (values.size() - i));
      record.metrics.push_back(
          store::MetricPoint::FromText(series.resource, series.name, fmt::format("{}", values[i])));
      EXPECT_TRUE(store_->Record(record));
    }
  }
  size_t PhpaHistoryPoints() {
    auto values = store_->Values(
        phpa::Predictor::HistorySeries("default/web", phpa::LearnSource::kHpaReplicas), {});
    return values ? values->size() : 0;
  }

  std::unique_ptr<engine::Autoscaler> Autoscaler(Evaluator evaluator,
                                                 const std::vector<Metric>& metrics,
                                                 const std::string& decision_type = "maximum") {
    std::string metric_list;
    for (Metric m : metrics) metric_list += "      - " + MetricYaml(m) + "\n";
    std::string text = fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        "namespace: default\ninterval: 15000\nminReplicas: 1\nmaxReplicas: 10\n"
        "cpuInitializationPeriod: 0\ninitialReadinessDelay: 0\n"
        "evaluate:\n  type: {0}\n  {0}:\n    metrics:\n{1}"
        "    behavior: {{scaleDown: {{stabilizationWindowSeconds: 0}}}}\n",
        Name(evaluator), metric_list);
    if (evaluator == Evaluator::kPhpa) {
      text += fmt::format(
          "    decisionType: {}\n"
          "    models: [{{type: Linear, name: lin, linear: {{historySize: 3, lookAhead: "
          "15000}}}}]\n",
          decision_type);
    }
    config::LoadOptions load;
    load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
    auto loaded = config::LoadConfigFromText(text, "faults.yaml", load);
    if (!loaded) {
      for (const auto& e : loaded.error().errors) ADD_FAILURE() << e.ToString();
      return nullptr;
    }
    engine::AutoscalerOptions options;
    options.store = store_.get();
    options.kube_api = client_.get();
    options.events = events_.get();
    options.status = status_.get();
    auto a = engine::Autoscaler::Create(loaded->config, *cluster_, clock_, std::move(options));
    EXPECT_TRUE(a) << (a ? "" : a.error().ToString());
    return a ? std::move(*a) : nullptr;
  }

  // One scheduled run, 15 s after the previous one.
  std::expected<engine::RunResult, engine::StageError> Run(engine::Autoscaler& a) {
    clock_.Advance(15s);
    return a.Run(engine::RunType::kScaler);
  }

  int Replicas() {
    auto d = server_->GetObject("apps/v1", "Deployment", "default", "web");
    EXPECT_TRUE(d);
    return d ? (*d)["spec"]["replicas"].GetInt() : -1;
  }
  int64_t ScalePatches() { return server_->RequestCount("PATCH", kScalePath); }

  ManualClock clock_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<engine::KubeCluster> cluster_;
  std::unique_ptr<engine::EventRecorder> events_;
  std::unique_ptr<engine::CrStatusReporter> status_;
  std::unique_ptr<store::Store> store_;
};

int ProblemLines(const log::LogCapture& capture, std::string* text) {
  int n = 0;
  for (const auto& line : capture.Lines()) {
    if (line.find(" WARN ") == std::string::npos && line.find(" ERROR ") == std::string::npos) {
      continue;
    }
    ++n;
    *text += line + "\n";
  }
  return n;
}

class EvaluatorFaults : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluatorFaults, NoScaleDuringTheFaultOneLinePerRunAndRecoveryAfter) {
  const Case c = GetParam();
  EvaluatorHarness h;
  if (c.evaluator == Evaluator::kPhpa) h.SeedPhpaHistory();
  auto autoscaler = h.Autoscaler(c.evaluator, {c.metric});
  ASSERT_TRUE(autoscaler);
  const size_t history_before = h.PhpaHistoryPoints();
  h.server_->InjectFault(MakeFault(c));
  const int64_t faults_before = h.server_->FaultsServed();

  std::string log_text;
  int problems = 0;
  int failed_runs = 0;
  const bool slow = c.fault == FaultKind::kSlow || c.fault == FaultKind::kTrickle;
  const int runs = slow ? kSlowFaultedRuns : kFaultedRuns;
  {
    log::LogCapture capture;
    for (int i = 0; i < runs; ++i) {
      auto run = h.Run(*autoscaler);
      if (!run) {
        ++failed_runs;
        continue;
      }
      // A run that did not fail either scaled (a side effect failed) or decided nothing.
      ASSERT_TRUE(run->decision.has_value());
      if (!IsWrite(c.call)) {
        EXPECT_EQ(run->decision->target_replicas, kStartReplicas)
            << "a decision was made without the metric";
      }
    }
    problems = ProblemLines(capture, &log_text);
  }
  EXPECT_GT(h.server_->FaultsServed(), faults_before) << "the fault was never hit";

  // A truncated reply is the real answer cut short: the write behind it took effect.
  const bool reply_lost = c.call == Call::kScalePatch &&
                          (c.fault == FaultKind::kReplyLost || c.fault == FaultKind::kSlow ||
                           c.fault == FaultKind::kTruncated);
  if (IsSideEffect(c.call)) {
    // Events and status are best effort: the run succeeds and scales; the failure is logged once.
    EXPECT_EQ(failed_runs, 0);
    EXPECT_EQ(h.Replicas(), c.evaluator == Evaluator::kHpa ? kWantReplicas : h.Replicas());
    EXPECT_GT(h.Replicas(), kStartReplicas);
    EXPECT_EQ(problems, 1) << log_text;
  } else if (reply_lost) {
    // The PATCH landed but the reply did not arrive: the run failed, and the next one sees the
    // new size and patches nothing more (a PATCH is never repeated within a run).
    EXPECT_GE(failed_runs, 1);
    EXPECT_LE(h.ScalePatches(), failed_runs);
    EXPECT_EQ(problems, failed_runs) << log_text;
  } else {
    EXPECT_EQ(h.Replicas(), kStartReplicas) << "scaled during the fault";
    if (c.call == Call::kScalePatch) {
      EXPECT_EQ(failed_runs, runs);
      EXPECT_EQ(h.ScalePatches(), runs) << "one PATCH per run, never retried";
    } else {
      EXPECT_EQ(h.ScalePatches(), 0) << "a scale write during a read fault";
      // The target stage fails the run; a metrics fault is a run that decides nothing.
      EXPECT_EQ(failed_runs, c.call == Call::kMetric ? 0 : runs);
    }
    // With the whole API server down the run's Event cannot be delivered either: that is
    // logged the first time only.
    EXPECT_EQ(problems, runs + (c.call == Call::kEverything ? 1 : 0))
        << "one line per failed run:\n"
        << log_text;
    if (c.evaluator == Evaluator::kPhpa && !IsWrite(c.call)) {
      EXPECT_EQ(h.PhpaHistoryPoints(), history_before) << "the models learned from a failed gather";
    }
  }

  // Recovery: the next run after the fault clears scales up (the phpa: to at least the HPA's).
  h.server_->ClearInjectedResponses();
  auto run = h.Run(*autoscaler);
  ASSERT_TRUE(run) << run.error().ToString();
  if (c.evaluator == Evaluator::kHpa) {
    EXPECT_EQ(h.Replicas(), kWantReplicas);
  } else {
    EXPECT_GE(h.Replicas(), kWantReplicas);
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, EvaluatorFaults, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return CaseName(info.param);
                         });

// Upstream's rule for several metrics: when one cannot be read the HPA may still scale up on the
// others, but never down (a missing metric is not a low one).
TEST(EvaluatorPartialMetrics, HpaScalesUpButNeverDownWhileOneMetricIsMissing) {
  EvaluatorHarness h;
  auto autoscaler = h.Autoscaler(Evaluator::kHpa, {Metric::kResource, Metric::kExternal});
  ASSERT_TRUE(autoscaler);
  Fault f = MakeFault({Evaluator::kHpa, Call::kMetric, Metric::kResource, FaultKind::k500});
  h.server_->InjectFault(f);
  h.server_->SetExternalMetric("default", "queue", {}, "5");  // alone it would say 2
  for (int i = 0; i < 3; ++i) {
    auto run = h.Run(*autoscaler);
    ASSERT_TRUE(run) << run.error().ToString();
    EXPECT_EQ(h.Replicas(), kStartReplicas) << "scaled down while cpu could not be read";
  }
  h.server_->SetExternalMetric("default", "queue", {}, "30");  // says 12: up is allowed
  auto run = h.Run(*autoscaler);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_GT(h.Replicas(), kStartReplicas);
}

// The phpa combines the HPA's proposal with predictions; with a metric missing it must keep the
// HPA's rule (no scale-down) whatever the models and decisionType say, and it must not feed the
// models a load measured without that metric.
TEST(EvaluatorPartialMetrics, PhpaNeitherScalesDownNorLearnsWhileOneMetricIsMissing) {
  EvaluatorHarness h;
  h.SeedPhpaHistory({13, 10, 7});  // falling by 3 a run: the model predicts fewer than 4
  auto autoscaler =
      h.Autoscaler(Evaluator::kPhpa, {Metric::kResource, Metric::kExternal}, "minimum");
  ASSERT_TRUE(autoscaler);
  const size_t history = h.PhpaHistoryPoints();
  h.server_->InjectFault(
      MakeFault({Evaluator::kPhpa, Call::kMetric, Metric::kResource, FaultKind::k500}));
  h.server_->SetExternalMetric("default", "queue", {}, "10");  // the HPA keeps 4 on this alone
  for (int i = 0; i < 3; ++i) {
    auto run = h.Run(*autoscaler);
    ASSERT_TRUE(run) << run.error().ToString();
    EXPECT_EQ(h.Replicas(), kStartReplicas) << "scaled down while cpu could not be read";
  }
  EXPECT_EQ(h.PhpaHistoryPoints(), history) << "learned from a partial gather";
  // Both metrics back: the minimum of the HPA and the models decides again (and learns).
  h.server_->ClearInjectedResponses();
  auto run = h.Run(*autoscaler);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(h.PhpaHistoryPoints(), history + 1);
}

// Many failing runs leave no descriptor behind (connections cut by resets, deadlines and
// truncated bodies are closed, not pooled or leaked).
class EvaluatorFaultCycles : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluatorFaultCycles, DescriptorsStayFlatOverManyFailingRuns) {
  const Case c = GetParam();
  EvaluatorHarness h;
  auto autoscaler = h.Autoscaler(c.evaluator, {c.metric});
  ASSERT_TRUE(autoscaler);
  h.server_->InjectFault(MakeFault(c));
  const bool slow = c.fault == FaultKind::kSlow;
  auto at_rest = [&] {
    // A delayed answer still holds its server-side socket until the delay ends.
    std::this_thread::sleep_for(slow ? kSlow + 100ms : 20ms);
    int fewest = 1 << 20;
    for (int i = 0; i < 5; ++i) {
      fewest = std::min(fewest, testing_support::CountOpenFds(getpid()));
      std::this_thread::sleep_for(5ms);
    }
    return fewest;
  };
  log::LogCapture quiet;
  for (int i = 0; i < 3; ++i) (void)h.Run(*autoscaler);
  const int before = at_rest();
  const int cycles = slow ? 8 : 40;
  for (int i = 0; i < cycles; ++i) (void)h.Run(*autoscaler);
  const int after = at_rest();
  EXPECT_LE(after, before + 1) << "descriptors grew over " << cycles << " failing runs: " << before
                               << " -> " << after;
  EXPECT_EQ(h.Replicas(), kStartReplicas);
  RecordProperty("fds_before", before);
  RecordProperty("fds_after", after);
}

std::vector<Case> CycleCases() {
  std::vector<Case> out;
  for (Call call : {Call::kScaleGet, Call::kMetric}) {
    for (FaultKind f :
         {FaultKind::k500, FaultKind::kReset, FaultKind::kSlow, FaultKind::kTruncated}) {
      out.push_back({Evaluator::kHpa, call, Metric::kResource, f});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cycles, EvaluatorFaultCycles, ::testing::ValuesIn(CycleCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return CaseName(info.param);
                         });

}  // namespace
}  // namespace cpa::evaluator_faults
