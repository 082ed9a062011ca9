// Fault injection end to end (issue 14): the real `cpa run` with `evaluate.type: hpa` and `phpa`
// (with a store file, so the phpa has history) against kube/fake's fault hooks, one fault after
// another on the metrics API, the scale GET and the pod list, while the true load asks for no
// change: the target is never scaled (a metrics outage is not zero load), the phpa learns nothing
// from a failed run, each failed run is one log line, the process keeps running with flat
// descriptors and no child processes, and it scales once the faults clear and the load rises.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "autoscalers/phpa/predictor.h"
#include "kube/fake/fake_api_server.h"
#include "store/open_store.h"
#include "tests/support/child_process.h"

namespace cpa::evaluator_faults {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Fault = kube::fake::FakeApiServer::Fault;
using testing_support::ChildProcess;
using testing_support::CountChildProcesses;
using testing_support::CountOpenFds;

const std::string kScale = "/apis/apps/v1/namespaces/default/deployments/web/scale";
const std::string kPodMetrics = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods";

std::string ReadSourceFile(const std::string& relative) {
  const char* dir = std::getenv("CPA_SOURCE_DIR");
  std::ifstream in(std::string(dir != nullptr ? dir : ".") + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class EvaluatorProcessFaults : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cpa-evaluator-faults-" + std::to_string(getpid()) + "-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    kube::fake::FakeApiServerOptions options;
    options.token = "t0ken";
    options.threads = 16;
    server_ = std::make_unique<kube::fake::FakeApiServer>(options);
    ASSERT_TRUE(server_->Start());
    ASSERT_TRUE(server_->CreateObject(ReadSourceFile("deploy/crd.yaml")));
    ASSERT_TRUE(server_->CreateObject(std::string_view(
        R"({"apiVersion":"custompodautoscaler.com/v1","kind":"CustomPodAutoscaler",
            "metadata":{"name":"web","namespace":"default"},
            "spec":{"template":{"spec":{"containers":[{"name":"a","image":"cpa"}]}},
                    "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}}})")));
    ASSERT_TRUE(server_->CreateObject(std::string_view(
        R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
            "spec":{"replicas":4,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
            "spec":{"containers":[{"name":"app","image":"web:1",
                     "resources":{"requests":{"cpu":"100m"}}}]}}}})")));
    SetLoad("50m");  // 50% of the request: the target's 50%, keep 4
    std::ofstream(dir_ / "kubeconfig") << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n"
        "    server: {}\ncontexts:\n- name: t\n  context: {{cluster: t, user: t}}\nusers:\n"
        "- name: t\n  user: {{token: t0ken}}\n",
        server_->url());
  }
  void TearDown() override {
    server_->Stop();
    fs::remove_all(dir_);
  }
  void SetLoad(const std::string& cpu) {
    for (const auto& pod : server_->ListObjects("v1", "Pod", "default")) {
      server_->SetPodMetrics("default", MetadataString(pod, "name"), {{"app", cpu, "64Mi"}});
    }
  }
  std::string Config() {
    std::string path = (dir_ / "config.yaml").string();
    std::string evaluator = GetParam();
    std::ofstream(path) << fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        "interval: 100\nminReplicas: 1\nmaxReplicas: 10\napiConfig: {{enabled: false}}\n"
        "cpuInitializationPeriod: 0\ninitialReadinessDelay: 0\nstore: {{path: {1}}}\n"
        "evaluate:\n  type: {0}\n  {0}:\n"
        "    metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, "
        "averageUtilization: 50}}}}}}]\n"
        "    behavior: {{scaleDown: {{stabilizationWindowSeconds: 0}}}}\n{2}",
        evaluator, (dir_ / "history.db").string(),
        evaluator == "phpa" ? "    decisionType: minimum\n    models: [{type: Linear, name: lin, "
                              "linear: {historySize: 3, lookAhead: 100}}]\n"
                            : "");
    return path;
  }
  int Replicas() {
    auto d = server_->GetObject("apps/v1", "Deployment", "default", "web");
    return d ? (*d)["spec"]["replicas"].GetInt() : -1;
  }
  // Runs so far: each run reads the target's scale once.
  int64_t Runs() { return server_->RequestCount("GET", kScale); }
  bool WaitRuns(int64_t n) {
    const int64_t until = Runs() + n;
    return testing_support::WaitUntil([&] { return Runs() >= until; }, 15s);
  }
  size_t PhpaHistory() {
    auto opened = store::OpenStore(store::StoreOptions{.path = (dir_ / "history.db").string()});
    if (!opened.store) return 0;
    auto values = opened.store->Values(
        phpa::Predictor::HistorySeries("default/web", phpa::LearnSource::kHpaReplicas), {});
    return values ? values->size() : 0;
  }

  fs::path dir_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
};

int ProblemLines(const std::string& log) {
  return testing_support::CountLinesWith(log, " WARN ") +
         testing_support::CountLinesWith(log, " ERROR ");
}

TEST_P(EvaluatorProcessFaults, NoScaleNoLearningOneLinePerRunFlatDescriptorsThenRecovery) {
  const bool phpa = GetParam() == "phpa";
  ChildProcess p =
      testing_support::SpawnLogged({testing_support::CpaBinary(), "run", "--config", Config(),
                                    "--kubeconfig", (dir_ / "kubeconfig").string()},
                                   dir_ / "cpa.log", {"CPA_RESOURCE_NAME=web"});
  ASSERT_TRUE(WaitRuns(6)) << p.Output();
  ASSERT_EQ(Replicas(), 4) << p.Output();
  auto fds_at_rest = [&] {
    int fewest = 1 << 20;
    for (int i = 0; i < 40; ++i) {
      fewest = std::min(fewest, CountOpenFds(p.pid()));
      std::this_thread::sleep_for(3ms);
    }
    return fewest;
  };
  const int fds_before = fds_at_rest();
  const size_t history_before = phpa ? PhpaHistory() : 0;

  struct Step {
    std::string name;
    Fault fault;
  };
  auto fault = [](std::string method, std::string path, Fault::Kind kind, int status = 500,
                  std::string body = "") {
    Fault f;
    f.method = std::move(method);
    f.path = std::move(path);
    f.kind = kind;
    f.status = status;
    f.body = std::move(body);
    f.times = -1;
    return f;
  };
  const std::string status500 =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred","reason":"InternalError","code":500})";
  const std::vector<Step> steps = {
      {"metrics 500", fault("GET", kPodMetrics, Fault::Kind::kStatus, 500, status500)},
      {"metrics reset", fault("GET", kPodMetrics, Fault::Kind::kReset)},
      {"metrics truncated", fault("GET", kPodMetrics, Fault::Kind::kTruncate)},
      {"metrics empty", fault("GET", kPodMetrics, Fault::Kind::kStatus, 200,
                              R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1",)"
                              R"("metadata":{},"items":[]})")},
      {"scale 503", fault("GET", kScale, Fault::Kind::kStatus, 503, "<html>503</html>")},
      {"pod list 429", fault("GET", "/api/v1/namespaces/default/pods", Fault::Kind::kStatus, 429,
                             R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":)"
                             R"("Failure","reason":"TooManyRequests","code":429})")},
  };
  for (Step step : steps) {
    if (step.fault.status == 503) step.fault.content_type = "text/html";
    if (step.name == "pod list 429") step.fault.headers = {{"Retry-After", "1"}};
    step.fault.exact = true;
    server_->InjectFault(step.fault);
    ASSERT_TRUE(WaitRuns(1)) << step.name;  // a run that may have started before the fault
    const size_t log_from = p.Output().size();
    const int64_t runs_from = Runs();
    ASSERT_TRUE(WaitRuns(5)) << step.name << "\n" << p.Output();
    const int64_t runs = Runs() - runs_from;
    const std::string segment = p.Output().substr(log_from);
    server_->ClearInjectedResponses();
    EXPECT_EQ(Replicas(), 4) << "scaled during " << step.name << "\n" << segment;
    EXPECT_TRUE(p.Running()) << step.name << "\n" << p.Output();
    // One line per failed run (a run in flight at either end of the segment may add one).
    const int lines = ProblemLines(segment);
    EXPECT_GE(lines, runs - 1) << step.name << ": a failed run was not logged\n" << segment;
    EXPECT_LE(lines, runs + 1) << step.name << ": more than one line per failed run\n" << segment;
  }
  if (phpa) {
    EXPECT_GT(history_before, 0u);
    EXPECT_EQ(PhpaHistory(), history_before) << "the phpa learned from failed runs";
  }

  const int fds_after = fds_at_rest();
  EXPECT_LE(fds_after, fds_before + 1) << "descriptors grew: " << fds_before << " -> " << fds_after;
  EXPECT_EQ(CountChildProcesses(p.pid()), 0);
  RecordProperty("fds_before", fds_before);
  RecordProperty("fds_after", fds_after);

  // The faults clear and the load rises: it scales.
  SetLoad("75m");
  ASSERT_TRUE(testing_support::WaitUntil([&] { return Replicas() >= 6; }, 15s)) << p.Output();
  if (phpa) {
    EXPECT_GT(PhpaHistory(), history_before);
  }
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
}

INSTANTIATE_TEST_SUITE_P(Evaluators, EvaluatorProcessFaults, ::testing::Values("hpa", "phpa"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cpa::evaluator_faults
