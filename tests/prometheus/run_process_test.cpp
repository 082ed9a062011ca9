// End to end: the real `cpa run` process against kube/fake, scaling on a Prometheus query —
// a real Prometheus server scraping an exporter the test runs — and on a stand-in server that is
// down, slow or failing, to see that nothing is scaled, one line per run names the cause, and a
// running autoscaler recovers.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "common/json.h"
#include "kube/fake/fake_api_server.h"
#include "prometheus/client.h"
#include "store/sqlite_store.h"
#include "tests/prometheus/prometheus_server.h"
#include "tests/support/child_process.h"

namespace cpa::prometheus {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string BinaryDir() {
  const char* dir = std::getenv("CPA_BINARY_DIR");
  return dir != nullptr ? dir : "build";
}

using Process = testing_support::ChildProcess;

using testing_support::CountLinesWith;

// A stand-in Prometheus whose instant-query reply the test switches: a vector of one sample,
// a slow reply (beyond the client's timeout), or an HTTP 503 error reply.
class Gate {
 public:
  enum class Mode { kGood, kSlow, kError };
  Gate() {
    server_.Get("/api/v1/query", [this](const httplib::Request&, httplib::Response& res) {
      switch (mode_.load()) {
        case Mode::kSlow:
          std::this_thread::sleep_for(1200ms);
          [[fallthrough]];
        case Mode::kGood:
          res.set_content(
              R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},)"
              R"("value":[1793491200,"250"]}]}})",
              "application/json");
          return;
        case Mode::kError:
          res.status = 503;
          res.set_content(
              R"({"status":"error","errorType":"unavailable","error":"storage is down"})",
              "application/json");
          return;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Gate() {
    server_.stop();
    thread_.join();
  }
  void Set(Mode mode) { mode_ = mode; }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::kGood};
};

class PrometheusRunProcess : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cpa-prom-e2e-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    api_ = std::make_unique<kube::fake::FakeApiServer>();
    ASSERT_TRUE(api_->Start());
    std::ofstream(dir_ / "kubeconfig") << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n"
        "    server: {}\ncontexts:\n- name: t\n  context: {{cluster: t, user: t}}\nusers:\n"
        "- name: t\n  user: {{token: x}}\n",
        api_->url());
  }
  void TearDown() override {
    prometheus_.reset();
    exporter_.reset();
    api_->Stop();
    fs::remove_all(dir_);
  }
  void AddDeployment(const std::string& name, int replicas) {
    auto created = api_->CreateObject(fmt::format(
        R"({{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"{0}",)"
        R"("namespace":"default"}},"spec":{{"replicas":{1},"selector":{{"matchLabels":)"
        R"({{"app":"{0}"}}}},"template":{{"metadata":{{"labels":{{"app":"{0}"}}}},"spec":)"
        R"({{"containers":[{{"name":"app","image":"nginx"}}]}}}}}}}})",
        name, replicas));
    ASSERT_TRUE(created) << created.error().message;
  }
  int Replicas(const std::string& name) {
    auto d = api_->GetObject("apps/v1", "Deployment", "default", name);
    EXPECT_TRUE(d);
    return d ? (*d)["spec"]["replicas"].GetInt() : -1;
  }
  // A real Prometheus scraping an exporter that serves `text`, with `history` (OpenMetrics)
  // written as blocks before it starts.
  void StartPrometheus(const std::string& text, const std::string& history = "") {
    exporter_ = std::make_unique<testing_prometheus::Exporter>();
    ASSERT_TRUE(exporter_->Start());
    exporter_->Set(text);
    prometheus_ = std::make_unique<testing_prometheus::PrometheusServer>(dir_ / "prometheus");
    testing_prometheus::ServerOptions options;
    options.exporter_port = exporter_->port();
    options.openmetrics = history;
    auto s = prometheus_->Start(options);
    ASSERT_TRUE(s) << s.error().message;
  }
  // Waits (bounded) until `query` returns `value`.
  void WaitForValue(const std::string& query, double value) {
    ServerConfig config;
    config.address = prometheus_->url();
    auto client = Client::Create(config);
    ASSERT_TRUE(client);
    for (int i = 0; i < 300; ++i) {
      auto r = (*client)->Query(query);
      if (r && r->series.size() == 1 && r->series[0].points[0].value == value) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << query << " never returned " << value;
  }
  std::string HpaConfig(const std::string& address, const std::string& extra = "") {
    std::string path = (dir_ / "config.yaml").string();
    std::ofstream(path) << fmt::format(
        "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        "interval: 300\napiConfig: {{enabled: false}}\n"
        "prometheus: {{address: '{}', timeout: 500}}\n"
        "evaluate:\n  type: hpa\n  hpa:\n    metrics:\n"
        "    - type: Prometheus\n      prometheus:\n        name: rps\n"
        "        query: "
        "'sum(cpa_rps{{namespace=\"{{{{namespace}}}}\",deployment=\"{{{{target}}}}\"}})'\n"
        "        target: {{type: AverageValue, averageValue: '100'}}\n"
        "    behavior: {{scaleDown: {{stabilizationWindowSeconds: 0}}}}\n{}",
        address, extra);
    return path;
  }
  Process Cpa(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryDir() + "/cli/cpa");
    if (args[1] == "run") {
      args.push_back("--kubeconfig");
      args.push_back((dir_ / "kubeconfig").string());
    }
    return testing_support::SpawnLogged(args, dir_ / ("cpa-" + std::to_string(++runs_) + ".log"));
  }

  fs::path dir_;
  std::unique_ptr<kube::fake::FakeApiServer> api_;
  std::unique_ptr<testing_prometheus::Exporter> exporter_;
  std::unique_ptr<testing_prometheus::PrometheusServer> prometheus_;
  int runs_ = 0;
};

TEST_F(PrometheusRunProcess, ScalesOnAnInstantQueryFromAndToZero) {
  AddDeployment("web", 0);
  StartPrometheus("cpa_rps{namespace=\"default\",deployment=\"web\"} 250\n");
  WaitForValue("sum(cpa_rps)", 250);
  auto config = HpaConfig(prometheus_->url(), "minReplicas: 0\n");
  auto p = Cpa({"run", "--once", "--config", config});
  EXPECT_EQ(p.Wait(30s), 0) << p.Output();
  EXPECT_EQ(Replicas("web"), 3) << p.Output();  // ceil(250 / 100), from zero

  exporter_->Set("cpa_rps{namespace=\"default\",deployment=\"web\"} 0\n");
  WaitForValue("sum(cpa_rps)", 0);
  p = Cpa({"run", "--once", "--config", config});
  EXPECT_EQ(p.Wait(30s), 0) << p.Output();
  EXPECT_EQ(Replicas("web"), 0) << p.Output();  // to zero (minReplicas 0)
}

TEST_F(PrometheusRunProcess, UserLogicGetsThePrometheusValueInKubernetesMetrics) {
  AddDeployment("web", 2);
  StartPrometheus("cpa_rps{namespace=\"default\",deployment=\"web\"} 250\n");
  WaitForValue("sum(cpa_rps)", 250);
  const std::string input = (dir_ / "input.json").string();
  std::string path = (dir_ / "logic.yaml").string();
  std::ofstream(path) << fmt::format(
      "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
      "interval: 300\napiConfig: {{enabled: false}}\nrunMode: per-resource\n"
      "prometheus: {{address: '{}'}}\n"
      "kubernetesMetricSpecs:\n- type: Prometheus\n  prometheus:\n"
      "    query: 'sum(cpa_rps{{deployment=\"{{{{target}}}}\"}})'\n"
      "    target: {{type: AverageValue, averageValue: '100'}}\n"
      "requireKubernetesMetrics: true\n"
      "metric: {{type: shell, shell: {{entrypoint: /bin/sh, command: ['-c', 'cat > {}; echo "
      "1']}}}}\n"
      "evaluate: {{type: shell, shell: {{entrypoint: /bin/echo, command: ['{{\"targetReplicas\": "
      "2}}']}}}}\n",
      prometheus_->url(), input);
  auto p = Cpa({"run", "--once", "--config", path});
  EXPECT_EQ(p.Wait(30s), 0) << p.Output();
  std::ifstream in(input);
  std::stringstream s;
  s << in.rdbuf();
  auto doc = ParseJson(s.str());
  ASSERT_TRUE(doc) << s.str();
  const auto& m = (*doc)["kubernetesMetrics"][0];
  EXPECT_STREQ(m["spec"]["type"].GetString(), "Prometheus");
  EXPECT_EQ(m["external"]["current"]["average_value"].GetInt64(), 250000);
  EXPECT_EQ(m["prometheus"]["value"].GetDouble(), 250.0);
  EXPECT_STREQ(m["prometheus"]["query"].GetString(), "sum(cpa_rps{deployment=\"web\"})");
}

TEST_F(PrometheusRunProcess, DownSlowOrFailingServerScalesNothingWithOneLinePerRun) {
  AddDeployment("web", 2);
  const std::string down = fmt::format("http://127.0.0.1:{}", testing_prometheus::FreePort());
  auto p = Cpa({"run", "--once", "--config", HpaConfig(down)});
  EXPECT_NE(p.Wait(30s), -1);
  EXPECT_EQ(Replicas("web"), 2);
  EXPECT_EQ(CountLinesWith(p.Output(), "metric 0 (Prometheus) could not be read"), 1) << p.Output();
  EXPECT_NE(p.Output().find("could not be read: unavailable: failed to get prometheus metric rps"),
            std::string::npos)
      << p.Output();

  Gate gate;
  const std::string address = fmt::format("http://127.0.0.1:{}", gate.port());
  gate.Set(Gate::Mode::kSlow);
  p = Cpa({"run", "--once", "--config", HpaConfig(address)});
  EXPECT_NE(p.Wait(30s), -1);
  EXPECT_EQ(Replicas("web"), 2);
  EXPECT_EQ(CountLinesWith(p.Output(), "metric 0 (Prometheus) could not be read"), 1) << p.Output();
  EXPECT_EQ(CountLinesWith(p.Output(), "(Prometheus) could not be read: deadline_exceeded:"), 1)
      << p.Output();
  EXPECT_NE(p.Output().find("no reply within the timeout of 500 ms"), std::string::npos);

  gate.Set(Gate::Mode::kError);
  p = Cpa({"run", "--once", "--config", HpaConfig(address)});
  EXPECT_NE(p.Wait(30s), -1);
  EXPECT_EQ(Replicas("web"), 2);
  EXPECT_EQ(CountLinesWith(p.Output(),
                           "could not be read: unavailable: failed to get prometheus "
                           "metric rps: query sum(cpa_rps{namespace=\"default\","
                           "deployment=\"web\"}): HTTP 503: Prometheus error unavailable: "
                           "storage is down"),
            1)
      << p.Output();

  // A running autoscaler recovers once the server answers again.
  gate.Set(Gate::Mode::kSlow);
  p = Cpa({"run", "--config", HpaConfig(address)});
  for (int i = 0; i < 200 && CountLinesWith(p.Output(), "(Prometheus) could not be read") < 2;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(Replicas("web"), 2);
  gate.Set(Gate::Mode::kGood);
  for (int i = 0; i < 400 && Replicas("web") != 3; ++i) std::this_thread::sleep_for(25ms);
  EXPECT_EQ(Replicas("web"), 3) << p.Output();
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(20s), 0) << p.Output();
}

TEST_F(PrometheusRunProcess, HistoryImportTwiceStoresEachPointOnce) {
  StartPrometheus("cpa_rps{namespace=\"default\",deployment=\"web\"} 7\n");
  WaitForValue("sum(cpa_rps)", 7);
  std::this_thread::sleep_for(2500ms);  // a few scrapes before the range's end (whole seconds)
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string store = (dir_ / "history.db").string();
  std::vector<std::string> args = {"history",      "import",
                                   "--store",      store,
                                   "--autoscaler", "default/web",
                                   "--series",     "metric:rps",
                                   "--prometheus", prometheus_->url(),
                                   "--query",      "sum(cpa_rps)",
                                   "--start",      std::to_string((now - 60) * 1000),
                                   "--end",        std::to_string(now * 1000),
                                   "--step",       "1s"};
  for (int round = 0; round < 2; ++round) {
    auto p = Cpa(args);
    EXPECT_EQ(p.Wait(30s), 0) << p.Output();
    EXPECT_NE(p.Output().find("imported "), std::string::npos) << p.Output();
  }
  store::StoreOptions options;
  options.path = store;
  options.read_only = true;
  auto opened = store::OpenSqliteStore(options);
  ASSERT_TRUE(opened) << opened.error().message;
  auto values = (*opened)->Values(store::SeriesRef::Metric("default/web", "prometheus", "rps"), {});
  ASSERT_TRUE(values);
  ASSERT_FALSE(values->empty());
  for (size_t i = 1; i < values->size(); ++i) {
    EXPECT_LT((*values)[i - 1].time, (*values)[i].time);  // one point per time
  }
  for (const auto& v : *values) EXPECT_EQ(*v.value, 7);
}

TEST_F(PrometheusRunProcess, BackfillOfSeveralDaysFeedsThePhpaDecision) {
  AddDeployment("web", 4);
  // Five days of the load in replicas (7.6) at 60 s, ending a minute ago.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() /
                      60 * 60;
  std::string history = "# TYPE cpa_load_replicas gauge\n";
  for (int64_t t = now - 5 * 86400; t <= now - 60; t += 60) {
    history += fmt::format("cpa_load_replicas{{deployment=\"web\"}} 7.6 {}\n", t);
  }
  history += "# EOF\n";
  StartPrometheus("cpa_rps{namespace=\"default\",deployment=\"web\"} 400\n", history);
  WaitForValue("sum(cpa_rps)", 400);
  const std::string store = (dir_ / "phpa.db").string();
  std::string path = (dir_ / "phpa.yaml").string();
  std::ofstream(path) << fmt::format(
      "scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
      "interval: 60000\napiConfig: {{enabled: false}}\nminReplicas: 1\nmaxReplicas: 20\n"
      "prometheus: {{address: '{0}'}}\n"
      "evaluate:\n  type: phpa\n  phpa:\n    learn: load\n    metrics:\n"
      "    - type: Prometheus\n      prometheus:\n"
      "        query: 'sum(cpa_rps{{deployment=\"{{{{target}}}}\"}})'\n"
      "        target: {{type: AverageValue, averageValue: '100'}}\n"
      "    decisionType: maximum\n    models:\n    - type: HoltWinters\n      name: daily\n"
      "      holtWinters: {{alpha: 0.01, beta: 0.01, gamma: 0.01, trend: additive, seasonal: "
      "additive, seasonalPeriods: 1440, storedSeasons: 3, lookAhead: 1, initializationMethod: "
      "heuristic}}\n"
      "store:\n  path: {1}\n  backfill:\n"
      "    query: 'max(cpa_load_replicas{{deployment=\"{{{{target}}}}\"}})'\n",
      prometheus_->url(), store);
  auto p = Cpa({"run", "--once", "--config", path});
  EXPECT_EQ(p.Wait(60s), 0) << p.Output();
  EXPECT_NE(p.Output().find("store.backfill of default/web: fetched "), std::string::npos)
      << p.Output();
  // The HPA alone says ceil(400 / 100) = 4; the model, fed the backfilled days, predicts ~7.6.
  EXPECT_EQ(Replicas("web"), 8) << p.Output();

  // A second start finds the history in the store and fetches nothing.
  p = Cpa({"run", "--once", "--config", path});
  EXPECT_EQ(p.Wait(60s), 0) << p.Output();
  EXPECT_NE(p.Output().find("store.backfill of default/web: the store already holds"),
            std::string::npos)
      << p.Output();
}

TEST_F(PrometheusRunProcess, TuneReadsItsSeriesFromPrometheus) {
  std::string history = "# TYPE cpa_season gauge\n";
  const int64_t start = 1793491200;  // 2026-11-01T00:00:00Z, three days at 15 min
  for (int64_t t = start; t < start + 3 * 86400; t += 900) {
    const double v =
        10 + 5 * std::sin(2 * 3.141592653589793 * static_cast<double>(t % 86400) / 86400);
    history += fmt::format("cpa_season {:.3f} {}\n", v, t);
  }
  history += "# EOF\n";
  StartPrometheus("cpa_rps 1\n", history);
  auto p =
      Cpa({"tune", "--prometheus", prometheus_->url(), "--query", "cpa_season", "--start",
           std::to_string(start * 1000), "--end", std::to_string((start + 3 * 86400 - 900) * 1000),
           "--step", "15m", "--season-length", "96"});
  EXPECT_EQ(p.Wait(60s), 0) << p.Output();
  EXPECT_NE(p.Output().find("alpha"), std::string::npos) << p.Output();
  std::string points;
  for (const auto& line : {std::string("# points=")}) {
    const size_t at = p.Output().find(line);
    ASSERT_NE(at, std::string::npos) << p.Output();
    points = p.Output().substr(at, p.Output().find_first_of(" \n", at + 2) - at);
  }
  EXPECT_EQ(points, "# points=288");  // three days at 15 min, read back from Prometheus

  // cpa replay takes the same source as its demand series.
  p = Cpa({"replay", "-c", "autoscalers/hpa/config.yaml", "--prometheus", prometheus_->url(),
           "--query", "cpa_season", "--start", std::to_string(start * 1000), "--end",
           std::to_string((start + 86400) * 1000), "--step", "15m"});
  EXPECT_EQ(p.Wait(60s), 0) << p.Output();
}

}  // namespace
}  // namespace cpa::prometheus
