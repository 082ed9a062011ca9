// Unit tests of the pieces that need no server: templating, the value rules, reply parsing and
// bounds, the server section and the metric spec's validation.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/config/config_loader.h"
#include "engine/config/method_types.h"
#include "engine/config/metric_spec.h"
#include "prometheus/query_value.h"
#include "prometheus/response.h"

namespace cpa::prometheus {
namespace {

TEST(PrometheusTemplate, ReplacesNamespaceTargetAndPod) {
  auto q = RenderQuery(
      R"(sum(rate(x{namespace="{{namespace}}",deployment="{{ target }}",pod="{{pod}}"}[1m])))",
      {{"namespace", "shop"}, {"target", "web"}, {"pod", "web-0"}});
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(*q, R"(sum(rate(x{namespace="shop",deployment="web",pod="web-0"}[1m])))");
}

TEST(PrometheusTemplate, UnknownUnclosedAndMissingPlaceholdersAreErrors) {
  auto unknown = Placeholders("up{job=\"{{job}}\"}");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown placeholder \"{{job}}\""), std::string::npos)
      << unknown.error().message;
  EXPECT_FALSE(Placeholders("up{job=\"{{target\"}"));
  auto missing = RenderQuery("x{pod=\"{{pod}}\"}", {{"namespace", "a"}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("{{pod}}"), std::string::npos);
  auto names = Placeholders("{{target}} {{namespace}} {{target}}");
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"target", "namespace"}));
}

QueryResult Vector(std::vector<double> values) {
  QueryResult r;
  r.type = ResultType::kVector;
  for (size_t i = 0; i < values.size(); ++i) {
    r.series.push_back(Series{{{"i", std::to_string(i)}}, {{TimePoint{}, values[i]}}});
  }
  return r;
}

TEST(PrometheusValueRules, OneSampleOrAggregation) {
  ValueRules rules;
  EXPECT_EQ(ReduceInstant(Vector({4.5}), rules)->value, 4.5);
  auto multi = ReduceInstant(Vector({1, 2, 6}), rules);
  ASSERT_FALSE(multi);
  EXPECT_NE(multi.error().message.find("returned 3 series"), std::string::npos);
  rules.aggregation = Aggregation::kSum;
  EXPECT_EQ(ReduceInstant(Vector({1, 2, 6}), rules)->value, 9);
  rules.aggregation = Aggregation::kAvg;
  EXPECT_EQ(ReduceInstant(Vector({1, 2, 6}), rules)->value, 3);
  rules.aggregation = Aggregation::kMax;
  EXPECT_EQ(ReduceInstant(Vector({1, 2, 6}), rules)->value, 6);
  rules.aggregation = Aggregation::kMin;
  EXPECT_EQ(ReduceInstant(Vector({1, 2, 6}), rules)->value, 1);
}

TEST(PrometheusValueRules, EmptyIsAnErrorUnlessAValueIsConfigured) {
  ValueRules rules;
  auto empty = ReduceInstant(Vector({}), rules);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("empty result"), std::string::npos);
  rules.empty_result_value = 0;
  auto v = ReduceInstant(Vector({}), rules);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, 0);
  EXPECT_EQ(v->samples, 0u);
}

TEST(PrometheusValueRules, NanAndInfAreErrorsEvenWhenAggregated) {
  ValueRules rules;
  rules.aggregation = Aggregation::kSum;
  auto nan = ReduceInstant(Vector({1, std::nan("")}), rules);
  ASSERT_FALSE(nan);
  EXPECT_NE(nan.error().message.find("NaN for {i=\"1\"}"), std::string::npos)
      << nan.error().message;
  auto inf = ReduceInstant(Vector({HUGE_VAL}), rules);
  ASSERT_FALSE(inf);
  EXPECT_NE(inf.error().message.find("+Inf"), std::string::npos);
}

TEST(PrometheusResponse, ParsesScalarVectorMatrixAndErrors) {
  auto scalar = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"NaN"]}})", 200);
  ASSERT_TRUE(scalar) << scalar.error().message;
  EXPECT_TRUE(std::isnan(scalar->series[0].points[0].value));
  auto matrix = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},)"
      R"("values":[[1,"1"],[2,"+Inf"]]}]}})",
      200);
  ASSERT_TRUE(matrix) << matrix.error().message;
  EXPECT_EQ(matrix->series[0].points.size(), 2u);
  EXPECT_TRUE(std::isinf(matrix->series[0].points[1].value));
  auto bad = ParseQueryResponse(
      R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})", 400);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("bad_data: parse error at char 5"), std::string::npos);
  auto unavailable = ParseQueryResponse(
      R"({"status":"error","errorType":"unavailable","error":"too many queries"})", 503);
  ASSERT_FALSE(unavailable);
  EXPECT_EQ(unavailable.error().code, ErrorCode::kUnavailable);
  auto html = ParseQueryResponse("<html>bad gateway</html>", 502);
  ASSERT_FALSE(html);
  EXPECT_EQ(html.error().code, ErrorCode::kUnavailable);
}

TEST(PrometheusResponse, BoundsSizeAndDepth) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto d = ParseQueryResponse(deep, 200);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("deeper than 32"), std::string::npos);
  EXPECT_EQ(JsonDepth(R"({"a":"[[[[[[","b":[1]})", 10), 2);
  ResponseLimits small;
  small.max_bytes = 10;
  auto big = ParseQueryResponse(R"({"status":"success"})", 200, small);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("larger than the 10 byte bound"), std::string::npos);
}

TEST(PrometheusServerConfig, ValidateNamesTheKey) {
  ServerConfig c;
  auto p = c.Validate();
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].field, "address");
  c.address = "ftp://x";
  EXPECT_EQ(c.Validate()[0].field, "address");
  c.address = "http://prometheus:9090";
  c.timeout_ms = 0;
  c.ca_file = "/nonexistent/ca.pem";
  p = c.Validate();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].field, "timeout");
  EXPECT_EQ(p[1].field, "caFile");
}

config::LoadResult Load(const std::string& yaml) {
  config::LoadOptions options;
  options.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  return config::LoadConfigFromText(
      "scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
      "metric: {type: shell, shell: {entrypoint: /bin/true}}\n"
      "evaluate: {type: shell, shell: {entrypoint: /bin/true}}\n" +
          yaml,
      "config.yaml", options);
}

std::string Errors(const config::LoadResult& r) {
  std::string out;
  if (!r) {
    for (const auto& e : r.error().errors) out += e.ToString() + "\n";
  }
  return out;
}

TEST(PrometheusConfig, ServerSectionAndBackfill) {
  auto ok = Load(
      "prometheus: {address: 'http://127.0.0.1:9090', headers: {X-Scope-OrgID: team}, timeout: "
      "2000}\nstore: {backfill: {query: 'sum(load{namespace=\"{{namespace}}\"})', step: "
      "60000}}\nkubernetesMetricSpecs:\n- {type: Prometheus, prometheus: {query: up, target: "
      "{type: Value, value: '1'}}}\n");
  ASSERT_TRUE(ok) << Errors(ok);
  ASSERT_TRUE(ok->config.prometheus);
  EXPECT_EQ(ok->config.prometheus->timeout_ms, 2000);
  EXPECT_EQ(ok->config.prometheus->headers.at("X-Scope-OrgID"), "team");
  ASSERT_TRUE(ok->config.store_backfill);
  EXPECT_EQ(ok->config.store_backfill->step_ms, 60000);
  auto json = ToJson(config::ConfigToJson(ok->config));
  EXPECT_NE(json.find(R"("prometheus":{"address":"http://127.0.0.1:9090")"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("backfill":{"query")"), std::string::npos) << json;

  auto bad = Load("prometheus: {address: 'localhost:9090', timeout: -1}\n");
  EXPECT_NE(Errors(bad).find("prometheus.address: must start with http:// or https://"),
            std::string::npos)
      << Errors(bad);
  EXPECT_NE(Errors(bad).find("prometheus.timeout: must be > 0"), std::string::npos);
  auto no_server = Load(
      "store: {backfill: {query: up}}\nkubernetesMetricSpecs:\n- {type: Prometheus, prometheus: "
      "{query: up, target: {type: Value, value: '1'}}}\n");
  EXPECT_NE(Errors(no_server).find("store.backfill: needs the top-level prometheus section"),
            std::string::npos)
      << Errors(no_server);
  EXPECT_NE(Errors(no_server).find("kubernetesMetricSpecs[0]: type Prometheus needs"),
            std::string::npos)
      << Errors(no_server);
}

TEST(PrometheusConfig, BuiltinEvaluatorMetricsNeedTheServerSection) {
  // A stand-in built-in evaluator type whose block carries `metrics` (as hpa and phpa do).
  config::MethodTypeInfo info;
  info.name = "prom-test-evaluator";
  info.summary = "test";
  info.evaluate = true;
  info.validate_block = [](const JsonValue*, const std::string&, config::ConfigIssues&) {};
  (void)config::RegisterMethodType(std::move(info));
  config::LoadOptions options;
  options.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto r = config::LoadConfigFromText(
      "scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
      "evaluate: {type: prom-test-evaluator, prom-test-evaluator: {metrics: [{type: Prometheus, "
      "prometheus: {query: up, target: "
      "{type: Value, value: '1'}}}]}}\n",
      "config.yaml", options);
  EXPECT_NE(Errors(r).find("evaluate.prom-test-evaluator.metrics[0]: type Prometheus needs the "
                           "top-level "
                           "prometheus section"),
            std::string::npos)
      << Errors(r);
}

TEST(PrometheusConfig, MetricSpecParsesAsAnExternalMetricAndPrintsBack) {
  config::ConfigIssues issues;
  auto doc = ParseYaml(
      "type: Prometheus\nprometheus:\n  name: rps\n  query: sum(rate(http_requests_total[1m]))\n"
      "  target: {type: AverageValue, averageValue: '100'}\n  emptyResultValue: 0\n");
  ASSERT_TRUE(doc);
  auto spec = config::ParseMetricSpec(*doc, "m", issues);
  ASSERT_TRUE(spec) << (issues.errors.empty() ? "" : issues.errors[0].ToString());
  EXPECT_EQ(spec->type, config::MetricSourceType::kExternal);
  ASSERT_TRUE(spec->external);
  EXPECT_EQ(spec->external->metric.name, "rps");
  EXPECT_EQ(spec->external->target.average_value->MilliValue(), 100000);
  ASSERT_TRUE(spec->prometheus);
  EXPECT_EQ(*spec->prometheus->empty_result_value, 0);
  JsonDocument out;
  auto json = ToJson(config::MetricSpecToJson(*spec, out.GetAllocator()));
  EXPECT_NE(json.find(R"("type":"Prometheus")"), std::string::npos) << json;
  EXPECT_EQ(json.find("external"), std::string::npos) << json;
}

TEST(PrometheusConfig, BadSpecsNameTheirKeys) {
  for (auto [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"type: Prometheus\nprometheus: {target: {type: Value, value: '1'}}\n",
            "m.prometheus.query"},
           {"type: Prometheus\nprometheus: {query: 'up{a=\"{{x}}\"}', target: {type: Value, "
            "value: '1'}}\n",
            "m.prometheus.query"},
           {"type: Prometheus\nprometheus: {query: up, target: {type: Utilization, "
            "averageUtilization: 50}}\n",
            "m.prometheus.target.type"},
           {"type: Prometheus\nprometheus: {query: up, aggregation: median, target: {type: "
            "Value, value: '1'}}\n",
            "m.prometheus.aggregation"},
       }) {
    config::ConfigIssues issues;
    auto doc = ParseYaml(yaml);
    ASSERT_TRUE(doc);
    EXPECT_FALSE(config::ParseMetricSpec(*doc, "m", issues)) << yaml;
    ASSERT_FALSE(issues.errors.empty()) << yaml;
    EXPECT_EQ(issues.errors[0].path, key) << issues.errors[0].ToString();
  }
}

}  // namespace
}  // namespace cpa::prometheus
