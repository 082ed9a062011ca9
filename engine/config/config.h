// The autoscaler config (CONTRACTS.md section 1): typed options with their defaults in the struct.
//
// A Config is produced only by LoadConfig (config_loader.h), which applies env overrides and
// validates every field, so code holding a Config may trust it. Plain value; copyable; safe to
// read from many threads once built.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/config/metric_spec.h"
#include "prometheus/server_config.h"
#include "store/options.h"

namespace cpa::config {

inline constexpr int64_t kDefaultMethodTimeoutMs = 5000;

struct ShellMethodConfig {
  std::string entrypoint;            // executable, looked up in PATH when it has no '/'
  std::vector<std::string> command;  // arguments after the entrypoint
  bool log_stderr = false;           // also log stderr of successful runs
};

enum class ParameterMode { kQuery, kBody };

struct HttpMethodConfig {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::vector<int> success_codes = {200};
  ParameterMode parameter_mode = ParameterMode::kQuery;
  std::optional<std::string> ca_cert;      // PEM file trusted for https URLs
  std::optional<std::string> client_cert;  // PEM client certificate (mTLS), with client_key
  std::optional<std::string> client_key;
};

// How one piece of user logic (or a built-in) is called. `type` names an entry of the method
// registry (method_types.h); shell and http carry their blocks, built-ins keep theirs as JSON.
struct MethodConfig {
  std::string type;
  int64_t timeout_ms = kDefaultMethodTimeoutMs;
  std::optional<ShellMethodConfig> shell;
  std::optional<HttpMethodConfig> http;
  std::string options_json;  // the block named after a built-in type ("hpa": {...}), or empty
};

struct ScaleTargetRef {
  std::string api_version;  // "apps/v1"; inferred for the built-in scalable kinds when omitted
  std::string kind;
  std::string name;
};

struct ApiConfig {
  bool enabled = true;
  bool use_https = false;
  int port = 5000;  // 0 picks a free port (logged at start)
  std::string host = "0.0.0.0";
  std::string cert_file;
  std::string key_file;
  // Ours: when set, requests that can scale (and history reads) need "Authorization: Bearer
  // <token>" with the file's content (trimmed); the file is re-read when it changes.
  std::string auth_token_file;
  // Ours: PEM CA bundle; when set with useHTTPS, clients must present a certificate it signs.
  std::string client_ca_file;
};

// Ours: `store.backfill` (docs/prometheus.md): at start, fill the phpa model history the store
// lacks from a Prometheus range query.
struct BackfillConfig {
  std::string query;                 // PromQL; its value is the phpa learned value at each step
  int64_t step_ms = 0;               // 0 = the autoscaler's interval
  std::string aggregation = "none";  // none | sum | avg | max | min over the series of a step
};

enum class RunMode { kPerPod, kPerResource };

// Ours: `live` scales; `observe` runs every stage and records every decision but never scales.
enum class Mode { kLive, kObserve };

// Ours, opt-in: after `failure_threshold` consecutive failed scheduled runs, scale to `replicas`
// (never below the current count unless `allow_scale_down`); the first good run resumes.
struct FallbackConfig {
  int failure_threshold = 3;
  int replicas = 1;
  bool allow_scale_down = false;
};
std::string_view RunModeName(RunMode mode);

struct Config {
  std::optional<ScaleTargetRef> scale_target_ref;  // required for `cpa run`
  std::string namespace_ = "default";
  int64_t interval_ms = 15000;
  int64_t start_time_ms = 1;
  int min_replicas = 1;
  int max_replicas = 10;
  RunMode run_mode = RunMode::kPerPod;
  MethodConfig metric;
  MethodConfig evaluate;
  std::optional<MethodConfig> pre_metric;
  std::optional<MethodConfig> post_metric;
  std::optional<MethodConfig> pre_evaluate;
  std::optional<MethodConfig> post_evaluate;
  std::optional<MethodConfig> pre_scale;
  std::optional<MethodConfig> post_scale;
  int64_t downscale_stabilization_s = 0;
  int log_verbosity = 0;
  ApiConfig api;
  std::vector<MetricSpec> kubernetes_metric_specs;
  bool require_kubernetes_metrics = false;
  int64_t initial_readiness_delay_s = 30;
  int64_t cpu_initialization_period_s = 300;
  int metric_parallelism = 4;  // ours: per-pod metric calls running at once
  store::StoreOptions store;   // ours: the history store (path unset: in memory)

  // Ours: `mode` (observe-only when kObserve).
  Mode mode = Mode::kLive;
  // Ours: `fallback` (unset: a failed run scales nothing).
  std::optional<FallbackConfig> fallback;
  std::optional<BackfillConfig> store_backfill;        // ours: `store.backfill`
  std::optional<prometheus::ServerConfig> prometheus;  // ours: `prometheus`
};

}  // namespace cpa::config
