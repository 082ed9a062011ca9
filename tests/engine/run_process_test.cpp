// End to end: the real `cpa run` process against kube/fake over HTTP with a bearer token, and user
// logic written as small scripts (tests/data/engine/logic).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "kube/client.h"
#include "kube/fake/fake_api_server.h"
#include "store/open_store.h"
#include "tests/engine/run_process_fixture.h"
#include "tests/engine/test_paths.h"
#include "tests/support/child_process.h"

namespace cpa::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_paths::Logic;

using testing_e2e::EngineRunProcess;
using testing_support::CountChildProcesses;
using testing_support::CountOpenFds;
using Process = testing_support::ChildProcess;

TEST_F(EngineRunProcess, ScalesTheDeploymentThroughTheScaleSubresource) {
  auto p = Cpa({"run", "--once", "--config", Config("web")});
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
  EXPECT_NE(p.Output().find("scaled Deployment web from 2 to 4 replicas"), std::string::npos)
      << p.Output();
}

TEST_F(EngineRunProcess, PerPodMetricsSeeThePodsOfTheDeployment) {
  std::string path = (dir_ / "count.yaml").string();
  std::ofstream(path) << fmt::format(
      "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
      "metric: {{type: shell, timeout: 2000, shell: {{entrypoint: /bin/echo, command: ['1']}}}}\n"
      "evaluate: {{type: shell, timeout: 2000, shell: {{entrypoint: {}, command: ['3']}}}}\n"
      "apiConfig: {{enabled: false}}\n",
      Logic("count-evaluate.sh"));
  auto p = Cpa({"run", "--once", "--config", path});
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
  EXPECT_EQ(Replicas("web"), 6);  // 2 pods x 3
}

TEST_F(EngineRunProcess, OneFailingAutoscalerDoesNotStopTheOthers) {
  AddDeployment("api", 1);
  std::string good = Config("web");
  std::string bad = Config("api");
  SetEvaluation("api", "Traceback (most recent call last):");
  auto p = Cpa({"run", "--once", "--config", good, "--config", bad});
  EXPECT_EQ(p.Wait(20s), 1) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
  EXPECT_EQ(Replicas("api"), 1);
  EXPECT_NE(p.Output().find("autoscaler default/api: run (scaler) failed in stage evaluate"),
            std::string::npos)
      << p.Output();
}

TEST_F(EngineRunProcess, InvalidConfigExitsTwoAndScalesNothing) {
  auto path = Config("web", "minReplicas: 5\nmaxReplicas: 2\n");
  auto p = Cpa({"run", "--config", path});
  EXPECT_EQ(p.Wait(10s), 2) << p.Output();
  EXPECT_NE(p.Output().find("maxReplicas: must be >= minReplicas (5), got 2"), std::string::npos);
  EXPECT_EQ(Replicas("web"), 2);
}

TEST_F(EngineRunProcess, WrongTokenFailsTheRunAndScalesNothing) {
  WriteKubeconfig("kubeconfig", "wrong");
  auto p = Cpa({"run", "--once", "--config", Config("web")});
  EXPECT_EQ(p.Wait(20s), 1) << p.Output();
  EXPECT_NE(p.Output().find("failed in stage target"), std::string::npos) << p.Output();
  EXPECT_EQ(Replicas("web"), 2);
}

TEST_F(EngineRunProcess, RunsOnScheduleAndExitsCleanlyOnSigterm) {
  auto p = Cpa({"run", "--config", Config("web")});
  for (int i = 0; i < 400 && Replicas("web") != 4; ++i) std::this_thread::sleep_for(25ms);
  EXPECT_EQ(Replicas("web"), 4);
  SetEvaluation("web", R"({"targetReplicas": 6})");
  for (int i = 0; i < 400 && Replicas("web") != 6; ++i) std::this_thread::sleep_for(25ms);
  EXPECT_EQ(Replicas("web"), 6);  // a later scheduled run picked up the new evaluation
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
  EXPECT_NE(p.Output().find("finishing runs in flight, then exiting"), std::string::npos);
}

// Issue 14 defect 6: `cpa run --once` honours SIGTERM and --grace. The metric hangs (with a
// grandchild) far longer than the test waits; only the signal handling can end the process.
class EngineRunOnceSignals : public EngineRunProcess {
 protected:
  std::string HangingConfig() {
    std::string path = (dir_ / "hang.yaml").string();
    std::ofstream(path) << fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        "apiConfig: {{enabled: false}}\n"
        "metric: {{type: shell, timeout: 600000, shell: {{entrypoint: {0}, command: [{1}]}}}}\n"
        "evaluate: {{type: shell, timeout: 2000, shell: {{entrypoint: /bin/cat}}}}\n",
        Logic("hang.sh"), pid_file().string());
    return path;
  }
  fs::path pid_file() const { return dir_ / "grandchild.pid"; }
  pid_t WaitForGrandchild() {
    auto size = [&] {
      std::error_code ec;
      auto n = fs::file_size(pid_file(), ec);
      return ec ? 0 : n;
    };
    for (int i = 0; i < 2000 && size() == 0; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    std::ifstream in(pid_file());
    pid_t pid = 0;
    in >> pid;
    return pid;
  }
  // Dead: no such process, or a zombie waiting for a reaper that is not ours.
  static bool Gone(pid_t pid) {
    for (int i = 0; i < 500; ++i) {
      if (kill(pid, 0) != 0) return true;
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string pid_field, comm, state;
      stat >> pid_field >> comm >> state;
      if (state == "Z") return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

TEST_F(EngineRunOnceSignals, SigtermCancelsTheRunAfterTheGracePeriod) {
  auto p = Cpa({"run", "--once", "--grace", "1", "--config", HangingConfig()});
  pid_t grandchild = WaitForGrandchild();
  ASSERT_GT(grandchild, 0) << p.Output();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(20s), 1) << p.Output();
  std::string out = p.Output();
  EXPECT_NE(out.find("finishing the run in flight (up to 1 s)"), std::string::npos) << out;
  EXPECT_NE(out.find("grace period over: cancelling the run in flight"), std::string::npos) << out;
  EXPECT_TRUE(Gone(grandchild)) << "the user logic's process group outlived the run";
  EXPECT_EQ(Replicas("web"), 2);  // a cancelled run scales nothing
}

TEST_F(EngineRunOnceSignals, SecondSigtermCancelsAtOnce) {
  auto p = Cpa({"run", "--once", "--grace", "3600", "--config", HangingConfig()});
  pid_t grandchild = WaitForGrandchild();
  ASSERT_GT(grandchild, 0) << p.Output();
  p.Signal(SIGTERM);
  for (int i = 0; i < 500 && p.Output().find("finishing the run") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(20s), 1) << p.Output();
  EXPECT_NE(p.Output().find("again: cancelling the run in flight"), std::string::npos)
      << p.Output();
  EXPECT_TRUE(Gone(grandchild));
  EXPECT_EQ(Replicas("web"), 2);
}

TEST_F(EngineRunOnceSignals, RunThatFinishesWithinGraceSucceeds) {
  // The evaluation is read from a file; the run is quick, so a SIGTERM sent after it started
  // lets it finish and the process exits 0 with the scale applied.
  auto p = Cpa({"run", "--once", "--grace", "30", "--config", Config("web")});
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
  EXPECT_EQ(Replicas("web"), 4);
}

// Fault injection (issue 14): API server errors on every run, then recovery. No scale while the
// target cannot be read, the process keeps running, each failed run is one ERROR line naming the
// stage, and neither file descriptors nor child processes accumulate.
TEST_F(EngineRunProcess, ApiServerFaultsScaleNothingAndTheProcessRecovers) {
  const std::string target = "/apis/apps/v1/namespaces/default/deployments/web";
  auto wait_requests = [&](int64_t more) {
    int64_t until = server_->RequestCount() + more;
    for (int i = 0; i < 1000 && server_->RequestCount() < until; ++i)
      std::this_thread::sleep_for(10ms);
  };
  server_->InjectResponse(
      "GET", target, 500,
      R"({"kind":"Status","status":"Failure","message":"etcd down","code":500})", -1);
  auto p = Cpa({"run", "--config", Config("web", "interval: 50\n")});
  wait_requests(10);
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {429, R"({"kind":"Status","code":429,"reason":"TooManyRequests"})"},
           {200, R"({"kind":"Scale","spec":{"repl)"},  // truncated body
           {503, "<html>bad gateway</html>"}}) {
    server_->ClearInjectedResponses();
    server_->InjectResponse("GET", target, status, body, -1);
    wait_requests(10);
    EXPECT_EQ(Replicas("web"), 2) << "scaled during a fault (" << status << ")";
  }
  EXPECT_EQ(p.Running(), true) << "the process exited during the faults";
  server_->ClearInjectedResponses();
  for (int i = 0; i < 400 && Replicas("web") != 4; ++i) std::this_thread::sleep_for(25ms);
  EXPECT_EQ(Replicas("web"), 4) << "no recovery after the faults cleared";
  // Descriptors at rest (the fewest seen over a while: a run in flight holds pipes and
  // connections) after some good runs and after many more: flat, no leak per run.
  auto fds_at_rest = [&] {
    int fewest = 1 << 20;
    for (int i = 0; i < 30; ++i) {
      fewest = std::min(fewest, CountOpenFds(p.pid()));
      std::this_thread::sleep_for(5ms);
    }
    return fewest;
  };
  wait_requests(20);
  int fds_before = fds_at_rest();
  wait_requests(200);
  int fds_after = fds_at_rest();
  EXPECT_LE(fds_after, fds_before + 1)
      << "file descriptors grew: " << fds_before << " -> " << fds_after;
  EXPECT_LE(CountChildProcesses(p.pid()), 2) << "user-logic processes left behind";
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
  std::istringstream log(p.Output());
  int errors = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find(" ERROR ") == std::string::npos) continue;
    ++errors;
    EXPECT_NE(line.find("failed in stage target"), std::string::npos) << line;
  }
  EXPECT_GE(errors, 4);
}

TEST_F(EngineRunProcess, StabilizationWindowSurvivesARestartWithAStoreFile) {
  std::string store = (dir_ / "history.db").string();
  auto path =
      Config("web", fmt::format("downscaleStabilization: 300\nstore: {{path: {}}}\n", store));
  SetEvaluation("web", R"({"targetReplicas": 7})");
  auto first = Cpa({"run", "--once", "--config", path});
  ASSERT_EQ(first.Wait(20s), 0) << first.Output();
  EXPECT_EQ(Replicas("web"), 7);
  SetEvaluation("web", R"({"targetReplicas": 2})");
  auto second = Cpa({"run", "--once", "--config", path});  // a new process, same store file
  ASSERT_EQ(second.Wait(20s), 0) << second.Output();
  EXPECT_EQ(Replicas("web"), 7);  // the held maximum persisted across the restart
}

TEST_F(EngineRunProcess, RestApiDryRunScalesNothingAndEvaluationScales) {
  auto path = Config("web",
                     "interval: 3600000\nstartTime: 3600000\napiConfig: {enabled: true, "
                     "host: 127.0.0.1, port: 0}\n");
  auto p = Cpa({"run", "--config", path});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  httplib::Client client("127.0.0.1", port);
  auto dry = client.Post("/api/v1/evaluation?dry_run=true");
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->status, 200) << dry->body;
  auto body = ParseJson(dry->body);
  ASSERT_TRUE(body) << dry->body;
  EXPECT_EQ((*body)["targetReplicas"].GetInt(), 4);
  EXPECT_EQ(Replicas("web"), 2);
  auto metrics = client.Get("/api/v1/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find(R"("value":"1\n")"), std::string::npos) << metrics->body;
  auto real = client.Post("/api/v1/evaluation");
  ASSERT_TRUE(real);
  EXPECT_EQ(real->status, 200) << real->body;
  EXPECT_EQ(Replicas("web"), 4);
  auto history = client.Get("/api/v1/history?kind=decisions");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->status, 200) << history->body;
  auto decisions = ParseJson(history->body);
  ASSERT_TRUE(decisions) << history->body;
  ASSERT_EQ((*decisions)["items"].Size(), 2u) << history->body;  // the dry run and the real run
  EXPECT_STREQ((*decisions)["items"][0]["runType"].GetString(), "api_dry_run");
  EXPECT_TRUE((*decisions)["items"][1]["applied"].GetBool());
  auto prom = client.Get("/metrics");
  ASSERT_TRUE(prom);
  EXPECT_NE(prom->body.find("cpa_method_call_duration_seconds"), std::string::npos);
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
}

}  // namespace
}  // namespace cpa::engine

namespace cpa::engine {
namespace {

// kubernetesMetricSpecs: the metric input carries "kubernetesMetrics" fetched from the metrics
// APIs of the (fake) cluster, with the original's field names.
TEST_F(EngineRunProcess, MetricInputCarriesKubernetesMetrics) {
  for (const auto& pod : server_->ListObjects("v1", "Pod", "default")) {
    std::string name = pod["metadata"]["name"].GetString();
    server_->SetPodMetrics("default", name, {{"app", "150m", "64Mi"}});
  }
  std::string store = (dir_ / "k8s.db").string();
  std::string path = (dir_ / "k8s.yaml").string();
  std::ofstream(dir_ / "k8s.json") << R"({"targetReplicas": 2})";
  std::ofstream(path) << fmt::format(
      "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
      "runMode: per-resource\napiConfig: {{enabled: false}}\nstore: {{path: {}}}\n"
      "kubernetesMetricSpecs: [{{type: Resource, resource: {{name: cpu, target: {{type: "
      "AverageValue, averageValue: 100m}}}}}}]\nrequireKubernetesMetrics: true\n"
      "cpuInitializationPeriod: 0\ninitialReadinessDelay: 0\n"
      "metric: {{type: shell, timeout: 2000, shell: {{entrypoint: {}}}}}\n"
      "evaluate: {{type: shell, timeout: 2000, shell: {{entrypoint: {}, command: [{}]}}}}\n",
      store, Logic("echo-input.sh"), Logic("evaluate-from-env.sh"), (dir_ / "k8s.json").string());
  auto p = Cpa({"run", "--once", "--config", path});
  ASSERT_EQ(p.Wait(20s), 0) << p.Output();
  auto opened = store::OpenStore(store::StoreOptions{.path = store});
  auto values = opened.store->Values(store::SeriesRef::Metric("default/web", "web", "value"), {});
  ASSERT_TRUE(values && values->size() == 1u);
  auto input = ParseJson((*values)[0].text);
  ASSERT_TRUE(input) << (*values)[0].text;
  const JsonValue& metrics = (*input)["kubernetesMetrics"];
  ASSERT_TRUE(metrics.IsArray() && metrics.Size() == 1u) << (*values)[0].text;
  EXPECT_EQ(metrics[0]["current_replicas"].GetInt(), 2);
  EXPECT_STREQ(metrics[0]["spec"]["type"].GetString(), "Resource");
  EXPECT_EQ(metrics[0]["resource"]["ready_pod_count"].GetInt(), 2);
  EXPECT_EQ(metrics[0]["resource"]["pod_metrics_info"].MemberCount(), 2u);
}

}  // namespace
}  // namespace cpa::engine

namespace cpa::engine {
namespace {

// `--observe`: the run decides and records, nothing is scaled.
TEST_F(EngineRunProcess, ObserveFlagDecidesButScalesNothing) {
  auto p = Cpa({"run", "--once", "--observe", "--config", Config("web")});
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
  EXPECT_EQ(Replicas("web"), 2);
  EXPECT_NE(p.Output().find("observe mode: would scale Deployment web from 2 to 4 replicas"),
            std::string::npos)
      << p.Output();
}

// An applied scale leaves a SuccessfulRescale Event on the Deployment.
TEST_F(EngineRunProcess, AppliedScaleIsAnEventOnTheTarget) {
  auto p = Cpa({"run", "--once", "--config", Config("web")});
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
  kube::ConnectionConfig config;
  config.server = server_->url();
  config.token = "s3cret";
  auto client = kube::Client::Create(config);
  ASSERT_TRUE(client);
  auto events = (*client)->List("events.k8s.io/v1", "Event", "default");
  ASSERT_TRUE(events) << events.error().ToString();
  std::string notes;
  for (const auto& e : (*events)["items"].GetArray()) {
    notes += StringMember(e, "reason") + ": " + StringMember(e, "note") + "\n";
  }
  EXPECT_NE(notes.find("SuccessfulRescale: New size: 4; reason: evaluation returned 4"),
            std::string::npos)
      << notes;
}

// --api-* flags override the first config's apiConfig; the store size gauge is set by runs.
TEST_F(EngineRunProcess, ApiFlagsOverrideApiConfigAndStoreSizeIsExported) {
  auto path = Config("web", fmt::format("interval: 200\napiConfig: {{enabled: true, host: "
                                        "0.0.0.0, port: 1}}\nstore: {{path: {}}}\n",
                                        (dir_ / "history.db").string()));
  auto p = Cpa({"run", "--config", path, "--api-host", "127.0.0.1", "--api-port", "0"});
  const int port = ApiPort(p);
  ASSERT_NE(port, 0) << p.Output();
  httplib::Client client("127.0.0.1", port);
  std::string gauge;
  for (int i = 0; i < 400; ++i) {
    auto prom = client.Get("/metrics");
    ASSERT_TRUE(prom);
    auto at = prom->body.find("\ncpa_store_size_bytes ");
    if (at != std::string::npos) {
      gauge = prom->body.substr(at + 22, prom->body.find('\n', at + 1) - at - 22);
      if (gauge != "0") break;
    }
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_GT(std::atof(gauge.c_str()), 0.0) << gauge;
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(10s), 0) << p.Output();
}

TEST_F(EngineRunProcess, UnreadableApiTokenFileFlagIsAStartError) {
  auto p = Cpa({"run", "--config", Config("web", "apiConfig: {enabled: true, port: 0}\n"),
                "--api-token-file", (dir_ / "missing-token").string()});
  EXPECT_EQ(p.Wait(20s), 2) << p.Output();
  EXPECT_NE(p.Output().find("--api-token-file"), std::string::npos) << p.Output();
}

}  // namespace
}  // namespace cpa::engine
