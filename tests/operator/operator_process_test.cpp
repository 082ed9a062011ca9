// End to end: the real `cpa operator` process against kube/fake over HTTP, with the CRD and the
// example resources from deploy/.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "kube/fake/fake_api_server.h"
#include "tests/operator/operator_test_util.h"
#include "tests/support/child_process.h"

namespace cpa::op {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ConditionOf;
using testing::Eventually;
using testing::FakeCluster;
using testing::ReadFile;
using testing::SourceDir;

using testing_support::CpaBinary;
using Process = testing_support::ChildProcess;

class OperatorProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cpa-operator-e2e-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "kubeconfig") << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n"
        "    server: {}\ncontexts:\n- name: t\n  context: {{cluster: t, user: t, namespace: "
        "default}}\nusers:\n- name: t\n  user: {{token: unused}}\n",
        cluster_.server().url());
  }
  void TearDown() override { fs::remove_all(dir_); }
  Process Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        CpaBinary(),     "operator",  "--kubeconfig",  (dir_ / "kubeconfig").string(),
        "--health-host", "127.0.0.1", "--health-port", "0",
        "--identity",    "e2e"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing_support::SpawnLogged(args, dir_ / "operator.log");
  }
  int HealthPort(const Process& p) {
    static const std::regex re("health and metrics on 127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    std::string out;
    if (!Eventually([&] {
          out = p.Output();
          return std::regex_search(out, m, re);
        })) {
      return -1;
    }
    return std::stoi(m[1]);
  }

  FakeCluster cluster_;
  fs::path dir_;
};

TEST_F(OperatorProcessTest, ProvisionsTheExampleResourcesAndStopsCleanly) {
  auto example = ReadFile(SourceDir() + "/deploy/examples/python-custom-autoscaler.yaml");
  auto doc = ParseYaml(example);
  ASSERT_TRUE(doc.has_value());
  auto& a = doc->GetAllocator();
  (*doc)["metadata"].AddMember("namespace", "default", a);
  (*doc)["spec"]["scaleTargetRef"]["name"].SetString("web");
  ASSERT_TRUE(cluster_.server().CreateObject(*doc).has_value());

  Process p = Start();
  ASSERT_TRUE(Eventually([&] {
    return ConditionOf(cluster_.Cpa("python-custom-autoscaler"), "Ready").status == "True";
  })) << p.Output();
  EXPECT_TRUE(cluster_.Exists("apps/v1", "Deployment", "python-custom-autoscaler"));
  JsonDocument lease = cluster_.Get("coordination.k8s.io/v1", "Lease", "cpa-operator");
  EXPECT_EQ(StringMember(lease["spec"], "holderIdentity"), "e2e");

  int port = HealthPort(p);
  ASSERT_GT(port, 0) << p.Output();
  httplib::Client http("127.0.0.1", port);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("cpa_operator_leader 1"), std::string::npos) << metrics->body;
  EXPECT_TRUE(Eventually([&] {
    auto ready = http.Get("/readyz");
    return ready && ready->status == 200;
  }));

  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
  lease = cluster_.Get("coordination.k8s.io/v1", "Lease", "cpa-operator");
  EXPECT_EQ(StringMember(lease["spec"], "holderIdentity"), "");  // released
}

TEST_F(OperatorProcessTest, WithoutTheCrdItExitsWithAnError) {
  ASSERT_TRUE(cluster_.server()
                  .DeleteObject("apiextensions.k8s.io/v1", "CustomResourceDefinition", "",
                                "custompodautoscalers.custompodautoscaler.com")
                  .has_value());
  Process p = Start({"--leader-elect", "false"});
  EXPECT_EQ(p.Wait(30s), 1) << p.Output();
  EXPECT_NE(p.Output().find("CustomPodAutoscaler"), std::string::npos) << p.Output();
}

}  // namespace
}  // namespace cpa::op
