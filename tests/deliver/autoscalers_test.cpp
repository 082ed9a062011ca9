// Every example autoscaler under autoscalers/ runs as its README documents: the real
// `cpa run --once` with the example's own config and user logic against kube/fake, and the
// scaling it causes (or refuses) is checked. Configs name container paths (/metric.py); the tests
// point them at the repository's files through env-var overrides, as each README shows.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "kube/fake/fake_api_server.h"
#include "tests/cli/cli_runner.h"

namespace cpa::deliver {
namespace {

using cli::testing::CliResult;
using cli::testing::ReadFile;
using cli::testing::RunCpa;
using cli::testing::ScratchDir;
using cli::testing::SourceDir;

// An HTTP(S) server on 127.0.0.1 and a free port, serving from its own thread.
class LocalServer {
 public:
  explicit LocalServer(std::unique_ptr<httplib::Server> server) : server_(std::move(server)) {
    port_ = server_->bind_to_any_port("127.0.0.1");
    // bind_to_any_port also listens: connections wait in the backlog until the loop accepts.
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  LocalServer() : LocalServer(std::make_unique<httplib::Server>()) {}
  ~LocalServer() {
    server_->stop();
    thread_.join();
  }
  httplib::Server& server() { return *server_; }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

// A child process (argv[0] looked up in PATH), killed and reaped on destruction.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    started_ = posix_spawnp(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) == 0;
  }
  ~ChildProcess() {
    if (!started_) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  bool started() const { return started_; }

 private:
  pid_t pid_ = 0;
  bool started_ = false;
};

// Waits for a file a child writes when it is ready (bounded by count, not by time assertions).
std::string WaitForFile(const std::string& path) {
  std::string text;
  for (int i = 0; i < 1000 && text.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    text = ReadFile(path);
  }
  return text;
}

class AutoscalerExamplesTest : public ::testing::Test {
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

  // A Deployment with `replicas` pods (the fake's controllers create them) and these labels
  // (a JSON object body, e.g. R"("numPods":"3")").
  void AddDeployment(const std::string& name, int replicas, const std::string& labels = "") {
    auto created = server_->CreateObject(std::string_view(fmt::format(
        R"({{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"{0}",)"
        R"("namespace":"default","labels":{{{2}}}}},"spec":{{"replicas":{1},"selector":)"
        R"({{"matchLabels":{{"app":"{0}"}}}},"template":{{"metadata":{{"labels":{{"app":"{0}"}}}},)"
        R"("spec":{{"containers":[{{"name":"app","image":"app:1"}}]}}}}}}}})",
        name, replicas, labels)));
    ASSERT_TRUE(created) << created.error().message;
  }
  int Replicas(const std::string& name) {
    auto d = server_->GetObject("apps/v1", "Deployment", "default", name);
    EXPECT_TRUE(d);
    return d ? (*d)["spec"]["replicas"].GetInt() : -1;
  }
  static std::string Path(const std::string& path) { return SourceDir() + "/autoscalers/" + path; }
  // `cpa run --once` on an example config; `env` are KEY=VALUE overrides.
  CliResult RunOnce(const std::string& config, std::vector<std::string> env) {
    env.push_back(R"(apiConfig={"enabled": false})");
    return RunCpa({"run", "--once", "--config", Path(config), "--kubeconfig", kubeconfig_},
                  scratch_, std::chrono::seconds(60), env);
  }
  // A shell-method override: `key={"shell": {"entrypoint": ..., "command": [...]}}`.
  static std::string Shell(const std::string& key, const std::string& entrypoint,
                           const std::vector<std::string>& command) {
    std::string args;
    for (const auto& c : command) args += (args.empty() ? "" : ", ") + fmt::format(R"("{}")", c);
    return fmt::format(R"({}={{"shell": {{"entrypoint": "{}", "command": [{}]}}}})", key,
                       entrypoint, args);
  }
  static std::string Python(const std::string& key, const std::string& script) {
    return Shell(key, "python3", {Path(script)});
  }

  ScratchDir scratch_;
  std::unique_ptr<kube::fake::FakeApiServer> server_;
  std::string kubeconfig_;
};

// --- autoscalers/shell --------------------------------------------------------------------

class ShellExample : public AutoscalerExamplesTest {
 protected:
  CliResult Run(const std::string& length) {
    const std::string file = scratch_.File("length");
    std::ofstream(file) << length;
    return RunOnce("shell/config.yaml",
                   {"QUEUE_FILE=" + file, Shell("metric", "/bin/sh", {Path("shell/metric.sh")}),
                    Shell("evaluate", "/bin/sh", {Path("shell/evaluate.sh")})});
  }
};

TEST_F(ShellExample, OneReplicaPerFiveWaitingJobs) {
  AddDeployment("queue-worker", 1);
  CliResult run = Run("23\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("queue-worker"), 5);
}

TEST_F(ShellExample, AnEmptyQueueKeepsOneReplica) {
  AddDeployment("queue-worker", 4);
  CliResult run = Run("0");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("queue-worker"), 1);
}

TEST_F(ShellExample, AMalformedLengthFailsTheRunAndScalesNothing) {
  AddDeployment("queue-worker", 2);
  CliResult run = Run("lots");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("holds 'lots', not a whole number"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("queue-worker"), 2);
}

// --- autoscalers/python-per-resource -----------------------------------------------------------

class PythonPerResource : public AutoscalerExamplesTest {
 protected:
  CliResult Run() {
    return RunOnce("python-per-resource/config.yaml",
                   {Python("metric", "python-per-resource/metric.py"),
                    Python("evaluate", "python-per-resource/evaluate.py")});
  }
};

TEST_F(PythonPerResource, ScalesToTheLabel) {
  AddDeployment("labelled-app", 1, R"("autoscaler.example.com/replicas":"3")");
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("labelled-app"), 3);
}

TEST_F(PythonPerResource, ALabelAboveTheMaximumIsClamped) {
  AddDeployment("labelled-app", 1, R"("autoscaler.example.com/replicas":"20")");
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("labelled-app"), 8);
}

TEST_F(PythonPerResource, NoLabelKeepsTheCount) {
  AddDeployment("labelled-app", 4);
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("labelled-app"), 4);
}

TEST_F(PythonPerResource, ABadLabelFailsTheRun) {
  AddDeployment("labelled-app", 2, R"("autoscaler.example.com/replicas":"many")");
  CliResult run = Run();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("is 'many', not a whole number"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("labelled-app"), 2);
}

// --- autoscalers/hooks -------------------------------------------------------------------------

class HooksExample : public AutoscalerExamplesTest {
 protected:
  CliResult Run() {
    return RunOnce(
        "hooks/config.yaml",
        {"RECORD_FILE=" + records_, Python("metric", "hooks/metric.py"),
         Python("evaluate", "hooks/evaluate.py"), Python("postScale", "hooks/record.py")});
  }
  std::string records_ = scratch_.File("records/scaling.jsonl");
};

TEST_F(HooksExample, PostScaleRecordsTheScaling) {
  AddDeployment("hooked-app", 1, R"("numPods":"9")");
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("hooked-app"), 6);  // maxReplicas
  const std::string line = ReadFile(records_);
  EXPECT_NE(line.find(R"("target": "Deployment/hooked-app", "from": 1, "to": 6, "evaluated": 9)"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("runType": "scaler")"), std::string::npos) << line;
}

TEST_F(HooksExample, NoChangeRecordsNothing) {
  AddDeployment("hooked-app", 2, R"("numPods":"2")");
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("hooked-app"), 2);
  EXPECT_EQ(ReadFile(records_), "");
}

// --- autoscalers/python-per-pod and autoscalers/go-per-pod
// ----------------------------------------

// The pods' capacity endpoint: GET /capacity?pod=<name> -> {"available": N}, the same N for every
// pod (or 503 when `available` is negative).
class CapacityServer {
 public:
  CapacityServer() {
    server_.server().Get("/capacity", [this](const httplib::Request& req, httplib::Response& res) {
      const int n = available_.load();
      if (!req.has_param("pod") || n < 0) {
        res.status = 503;
        res.set_content("overloaded", "text/plain");
        return;
      }
      res.set_content(fmt::format(R"({{"available": {}}})", n), "application/json");
    });
  }
  void Set(int available) { available_ = available; }
  std::string Template() const { return server_.url() + "/capacity?pod={podName}"; }

 private:
  std::atomic<int> available_{0};
  LocalServer server_;
};

// The per-pod scenarios, for the Python and the Go user logic alike.
class PerPodTest : public AutoscalerExamplesTest,
                   public ::testing::WithParamInterface<std::string> {
 protected:
  static void SetUpTestSuite() {
    // The Go example, built with Debian's toolchain, offline; the build cache is kept in the
    // build tree between runs.
    const std::string binary_dir =
        std::getenv("CPA_BINARY_DIR") ? std::getenv("CPA_BINARY_DIR") : "build";
    const std::string go_dir = std::filesystem::absolute(binary_dir + "/deliver-go").string();
    std::filesystem::create_directories(go_dir);
    go_binary_ = go_dir + "/cpa-go-per-pod";
    const std::string cmd = fmt::format(
        "cd '{}' && GOCACHE='{}/cache' GOPATH='{}/path' GOPROXY=off "
        "GOFLAGS=-mod=mod GO111MODULE=on CGO_ENABLED=0 go build -trimpath -o '{}' . 2>&1",
        Path("go-per-pod"), go_dir, go_dir, go_binary_);
    go_built_ = std::system(cmd.c_str()) == 0;
  }
  CliResult Run() {
    std::vector<std::string> env = {"METRIC_URL=" + capacity_.Template()};
    if (GetParam() == "python") {
      env.push_back(Python("metric", "python-per-pod/metric.py"));
      env.push_back(Python("evaluate", "python-per-pod/evaluate.py"));
      return RunOnce("python-per-pod/config.yaml", env);
    }
    EXPECT_TRUE(go_built_) << "go build of autoscalers/go-per-pod failed";
    env.push_back(Shell("metric", go_binary_, {"metric"}));
    env.push_back(Shell("evaluate", go_binary_, {"evaluate"}));
    return RunOnce("go-per-pod/config.yaml", env);
  }

  CapacityServer capacity_;
  static inline std::string go_binary_;
  static inline bool go_built_ = false;
};

TEST_P(PerPodTest, LowTotalCapacityAddsAReplica) {
  AddDeployment("capacity-app", 3);
  capacity_.Set(3);  // 9 in total, below 10
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("capacity-app"), 4);
}

TEST_P(PerPodTest, HighTotalCapacityRemovesAReplica) {
  AddDeployment("capacity-app", 3);
  capacity_.Set(15);  // 45 in total, above 40
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("capacity-app"), 2);
}

TEST_P(PerPodTest, CapacityBetweenTheThresholdsKeepsTheCount) {
  AddDeployment("capacity-app", 3);
  capacity_.Set(8);  // 24 in total
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("capacity-app"), 3);
}

TEST_P(PerPodTest, APodThatDoesNotAnswerFailsTheRun) {
  AddDeployment("capacity-app", 2);
  capacity_.Set(-1);
  CliResult run = Run();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("capacity"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("503"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("capacity-app"), 2);
}

INSTANTIATE_TEST_SUITE_P(Examples, PerPodTest, ::testing::Values("python", "go"),
                         [](const auto& info) { return info.param; });

// --- autoscalers/http-tls ------------------------------------------------------------------------

class HttpTls : public AutoscalerExamplesTest {
 protected:
  void SetUp() override {
    AutoscalerExamplesTest::SetUp();
    const std::string d = scratch_.path().string();
    const std::string cmd = fmt::format(
        "cd '{0}' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 "
        "-subj /CN=test-ca && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out "
        "other.crt -days 1 -subj /CN=other-ca && openssl req -newkey rsa:2048 -nodes -keyout "
        "tls.key -out tls.csr -subj /CN=load-logic && printf "
        "'subjectAltName=DNS:load-logic,IP:127.0.0.1' > san.ext && openssl x509 -req -in tls.csr "
        "-CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 1 -extfile san.ext "
        ">/dev/null 2>&1",
        d);
    ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0);
    std::ofstream(d + "/token") << "test-token\n";
    server_process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "python3", Path("http-tls/server.py"), "--host", "127.0.0.1", "--port", "0", "--port-file",
        d + "/port", "--cert", d + "/tls.crt", "--key", d + "/tls.key", "--token-file",
        d + "/token"});
    ASSERT_TRUE(server_process_->started());
    port_ = WaitForFile(d + "/port");
    ASSERT_FALSE(port_.empty());
  }
  void TearDown() override {
    server_process_.reset();
    AutoscalerExamplesTest::TearDown();
  }
  std::string Method(const std::string& key, const std::string& ca, const std::string& token) {
    return fmt::format(
        R"({}={{"http": {{"method": "POST", "url": "https://127.0.0.1:{}/{}", "parameterMode": )"
        R"("body", "caCert": "{}", "headers": {{"Authorization": "Bearer {}"}}}}}})",
        key, port_, key, scratch_.File(ca), token);
  }
  CliResult Run(const std::string& ca, const std::string& token) {
    return RunOnce("http-tls/config.yaml",
                   {Method("metric", ca, token), Method("evaluate", ca, token)});
  }

  std::unique_ptr<ChildProcess> server_process_;
  std::string port_;
};

TEST_F(HttpTls, ScalesThroughTheHttpsService) {
  AddDeployment("load-app", 1, R"("example.com/load":"450")");
  CliResult run = Run("ca.crt", "test-token");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("load-app"), 5);
}

TEST_F(HttpTls, AWrongTokenIsRefusedAndNothingScales) {
  AddDeployment("load-app", 1, R"("example.com/load":"450")");
  CliResult run = Run("ca.crt", "wrong-token");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("401"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("missing or wrong bearer token"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("load-app"), 1);
}

TEST_F(HttpTls, ACaThatDidNotSignTheCertificateFailsTheHandshake) {
  AddDeployment("load-app", 1, R"("example.com/load":"450")");
  CliResult run = Run("other.crt", "test-token");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("other.crt"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("load-app"), 1);
}

// --- autoscalers/tweet ---------------------------------------------------------------------------

// A fake of GET /2/tweets/search/recent with canned replies.
class FakeTweetServer {
 public:
  enum class Mode { kTwoPages, kManyThumbsUp, kRateLimited, kUnauthorized, kUnavailable };
  FakeTweetServer() {
    server_.server().Get("/2/tweets/search/recent", [this](const httplib::Request& req,
                                                           httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++requests_;
      authorization_ = req.get_header_value("Authorization");
      query_ = req.get_param_value("query");
      switch (mode_) {
        case Mode::kTwoPages:
          if (req.get_param_value("next_token") == "page2") {
            res.set_content(
                R"({"data": [{"id": "5", "text": "#cpa \ud83d\udc4d again"},)"
                R"( {"id": "6", "text": "#cpa \ud83d\udc4d\ud83d\udc4d twice is once"}],)"
                R"( "meta": {"result_count": 2}})",
                "application/json");
          } else {
            res.set_content(
                R"({"data": [{"id": "1", "text": "love #cpa \ud83d\udc4d"},)"
                R"( {"id": "2", "text": "#cpa \ud83d\udc4d"}, {"id": "3", "text": "#cpa meh"},)"
                R"( {"id": "4", "text": "#cpa \ud83d\udc4e"}],)"
                R"( "meta": {"result_count": 4, "next_token": "page2"}})",
                "application/json");
          }
          return;
        case Mode::kManyThumbsUp: {
          std::string data;
          for (int i = 0; i < 20; ++i) {
            data +=
                fmt::format(R"({}{{"id": "{}", "text": "#cpa \ud83d\udc4d"}})", i ? ", " : "", i);
          }
          res.set_content(R"({"data": [)" + data + R"(], "meta": {"result_count": 20}})",
                          "application/json");
          return;
        }
        case Mode::kRateLimited:
          res.status = 429;
          res.set_header("x-rate-limit-reset", "1796083200");  // 2026-12-01T00:00:00Z
          res.set_content(R"({"title": "Too Many Requests", "status": 429})", "application/json");
          return;
        case Mode::kUnauthorized:
          res.status = 401;
          res.set_content(R"({"title": "Unauthorized", "detail": "Unauthorized", "status": 401})",
                          "application/json");
          return;
        case Mode::kUnavailable:
          res.status = 503;
          res.set_content(R"({"title": "Service Unavailable", "status": 503})", "application/json");
          return;
      }
    });
  }
  void SetMode(Mode mode) {
    std::lock_guard lock(mu_);
    mode_ = mode;
  }
  std::string url() const { return server_.url(); }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string authorization() {
    std::lock_guard lock(mu_);
    return authorization_;
  }
  std::string query() {
    std::lock_guard lock(mu_);
    return query_;
  }

 private:
  std::mutex mu_;
  Mode mode_ = Mode::kTwoPages;
  int requests_ = 0;
  std::string authorization_;
  std::string query_;
  LocalServer server_;
};

class Tweet : public AutoscalerExamplesTest {
 protected:
  CliResult Run(bool with_token = true) {
    const std::string token_file = scratch_.File("bearer-token");
    if (with_token) std::ofstream(token_file) << "test-bearer-token\n";
    return RunOnce("tweet/config.yaml",
                   {"TWEET_API_URL=" + tweets_.url(), "TWEET_BEARER_TOKEN_FILE=" + token_file,
                    "TWEET_BEARER_TOKEN=", "HASHTAG=cpa", Python("metric", "tweet/metric.py"),
                    Python("evaluate", "tweet/evaluate.py")});
  }
  FakeTweetServer tweets_;
};

TEST_F(Tweet, ThumbsUpMinusThumbsDownOverTwoPages) {
  AddDeployment("tweet-app", 1);
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("tweet-app"), 3);  // 4 up (2 + 2) - 1 down
  EXPECT_EQ(tweets_.requests(), 2);
  EXPECT_EQ(tweets_.authorization(), "Bearer test-bearer-token");
  EXPECT_EQ(tweets_.query(), "#cpa -is:retweet");
}

TEST_F(Tweet, TheResultIsClampedToMaxReplicas) {
  AddDeployment("tweet-app", 1);
  tweets_.SetMode(FakeTweetServer::Mode::kManyThumbsUp);
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("tweet-app"), 10);
}

TEST_F(Tweet, ARateLimitIsAClearErrorAndNothingScales) {
  AddDeployment("tweet-app", 2);
  tweets_.SetMode(FakeTweetServer::Mode::kRateLimited);
  CliResult run = Run();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("Twitter API rate limit reached (HTTP 429, resets at "
                         "2026-12-01T00:00:00Z); not scaling"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(Replicas("tweet-app"), 2);
}

TEST_F(Tweet, ARejectedTokenIsAClearErrorAndNothingScales) {
  AddDeployment("tweet-app", 2);
  tweets_.SetMode(FakeTweetServer::Mode::kUnauthorized);
  CliResult run = Run();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("the bearer token was rejected (HTTP 401"), std::string::npos) << run.err;
  EXPECT_EQ(Replicas("tweet-app"), 2);
}

TEST_F(Tweet, AServerErrorIsAClearErrorAndNothingScales) {
  AddDeployment("tweet-app", 2);
  tweets_.SetMode(FakeTweetServer::Mode::kUnavailable);
  CliResult run = Run();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("the Twitter API answered HTTP 503: Service Unavailable"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(Replicas("tweet-app"), 2);
}

TEST_F(Tweet, AMissingTokenIsAClearErrorAndNothingIsAsked) {
  AddDeployment("tweet-app", 2);
  CliResult run = Run(/*with_token=*/false);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no bearer token: cannot read"), std::string::npos) << run.err;
  EXPECT_EQ(tweets_.requests(), 0);
  EXPECT_EQ(Replicas("tweet-app"), 2);
}

// --- autoscalers/hpa and autoscalers/phpa: the built-in evaluators' ready configs ----------------

class BuiltInEvaluators : public AutoscalerExamplesTest,
                          public ::testing::WithParamInterface<std::string> {
 protected:
  // `web` with 2 pods requesting 500m CPU, each using `usage`.
  void AddWeb(const std::string& usage) {
    auto created = server_->CreateObject(
        std::string_view(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",)"
                         R"("namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":)"
                         R"({"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":)"
                         R"({"containers":[{"name":"web","image":"web:1","resources":{"requests":)"
                         R"({"cpu":"500m"}}}]}}}})"));
    ASSERT_TRUE(created) << created.error().message;
    for (const auto& pod : server_->ListObjects("v1", "Pod", "default")) {
      server_->SetPodMetrics("default", pod["metadata"]["name"].GetString(),
                             {kube::fake::ContainerUsage{"web", usage, "16Mi"}});
    }
  }
  CliResult Run() {
    // The store on a scratch file (the config names a volume path); the fake's pods have just
    // started, so their CPU counts at once (the HPA would wait cpuInitializationPeriod).
    return RunOnce(
        GetParam() + "/config.yaml",
        {fmt::format(R"(store={{"path": "{}"}})", scratch_.File("history.db")),
         fmt::format(R"(evaluate={{"{}": {{"cpuInitializationPeriod": 0}}}})", GetParam())});
  }
};

TEST_P(BuiltInEvaluators, HighCpuScalesUp) {
  AddWeb("800m");  // 160% of the request: the HPA wants ceil(2 * 160 / target)
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // hpa targets 80% -> 4; phpa targets 50% -> 7, held to 6 by the default scale-up policy
  // (at most +4 pods or +100% per 15 s); with no history yet its models add nothing.
  EXPECT_EQ(Replicas("web"), GetParam() == "hpa" ? 4 : 6);
}

TEST_P(BuiltInEvaluators, CpuAtTheTargetKeepsTheCount) {
  AddWeb(GetParam() == "hpa" ? "400m" : "250m");  // exactly the target utilization
  CliResult run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Replicas("web"), 2);
}

INSTANTIATE_TEST_SUITE_P(Autoscalers, BuiltInEvaluators, ::testing::Values("hpa", "phpa"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cpa::deliver
