#include "engine/config/config_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/ranges.h>

#include "engine/config/json_reader.h"
#include "engine/config/method_types.h"
#include "engine/config/mode_config.h"
#include "engine/config/prometheus_config.h"

namespace cpa::config {
namespace {

enum class KeyKind { kString, kInt, kBool, kObject, kList };

struct TopLevelKey {
  std::string_view name;
  KeyKind kind;
};

// Every top-level key; env vars with these exact names override the file.
constexpr TopLevelKey kTopLevelKeys[] = {
    {"apiConfig", KeyKind::kObject},
    {"cpuInitializationPeriod", KeyKind::kInt},
    {"downscaleStabilization", KeyKind::kInt},
    {"evaluate", KeyKind::kObject},
    {"fallback", KeyKind::kObject},
    {"initialReadinessDelay", KeyKind::kInt},
    {"interval", KeyKind::kInt},
    {"kubernetesMetricSpecs", KeyKind::kList},
    {"logVerbosity", KeyKind::kInt},
    {"maxReplicas", KeyKind::kInt},
    {"metric", KeyKind::kObject},
    {"metricParallelism", KeyKind::kInt},
    {"minReplicas", KeyKind::kInt},
    {"mode", KeyKind::kString},
    {"namespace", KeyKind::kString},
    {"postEvaluate", KeyKind::kObject},
    {"postMetric", KeyKind::kObject},
    {"postScale", KeyKind::kObject},
    {"preEvaluate", KeyKind::kObject},
    {"preMetric", KeyKind::kObject},
    {"preScale", KeyKind::kObject},
    {"prometheus", KeyKind::kObject},
    {"requireKubernetesMetrics", KeyKind::kBool},
    {"runMode", KeyKind::kString},
    {"scaleTargetRef", KeyKind::kObject},
    {"startTime", KeyKind::kInt},
    {"store", KeyKind::kObject},
};

constexpr std::pair<std::string_view, std::string_view> kInferredApiVersions[] = {
    {"Deployment", "apps/v1"},           {"ReplicaSet", "apps/v1"},
    {"StatefulSet", "apps/v1"},          {"ReplicationController", "v1"},
    {"Rollout", "argoproj.io/v1alpha1"},
};

bool FileReadable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// Go's strconv.ParseBool, which the original used for env values.
std::optional<bool> ParseGoBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    return false;
  }
  return std::nullopt;
}

// Durations are milliseconds (or seconds) in the config and nanoseconds inside: bound them so the
// conversion cannot overflow and a typo (`timeout: 9223372036854775807`) is an error, not a config
// under which every call fails at once.
constexpr int64_t kMaxDurationMs = 365LL * 24 * 3600 * 1000;         // one year
constexpr int64_t kMaxRetentionMs = 100LL * 365 * 24 * 3600 * 1000;  // a century
constexpr int64_t kMaxDurationS = kMaxDurationMs / 1000;

void CheckAtMost(ConfigIssues& issues, const std::string& path, int64_t value, int64_t max,
                 std::string_view unit) {
  if (value > max) {
    issues.Error(path, fmt::format("must be at most {} ({}; {} days), got {}", max, unit,
                                   max / (unit == "seconds" ? 86400 : 86400000), value));
  }
}

// A namespace is a DNS-1123 label: at most 63 of [a-z0-9-], starting and ending alphanumeric.
bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

// Applies env overrides to the document; returns the names of keys taken from env.
std::set<std::string> ApplyEnvOverrides(JsonDocument& doc, const EnvLookup& env,
                                        ConfigIssues& issues) {
  std::set<std::string> from_env;
  if (!env) return from_env;
  auto& a = doc.GetAllocator();
  for (const auto& key : kTopLevelKeys) {
    auto raw = env(key.name);
    if (!raw) continue;
    from_env.emplace(key.name);
    std::string text = *raw;
    JsonValue value;
    switch (key.kind) {
      case KeyKind::kString:
        value = JsonString(text, a);
        break;
      case KeyKind::kInt: {
        auto parsed = ParseYaml(text);
        if (parsed && parsed->IsNumber()) {
          value.CopyFrom(*parsed, a);
        } else {
          value = JsonString(text, a);  // the typed reader reports it with the key path
        }
        break;
      }
      case KeyKind::kBool: {
        auto b = ParseGoBool(text);
        value = b ? JsonValue(*b) : JsonString(text, a);
        break;
      }
      case KeyKind::kObject:
      case KeyKind::kList: {
        auto parsed = ParseYaml(text);
        if (!parsed) {
          issues.Error(std::string(key.name), fmt::format("env var {} is not valid YAML/JSON: {}",
                                                          key.name, parsed.error().message));
          continue;
        }
        value.CopyFrom(*parsed, a);
        break;
      }
    }
    if (!doc.IsObject()) doc.SetObject();
    JsonValue* existing = const_cast<JsonValue*>(FindMember(doc, key.name));
    if (existing != nullptr && key.kind == KeyKind::kObject) {
      MergeJson(*existing, value, a);  // ours: merge, so sibling keys of the file survive
    } else if (existing != nullptr) {
      existing->CopyFrom(value, a);
    } else {
      doc.AddMember(JsonString(key.name, a), value, a);
    }
  }
  return from_env;
}

void ParseStore(JsonReader& top, store::StoreOptions& options) {
  const JsonValue* v = top.Get("store");
  if (v == nullptr) return;
  JsonReader r(*v, "store", top.issues());
  if (!r.Valid()) return;
  r.String("path", options.path);
  int64_t busy_ms = options.busy_timeout.count();
  r.Int("busyTimeout", busy_ms);
  CheckAtMost(top.issues(), "store.busyTimeout", busy_ms, kMaxDurationMs, "milliseconds");
  r.Known({"backfill"});  // prometheus_config.cpp
  options.busy_timeout = std::chrono::milliseconds(busy_ms);
  if (const JsonValue* retention = r.Get("retention")) {
    JsonReader rr(*retention, "store.retention", top.issues());
    if (rr.Valid()) {
      int64_t max_age_ms = options.max_age.count();
      rr.Int("maxAge", max_age_ms);
      CheckAtMost(top.issues(), "store.retention.maxAge", max_age_ms, kMaxRetentionMs,
                  "milliseconds");
      options.max_age = std::chrono::milliseconds(max_age_ms);
      rr.Int("maxPointsPerSeries", options.max_points_per_series);
      rr.Int("chunk", options.retention_chunk);
      rr.Finish();
    }
  }
  r.Finish();
  for (const auto& e : options.Validate()) top.issues().Error("store." + e.field, e.message);
}

void ValidateFile(const std::optional<std::string>& file, const std::string& path,
                  ConfigIssues& issues) {
  if (file && !FileReadable(*file)) {
    issues.Error(path, fmt::format("file \"{}\" does not exist or is not readable", *file));
  }
}

ShellMethodConfig ParseShell(JsonReader& parent) {
  ShellMethodConfig shell;
  const JsonValue* v = parent.Get("shell");
  JsonReader r(*v, parent.PathOf("shell"), parent.issues());
  if (!r.Valid()) return shell;
  // The original's default: the command runs under /bin/sh (`command: [/metric.sh]`).
  shell.entrypoint = "/bin/sh";
  r.String("entrypoint", shell.entrypoint);
  r.StringList("command", shell.command);
  r.Bool("logStderr", shell.log_stderr);
  r.Finish();
  if (r.Has("entrypoint") && shell.entrypoint.empty()) {
    r.issues().Error(r.PathOf("entrypoint"), "must not be empty");
  }
  return shell;
}

HttpMethodConfig ParseHttp(JsonReader& parent) {
  HttpMethodConfig http;
  const JsonValue* v = parent.Get("http");
  JsonReader r(*v, parent.PathOf("http"), parent.issues());
  if (!r.Valid()) return http;
  auto& issues = r.issues();
  r.Required("url");
  r.String("method", http.method);
  r.String("url", http.url);
  r.StringMap("headers", http.headers);
  r.IntList("successCodes", http.success_codes);
  std::string mode = "query";
  r.String("parameterMode", mode);
  r.OptionalString("caCert", http.ca_cert);
  r.OptionalString("clientCert", http.client_cert);
  r.OptionalString("clientKey", http.client_key);
  r.Finish();

  static const std::set<std::string, std::less<>> kMethods = {"DELETE", "GET",  "HEAD", "OPTIONS",
                                                              "PATCH",  "POST", "PUT"};
  if (!kMethods.contains(http.method)) {
    issues.Error(r.PathOf("method"),
                 fmt::format("must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, got "
                             "\"{}\"",
                             http.method));
  }
  if (r.Has("url")) {
    bool http_scheme = http.url.starts_with("http://") || http.url.starts_with("https://");
    size_t host_start = http.url.find("://");
    bool has_host = host_start != std::string::npos && host_start + 3 < http.url.size() &&
                    http.url[host_start + 3] != '/';
    if (!http_scheme || !has_host) {
      issues.Error(
          r.PathOf("url"),
          fmt::format("must be an http:// or https:// URL with a host, got \"{}\"", http.url));
    }
  }
  if (http.success_codes.empty()) {
    issues.Error(r.PathOf("successCodes"), "must list at least one status code");
  }
  for (size_t i = 0; i < http.success_codes.size(); ++i) {
    if (http.success_codes[i] < 100 || http.success_codes[i] > 599) {
      issues.Error(
          fmt::format("{}[{}]", r.PathOf("successCodes"), i),
          fmt::format("must be an HTTP status code (100-599), got {}", http.success_codes[i]));
    }
  }
  if (mode == "query") {
    http.parameter_mode = ParameterMode::kQuery;
  } else if (mode == "body") {
    http.parameter_mode = ParameterMode::kBody;
  } else {
    issues.Error(r.PathOf("parameterMode"),
                 fmt::format("must be \"query\" or \"body\", got \"{}\"", mode));
  }
  ValidateFile(http.ca_cert, r.PathOf("caCert"), issues);
  ValidateFile(http.client_cert, r.PathOf("clientCert"), issues);
  ValidateFile(http.client_key, r.PathOf("clientKey"), issues);
  if (http.client_cert.has_value() != http.client_key.has_value()) {
    issues.Error(r.PathOf(http.client_cert ? "clientKey" : "clientCert"),
                 "clientCert and clientKey must be given together");
  }
  return http;
}

std::optional<MethodConfig> ParseMethod(JsonReader& top, std::string_view key, MethodRole role,
                                        bool required) {
  if (required) top.Required(key);
  const JsonValue* v = top.Get(key);
  if (v == nullptr) return std::nullopt;
  JsonReader r(*v, top.PathOf(key), top.issues());
  if (!r.Valid()) return std::nullopt;
  auto& issues = r.issues();
  MethodConfig method;
  r.Required("type");
  r.String("type", method.type);
  r.Int("timeout", method.timeout_ms);
  if (r.Has("timeout") && method.timeout_ms <= 0) {
    issues.Error(r.PathOf("timeout"),
                 fmt::format("must be > 0 (milliseconds), got {}", method.timeout_ms));
  }
  CheckAtMost(issues, r.PathOf("timeout"), method.timeout_ms, kMaxDurationMs, "milliseconds");
  const MethodTypeInfo* info = FindMethodType(method.type);
  if (info == nullptr && !method.type.empty()) {
    issues.Error(r.PathOf("type"), fmt::format("unknown method type \"{}\"; known types: {}",
                                               method.type, KnownMethodTypeNames()));
  }
  if (info != nullptr) {
    bool allowed = role == MethodRole::kMetric     ? info->metric
                   : role == MethodRole::kEvaluate ? info->evaluate
                                                   : info->hook;
    if (!allowed) {
      issues.Error(r.PathOf("type"),
                   fmt::format("method type \"{}\" cannot be used as {}", method.type, key));
    }
  }
  if (method.type == "shell") {
    r.Required("shell");
    if (r.Has("shell")) method.shell = ParseShell(r);
  } else if (r.Has("shell")) {
    r.Get("shell");
    issues.Warning(r.PathOf("shell"), fmt::format("ignored: type is \"{}\"", method.type));
  }
  if (method.type == "http") {
    r.Required("http");
    if (r.Has("http")) method.http = ParseHttp(r);
  } else if (r.Has("http")) {
    r.Get("http");
    issues.Warning(r.PathOf("http"), fmt::format("ignored: type is \"{}\"", method.type));
  }
  if (info != nullptr && info->validate_block) {
    const JsonValue* block = r.Get(info->name);
    info->validate_block(block, r.PathOf(info->name), issues);
    if (block != nullptr) method.options_json = ToJson(*block);
  }
  r.Finish();
  return method;
}

void ParseApiConfig(JsonReader& top, ApiConfig& api) {
  const JsonValue* v = top.Get("apiConfig");
  if (v == nullptr) return;
  JsonReader r(*v, top.PathOf("apiConfig"), top.issues());
  if (!r.Valid()) return;
  auto& issues = r.issues();
  r.Bool("enabled", api.enabled);
  r.Bool("useHTTPS", api.use_https);
  r.Int("port", api.port);
  r.String("host", api.host);
  r.String("certFile", api.cert_file);
  r.String("keyFile", api.key_file);
  r.String("authTokenFile", api.auth_token_file);
  r.String("clientCAFile", api.client_ca_file);
  r.Finish();
  if (api.port < 0 || api.port > 65535) {
    issues.Error(r.PathOf("port"), fmt::format("must be 0-65535, got {}", api.port));
  }
  if (api.host.empty()) issues.Error(r.PathOf("host"), "must not be empty");
  if (api.enabled && !api.auth_token_file.empty() && !FileReadable(api.auth_token_file)) {
    issues.Error(r.PathOf("authTokenFile"),
                 fmt::format("file \"{}\" does not exist or is not readable", api.auth_token_file));
  }
  if (api.enabled && !api.client_ca_file.empty()) {
    if (!api.use_https) {
      issues.Error(r.PathOf("clientCAFile"), "requires useHTTPS: true");
    } else if (!FileReadable(api.client_ca_file)) {
      issues.Error(
          r.PathOf("clientCAFile"),
          fmt::format("file \"{}\" does not exist or is not readable", api.client_ca_file));
    }
  }
  if (api.enabled && api.use_https) {
    for (auto [key, file] : {std::pair{"certFile", &api.cert_file}, {"keyFile", &api.key_file}}) {
      if (file->empty()) {
        issues.Error(r.PathOf(key), "is required when useHTTPS is true");
      } else if (!FileReadable(*file)) {
        issues.Error(r.PathOf(key),
                     fmt::format("file \"{}\" does not exist or is not readable", *file));
      }
    }
  }
}

void ParseScaleTargetRef(JsonReader& top, Config& config, bool require_target) {
  const JsonValue* v = top.Get("scaleTargetRef");
  auto& issues = top.issues();
  if (v == nullptr) {
    if (require_target) {
      issues.Error("scaleTargetRef",
                   "is required (the operator passes it as env var scaleTargetRef)");
    } else {
      issues.Warning("scaleTargetRef",
                     "is not set: `cpa run` requires it (the operator passes it as env var "
                     "scaleTargetRef)");
    }
    return;
  }
  JsonReader r(*v, "scaleTargetRef", issues);
  if (!r.Valid()) return;
  ScaleTargetRef ref;
  r.Required("kind");
  r.Required("name");
  r.String("apiVersion", ref.api_version);
  r.String("kind", ref.kind);
  r.String("name", ref.name);
  r.Finish();
  if (ref.api_version.empty() && !ref.kind.empty()) {
    for (auto [kind, version] : kInferredApiVersions) {
      if (kind == ref.kind) ref.api_version = version;
    }
    if (ref.api_version.empty()) {
      issues.Error("scaleTargetRef.apiVersion",
                   fmt::format("is required for kind \"{}\" (e.g. \"example.com/v1\")", ref.kind));
    }
  }
  config.scale_target_ref = ref;
}

void Validate(Config& c, ConfigIssues& issues) {
  if (c.interval_ms <= 0) {
    issues.Error("interval", fmt::format("must be > 0 (milliseconds), got {}", c.interval_ms));
  }
  if (c.start_time_ms <= 0) {
    issues.Error("startTime", fmt::format("must be > 0 (milliseconds), got {}", c.start_time_ms));
  }
  if (c.min_replicas < 0) {
    issues.Error("minReplicas", fmt::format("must be >= 0, got {}", c.min_replicas));
  }
  if (c.max_replicas < c.min_replicas) {
    issues.Error("maxReplicas", fmt::format("must be >= minReplicas ({}), got {}", c.min_replicas,
                                            c.max_replicas));
  }
  if (c.downscale_stabilization_s < 0) {
    issues.Error("downscaleStabilization",
                 fmt::format("must be >= 0 (seconds), got {}", c.downscale_stabilization_s));
  }
  if (c.log_verbosity < 0) {
    issues.Error("logVerbosity", fmt::format("must be 0-4, got {}", c.log_verbosity));
  } else if (c.log_verbosity > 4) {
    issues.Warning("logVerbosity",
                   fmt::format("{} is above the highest level 4; using 4", c.log_verbosity));
    c.log_verbosity = 4;
  }
  if (c.initial_readiness_delay_s < 0) {
    issues.Error("initialReadinessDelay",
                 fmt::format("must be >= 0 (seconds), got {}", c.initial_readiness_delay_s));
  }
  if (c.cpu_initialization_period_s < 0) {
    issues.Error("cpuInitializationPeriod",
                 fmt::format("must be >= 0 (seconds), got {}", c.cpu_initialization_period_s));
  }
  if (c.namespace_.empty()) {
    issues.Error("namespace", "must not be empty");
  } else if (!IsDnsLabel(c.namespace_)) {
    issues.Error(
        "namespace",
        fmt::format("must be a DNS label (at most 63 characters of a-z, 0-9 and '-', "
                    "starting and ending with a letter or digit), got \"{}\"",
                    c.namespace_.size() > 80 ? c.namespace_.substr(0, 80) + "..." : c.namespace_));
  }
  CheckAtMost(issues, "interval", c.interval_ms, kMaxDurationMs, "milliseconds");
  CheckAtMost(issues, "startTime", c.start_time_ms, kMaxDurationMs, "milliseconds");
  CheckAtMost(issues, "downscaleStabilization", c.downscale_stabilization_s, kMaxDurationS,
              "seconds");
  CheckAtMost(issues, "initialReadinessDelay", c.initial_readiness_delay_s, kMaxDurationS,
              "seconds");
  CheckAtMost(issues, "cpuInitializationPeriod", c.cpu_initialization_period_s, kMaxDurationS,
              "seconds");
  if (c.metric_parallelism < 1 || c.metric_parallelism > 256) {
    issues.Error("metricParallelism", fmt::format("must be 1-256, got {}", c.metric_parallelism));
  }
}

Config ParseConfig(const JsonValue& root, ConfigIssues& issues, bool require_target) {
  Config c;
  JsonReader r(root, "", issues);
  if (!r.Valid()) return c;
  ParseScaleTargetRef(r, c, require_target);
  r.String("namespace", c.namespace_);
  r.Int("interval", c.interval_ms);
  r.Int("startTime", c.start_time_ms);
  r.Int("minReplicas", c.min_replicas);
  r.Int("maxReplicas", c.max_replicas);
  std::string run_mode = "per-pod";
  r.String("runMode", run_mode);
  if (run_mode == "per-pod") {
    c.run_mode = RunMode::kPerPod;
  } else if (run_mode == "per-resource") {
    c.run_mode = RunMode::kPerResource;
  } else {
    issues.Error("runMode",
                 fmt::format("must be \"per-pod\" or \"per-resource\", got \"{}\"", run_mode));
  }
  // A built-in evaluator (evaluate.type: hpa) gathers its own metrics: `metric` is optional.
  bool builtin_evaluator = false;
  if (const JsonValue* ev = FindMember(root, "evaluate"); ev != nullptr && ev->IsObject()) {
    const JsonValue* type = FindMember(*ev, "type");
    builtin_evaluator =
        type != nullptr && type->IsString() && IsBuiltinEvaluator(type->GetString());
  }
  if (auto m = ParseMethod(r, "metric", MethodRole::kMetric, !builtin_evaluator)) {
    c.metric = *m;
    if (builtin_evaluator) {
      issues.Warning("metric",
                     "ignored: a built-in evaluator gathers its metrics from the "
                     "Kubernetes metrics APIs");
    }
  }
  if (auto m = ParseMethod(r, "evaluate", MethodRole::kEvaluate, true)) c.evaluate = *m;
  c.pre_metric = ParseMethod(r, "preMetric", MethodRole::kHook, false);
  c.post_metric = ParseMethod(r, "postMetric", MethodRole::kHook, false);
  c.pre_evaluate = ParseMethod(r, "preEvaluate", MethodRole::kHook, false);
  c.post_evaluate = ParseMethod(r, "postEvaluate", MethodRole::kHook, false);
  c.pre_scale = ParseMethod(r, "preScale", MethodRole::kHook, false);
  c.post_scale = ParseMethod(r, "postScale", MethodRole::kHook, false);
  r.Int("downscaleStabilization", c.downscale_stabilization_s);
  r.Int("logVerbosity", c.log_verbosity);
  ParseApiConfig(r, c.api);
  if (const JsonValue* specs = r.Get("kubernetesMetricSpecs")) {
    if (!specs->IsArray()) {
      issues.Error("kubernetesMetricSpecs",
                   fmt::format("must be a list of MetricSpec, got {}", Describe(*specs)));
    } else {
      for (rapidjson::SizeType i = 0; i < specs->Size(); ++i) {
        auto spec = ParseMetricSpec((*specs)[i], fmt::format("kubernetesMetricSpecs[{}]", i),
                                    issues, TargetValues::kOptional);
        if (spec) c.kubernetes_metric_specs.push_back(*spec);
      }
    }
  }
  r.Bool("requireKubernetesMetrics", c.require_kubernetes_metrics);
  r.Int("initialReadinessDelay", c.initial_readiness_delay_s);
  r.Int("cpuInitializationPeriod", c.cpu_initialization_period_s);
  r.Int("metricParallelism", c.metric_parallelism);
  ParseStore(r, c.store);
  ParseModes(r, c);
  ParsePrometheusSections(r, c);
  r.Finish();
  Validate(c, issues);
  ValidateModes(c, issues);
  return c;
}

void NoteEnvSource(std::vector<ConfigIssue>& list, const std::set<std::string>& from_env) {
  for (auto& issue : list) {
    std::string top = issue.path.substr(0, issue.path.find_first_of(".["));
    if (from_env.contains(top)) issue.message += fmt::format(" (set by env var {})", top);
  }
}

}  // namespace

std::string_view RunModeName(RunMode mode) {
  return mode == RunMode::kPerPod ? "per-pod" : "per-resource";
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

LoadResult LoadConfigFromText(std::string_view text, std::string_view source_name,
                              const LoadOptions& options) {
  ConfigIssues issues;
  bool is_json = source_name.ends_with(".json");
  Result<JsonDocument> parsed = is_json ? ParseJson(text) : ParseYaml(text);
  if (!parsed) {
    issues.Error("", fmt::format("{}: {}", source_name.empty() ? "config" : source_name,
                                 parsed.error().message));
    return std::unexpected(issues);
  }
  JsonDocument doc = std::move(*parsed);
  if (doc.IsNull()) doc.SetObject();  // an empty file is an empty config
  if (!doc.IsObject()) {
    issues.Error("", fmt::format("{}: the config must be a mapping of keys, got {}", source_name,
                                 JsonTypeName(doc)));
    return std::unexpected(issues);
  }
  auto from_env = ApplyEnvOverrides(doc, options.env, issues);
  Config config = ParseConfig(doc, issues, options.require_target);
  NoteEnvSource(issues.errors, from_env);
  NoteEnvSource(issues.warnings, from_env);
  if (!issues.errors.empty()) return std::unexpected(issues);
  return LoadedConfig{std::move(config), std::move(issues.warnings), std::string(source_name)};
}

LoadResult LoadConfig(const LoadOptions& options) {
  std::string path;
  bool explicit_path = true;
  if (options.path) {
    path = *options.path;
  } else if (auto env_path = options.env ? options.env(kConfigPathEnv) : std::nullopt) {
    path = *env_path;
  } else {
    path = options.default_path;
    explicit_path = false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (explicit_path) {
      ConfigIssues issues;
      issues.Error("",
                   fmt::format("cannot read config file \"{}\": {}", path, std::strerror(errno)));
      return std::unexpected(issues);
    }
    // No file at the default path: defaults and env only (a config given wholly by env vars).
    auto result = LoadConfigFromText("{}", "", options);
    // The warning matters most when validation then fails (`metric: is required`): it says
    // why everything is missing.
    ConfigIssue missing{"", fmt::format("no config file at {} (set --config or env configPath); "
                                        "using defaults and env vars",
                                        path)};
    auto& warnings = result ? result->warnings : result.error().warnings;
    warnings.insert(warnings.begin(), std::move(missing));
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadConfigFromText(buffer.str(), path, options);
}

}  // namespace cpa::config
