// End to end: the real `cpa run` with `evaluate.type: hpa` against kube/fake, with external
// metric values the test sets; the HPA's scale events survive a restart through the store file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "common/json.h"
#include "kube/fake/fake_api_server.h"

extern char** environ;

namespace cpa::hpa {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string CpaBinary() {
  const char* dir = std::getenv("CPA_BINARY_DIR");
  return std::string(dir != nullptr ? dir : "build") + "/cli/cpa";
}

class HpaRunProcess : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cpa-hpa-e2e-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    kube::fake::FakeApiServerOptions options;
    options.token = "t0ken";
    server_ = std::make_unique<kube::fake::FakeApiServer>(options);
    ASSERT_TRUE(server_->Start());
    auto created = server_->CreateObject(
        R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",)"
        R"("namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":)"
        R"({"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":)"
        R"({"containers":[{"name":"app","image":"nginx"}]}}}})");
    ASSERT_TRUE(created) << created.error().message;
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
  int Replicas() {
    auto d = server_->GetObject("apps/v1", "Deployment", "default", "web");
    EXPECT_TRUE(d);
    return (*d)["spec"]["replicas"].GetInt();
  }
  // An hpa config on the external metric queue_messages (target value 10), one pod per 300 s.
  // `api` replaces the defaults interval 300 ms and apiConfig {enabled: false}.
  std::string Config(const std::string& store_file, const std::string& api = "") {
    std::string path = (dir_ / ("hpa-" + store_file + ".yaml")).string();
    std::ofstream(path) << fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        "minReplicas: 1\nmaxReplicas: 10\n{}"
        "logVerbosity: 1\nstore: {{path: {}}}\n"
        "evaluate:\n  type: hpa\n  hpa:\n"
        "    metrics:\n      - type: External\n        external:\n"
        "          metric: {{name: queue_messages}}\n"
        "          target: {{type: Value, value: \"10\"}}\n"
        "    behavior:\n      scaleUp:\n"
        "        policies: [{{type: Pods, value: 1, periodSeconds: 300}}]\n",
        api.empty() ? "interval: 300\napiConfig: {enabled: false}\n" : api,
        (dir_ / store_file).string());
    return path;
  }
  // Starts `cpa run [--once]`; the output goes to `out`.
  pid_t Spawn(const std::string& config, bool once, const fs::path& out) {
    std::vector<std::string> args = {CpaBinary(), "run",          "--config",
                                     config,      "--kubeconfig", (dir_ / "kubeconfig").string()};
    if (once) args.push_back("--once");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }
  static std::string ReadLog(const fs::path& out) {
    std::ifstream in(out);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Runs `cpa run --once`; returns the exit code and appends the output to `log`.
  int RunOnce(const std::string& config, std::string& log) {
    fs::path out = dir_ / ("cpa-" + std::to_string(++runs_) + ".log");
    pid_t pid = Spawn(config, true, out);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    int rc = -1;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    if (rc == -1) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
    log += ReadLog(out);
    return rc;
  }

  fs::path dir_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  int runs_ = 0;
};

TEST_F(HpaRunProcess, ScalesFromExternalMetricsWithTheBehaviorPolicy) {
  server_->SetExternalMetric("default", "queue_messages", {{"queue", "a"}}, "100");
  std::string log;
  ASSERT_EQ(RunOnce(Config("history.db"), log), 0) << log;
  // ratio 100 / 10 = 10, 2 ready pods -> 20; the scale-up policy allows one pod per 300 s.
  EXPECT_EQ(Replicas(), 3) << log;
  EXPECT_NE(log.find("\"reason\":\"ScaleUpLimit\""), std::string::npos) << log;  // audit, V(1)
}

TEST_F(HpaRunProcess, ARestartMidPeriodKeepsTheScaleEvents) {
  server_->SetExternalMetric("default", "queue_messages", {{"queue", "a"}}, "100");
  std::string config = Config("history.db");
  std::string log;
  ASSERT_EQ(RunOnce(config, log), 0) << log;
  ASSERT_EQ(Replicas(), 3) << log;
  // A new process with the same store file, well inside the 300 s period: the +1 event of the
  // first run still counts (period start 3 - 1 = 2, limit 2 + 1 = 3), so it holds at 3.
  ASSERT_EQ(RunOnce(config, log), 0) << log;
  EXPECT_EQ(Replicas(), 3) << log;
  // The same restart without that history (a fresh store) would add another pod.
  ASSERT_EQ(RunOnce(Config("fresh.db"), log), 0) << log;
  EXPECT_EQ(Replicas(), 4) << log;
}

TEST_F(HpaRunProcess, TheApiEvaluationReplyCarriesTheAudit) {
  server_->SetExternalMetric("default", "queue_messages", {{"queue", "a"}}, "100");
  std::string config = Config("history.db",
                              "apiConfig: {enabled: true, host: 127.0.0.1, port: 0}\n"
                              "interval: 3600000\nstartTime: 3600000\n");
  fs::path out = dir_ / "api.log";
  pid_t pid = Spawn(config, false, out);
  int port = 0;
  for (int i = 0; i < 400 && port == 0; ++i) {
    std::string text = ReadLog(out);
    auto at = text.find("REST API listening on http://127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(text.c_str() + at + 39);
    if (port == 0) std::this_thread::sleep_for(25ms);
  }
  if (port == 0) kill(pid, SIGKILL);
  ASSERT_NE(port, 0) << ReadLog(out);
  httplib::Client client("127.0.0.1", port);
  auto reply = client.Post("/api/v1/evaluation?dry_run=true");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  auto body = ParseJson(reply->body);
  ASSERT_TRUE(body) << reply->body;
  EXPECT_EQ((*body)["targetReplicas"].GetInt(), 3);
  EXPECT_EQ((*body)["evaluatedReplicas"].GetInt(), 20);  // the recommendation
  ASSERT_TRUE(body->HasMember("audit")) << reply->body;
  EXPECT_EQ((*body)["audit"]["desiredReplicas"].GetInt(), 3);
  EXPECT_STREQ((*body)["audit"]["metrics"][0]["name"].GetString(), "queue_messages");
  EXPECT_STREQ((*body)["audit"]["normalization"]["limitedBy"].GetString(), "ScaleUpLimit");
  EXPECT_EQ(Replicas(), 2);  // a dry run
}

TEST_F(HpaRunProcess, AFailingMetricScalesNothing) {
  std::string log;  // no external metric at all: the only metric is invalid
  ASSERT_EQ(RunOnce(Config("history.db"), log), 0) << log;
  EXPECT_EQ(Replicas(), 2);
  EXPECT_NE(log.find("FailedGetExternalMetric"), std::string::npos) << log;
}

}  // namespace
}  // namespace cpa::hpa
