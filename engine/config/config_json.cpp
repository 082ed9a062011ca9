// The effective config as JSON (for `cpa config validate` and start-up logs).
#include "engine/config/config_loader.h"

namespace cpa::config {
namespace {

JsonValue Str(std::string_view s, JsonAllocator& a) { return JsonString(s, a); }

}  // namespace

JsonValue ScaleTargetRefToJson(const ScaleTargetRef& ref, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("apiVersion", Str(ref.api_version, a), a);
  out.AddMember("kind", Str(ref.kind, a), a);
  out.AddMember("name", Str(ref.name, a), a);
  return out;
}

JsonValue MethodToJson(const MethodConfig& m, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("type", Str(m.type, a), a);
  out.AddMember("timeout", m.timeout_ms, a);
  if (m.shell) {
    JsonValue shell(rapidjson::kObjectType);
    shell.AddMember("entrypoint", Str(m.shell->entrypoint, a), a);
    JsonValue command(rapidjson::kArrayType);
    for (const auto& arg : m.shell->command) command.PushBack(Str(arg, a), a);
    shell.AddMember("command", command, a);
    shell.AddMember("logStderr", m.shell->log_stderr, a);
    out.AddMember("shell", shell, a);
  }
  if (m.http) {
    JsonValue http(rapidjson::kObjectType);
    http.AddMember("method", Str(m.http->method, a), a);
    http.AddMember("url", Str(m.http->url, a), a);
    JsonValue headers(rapidjson::kObjectType);
    for (const auto& [k, v] : m.http->headers) headers.AddMember(Str(k, a), Str(v, a), a);
    http.AddMember("headers", headers, a);
    JsonValue codes(rapidjson::kArrayType);
    for (int code : m.http->success_codes) codes.PushBack(code, a);
    http.AddMember("successCodes", codes, a);
    http.AddMember("parameterMode",
                   Str(m.http->parameter_mode == ParameterMode::kQuery ? "query" : "body", a), a);
    if (m.http->ca_cert) http.AddMember("caCert", Str(*m.http->ca_cert, a), a);
    if (m.http->client_cert) http.AddMember("clientCert", Str(*m.http->client_cert, a), a);
    if (m.http->client_key) http.AddMember("clientKey", Str(*m.http->client_key, a), a);
    out.AddMember("http", http, a);
  }
  if (!m.options_json.empty()) {
    auto options = ParseJson(m.options_json);
    if (options) {
      JsonValue copy(*options, a);
      out.AddMember(Str(m.type, a), copy, a);
    }
  }
  return out;
}

JsonDocument ConfigToJson(const Config& c) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  if (c.scale_target_ref) {
    doc.AddMember("scaleTargetRef", ScaleTargetRefToJson(*c.scale_target_ref, a), a);
  }
  doc.AddMember("namespace", Str(c.namespace_, a), a);
  doc.AddMember("interval", c.interval_ms, a);
  doc.AddMember("startTime", c.start_time_ms, a);
  doc.AddMember("minReplicas", c.min_replicas, a);
  doc.AddMember("maxReplicas", c.max_replicas, a);
  doc.AddMember("runMode", Str(RunModeName(c.run_mode), a), a);
  // Omitted with a built-in evaluator (evaluate.type: hpa), which needs none.
  if (!c.metric.type.empty()) doc.AddMember("metric", MethodToJson(c.metric, a), a);
  doc.AddMember("evaluate", MethodToJson(c.evaluate, a), a);
  const std::pair<const char*, const std::optional<MethodConfig>*> hooks[] = {
      {"preMetric", &c.pre_metric},     {"postMetric", &c.post_metric},
      {"preEvaluate", &c.pre_evaluate}, {"postEvaluate", &c.post_evaluate},
      {"preScale", &c.pre_scale},       {"postScale", &c.post_scale},
  };
  for (const auto& [name, hook] : hooks) {
    if (*hook) doc.AddMember(rapidjson::StringRef(name), MethodToJson(**hook, a), a);
  }
  doc.AddMember("downscaleStabilization", c.downscale_stabilization_s, a);
  doc.AddMember("logVerbosity", c.log_verbosity, a);
  JsonValue api(rapidjson::kObjectType);
  api.AddMember("enabled", c.api.enabled, a);
  api.AddMember("useHTTPS", c.api.use_https, a);
  api.AddMember("port", c.api.port, a);
  api.AddMember("host", Str(c.api.host, a), a);
  api.AddMember("certFile", Str(c.api.cert_file, a), a);
  api.AddMember("keyFile", Str(c.api.key_file, a), a);
  api.AddMember("authTokenFile", Str(c.api.auth_token_file, a), a);
  api.AddMember("clientCAFile", Str(c.api.client_ca_file, a), a);
  doc.AddMember("apiConfig", api, a);
  if (!c.kubernetes_metric_specs.empty()) {
    JsonValue specs(rapidjson::kArrayType);
    for (const auto& spec : c.kubernetes_metric_specs) specs.PushBack(MetricSpecToJson(spec, a), a);
    doc.AddMember("kubernetesMetricSpecs", specs, a);
  }
  doc.AddMember("requireKubernetesMetrics", c.require_kubernetes_metrics, a);
  doc.AddMember("initialReadinessDelay", c.initial_readiness_delay_s, a);
  doc.AddMember("cpuInitializationPeriod", c.cpu_initialization_period_s, a);
  doc.AddMember("metricParallelism", c.metric_parallelism, a);
  JsonValue store(rapidjson::kObjectType);
  store.AddMember("path", Str(c.store.path, a), a);
  store.AddMember("busyTimeout", static_cast<int64_t>(c.store.busy_timeout.count()), a);
  JsonValue retention(rapidjson::kObjectType);
  retention.AddMember("maxAge", static_cast<int64_t>(c.store.max_age.count()), a);
  retention.AddMember("maxPointsPerSeries", c.store.max_points_per_series, a);
  retention.AddMember("chunk", c.store.retention_chunk, a);
  store.AddMember("retention", retention, a);
  doc.AddMember("store", store, a);
  return doc;
}

}  // namespace cpa::config
