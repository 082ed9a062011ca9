// Every example under examples/ runs as its README documents: the real `cpa run --once` with the
// example's own config and user logic against kube/fake, and the scaling it causes is checked.
// Paths inside the configs are container paths (/metric.py); the tests point them at the repo's
// files through env-var overrides, as each README shows for a local run.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include <fmt/format.h>

#include "kube/fake/fake_api_server.h"
#include "tests/cli/cli_runner.h"

namespace cpa::cli {
namespace {

using testing::CliResult;
using testing::RunCpa;
using testing::ScratchDir;
using testing::SourceDir;

class CliExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<kube::fake::FakeApiServer>();
    ASSERT_TRUE(server_->Start());
    kubeconfig_ = scratch_.File("kubeconfig");
    std::ofstream(kubeconfig_) << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n"
        "    server: {}\ncontexts:\n- name: t\n  context: {{cluster: t, user: t}}\nusers:\n"
        "- name: t\n  user: {{}}\n",
        server_->url());
  }
  void TearDown() override { server_->Stop(); }

  void AddDeployment(const std::string& name, int replicas, const std::string& labels = "") {
    auto created = server_->CreateObject(std::string_view(fmt::format(
        R"({{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"{0}",)"
        R"("namespace":"default","labels":{{{2}}}}},"spec":{{"replicas":{1},"selector":)"
        R"({{"matchLabels":{{"app":"{0}"}}}},"template":{{"metadata":{{"labels":{{"app":"{0}"}}}},)"
        R"("spec":{{"containers":[{{"name":"app","image":"app:1","resources":{{"requests":)"
        R"({{"cpu":"500m"}}}}}}]}}}}}}}})",
        name, replicas, labels)));
    ASSERT_TRUE(created) << created.error().message;
  }
  int Replicas(const std::string& name) {
    auto d = server_->GetObject("apps/v1", "Deployment", "default", name);
    EXPECT_TRUE(d);
    return d ? (*d)["spec"]["replicas"].GetInt() : -1;
  }
  std::string Example(const std::string& path) const { return SourceDir() + "/examples/" + path; }
  // `cpa run --once` on an example config; `env` are KEY=VALUE overrides.
  CliResult RunOnce(const std::string& config, std::vector<std::string> env) {
    return RunCpa({"run", "--once", "--config", Example(config), "--kubeconfig", kubeconfig_},
                  scratch_, std::chrono::seconds(60), env);
  }
  static std::string Script(const std::string& key, const std::string& script) {
    return fmt::format(R"({}={{"shell": {{"entrypoint": "python3", "command": ["{}"]}}}})", key,
                       script);
  }

  ScratchDir scratch_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  std::string kubeconfig_;
};

TEST_F(CliExamplesTest, PythonCustomAutoscalerScalesToTheNumPodsLabel) {
  AddDeployment("hello-kubernetes", 1, R"("numPods":"3")");
  const std::vector<std::string> env = {
      R"(scaleTargetRef={"apiVersion": "apps/v1", "kind": "Deployment", "name": "hello-kubernetes"})",
      Script("metric", Example("python-custom-autoscaler/metric.py")),
      Script("evaluate", Example("python-custom-autoscaler/evaluate.py")),
      R"(apiConfig={"enabled": false})"};
  CliResult run = RunOnce("python-custom-autoscaler/config.yaml", env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("hello-kubernetes"), 3);
}

TEST_F(CliExamplesTest, LocalConfigOfTheGettingStartedRunsAsIs) {
  AddDeployment("hello-kubernetes", 1, R"("numPods":"2")");
  // Run from the repository root, as the README says; only the API port is moved off 5000.
  CliResult run =
      RunCpa({"run", "--once", "--config", "examples/python-custom-autoscaler/config-local.yaml",
              "--kubeconfig", kubeconfig_},
             scratch_, std::chrono::seconds(60), {R"(apiConfig={"port": 0})"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("hello-kubernetes"), 2);
  EXPECT_NE(run.err.find("decided 2 replicas (current 1, evaluated 2); scaled"), std::string::npos)
      << run.err;
}

TEST_F(CliExamplesTest, PythonCustomAutoscalerWithoutTheLabelScalesNothing) {
  AddDeployment("hello-kubernetes", 2);
  CliResult run = RunOnce(
      "python-custom-autoscaler/config.yaml",
      {R"(scaleTargetRef={"apiVersion": "apps/v1", "kind": "Deployment", "name": "hello-kubernetes"})",
       Script("metric", Example("python-custom-autoscaler/metric.py")),
       Script("evaluate", Example("python-custom-autoscaler/evaluate.py")),
       R"(apiConfig={"enabled": false})"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no 'numPods' label"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("hello-kubernetes"), 2);
}

TEST_F(CliExamplesTest, FullPythonConfigRunsItsPreScaleHookAndClampsToMax) {
  AddDeployment("hello-kubernetes", 1, R"("numPods":"9")");
  CliResult run = RunOnce("python-custom-autoscaler/config-with-target.yaml",
                          {Script("metric", Example("python-custom-autoscaler/metric.py")),
                           Script("evaluate", Example("python-custom-autoscaler/evaluate.py")),
                           Script("preScale", Example("python-custom-autoscaler/pre-scale.py")),
                           R"(apiConfig={"enabled": false})", "startTime=1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("hello-kubernetes"), 5);  // maxReplicas
  EXPECT_NE(run.err.find("scaling hello-kubernetes from 1 to 5"), std::string::npos) << run.err;
}

TEST_F(CliExamplesTest, KubernetesMetricsExampleTakesTheLargestHpaProposal) {
  AddDeployment("web", 2);
  // CPU: 400m of 500m requested on each pod = 80% against a 50% target -> ceil(1.6 * 2) = 4.
  // Pods metric at its 1k target and the external queue at its 30 target propose 2.
  for (const auto& pod : server_->ListObjects("v1", "Pod", "default")) {
    const std::string name = pod["metadata"]["name"].GetString();
    server_->SetPodMetrics("default", name, {kube::fake::ContainerUsage{"app", "400m", "64Mi"}});
    server_->SetPodCustomMetric("default", name, "packets-per-second", "1k", {{"app", "web"}});
  }
  server_->SetExternalMetric("default", "queue_messages_ready", {{"queue", "worker_tasks"}}, "30");
  CliResult run =
      RunOnce("kubernetes-metrics/config.yaml",
              {R"(scaleTargetRef={"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"})",
               Script("metric", Example("kubernetes-metrics/metric.py")),
               Script("evaluate", Example("kubernetes-metrics/evaluate.py")),
               R"(apiConfig={"enabled": false})",
               // The fake's pods have just started: count their CPU at once (the HPA would wait).
               "cpuInitializationPeriod=0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("web"), 4);
}

TEST_F(CliExamplesTest, HttpAutoscalerTalksToItsWebService) {
  AddDeployment("php-apache", 1, R"("numPods":"4")");
  // The example's user logic, started as the README says, on a free loopback port.
  const std::string port_file = scratch_.File("port");
  pid_t pid = 0;
  {
    std::string python = "python3";
    std::string script = Example("http-autoscaler/server.py");
    std::vector<std::string> args = {python,   script, "--host",      "127.0.0.1",
                                     "--port", "0",    "--port-file", port_file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawnp(&pid, "python3", nullptr, nullptr, argv.data(), environ), 0);
  }
  std::string port;
  for (int i = 0; i < 500 && port.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    port = testing::ReadFile(port_file);
  }
  ASSERT_FALSE(port.empty());
  const std::string base = "http://127.0.0.1:" + port;
  CliResult run = RunOnce("http-autoscaler/config.json",
                          {fmt::format(R"(metric={{"http": {{"url": "{}/metric"}}}})", base),
                           fmt::format(R"(evaluate={{"http": {{"url": "{}/evaluate"}}}})", base),
                           R"(apiConfig={"enabled": false})"});
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("php-apache"), 4);
}

}  // namespace
}  // namespace cpa::cli
