#include "engine/config/config_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace cpa::config {
namespace {

constexpr std::string_view kMinimal = R"(
scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
metric: {type: shell, timeout: 2500, shell: {entrypoint: python, command: [/metric.py]}}
evaluate: {type: shell, timeout: 2500, shell: {entrypoint: python, command: [/evaluate.py]}}
)";

LoadOptions WithEnv(std::map<std::string, std::string> env) {
  LoadOptions o;
  o.env = [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

LoadedConfig MustLoad(std::string_view text, std::map<std::string, std::string> env = {},
                      std::string_view name = "config.yaml") {
  auto r = LoadConfigFromText(text, name, WithEnv(std::move(env)));
  if (!r) {
    std::string all;
    for (const auto& e : r.error().errors) all += e.ToString() + "; ";
    ADD_FAILURE() << all;
    return {};
  }
  return *r;
}

std::vector<std::string> ErrorsOf(std::string_view text, std::map<std::string, std::string> env) {
  auto r = LoadConfigFromText(text, "config.yaml", WithEnv(std::move(env)));
  std::vector<std::string> out;
  if (!r) {
    for (const auto& e : r.error().errors) out.push_back(e.ToString());
  }
  return out;
}

TEST(ConfigLoader, EveryDefault) {
  Config c = MustLoad(kMinimal).config;
  EXPECT_EQ(c.namespace_, "default");
  EXPECT_EQ(c.interval_ms, 15000);
  EXPECT_EQ(c.start_time_ms, 1);
  EXPECT_EQ(c.min_replicas, 1);
  EXPECT_EQ(c.max_replicas, 10);
  EXPECT_EQ(c.run_mode, RunMode::kPerPod);
  EXPECT_EQ(c.downscale_stabilization_s, 0);
  EXPECT_EQ(c.log_verbosity, 0);
  EXPECT_TRUE(c.api.enabled);
  EXPECT_FALSE(c.api.use_https);
  EXPECT_EQ(c.api.port, 5000);
  EXPECT_EQ(c.api.host, "0.0.0.0");
  EXPECT_TRUE(c.kubernetes_metric_specs.empty());
  EXPECT_FALSE(c.require_kubernetes_metrics);
  EXPECT_EQ(c.initial_readiness_delay_s, 30);
  EXPECT_EQ(c.cpu_initialization_period_s, 300);
  EXPECT_FALSE(c.pre_metric || c.post_metric || c.pre_evaluate || c.post_evaluate || c.pre_scale ||
               c.post_scale);
  ASSERT_TRUE(c.metric.shell);
  EXPECT_EQ(c.metric.shell->entrypoint, "python");
  EXPECT_EQ(c.metric.shell->command, std::vector<std::string>{"/metric.py"});
  EXPECT_FALSE(c.metric.shell->log_stderr);
}

TEST(ConfigLoader, MethodTimeoutDefaultsWhenOmitted) {
  Config c = MustLoad(R"(
scaleTargetRef: {kind: Deployment, name: web}
metric: {type: shell, shell: {entrypoint: /bin/cat}}
evaluate: {type: http, http: {url: "http://logic:5000/evaluate"}}
)")
                 .config;
  EXPECT_EQ(c.metric.timeout_ms, kDefaultMethodTimeoutMs);
  ASSERT_TRUE(c.evaluate.http);
  EXPECT_EQ(c.evaluate.http->method, "GET");
  EXPECT_EQ(c.evaluate.http->success_codes, std::vector<int>{200});
  EXPECT_EQ(c.evaluate.http->parameter_mode, ParameterMode::kQuery);
  EXPECT_TRUE(c.evaluate.http->headers.empty());
}

TEST(ConfigLoader, ApiVersionInferredForBuiltInKinds) {
  Config c = MustLoad(R"(
scaleTargetRef: {kind: ReplicationController, name: rc}
metric: {type: shell, shell: {entrypoint: /bin/cat}}
evaluate: {type: shell, shell: {entrypoint: /bin/cat}}
)")
                 .config;
  EXPECT_EQ(c.scale_target_ref->api_version, "v1");
}

TEST(ConfigLoader, FileValuesOverrideDefaults) {
  std::string text = std::string(kMinimal) +
                     "interval: 30000\nstartTime: 60000\nminReplicas: 2\nmaxReplicas: 7\n"
                     "runMode: per-resource\nnamespace: shop\ndownscaleStabilization: 300\n"
                     "logVerbosity: 3\napiConfig: {port: 8080, host: 127.0.0.1}\n"
                     "initialReadinessDelay: 10\ncpuInitializationPeriod: 60\n"
                     "requireKubernetesMetrics: true\n";
  Config c = MustLoad(text).config;
  EXPECT_EQ(c.interval_ms, 30000);
  EXPECT_EQ(c.start_time_ms, 60000);
  EXPECT_EQ(c.min_replicas, 2);
  EXPECT_EQ(c.max_replicas, 7);
  EXPECT_EQ(c.run_mode, RunMode::kPerResource);
  EXPECT_EQ(c.namespace_, "shop");
  EXPECT_EQ(c.downscale_stabilization_s, 300);
  EXPECT_EQ(c.log_verbosity, 3);
  EXPECT_EQ(c.api.port, 8080);
  EXPECT_EQ(c.api.host, "127.0.0.1");
  EXPECT_TRUE(c.api.enabled);  // sibling default kept
  EXPECT_EQ(c.initial_readiness_delay_s, 10);
  EXPECT_EQ(c.cpu_initialization_period_s, 60);
  EXPECT_TRUE(c.require_kubernetes_metrics);
}

TEST(ConfigLoader, EnvScalarsOverrideFileByType) {
  std::string text = std::string(kMinimal) + "interval: 30000\nnamespace: shop\n";
  Config c = MustLoad(text, {{"interval", "5000"},
                             {"namespace", "123"},  // string keys take the raw text
                             {"requireKubernetesMetrics", "1"},
                             {"runMode", "per-resource"},
                             {"downscaleStabilization", "60"}})
                 .config;
  EXPECT_EQ(c.interval_ms, 5000);
  EXPECT_EQ(c.namespace_, "123");
  EXPECT_TRUE(c.require_kubernetes_metrics);
  EXPECT_EQ(c.run_mode, RunMode::kPerResource);
  EXPECT_EQ(c.downscale_stabilization_s, 60);
}

TEST(ConfigLoader, EnvOnlyConfig) {
  Config c = MustLoad("", {{"scaleTargetRef", R"({"apiVersion":"apps/v1","kind":"Deployment",)"
                                              R"("name":"from-env"})"},
                           {"metric", "{type: shell, shell: {entrypoint: /bin/cat}}"},
                           {"evaluate", R"({"type":"shell","shell":{"entrypoint":"/bin/cat"}})"},
                           {"kubernetesMetricSpecs",
                            "[{type: Resource, resource: {name: cpu, target: {type: "
                            "Utilization, averageUtilization: 50}}}]"}})
                 .config;
  EXPECT_EQ(c.scale_target_ref->name, "from-env");
  EXPECT_EQ(c.metric.shell->entrypoint, "/bin/cat");
  ASSERT_EQ(c.kubernetes_metric_specs.size(), 1u);
  EXPECT_EQ(*c.kubernetes_metric_specs[0].resource->target.average_utilization, 50);
}

TEST(ConfigLoader, EnvObjectIsMergedIntoFileObject) {
  std::string text = std::string(kMinimal) + "apiConfig: {port: 8080, host: 127.0.0.1}\n";
  // The operator passes scaleTargetRef as JSON; a partial object keeps the file's siblings.
  Config c = MustLoad(text, {{"scaleTargetRef", R"({"name":"other"})"},
                             {"apiConfig", R"({"enabled": false})"},
                             {"metric", R"({"timeout": 100, "shell": {"logStderr": true}})"}})
                 .config;
  EXPECT_EQ(c.scale_target_ref->name, "other");
  EXPECT_EQ(c.scale_target_ref->kind, "Deployment");
  EXPECT_EQ(c.scale_target_ref->api_version, "apps/v1");
  EXPECT_FALSE(c.api.enabled);
  EXPECT_EQ(c.api.port, 8080);
  EXPECT_EQ(c.api.host, "127.0.0.1");
  EXPECT_EQ(c.metric.timeout_ms, 100);
  EXPECT_TRUE(c.metric.shell->log_stderr);
  EXPECT_EQ(c.metric.shell->entrypoint, "python");
  EXPECT_EQ(c.metric.shell->command, std::vector<std::string>{"/metric.py"});
}

TEST(ConfigLoader, EnvListReplacesFileList) {
  std::string text = std::string(kMinimal) +
                     "kubernetesMetricSpecs: [{type: Resource, resource: {name: cpu, target: "
                     "{type: Utilization, averageUtilization: 50}}}, {type: Resource, resource: "
                     "{name: memory, target: {type: Utilization, averageUtilization: 70}}}]\n";
  Config c = MustLoad(text, {{"kubernetesMetricSpecs",
                              "[{type: Resource, resource: {name: memory, target: {type: "
                              "AverageValue, averageValue: 1Gi}}}]"}})
                 .config;
  ASSERT_EQ(c.kubernetes_metric_specs.size(), 1u);
  EXPECT_EQ(c.kubernetes_metric_specs[0].resource->name, "memory");
}

TEST(ConfigLoader, EnvErrorsNameTheVariable) {
  auto errors = ErrorsOf(kMinimal, {{"interval", "fast"},
                                    {"minReplicas", "1.5"},
                                    {"requireKubernetesMetrics", "maybe"},
                                    {"apiConfig", "{port: [}"}});
  ASSERT_EQ(errors.size(), 4u);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("interval: must be an integer, got string \"fast\" (set by env var "
                     "interval)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("minReplicas: must be an integer, got number 1.5 (set by env var "
                     "minReplicas)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("requireKubernetesMetrics: must be true or false"), std::string::npos);
  EXPECT_NE(all.find("apiConfig: env var apiConfig is not valid YAML/JSON"), std::string::npos);
}

TEST(ConfigLoader, YamlAndJsonFormsAreEquivalent) {
  auto yaml = MustLoad(R"(
scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
interval: 10000
metric:
  type: http
  timeout: 1000
  http:
    method: POST
    url: https://logic:8443/metric
    headers: {Authorization: Bearer x}
    successCodes: [200, 202]
    parameterMode: body
evaluate: {type: shell, timeout: 2500, shell: {entrypoint: /bin/cat, command: [a, b]}}
)");
  auto json = MustLoad(R"({
  "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
  "interval": 10000,
  "metric": {"type": "http", "timeout": 1000, "http": {"method": "POST",
    "url": "https://logic:8443/metric", "headers": {"Authorization": "Bearer x"},
    "successCodes": [200, 202], "parameterMode": "body"}},
  "evaluate": {"type": "shell", "timeout": 2500,
    "shell": {"entrypoint": "/bin/cat", "command": ["a", "b"]}}
})",
                       {}, "config.json");
  EXPECT_EQ(ToJson(ConfigToJson(yaml.config)), ToJson(ConfigToJson(json.config)));
  EXPECT_EQ(json.config.metric.http->success_codes, (std::vector<int>{200, 202}));
  EXPECT_EQ(json.config.metric.http->headers.at("Authorization"), "Bearer x");
}

TEST(ConfigLoader, JsonFileWithYamlOnlySyntaxIsRejected) {
  auto r = LoadConfigFromText("interval: 5", "config.json", WithEnv({}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().errors[0].message.find("invalid JSON"), std::string::npos);
}

TEST(ConfigLoader, UnknownKeysAreWarningsWithPaths) {
  std::string text = std::string(kMinimal) + "intervall: 5\napiConfig: {prot: 1}\n";
  auto loaded = MustLoad(text);
  std::vector<std::string> paths;
  for (const auto& w : loaded.warnings) paths.push_back(w.path);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "intervall"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "apiConfig.prot"), paths.end());
}

TEST(ConfigLoader, MissingTargetIsAnErrorOnlyWhenRequired) {
  std::string text = R"(
metric: {type: shell, shell: {entrypoint: /bin/cat}}
evaluate: {type: shell, shell: {entrypoint: /bin/cat}}
)";
  LoadOptions strict = WithEnv({});
  auto r = LoadConfigFromText(text, "c.yaml", strict);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errors[0].path, "scaleTargetRef");
  LoadOptions lenient = WithEnv({});
  lenient.require_target = false;
  auto ok = LoadConfigFromText(text, "c.yaml", lenient);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->warnings[0].path, "scaleTargetRef");
}

TEST(ConfigLoader, PathFromFlagThenEnvThenDefault) {
  auto dir =
      std::filesystem::temp_directory_path() / ("cpa-config-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto a = dir / "a.yaml";
  auto b = dir / "b.yaml";
  std::ofstream(a) << kMinimal << "interval: 1111\n";
  std::ofstream(b) << kMinimal << "interval: 2222\n";
  LoadOptions o = WithEnv({{"configPath", b.string()}});
  auto from_env = LoadConfig(o);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->config.interval_ms, 2222);
  EXPECT_EQ(from_env->source, b.string());
  o.path = a.string();
  auto from_flag = LoadConfig(o);
  ASSERT_TRUE(from_flag);
  EXPECT_EQ(from_flag->config.interval_ms, 1111);

  LoadOptions missing = WithEnv({{"configPath", (dir / "nope.yaml").string()}});
  auto err = LoadConfig(missing);
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().errors[0].message.find("nope.yaml"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ConfigLoader, MissingDefaultFileIsAWarningKeptWhenValidationFails) {
  LoadOptions options = WithEnv({});
  options.default_path =
      (std::filesystem::temp_directory_path() / "cpa-no-such-dir" / "config.yaml").string();
  auto failed = LoadConfig(options);
  ASSERT_FALSE(failed);  // no metric, no evaluate, no target
  ASSERT_FALSE(failed.error().warnings.empty());
  EXPECT_NE(failed.error().warnings[0].message.find("no config file at " + options.default_path),
            std::string::npos)
      << failed.error().warnings[0].message;

  LoadOptions from_env =
      WithEnv({{"metric", R"({"type": "shell", "shell": {"command": ["/m"]}})"},
               {"evaluate", R"({"type": "shell", "shell": {"command": ["/e"]}})"},
               {"scaleTargetRef", R"({"kind": "Deployment", "name": "web"})"}});
  from_env.default_path = options.default_path;
  auto loaded = LoadConfig(from_env);
  ASSERT_TRUE(loaded) << loaded.error().errors[0].message;
  ASSERT_FALSE(loaded->warnings.empty());
  EXPECT_NE(loaded->warnings[0].message.find("no config file at"), std::string::npos);
  EXPECT_EQ(loaded->config.metric.shell->entrypoint, "/bin/sh");
}

TEST(ConfigLoader, LogVerbosityAboveFourIsClampedWithWarning) {
  auto loaded = MustLoad(std::string(kMinimal) + "logVerbosity: 7\n");
  EXPECT_EQ(loaded.config.log_verbosity, 4);
  ASSERT_FALSE(loaded.warnings.empty());
  EXPECT_EQ(loaded.warnings[0].path, "logVerbosity");
}

TEST(ConfigLoader, HttpsWithReadableFilesIsValid) {
  auto cert = std::filesystem::temp_directory_path() /
              ("cpa-test-cert-" + std::to_string(getpid()) + ".pem");
  std::ofstream(cert) << "not checked here";
  auto loaded =
      MustLoad(std::string(kMinimal) + "apiConfig: {useHTTPS: true, certFile: " + cert.string() +
               ", keyFile: " + cert.string() + "}\n");
  EXPECT_TRUE(loaded.config.api.use_https);
  std::filesystem::remove(cert);
}

TEST(ConfigLoader, MetricSpecsAreTyped) {
  auto loaded = MustLoad(std::string(kMinimal) + R"(
kubernetesMetricSpecs:
  - type: Object
    object:
      describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}
      metric: {name: rps, selector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: NotIn, values: [a, b]}]}}
      target: {type: AverageValue, averageValue: 500m}
)");
  const auto& spec = loaded.config.kubernetes_metric_specs.at(0);
  EXPECT_EQ(spec.type, MetricSourceType::kObject);
  EXPECT_EQ(spec.object->described_object.kind, "Ingress");
  EXPECT_EQ(spec.object->target.type, MetricTargetType::kAverageValue);
  EXPECT_EQ(spec.object->target.average_value->MilliValue(), 500);
  EXPECT_EQ(spec.object->metric.selector->ToSelectorString(), "app=web,tier notin (a,b)");
}

}  // namespace
}  // namespace cpa::config

namespace cpa::config {
namespace {

TEST(ConfigLoaderStore, DefaultsInMemoryAndParsesEveryKey) {
  Config defaults = MustLoad(kMinimal).config;
  EXPECT_TRUE(defaults.store.path.empty());
  EXPECT_EQ(defaults.store.max_age, std::chrono::hours(24 * 30));
  Config c = MustLoad(std::string(kMinimal) +
                      "store: {path: /data/history.db, busyTimeout: 100, retention: {maxAge: "
                      "86400000, maxPointsPerSeries: 23040, chunk: 64}}\n")
                 .config;
  EXPECT_EQ(c.store.path, "/data/history.db");
  EXPECT_EQ(c.store.busy_timeout.count(), 100);
  EXPECT_EQ(c.store.max_age.count(), 86'400'000);
  EXPECT_EQ(c.store.max_points_per_series, 23040);
  EXPECT_EQ(c.store.retention_chunk, 64);
  // An env object is merged: the file's retention survives a path given by env.
  Config merged = MustLoad(std::string(kMinimal) + "store: {retention: {chunk: 64}}\n",
                           {{"store", R"({"path": "/tmp/x.db"})"}})
                      .config;
  EXPECT_EQ(merged.store.path, "/tmp/x.db");
  EXPECT_EQ(merged.store.retention_chunk, 64);
}

TEST(ConfigLoaderStore, ErrorsNameStoreKeys) {
  auto errors = ErrorsOf(
      std::string(kMinimal) + "store: {path: /data/, retention: {maxAge: 5, chunk: 0, sise: 1}}\n",
      {});
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("store.path: \"/data/\" names a directory"), std::string::npos) << all;
  EXPECT_NE(all.find("store.retention.maxAge: must be at least 1s"), std::string::npos) << all;
  EXPECT_NE(all.find("store.retention.chunk: must be at least 1"), std::string::npos) << all;
}

}  // namespace
}  // namespace cpa::config

namespace cpa::config {
namespace {

// Issue 14, defects 1-3 and 7, through env-var overrides (the file cases are data-driven).
TEST(ConfigLoaderBounds, HostileEnvValuesAreErrorsNamingTheEnvVar) {
  std::string deep = std::string(100000, '[');
  for (const auto& [value, want] : std::vector<std::pair<std::string, std::string>>{
           {"&a [*a]", "recursive alias"},
           {"{type: shell, x: &a [*a]}", "recursive alias"},
           {deep, "invalid YAML"},
           {"{type: shell, type: http}", "duplicate key \"type\""}}) {
    auto errors = ErrorsOf(kMinimal, {{"metric", value}});
    ASSERT_EQ(errors.size(), 1u) << value.substr(0, 40);
    EXPECT_NE(errors[0].find("env var metric is not valid YAML/JSON"), std::string::npos)
        << errors[0];
    EXPECT_NE(errors[0].find(want), std::string::npos) << errors[0];
  }
}

TEST(ConfigLoaderBounds, NamespaceMustBeADnsLabel) {
  for (const char* bad : {"../../etc", "a/b?c=d", "Default", "-a", "a-", "a_b",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    auto errors = ErrorsOf(kMinimal, {{"namespace", bad}});
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_NE(errors[0].find("namespace: must be a DNS label"), std::string::npos) << errors[0];
  }
  for (const char* good : {"default", "kube-system", "a", "team-1", "0abc"}) {
    EXPECT_TRUE(ErrorsOf(kMinimal, {{"namespace", good}}).empty()) << good;
  }
}

TEST(ConfigLoaderBounds, DurationsAreBoundedSoMsToNsCannotOverflow) {
  auto errors = ErrorsOf(kMinimal, {{"interval", "9223372036854775807"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("interval: must be at most 31536000000"), std::string::npos)
      << errors[0];
  EXPECT_TRUE(ErrorsOf(kMinimal, {{"interval", "31536000000"}}).empty());
  auto timeout =
      ErrorsOf(kMinimal, {{"evaluate",
                           "{type: shell, timeout: 9223372036854775807, shell: {entrypoint: "
                           "/bin/cat}}"}});
  ASSERT_EQ(timeout.size(), 1u);
  EXPECT_NE(timeout[0].find("evaluate.timeout: must be at most"), std::string::npos) << timeout[0];
  auto huge = ErrorsOf(kMinimal, {{"interval", "1e400"}});
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_NE(huge[0].find("1e400"), std::string::npos) << huge[0];
}

}  // namespace
}  // namespace cpa::config
