// `cpa run`: the autoscaler(s) — load configs, connect to the cluster, run on schedule until
// SIGTERM/SIGINT. The first signal lets runs in flight finish (bounded by their method timeouts
// and a grace period); a second one cancels them.
#include <signal.h>

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
#include "common/log.h"
#include "engine/autoscaler.h"
#include "engine/config/config_loader.h"
#include "engine/config/method_types.h"
#include "engine/kube_cluster.h"
#include "engine/methods/method_registry.h"
#include "engine/scheduler.h"
#include "kube/client.h"
#include "cli/prometheus_backfill.h"
#include "store/open_store.h"

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
};

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
  // One store per distinct store.path (unset: one in-memory store per autoscaler).
  std::map<std::string, std::unique_ptr<store::Store>> stores;
  std::vector<std::unique_ptr<store::Store>> memory_stores;
  auto store_for = [&](const store::StoreOptions& options) -> store::Store* {
    if (!options.path.empty()) {
      if (auto it = stores.find(options.path); it != stores.end()) return it->second.get();
    }
    auto opened = store::OpenStore(options);
    if (opened.fallback_reason) {
      log::Error("store {}: {}; keeping history in memory instead (the file is left untouched)",
                 options.path, opened.fallback_reason->message);
    } else {
      log::Info("store: {}", opened.store->Location());
    }
    store::Store* s = opened.store.get();
    if (options.path.empty()) {
      memory_stores.push_back(std::move(opened.store));
    } else {
      stores[options.path] = std::move(opened.store);
    }
    return s;
  };
  api::MetricsRegistry metrics(clock);
  std::vector<std::unique_ptr<engine::Autoscaler>> autoscalers;
  std::map<std::string, store::Store*> store_of;  // autoscaler id -> its store (history routes)
  for (auto& c : *configs) {
    engine::AutoscalerOptions options;
    options.store = store_for(c.store);
    options.kube_api = client->get();
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

  if (opts.once) {
    int failures = 0;
    for (auto& a : autoscalers) {
      if (!a->Run(engine::RunType::kScaler)) ++failures;
    }
    return failures == 0 ? kExitOk : kExitFailure;
  }

  // The REST API: one server for the process, configured by the first config's apiConfig
  // (with several autoscalers, give them the same apiConfig; routes take the autoscaler name).
  std::vector<engine::Autoscaler*> raw;
  for (auto& a : autoscalers) raw.push_back(a.get());
  api::ApiServer api_server(autoscalers.front()->config().api, raw, metrics);
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
    log::Info("REST API listening on {}://{}:{}",
              autoscalers.front()->config().api.use_https ? "https" : "http",
              autoscalers.front()->config().api.host, api_server.port());
  }

  int workers =
      opts.workers > 0 ? opts.workers : std::clamp(static_cast<int>(autoscalers.size()), 2, 16);
  engine::Scheduler scheduler(clock, workers);
  for (auto& a : autoscalers) scheduler.Add(*a);
  scheduler.SetObserver([&](engine::Autoscaler& a, const auto& outcome, Duration elapsed) {
    metrics.RecordRun(a.id(), engine::RunType::kScaler, outcome, elapsed);
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
          SystemClock::Instance().SleepUntil(
              SystemClock::Instance().Now() + std::chrono::seconds(grace), cancel_runs.get_token());
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
                "Run every autoscaler once now (no schedule) and exit; exit 1 if any run failed");
  cmd->add_option("--grace", opts->grace_seconds,
                  "Seconds runs in flight may take to finish after SIGTERM before they are "
                  "cancelled")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  cmd->callback([opts, &exit_code] { exit_code = RunAutoscalers(*opts); });
}

}  // namespace cpa::cli
