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

// Fault injection (issue 14), end to end: the real `cpa operator` against kube/fake's fault
// hooks. A persistent write fault is retried within the documented backoff (100 ms doubling:
// not a hot loop) and logged once; informer LIST/WATCH connections cut for a while are survived;
// the process keeps running, holds no more descriptors afterwards, and converges once the
// faults clear.
TEST_F(OperatorProcessTest, ApiServerFaultsAreRetriedWithBackoffLoggedOnceAndRecovered) {
  using Fault = kube::fake::FakeApiServer::Fault;
  auto& server = cluster_.server();
  const std::string deployments = "/apis/apps/v1/namespaces/default/deployments";
  Fault f;
  f.method = "POST";
  f.path = deployments;
  f.exact = true;
  f.status = 500;
  f.body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","code":500})";
  f.times = -1;
  server.InjectFault(f);
  cluster_.CreateCpa(testing::CpaYaml("one"));
  Process p = Start();
  ASSERT_TRUE(Eventually([&] {
    return p.Output().find("reconcile default/one") != std::string::npos;
  })) << p.Output();
  auto fds_at_rest = [&] {
    int fewest = 1 << 20;
    for (int i = 0; i < 20; ++i) {
      fewest = std::min(fewest, testing_support::CountOpenFds(p.pid()));
      std::this_thread::sleep_for(5ms);
    }
    return fewest;
  };
  const int fds_before = fds_at_rest();
  const int64_t posts_before = server.RequestCount("POST", deployments);
  const int64_t requests_before = server.RequestCount();
  const auto window = 2s;
  std::this_thread::sleep_for(window);
  const int64_t posts = server.RequestCount("POST", deployments) - posts_before;
  const int64_t requests = server.RequestCount() - requests_before;
  // Retries after the first failure at 0.1, 0.3, 0.7 and 1.5 s, plus one immediate look for
  // each child the first attempt created (ServiceAccount, Role, RoleBinding).
  EXPECT_LE(posts, 4 + 3) << "a hot loop";
  EXPECT_GE(posts, 1) << "not retried";
  RecordProperty("posts_in_2s", static_cast<int>(posts));
  RecordProperty("requests_in_2s", static_cast<int>(requests));
  EXPECT_TRUE(p.Running()) << p.Output();
  EXPECT_EQ(testing_support::CountLinesWith(p.Output(), "WARN operator: reconcile default/one"), 1)
      << p.Output();

  server.ClearInjectedResponses();
  ASSERT_TRUE(Eventually([&] {
    return ConditionOf(cluster_.Cpa("one"), "Ready").status == "True";
  })) << p.Output();
  EXPECT_NE(p.Output().find("reconcile default/one succeeded after"), std::string::npos);

  // The API server "restarts": every open watch ends, and every CustomPodAutoscaler WATCH and
  // LIST connection is cut for a while; a CR created meanwhile is provisioned once they work
  // again.
  Fault cut;
  cut.path = "/apis/custompodautoscaler.com/v1/custompodautoscalers";
  cut.kind = Fault::Kind::kReset;
  cut.times = -1;
  server.InjectFault(cut);
  const int64_t cut_before = server.FaultsServed();
  server.EndWatches();
  ASSERT_TRUE(Eventually([&] { return server.FaultsServed() >= cut_before + 2; })) << p.Output();
  cluster_.CreateCpa(testing::CpaYaml("two"));
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(p.Running()) << p.Output();
  server.ClearInjectedResponses();
  ASSERT_TRUE(Eventually([&] {
    return ConditionOf(cluster_.Cpa("two"), "Ready").status == "True";
  })) << p.Output();
  const int fds_after = fds_at_rest();
  EXPECT_LE(fds_after, fds_before + 1) << "descriptors grew: " << fds_before << " -> " << fds_after;
  RecordProperty("fds_before", fds_before);
  RecordProperty("fds_after", fds_after);
  // A cut connection surfaces as a failed read or write of the request: one warning for each.
  const int informer_warnings =
      testing_support::CountLinesWith(p.Output(), "WARN operator: CustomPodAutoscaler informer");
  EXPECT_GE(informer_warnings, 1) << p.Output();
  EXPECT_LE(informer_warnings, 2) << p.Output();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
}

}  // namespace
}  // namespace cpa::op
