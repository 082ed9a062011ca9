// `cpa run`: the autoscaler(s) — load configs, connect to the cluster, run on schedule until
// SIGTERM/SIGINT. The first signal lets runs in flight finish (bounded by their method timeouts
// and a grace period); a second one cancels them.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "api/api_server.h"
#include "api/metrics_registry.h"
#include "api/store_history.h"
#include "api/timed_method.h"
#include "cli/commands.h"
#include "cli/prometheus_backfill.h"
#include "common/log.h"
#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/config/method_types.h"
#include "engine/event_recorder.h"
#include "engine/kube_cluster.h"
#include "engine/methods/method_registry.h"
#include "engine/scheduler.h"
#include "engine/status_reporter.h"
#include "kube/client.h"
#include "store/sqlite_store.h"

#ifndef CPA_VERSION
#define CPA_VERSION "0.0.0-dev"
#endif

namespace cpa::cli {
namespace {

struct RunOptions {
  std::vector<std::string> configs;
  std::string kubeconfig;
  std::string context;
  int workers = 0;
  bool once = false;
  int grace_seconds = 30;
  bool observe = false;  // --observe: observe-only whatever the configs say
  bool events = true;    // --no-events: record no Kubernetes Events
  // --status-resource (default: env CPA_RESOURCE_NAME, set by the operator): the
  // CustomPodAutoscaler whose status.currentReplicas/desiredReplicas/lastScaleTime to keep.
  std::string status_resource;
  // Process-level REST API settings overriding the first config's apiConfig (unset: not given).
  std::optional<std::string> api_host;
  std::optional<int> api_port;
  std::optional<std::string> api_token_file;
  std::optional<bool> api_https;
  std::optional<std::string> api_cert_file;
  std::optional<std::string> api_key_file;
  std::optional<std::string> api_client_ca_file;
};

// The process's apiConfig: the first config's, overridden by the --api-* flags (docs/api.md).
Result<config::ApiConfig> EffectiveApiConfig(config::ApiConfig api, const RunOptions& opts) {
  if (opts.api_host) api.host = *opts.api_host;
  if (opts.api_port) api.port = *opts.api_port;
  if (opts.api_token_file) api.auth_token_file = *opts.api_token_file;
  if (opts.api_https) api.use_https = *opts.api_https;
  if (opts.api_cert_file) api.cert_file = *opts.api_cert_file;
  if (opts.api_key_file) api.key_file = *opts.api_key_file;
  if (opts.api_client_ca_file) api.client_ca_file = *opts.api_client_ca_file;
  if (api.use_https && (api.cert_file.empty() || api.key_file.empty())) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "HTTPS for the REST API needs a certificate and key (--api-cert-file, "
                     "--api-key-file or apiConfig.certFile/keyFile)");
  }
  for (const auto& [flag, file] : {std::pair{"--api-token-file", opts.api_token_file},
                                   std::pair{"--api-cert-file", opts.api_cert_file},
                                   std::pair{"--api-key-file", opts.api_key_file},
                                   std::pair{"--api-client-ca-file", opts.api_client_ca_file}}) {
    if (file && ::access(file->c_str(), R_OK) != 0) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "{} {}: file is not readable", flag, *file);
    }
  }
  return api;
}

// Expands directories into their *.yaml, *.yml and *.json files (sorted).
std::vector<std::string> ExpandConfigPaths(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& path : given) {
    if (!std::filesystem::is_directory(path)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(path)) {
      auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(e.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

std::optional<std::vector<config::Config>> LoadAll(const RunOptions& opts) {
  std::vector<std::optional<std::string>> paths;
  for (const auto& p : ExpandConfigPaths(opts.configs)) paths.emplace_back(p);
  if (paths.empty()) paths.emplace_back(std::nullopt);  // env configPath, else /config.yaml
  std::vector<config::Config> configs;
  bool ok = true;
  for (const auto& path : paths) {
    config::LoadOptions load;
    load.path = path;
    auto loaded = config::LoadConfig(load);
    std::string name = path.value_or("config");
    if (!loaded) {
      ok = false;
      for (const auto& w : loaded.error().warnings) {
        fmt::print(stderr, "warning: {}: {}\n", name, w.ToString());
      }
      for (const auto& e : loaded.error().errors) {
        fmt::print(stderr, "error: {}: {}\n", name, e.ToString());
      }
      continue;
    }
    for (const auto& w : loaded->warnings) log::Warning("config {}: {}", name, w.ToString());
    configs.push_back(std::move(loaded->config));
  }
  if (!ok) return std::nullopt;
  return configs;
}

// `--once`: every autoscaler runs once, on a runner thread, while this thread takes signals as the
// scheduled mode does: the first SIGTERM/SIGINT starts no further run and lets the one in flight
// finish for up to `grace_seconds`, then cancels it (its user logic is killed); a second signal
// cancels at once. A Kubernetes call in flight ends by its own total deadline. Exit 0 only when
// every autoscaler ran and succeeded.
int RunOnce(std::vector<std::unique_ptr<engine::Autoscaler>>& autoscalers, const sigset_t& signals,
            int grace_seconds) {
  std::stop_source cancel;
  std::atomic<bool> stopping{false};
  std::atomic<int> failures{0};
  std::atomic<int> not_started{0};
  const pthread_t waiter = pthread_self();
  std::thread runner([&] {
    for (auto& a : autoscalers) {
      if (stopping.load()) {
        ++not_started;
        continue;
      }
      auto run = a->Run(engine::RunType::kScaler, cancel.get_token());
      if (!run) {
        ++failures;  // the failure is logged by the run
        continue;
      }
      // --once always says what it decided, whatever the verbosity.
      if (run->decision) {
        const auto& d = *run->decision;
        log::Info("autoscaler {}: decided {} replicas (current {}, evaluated {}){}", a->id(),
                  d.target_replicas, d.current_replicas, d.evaluated_replicas,
                  d.disabled   ? "; autoscaling disabled (0 replicas)"
                  : d.observed ? "; observe mode: not applied"
                  : d.applied  ? "; scaled"
                               : "; unchanged");
      }
    }
    pthread_kill(waiter, SIGUSR1);  // wakes the sigwait below
  });
  std::stop_source timer_stop;
  std::optional<std::jthread> grace_timer;
  int received = 0;
  int count = 0;
  while (sigwait(&signals, &received) == 0) {
    if (received == SIGUSR1) break;  // the runner is done
    if (++count == 1) {
      log::Info("received {}: finishing the run in flight (up to {} s), then exiting",
                strsignal(received), grace_seconds);
      stopping = true;
      grace_timer.emplace([&] {
        SystemClock::Instance().SleepFor(std::chrono::seconds(grace_seconds),
                                         timer_stop.get_token());
        if (!timer_stop.stop_requested()) {
          log::Info("grace period over: cancelling the run in flight");
          cancel.request_stop();
        }
      });
    } else {
      log::Info("received {} again: cancelling the run in flight", strsignal(received));
      cancel.request_stop();
    }
  }
  runner.join();
  timer_stop.request_stop();
  grace_timer.reset();
  if (not_started > 0) log::Info("{} autoscaler run(s) not started (stopped)", not_started.load());
  return failures == 0 && not_started == 0 ? kExitOk : kExitFailure;
}

int RunAutoscalers(const RunOptions& opts) {
  // Signals are taken by a dedicated thread; block them before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // internal: ends the signal thread
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto configs = LoadAll(opts);
  if (!configs) {
    fmt::print(stderr, "config is invalid; not starting\n");
    return kExitInvalidConfig;
  }
  int verbosity = 0;
  for (const auto& c : *configs) verbosity = std::max(verbosity, c.log_verbosity);
  log::SetVerbosity(verbosity);

  kube::LoadOptions kube_options;
  kube_options.kubeconfig_path = opts.kubeconfig;
  kube_options.context = opts.context;
  auto client = kube::Client::FromLoadOptions(kube_options);
  if (!client) {
    log::Error("cannot configure the Kubernetes client: {}", client.error().message);
    return kExitFailure;
  }
  engine::KubeCluster cluster(**client);
  Clock& clock = SystemClock::Instance();
  // One store per distinct store.path (unset: one in-memory store per autoscaler). A store file
  // that cannot be opened (corrupt, another application's, a newer schema, not writable) stops
  // the start-up: running on without the history it holds would empty the stabilization windows
  // (a restart could scale down at once), and the file is left as it is for the user to repair
  // or move away (docs/store.md).
  std::map<std::string, std::unique_ptr<store::Store>> stores;
  std::vector<std::unique_ptr<store::Store>> memory_stores;
  auto store_for = [&](const store::StoreOptions& options) -> Result<store::Store*> {
    if (!options.path.empty()) {
      if (auto it = stores.find(options.path); it != stores.end()) return it->second.get();
    }
    auto opened = store::OpenSqliteStore(options);
    if (!opened) return std::unexpected(opened.error());
    log::Info("store: {}", (*opened)->Location());
    store::Store* s = opened->get();
    if (options.path.empty()) {
      memory_stores.push_back(std::move(*opened));
    } else {
      stores[options.path] = std::move(*opened);
    }
    return s;
  };
  api::MetricsRegistry metrics(clock);
  engine::EventRecorderOptions event_options;
  if (const char* pod = std::getenv("HOSTNAME"); pod != nullptr) {
    event_options.reporting_instance = pod;
  }
  engine::EventRecorder event_recorder(**client, clock, event_options);
  std::string status_resource = opts.status_resource;
  if (status_resource.empty()) {
    if (const char* env = std::getenv("CPA_RESOURCE_NAME"); env != nullptr) status_resource = env;
  }
  std::optional<engine::CrStatusReporter> status_reporter;
  if (!status_resource.empty()) {
    if (configs->size() != 1) {
      log::Error(
          "--status-resource (env CPA_RESOURCE_NAME) names one CustomPodAutoscaler: give "
          "exactly one config, got {}",
          configs->size());
      return kExitInvalidConfig;
    }
    status_reporter.emplace(**client, configs->front().namespace_, status_resource);
  }
  std::vector<std::unique_ptr<engine::Autoscaler>> autoscalers;
  std::map<std::string, store::Store*> store_of;  // autoscaler id -> its store (history routes)
  for (auto& c : *configs) {
    engine::AutoscalerOptions options;
    auto store = store_for(c.store);
    if (!store) {
      log::Error(
          "cannot open the store: {}. Not starting: the file holds the history that "
          "stabilization reads. Repair or restore it, or move it away to start with an empty "
          "store",
          store.error().message);
      return kExitFailure;
    }
    options.store = *store;
    options.kube_api = client->get();
    options.observe = opts.observe;
    if (opts.events) options.events = &event_recorder;
    if (status_reporter) options.status = &*status_reporter;
    store_of[c.namespace_ + "/" + c.scale_target_ref->name] = options.store;
    // Metric and evaluate calls are timed for the Prometheus endpoint.
    std::string id = c.namespace_ + "/" + c.scale_target_ref->name;
    for (auto [name, method_config, slot] :
         {std::tuple{"metric", &c.metric, &options.metric},
          std::tuple{"evaluate", &c.evaluate, &options.evaluate}}) {
      // A built-in evaluator (evaluate.type: hpa) has no metric/evaluate methods to time.
      if (config::IsBuiltinEvaluator(c.evaluate.type)) break;
      auto method = engine::CreateMethod(*method_config, name);
      if (!method) {
        log::Error("cannot create the {} method: {}", name, method.error().message);
        return kExitInvalidConfig;
      }
      *slot = std::make_unique<api::TimedMethod>(std::move(*method), metrics, id, name);
    }
    BackfillFromPrometheus(c, *options.store, clock);  // store.backfill: prometheus_backfill.cpp
    auto a = engine::Autoscaler::Create(c, cluster, clock, std::move(options));
    if (!a) {
      log::Error("cannot create autoscaler: {}", a.error().message);
      return kExitInvalidConfig;
    }
    autoscalers.push_back(std::move(*a));
  }
  log::Info("cpa {} starting {} autoscaler(s); cluster {} ({})", CPA_VERSION, autoscalers.size(),
            (*client)->config().server, (*client)->config().source);
  for (const auto& a : autoscalers) {
    const auto& c = a->config();
    log::Info(
        "autoscaler {}: target {} {} ({}), interval {} ms, startTime {} ms, replicas "
        "[{}, {}], runMode {}, metric {}, evaluate {}, downscaleStabilization {} s",
        a->id(), c.scale_target_ref->kind, c.scale_target_ref->name,
        c.scale_target_ref->api_version, c.interval_ms, c.start_time_ms, c.min_replicas,
        c.max_replicas, config::RunModeName(c.run_mode), c.metric.type, c.evaluate.type,
        c.downscale_stabilization_s);
  }

  if (opts.once) return RunOnce(autoscalers, signals, opts.grace_seconds);

  // The REST API: one server for the process, configured by the first config's apiConfig
  // (with several autoscalers, give them the same apiConfig; routes take the autoscaler name).
  std::vector<engine::Autoscaler*> raw;
  for (auto& a : autoscalers) raw.push_back(a.get());
  auto api_config = EffectiveApiConfig(autoscalers.front()->config().api, opts);
  if (!api_config) {
    log::Error("REST API: {}", api_config.error().message);
    return kExitInvalidConfig;
  }
  api::ApiServer api_server(*api_config, raw, metrics);
  api_server.SetReadinessProvider([&] {
    api::Readiness r;
    r.checks.push_back({"config", true, fmt::format("{} autoscaler(s) loaded", raw.size())});
    for (auto* a : raw) {
      auto last = metrics.last_run(a->id());
      api::ReadinessCheck check{"lastRun:" + a->id(), true, "no run yet"};
      if (last) {
        // Only a failure to reach the cluster makes the process unready; a failing user logic
        // is reported but restarting the pod would not fix it.
        check.ok = last->ok || last->error.rfind("target:", 0) != 0;
        check.message = last->ok ? "ok" : last->error;
      }
      r.checks.push_back(check);
    }
    return r;
  });
  api_server.SetHistoryProvider(api::MakeStoreHistoryProvider(store_of, clock));
  if (auto s = api_server.Start(); !s) {
    log::Error("cannot start the REST API: {}", s.error().message);
    return kExitFailure;
  }
  if (api_server.port() != 0) {
    log::Info("REST API listening on {}://{}:{}", api_config->use_https ? "https" : "http",
              api_config->host, api_server.port());
  }

  int workers =
      opts.workers > 0 ? opts.workers : std::clamp(static_cast<int>(autoscalers.size()), 2, 16);
  engine::Scheduler scheduler(clock, workers);
  for (auto& a : autoscalers) scheduler.Add(*a);
  scheduler.SetObserver([&](engine::Autoscaler& a, const auto& outcome, Duration elapsed) {
    metrics.RecordRun(a.id(), engine::RunType::kScaler, outcome, elapsed);
    int64_t store_bytes = 0;  // the database files (and WAL) of every file-backed store
    for (const auto& [path, s] : stores) {
      if (auto stats = s->Stats()) store_bytes += stats->bytes_on_disk;
    }
    metrics.SetStoreSizeBytes(store_bytes);
  });

  std::stop_source stop;
  std::stop_source cancel_runs;
  std::optional<std::jthread> grace_timer;  // cancels runs in flight after the grace period
  std::thread signal_thread([&] {
    int received = 0;
    int count = 0;
    while (sigwait(&signals, &received) == 0) {
      if (received == SIGUSR1) return;  // shutdown of this thread
      ++count;
      if (count == 1) {
        log::Info("received {}: finishing runs in flight, then exiting", strsignal(received));
        stop.request_stop();
        grace_timer.emplace([&, grace = opts.grace_seconds] {
          SystemClock::Instance().SleepFor(std::chrono::seconds(grace), cancel_runs.get_token());
          cancel_runs.request_stop();
        });
      } else {
        log::Info("received {} again: cancelling runs in flight", strsignal(received));
        cancel_runs.request_stop();
      }
    }
  });
  scheduler.Run(stop.get_token(), cancel_runs.get_token());
  cancel_runs.request_stop();  // ends the grace timer
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  api_server.Stop();
  auto stats = scheduler.stats();
  log::Info("stopped after {} run(s), {} failed, {} skipped", stats.runs, stats.failures,
            stats.skipped);
  return kExitOk;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run autoscalers: every interval, gather metrics, evaluate and scale each target. "
      "Exits 2 on an invalid config; runs until SIGTERM/SIGINT");
  cmd->add_option("--config,-c", opts->configs,
                  "Config file or directory of configs (*.yaml, *.yml, *.json); repeat for "
                  "several autoscalers in one process. Default: env configPath, else "
                  "/config.yaml")
      ->check(CLI::ExistingPath);
  cmd->add_option("--kubeconfig", opts->kubeconfig,
                  "Kubeconfig file (default: $KUBECONFIG, in-cluster service account, "
                  "~/.kube/config)");
  cmd->add_option("--context", opts->context, "Kubeconfig context (default: current-context)");
  cmd->add_option("--workers", opts->workers,
                  "Runs executed at once across all autoscalers (default: number of autoscalers, "
                  "2-16)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--once", opts->once,
                "Run every autoscaler once now (no schedule) and exit; exit 1 if any run failed "
                "or was not started because of SIGTERM/SIGINT");
  cmd->add_option("--grace", opts->grace_seconds,
                  "Seconds runs in flight may take to finish after SIGTERM/SIGINT before they are "
                  "cancelled (also with --once)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  cmd->add_flag("--observe", opts->observe,
                "Observe-only: every stage runs and every decision is recorded, but nothing is "
                "scaled (as `mode: observe` in every config)");
  cmd->add_flag("--events,!--no-events", opts->events,
                "Record Kubernetes Events on the targets (SuccessfulRescale, Failed*)")
      ->capture_default_str();
  cmd->add_option("--status-resource", opts->status_resource,
                  "CustomPodAutoscaler (in the config's namespace) whose status the autoscaler "
                  "keeps: currentReplicas, desiredReplicas, lastScaleTime (default: env "
                  "CPA_RESOURCE_NAME, which the operator sets)");
  cmd->add_option("--api-host", opts->api_host,
                  "REST API listen address (overrides the first config's apiConfig.host)");
  cmd->add_option("--api-port", opts->api_port,
                  "REST API port, 0 = any free port (overrides apiConfig.port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--api-token-file", opts->api_token_file,
                  "Bearer token file the REST API requires (overrides apiConfig.authTokenFile)");
  cmd->add_option("--api-https", opts->api_https,
                  "Serve the REST API over HTTPS: true|false (overrides apiConfig.useHTTPS)");
  cmd->add_option("--api-cert-file", opts->api_cert_file,
                  "REST API TLS certificate (overrides apiConfig.certFile)");
  cmd->add_option("--api-key-file", opts->api_key_file,
                  "REST API TLS key (overrides apiConfig.keyFile)");
  cmd->add_option("--api-client-ca-file", opts->api_client_ca_file,
                  "CA bundle REST API clients must present a certificate from (overrides "
                  "apiConfig.clientCAFile)");
  cmd->callback([opts, &exit_code] { exit_code = RunAutoscalers(*opts); });
}

}  // namespace cpa::cli
