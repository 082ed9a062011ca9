#include "api/api_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common/json.h"
#include "engine/scheduler.h"
#include "tests/api/api_harness.h"
#include "tests/api/prometheus_parser.h"

namespace cpa::api {
namespace {

using namespace std::chrono_literals;
using testing::LoopbackApi;
using testing::MakeConfig;
using testing::TempDir;

JsonDocument Json(const httplib::Result& res) {
  auto doc = ParseJson(res->body);
  EXPECT_TRUE(doc) << res->body;
  return doc ? std::move(*doc) : JsonDocument();
}

void ExpectJsonError(const httplib::Result& res, int code) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, code) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto doc = Json(res);
  ASSERT_TRUE(doc.IsObject()) << res->body;
  ASSERT_TRUE(doc.HasMember("message") && doc["message"].IsString()) << res->body;
  EXPECT_FALSE(std::string(doc["message"].GetString()).empty());
  ASSERT_TRUE(doc.HasMember("code") && doc["code"].IsInt()) << res->body;
  EXPECT_EQ(doc["code"].GetInt(), code);
}

// One autoscaler ("default/web", 2 replicas, evaluates to 4) behind a server on loopback.
class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eval_file_ = dir_.Write("eval.json", R"({"targetReplicas": 4})");
    auto a = engine::Autoscaler::Create(MakeConfig("web", eval_file_), cluster_, clock_);
    ASSERT_TRUE(a) << a.error().ToString();
    autoscaler_ = std::move(*a);
  }
  void StartServer(config::ApiConfig api = LoopbackApi()) {
    server_ = std::make_unique<ApiServer>(api, std::vector<engine::Autoscaler*>{autoscaler_.get()},
                                          metrics_);
    if (readiness_) server_->SetReadinessProvider(readiness_);
    if (history_) server_->SetHistoryProvider(history_);
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().ToString();
    ASSERT_GT(server_->port(), 0);
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    return c;
  }

  TempDir dir_{"server"};
  std::string eval_file_;
  ManualClock clock_{FromUnixMillis(1'700'000'000'000)};
  engine::MemoryCluster cluster_{2};
  std::unique_ptr<engine::Autoscaler> autoscaler_;
  MetricsRegistry metrics_{clock_};
  ReadinessProvider readiness_;
  HistoryProvider history_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiServerTest, HealthzIsOkAndReadyzDefaultsToReady) {
  StartServer();
  auto cli = Client();
  auto h = cli.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->get_header_value("Content-Type"), "application/json");
  EXPECT_STREQ(Json(h)["status"].GetString(), "ok");
  auto r = cli.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_STREQ(Json(r)["status"].GetString(), "ready");
  auto head = cli.Head("/healthz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

TEST_F(ApiServerTest, ReadyzReportsFailingChecksWith503) {
  readiness_ = [] {
    return Readiness{{{"config", true, "loaded"}, {"cluster", false, "api server unreachable"}}};
  };
  StartServer();
  auto cli = Client();
  auto r = cli.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  auto doc = Json(r);
  EXPECT_STREQ(doc["status"].GetString(), "not ready");
  ASSERT_EQ(doc["checks"].Size(), 2u);
  EXPECT_STREQ(doc["checks"][1]["name"].GetString(), "cluster");
  EXPECT_FALSE(doc["checks"][1]["ok"].GetBool());
  EXPECT_STREQ(doc["checks"][1]["message"].GetString(), "api server unreachable");
}

TEST_F(ApiServerTest, DryRunEvaluationScalesNothing) {
  StartServer();
  auto cli = Client();
  auto res = cli.Post("/api/v1/evaluation?dry_run=true");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto doc = Json(res);
  EXPECT_EQ(doc["targetReplicas"].GetInt(), 4);
  EXPECT_TRUE(doc["dryRun"].GetBool());
  EXPECT_FALSE(doc["scaled"].GetBool());
  EXPECT_EQ(cluster_.replicas(), 2);
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, EvaluationScalesTheTarget) {
  StartServer();
  auto cli = Client();
  auto res = cli.Post("/api/v1/evaluation");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto doc = Json(res);
  EXPECT_EQ(doc["targetReplicas"].GetInt(), 4);
  EXPECT_EQ(doc["currentReplicas"].GetInt(), 2);
  EXPECT_TRUE(doc["scaled"].GetBool());
  EXPECT_FALSE(doc["dryRun"].GetBool());
  EXPECT_EQ(cluster_.replicas(), 4);
  EXPECT_EQ(cluster_.scales(), 1);
  // dry_run=false is the same as no parameter.
  dir_.Write("eval.json", R"({"targetReplicas": 6})");
  auto again = cli.Post("/api/v1/evaluation?dry_run=false");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(cluster_.replicas(), 6);
}

// The original framework documents `curl -X POST localhost:5000/api/v1/evaluation`: curl then
// sends no body and no Content-Length (cpp-httplib's server answered 400).
TEST_F(ApiServerTest, TheOriginalCurlCommandWithoutContentLengthScales) {
  StartServer();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string request =
      "POST /api/v1/evaluation HTTP/1.1\r\nHost: localhost:5000\r\nUser-Agent: curl/7.88.1\r\n"
      "Accept: */*\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_EQ(out.substr(0, 15), "HTTP/1.1 200 OK") << out;
  EXPECT_NE(out.find(R"("targetReplicas":4)"), std::string::npos) << out;
  EXPECT_EQ(cluster_.replicas(), 4);
}

TEST_F(ApiServerTest, MetricsRouteRunsTheMetricStageWithTheRunType) {
  StartServer();
  auto cli = Client();
  for (auto [query, run_type] : {std::pair{"", "api"}, std::pair{"?dry_run=true", "api_dry_run"},
                                 std::pair{"?dry_run=0", "api"}}) {
    auto res = cli.Get(std::string("/api/v1/metrics") + query);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    auto doc = Json(res);
    ASSERT_TRUE(doc.IsArray());
    ASSERT_EQ(doc.Size(), 1u);
    EXPECT_STREQ(doc[0]["resource"].GetString(), "web");
    auto input = ParseJson(doc[0]["value"].GetString());  // the metric input, echoed
    ASSERT_TRUE(input);
    EXPECT_STREQ((*input)["runType"].GetString(), run_type) << query;
  }
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, EveryGoBooleanIsAcceptedForDryRun) {
  StartServer();
  auto cli = Client();
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    auto res = cli.Post(std::string("/api/v1/evaluation?dry_run=") + t);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << t;
    EXPECT_TRUE(Json(res)["dryRun"].GetBool()) << t;
  }
  EXPECT_EQ(cluster_.scales(), 0);
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    auto res = cli.Post(std::string("/api/v1/evaluation?dry_run=") + f);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << f;
    EXPECT_FALSE(Json(res)["dryRun"].GetBool()) << f;
  }
  EXPECT_EQ(cluster_.replicas(), 4);
}

TEST_F(ApiServerTest, BadDryRunIs400AndScalesNothing) {
  StartServer();
  auto cli = Client();
  for (const char* bad : {"yes", "2", "tRuE", "%20true"}) {
    auto res = cli.Post(std::string("/api/v1/evaluation?dry_run=") + bad);
    ExpectJsonError(res, 400);
    EXPECT_NE(res->body.find("dry_run"), std::string::npos);
    ExpectJsonError(cli.Get(std::string("/api/v1/metrics?dry_run=") + bad), 400);
  }
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, WrongMethodIs405WithAllow) {
  StartServer();
  auto cli = Client();
  auto get_eval = cli.Get("/api/v1/evaluation");
  ExpectJsonError(get_eval, 405);
  EXPECT_EQ(get_eval->get_header_value("Allow"), "POST, OPTIONS");
  auto post_metrics = cli.Post("/api/v1/metrics");
  ExpectJsonError(post_metrics, 405);
  EXPECT_EQ(post_metrics->get_header_value("Allow"), "GET, OPTIONS");
  auto delete_health = cli.Delete("/healthz");
  ExpectJsonError(delete_health, 405);
  EXPECT_EQ(delete_health->get_header_value("Allow"), "GET, HEAD, OPTIONS");
  auto put_eval = cli.Put("/api/v1/autoscalers/default/web/evaluation", "", "text/plain");
  ExpectJsonError(put_eval, 405);
  EXPECT_EQ(put_eval->get_header_value("Allow"), "POST, OPTIONS");
  auto options = cli.Options("/api/v1/evaluation");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->get_header_value("Allow"), "POST, OPTIONS");
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, UnknownRouteIs404) {
  StartServer();
  auto cli = Client();
  for (const char* path : {"/", "/api/v2/metrics", "/api/v1/metrics/", "/api/v1/evaluations",
                           "/api/v1/autoscalers/default", "/api/v1/autoscalers/default/web/scale",
                           "/api/v1/autoscalers/default/other/metrics"}) {
    auto res = cli.Get(path);
    ExpectJsonError(res, 404);
  }
  ExpectJsonError(cli.Post("/api/v1/autoscalers/default/other/evaluation"), 404);
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, PrefixedRoutesWorkForTheSingleAutoscaler) {
  StartServer();
  auto cli = Client();
  auto list = cli.Get("/api/v1/autoscalers");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  auto doc = Json(list);
  ASSERT_EQ(doc.Size(), 1u);
  EXPECT_STREQ(doc[0]["id"].GetString(), "default/web");
  EXPECT_STREQ(doc[0]["scaleTargetRef"]["kind"].GetString(), "Deployment");
  EXPECT_EQ(doc[0]["maxReplicas"].GetInt(), 10);
  EXPECT_STREQ(doc[0]["mode"].GetString(), "live");
  EXPECT_FALSE(doc[0].HasMember("lastRun"));
  auto res = cli.Post("/api/v1/autoscalers/default/web/evaluation");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(cluster_.replicas(), 4);
  auto one = cli.Get("/api/v1/autoscalers/default/web");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200);
  auto described = Json(one);
  EXPECT_TRUE(described["lastRun"]["ok"].GetBool());
  EXPECT_STREQ(described["lastRun"]["runType"].GetString(), "api");
}

TEST_F(ApiServerTest, FailedRunIs500WithTheStageAndScalesNothing) {
  StartServer();
  dir_.Write("eval.json", "not json");
  auto cli = Client();
  auto res = cli.Post("/api/v1/evaluation");
  ExpectJsonError(res, 500);
  EXPECT_STREQ(Json(res)["stage"].GetString(), "evaluate");
  cluster_.set_fail_get(true);
  auto target = cli.Post("/api/v1/evaluation");
  ExpectJsonError(target, 500);
  EXPECT_STREQ(Json(target)["stage"].GetString(), "target");
  EXPECT_NE(Json(target)["message"].GetString(), std::string());
  EXPECT_NE(std::string(Json(target)["message"].GetString()).find("api server down"),
            std::string::npos);
  ExpectJsonError(cli.Get("/api/v1/metrics"), 500);
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, OversizedBodyIs413AndScalesNothing) {
  StartServer();
  auto cli = Client();
  std::string body(100 * 1024, 'x');
  auto res = cli.Post("/api/v1/evaluation", body, "application/json");
  ExpectJsonError(res, 413);
  EXPECT_EQ(cluster_.scales(), 0);
  // A small body is fine (and ignored).
  auto small = cli.Post("/api/v1/evaluation", "{}", "application/json");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
}

TEST_F(ApiServerTest, OversizedHeadersAreRejected) {
  StartServer();
  auto cli = Client();
  httplib::Headers headers;
  for (int i = 0; i < 4; ++i) headers.emplace("X-Big-" + std::to_string(i), std::string(5000, 'a'));
  auto res = cli.Post("/api/v1/evaluation", headers, "", "text/plain");
  ExpectJsonError(res, 431);
  // One line over httplib's 8 KiB line limit is a malformed request.
  httplib::Headers huge{{"X-Huge", std::string(9000, 'a')}};
  auto line = cli.Post("/api/v1/evaluation", huge, "", "text/plain");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->status, 400);
  EXPECT_EQ(cluster_.scales(), 0);
}

TEST_F(ApiServerTest, BearerTokenGuardsTheApiAndIsReReadWhenTheFileChanges) {
  auto token_file = dir_.Write("token", "s3cret\n");
  auto api = LoopbackApi();
  api.auth_token_file = token_file;
  StartServer(api);
  auto cli = Client();
  for (auto [method, path] :
       {std::pair{"POST", "/api/v1/evaluation"},
        std::pair{"POST", "/api/v1/evaluation?dry_run=true"}, std::pair{"GET", "/api/v1/metrics"},
        std::pair{"GET", "/api/v1/history"}, std::pair{"GET", "/api/v1/autoscalers"}}) {
    for (const char* auth : {"", "Bearer wrong", "Basic czNjcmV0", "Bearer", "Bearer s3cret2"}) {
      httplib::Headers h;
      if (*auth != '\0') h.emplace("Authorization", auth);
      auto res =
          std::string(method) == "POST" ? cli.Post(path, h, "", "text/plain") : cli.Get(path, h);
      ExpectJsonError(res, 401);
      EXPECT_EQ(res->get_header_value("WWW-Authenticate"), R"(Bearer realm="cpa")");
      EXPECT_EQ(res->body.find("s3cret"), std::string::npos);
    }
  }
  EXPECT_EQ(cluster_.scales(), 0);
  // Health, readiness and Prometheus stay open.
  for (const char* open : {"/healthz", "/readyz", "/metrics"}) {
    auto res = cli.Get(open);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << open;
  }
  auto ok = cli.Post("/api/v1/evaluation", {{"Authorization", "Bearer s3cret"}}, "", "text/plain");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(cluster_.replicas(), 4);
  // Rotate the token: the old one stops working, the new one works.
  dir_.Write("token", "n3w-token-value");
  auto old_token =
      cli.Post("/api/v1/evaluation", {{"Authorization", "Bearer s3cret"}}, "", "text/plain");
  ExpectJsonError(old_token, 401);
  auto new_token = cli.Post("/api/v1/evaluation?dry_run=true",
                            {{"Authorization", "Bearer n3w-token-value"}}, "", "text/plain");
  ASSERT_TRUE(new_token);
  EXPECT_EQ(new_token->status, 200);
  // An empty token file fails closed.
  dir_.Write("token", "  \n");
  ExpectJsonError(cli.Get("/api/v1/metrics", {{"Authorization", "Bearer "}}), 401);
  EXPECT_EQ(cluster_.scales(), 1);
}

TEST_F(ApiServerTest, HistoryWithoutAStoreIs501) {
  StartServer();
  auto cli = Client();
  ExpectJsonError(cli.Get("/api/v1/history?kind=decisions"), 501);
}

TEST_F(ApiServerTest, HistoryPassesTheQueryToTheProvider) {
  std::mutex mu;
  std::vector<HistoryQuery> seen;
  history_ = [&](const HistoryQuery& q) -> Result<std::string> {
    std::lock_guard lock(mu);
    seen.push_back(q);
    if (q.limit == 99) return MakeError(ErrorCode::kUnavailable, "store busy");
    return std::string(R"({"items":[]})");
  };
  StartServer();
  auto cli = Client();
  auto res = cli.Get(
      "/api/v1/history?kind=evaluations&from=2026-11-28T20:00:00Z&to=1800000000000&limit=5");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->body, R"({"items":[]})");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto scoped = cli.Get("/api/v1/autoscalers/default/web/history");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->status, 200);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].autoscaler_id, "default/web");
    EXPECT_EQ(seen[0].kind, HistoryKind::kEvaluations);
    ASSERT_TRUE(seen[0].from && seen[0].to);
    EXPECT_EQ(FormatRfc3339(*seen[0].from), "2026-11-28T20:00:00Z");
    EXPECT_EQ(ToUnixMillis(*seen[0].to), 1800000000000);
    EXPECT_EQ(seen[0].limit, 5u);
    EXPECT_EQ(seen[1].kind, HistoryKind::kMetrics);
    EXPECT_FALSE(seen[1].from || seen[1].to);
  }
  ExpectJsonError(cli.Get("/api/v1/history?kind=pods"), 400);
  ExpectJsonError(cli.Get("/api/v1/history?from=yesterday"), 400);
  ExpectJsonError(cli.Get("/api/v1/history?from=2000&to=1000"), 400);
  ExpectJsonError(cli.Get("/api/v1/history?limit=-1"), 400);
  ExpectJsonError(cli.Get("/api/v1/history?limit=99"), 503);
  ExpectJsonError(cli.Post("/api/v1/history"), 405);
}

TEST_F(ApiServerTest, PrometheusMetricsParseAndCountRuns) {
  StartServer();
  auto cli = Client();
  ASSERT_EQ(cli.Post("/api/v1/evaluation")->status, 200);
  ASSERT_EQ(cli.Post("/api/v1/evaluation?dry_run=true")->status, 200);
  dir_.Write("eval.json", R"({"targetReplicas": "many"})");
  ASSERT_EQ(cli.Post("/api/v1/evaluation")->status, 500);
  ASSERT_EQ(cli.Get("/nope")->status, 404);
  metrics_.SetStoreSizeBytes(123456);
  auto res = cli.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = testing::ParseExposition(res->body);
  ASSERT_TRUE(parsed) << parsed.error().message << "\n" << res->body;
  const std::string id = "default/web";
  EXPECT_EQ(parsed->Value("cpa_runs_total",
                          {{"autoscaler", id}, {"run_type", "api"}, {"result", "success"}}),
            1);
  EXPECT_EQ(parsed->Value("cpa_runs_total",
                          {{"autoscaler", id}, {"run_type", "api_dry_run"}, {"result", "success"}}),
            1);
  EXPECT_EQ(parsed->Value("cpa_run_failures_total", {{"autoscaler", id}, {"stage", "evaluate"}}),
            1);
  EXPECT_EQ(parsed->Value("cpa_target_replicas", {{"autoscaler", id}}), 4);
  EXPECT_EQ(parsed->Value("cpa_current_replicas", {{"autoscaler", id}}), 4);  // read by the dry run
  EXPECT_EQ(
      parsed->Value("cpa_run_duration_seconds_count", {{"autoscaler", id}, {"run_type", "api"}}),
      2);
  EXPECT_EQ(parsed->Value("cpa_store_size_bytes", {}), 123456);
  EXPECT_EQ(
      parsed->Value("cpa_api_requests_total", {{"route", "/api/v1/evaluation"}, {"code", "500"}}),
      1);
  EXPECT_EQ(parsed->Value("cpa_api_requests_total", {{"route", "unmatched"}, {"code", "404"}}), 1);
  EXPECT_EQ(parsed->types.at("cpa_run_duration_seconds"), "histogram");
}

TEST(ApiServer, DisabledApiOpensNoPort) {
  ManualClock clock;
  engine::MemoryCluster cluster(1);
  MetricsRegistry metrics(clock);
  auto api = LoopbackApi();
  api.enabled = false;
  ApiServer server(api, {}, metrics);
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.port(), 0);
}

TEST(ApiServer, PortInUseIsAnError) {
  ManualClock clock;
  MetricsRegistry metrics(clock);
  ApiServer first(LoopbackApi(), {}, metrics);
  ASSERT_TRUE(first.Start());
  auto api = LoopbackApi();
  api.port = first.port();
  ApiServer second(api, {}, metrics);
  auto started = second.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  first.Stop();
  EXPECT_EQ(first.port(), 0);
}

TEST(ApiServer, SeveralAutoscalersNeedTheirNameAndOnlyTheNamedOneScales) {
  TempDir dir("multi");
  auto eval = dir.Write("eval.json", R"({"targetReplicas": 5})");
  ManualClock clock;
  engine::MemoryCluster web_cluster(1), api_cluster(1);
  auto web = engine::Autoscaler::Create(MakeConfig("web", eval), web_cluster, clock);
  auto cfg = MakeConfig("backend", eval);
  cfg.namespace_ = "shop";
  auto backend = engine::Autoscaler::Create(cfg, api_cluster, clock);
  ASSERT_TRUE(web && backend);
  MetricsRegistry metrics(clock);
  ApiServer server(LoopbackApi(), {web->get(), backend->get()}, metrics);
  ASSERT_TRUE(server.Start());
  httplib::Client cli("127.0.0.1", server.port());
  auto unprefixed = cli.Post("/api/v1/evaluation");
  ExpectJsonError(unprefixed, 400);
  EXPECT_NE(unprefixed->body.find("default/web"), std::string::npos);
  EXPECT_NE(unprefixed->body.find("shop/backend"), std::string::npos);
  ExpectJsonError(cli.Get("/api/v1/metrics"), 400);
  auto res = cli.Post("/api/v1/autoscalers/shop/backend/evaluation");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(api_cluster.replicas(), 5);
  EXPECT_EQ(web_cluster.scales(), 0);
  auto metrics_res = cli.Get("/api/v1/autoscalers/default/web/metrics?dry_run=true");
  ASSERT_TRUE(metrics_res);
  EXPECT_EQ(metrics_res->status, 200);
  auto list = cli.Get("/api/v1/autoscalers");
  ASSERT_TRUE(list);
  auto doc = ParseJson(list->body);
  ASSERT_TRUE(doc && doc->IsArray());
  ASSERT_EQ(doc->Size(), 2u);
  EXPECT_STREQ((*doc)[1]["id"].GetString(), "shop/backend");
  EXPECT_TRUE((*doc)[1]["lastRun"]["ok"].GetBool());
}

TEST(ApiServer, DuplicateAutoscalerIdsAreRefused) {
  TempDir dir("dup");
  auto eval = dir.Write("eval.json", R"({"targetReplicas": 5})");
  ManualClock clock;
  engine::MemoryCluster cluster(1);
  auto a = engine::Autoscaler::Create(MakeConfig("web", eval), cluster, clock);
  auto b = engine::Autoscaler::Create(MakeConfig("web", eval), cluster, clock);
  ASSERT_TRUE(a && b);
  MetricsRegistry metrics(clock);
  ApiServer server(LoopbackApi(), {a->get(), b->get()}, metrics);
  auto started = server.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

// API calls from several threads while the Scheduler runs the same autoscaler: every call and
// every scheduled run completes, the counts add up, and (under TSan) nothing races.
TEST(ApiServer, ConcurrentApiCallsDuringScheduledRuns) {
  TempDir dir("concurrent");
  auto eval = dir.Write("eval.json", R"({"targetReplicas": 3})");
  ManualClock clock(FromUnixMillis(1'000'000'000'000));
  engine::MemoryCluster cluster(1);
  auto cfg = MakeConfig("web", eval);
  cfg.interval_ms = 1'000;
  cfg.start_time_ms = 1'000;
  cfg.metric.shell = config::ShellMethodConfig{"/bin/echo", {"1"}, false};
  auto a = engine::Autoscaler::Create(cfg, cluster, clock);
  ASSERT_TRUE(a);
  MetricsRegistry metrics(clock);
  engine::Scheduler scheduler(clock, 2);
  scheduler.Add(**a);
  std::atomic<int> scheduled{0};
  scheduler.SetObserver([&](engine::Autoscaler& as, const auto& outcome, Duration) {
    metrics.RecordRun(as.id(), engine::RunType::kScaler, outcome, Seconds(0.001));
    ++scheduled;
  });
  ApiServer server(LoopbackApi(), {a->get()}, metrics);
  ASSERT_TRUE(server.Start());
  std::stop_source stop;
  std::jthread runner([&] { scheduler.Run(stop.get_token()); });
  // Clients keep calling until every scheduled run is done (and at least kMinCalls each), so
  // API runs and scheduled runs overlap in time.
  constexpr int kClients = 4, kMinCalls = 3, kTicks = 5;
  std::atomic<bool> ticks_done{false};
  std::atomic<int> ok{0}, bad{0}, api_runs{0};
  std::vector<std::jthread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", server.port());
      cli.set_read_timeout(30, 0);
      for (int i = 0; i < kMinCalls || !ticks_done; ++i) {
        std::string path = (i + c) % 2 == 0 ? "/api/v1/evaluation" : "/api/v1/evaluation?dry_run=1";
        auto res = cli.Post(path);
        (res && res->status == 200 ? ok : bad)++;
        ++api_runs;
        auto m = cli.Get("/metrics");
        (m && m->status == 200 ? ok : bad)++;
      }
    });
  }
  for (int tick = 0; tick < kTicks; ++tick) {
    for (int i = 0; i < 4000 && clock.Sleepers() == 0; ++i) std::this_thread::sleep_for(1ms);
    clock.Advance(1s);
    for (int i = 0; i < 4000 && scheduled < tick + 1; ++i) std::this_thread::sleep_for(1ms);
  }
  ticks_done = true;
  clients.clear();  // joins
  stop.request_stop();
  runner.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(ok, api_runs * 2);
  EXPECT_EQ(scheduled, kTicks);
  EXPECT_EQ(scheduler.stats().failures, 0);
  EXPECT_EQ(cluster.replicas(), 3);
  auto parsed = testing::ParseExposition(metrics.Exposition());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->Sum("cpa_runs_total", {{"result", "success"}}), api_runs + kTicks);
  EXPECT_EQ(parsed->Sum("cpa_runs_total", {{"run_type", "scaler"}}), kTicks);
  EXPECT_EQ(parsed->Sum("cpa_runs_total", {{"result", "failure"}}), 0);
}

}  // namespace
}  // namespace cpa::api
