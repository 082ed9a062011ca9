// The fixture of the end-to-end tests of `cpa run` (run_process_test.cpp,
// run_process_faults_test.cpp): kube/fake over HTTP with a bearer token, a Deployment "web" with
// 2 replicas, a kubeconfig, a temporary directory per test, and `cpa` started with its output in
// a log file there.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "kube/fake/fake_api_server.h"
#include "tests/engine/test_paths.h"
#include "tests/support/child_process.h"

namespace cpa::engine::testing_e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_paths::Logic;
using Process = testing_support::ChildProcess;

class EngineRunProcess : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cpa-e2e-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    kube::fake::FakeApiServerOptions options;
    options.token = "s3cret";
    server_ = std::make_unique<kube::fake::FakeApiServer>(options);
    ASSERT_TRUE(server_->Start());
    AddDeployment("web", 2);
    WriteKubeconfig("kubeconfig", "s3cret");
  }
  void TearDown() override {
    server_->Stop();
    fs::remove_all(dir_);
  }
  void AddDeployment(const std::string& name, int replicas) {
    auto created = server_->CreateObject(fmt::format(
        R"({{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"{0}",)"
        R"("namespace":"default"}},"spec":{{"replicas":{1},"selector":{{"matchLabels":)"
        R"({{"app":"{0}"}}}},"template":{{"metadata":{{"labels":{{"app":"{0}"}}}},"spec":)"
        R"({{"containers":[{{"name":"app","image":"nginx"}}]}}}}}}}})",
        name, replicas));
    ASSERT_TRUE(created) << created.error().message;
  }
  void WriteKubeconfig(const std::string& file, const std::string& token) {
    std::ofstream(dir_ / file) << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n"
        "    server: {}\ncontexts:\n- name: t\n  context: {{cluster: t, user: t}}\nusers:\n"
        "- name: t\n  user: {{token: {}}}\n",
        server_->url(), token);
  }
  int Replicas(const std::string& name) {
    auto d = server_->GetObject("apps/v1", "Deployment", "default", name);
    EXPECT_TRUE(d);
    return (*d)["spec"]["replicas"].GetInt();
  }
  // A config whose evaluation is read from <dir>/<name>.json at every run. `extra` may replace
  // the default interval and apiConfig.
  std::string Config(const std::string& name, const std::string& extra = "") {
    std::ofstream(dir_ / (name + ".json")) << R"({"targetReplicas": 4})";
    std::string path = (dir_ / (name + ".yaml")).string();
    std::string defaults;
    if (extra.find("interval:") == std::string::npos) defaults += "interval: 300\n";
    if (extra.find("apiConfig:") == std::string::npos) defaults += "apiConfig: {enabled: false}\n";
    std::ofstream(path) << fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {0}}}\n"
        "metric: {{type: shell, timeout: 2000, shell: {{entrypoint: /bin/echo, "
        "command: ['1']}}}}\nevaluate: {{type: shell, timeout: 2000, shell: {{entrypoint: {1}, "
        "command: [{2}]}}}}\n{3}{4}",
        name, Logic("evaluate-from-env.sh"), (dir_ / (name + ".json")).string(), defaults, extra);
    return path;
  }
  // Replaces the evaluation at once (a run never reads half of it).
  void SetEvaluation(const std::string& name, const std::string& text) {
    const fs::path file = dir_ / (name + ".json");
    std::ofstream(file.string() + ".tmp") << text;
    fs::rename(file.string() + ".tmp", file);
  }
  // The port of the REST API the process logs at start-up (0 when it did not within ~10 s).
  static int ApiPort(Process& p) {
    for (int i = 0; i < 400; ++i) {
      std::string out = p.Output();
      auto at = out.find("REST API listening on http://127.0.0.1:");
      if (at != std::string::npos) return std::atoi(out.c_str() + at + 39);
      std::this_thread::sleep_for(25ms);
    }
    return 0;
  }
  Process Cpa(std::vector<std::string> args) {
    args.insert(args.begin(), testing_support::CpaBinary());
    args.push_back("--kubeconfig");
    args.push_back((dir_ / "kubeconfig").string());
    return testing_support::SpawnLogged(args, dir_ / ("cpa-" + std::to_string(++runs_) + ".log"));
  }

  fs::path dir_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  int runs_ = 0;
};

}  // namespace cpa::engine::testing_e2e
