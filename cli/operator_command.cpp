// `cpa operator`: the CustomPodAutoscaler controller (operator/). Wiring only: resolve the
// cluster, build the Controller and the health/metrics server, run until SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/log.h"
#include "kube/client.h"
#include "operator/controller.h"
#include "operator/http_endpoints.h"

namespace cpa::cli {
namespace {

struct OperatorOptions {
  std::string kubeconfig;
  std::string context;
  std::string watch_namespace;
  int workers = 2;
  int resync_seconds = 300;
  bool leader_elect = true;
  std::string lease_namespace;
  std::string lease_name = "cpa-operator";
  std::string identity;
  int lease_seconds = 15;
  std::string health_host = "0.0.0.0";
  int health_port = 8080;
  int verbosity = 0;
};

std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

int RunOperator(OperatorOptions opts) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // internal: ends the signal thread
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  log::SetVerbosity(opts.verbosity);

  kube::LoadOptions kube_options;
  kube_options.kubeconfig_path = opts.kubeconfig;
  kube_options.context = opts.context;
  auto client = kube::Client::FromLoadOptions(kube_options);
  if (!client) {
    log::Error("cannot configure the Kubernetes client: {}", client.error().message);
    return kExitFailure;
  }
  if (opts.watch_namespace.empty()) opts.watch_namespace = EnvOr("WATCH_NAMESPACE", "");
  if (opts.lease_namespace.empty()) {
    opts.lease_namespace =
        EnvOr("POD_NAMESPACE",
              opts.watch_namespace.empty() ? (*client)->default_namespace() : opts.watch_namespace);
  }
  if (opts.identity.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    opts.identity = EnvOr("POD_NAME", fmt::format("{}_{}", host, getpid()));
  }

  op::ControllerOptions options;
  options.watch_namespace = opts.watch_namespace;
  options.workers = opts.workers;
  options.resync = std::chrono::seconds(opts.resync_seconds);
  options.leader_election = opts.leader_elect;
  options.lease_namespace = opts.lease_namespace;
  options.lease_name = opts.lease_name;
  options.identity = opts.identity;
  options.lease_duration = std::chrono::seconds(opts.lease_seconds);
  options.retry_period = std::chrono::seconds(std::max(1, opts.lease_seconds / 5));
  options.reconciler.identity = opts.identity;
  op::Controller controller(**client, options, SystemClock::Instance());

  op::HealthServer health([&] { return controller.Stats(); });
  if (opts.health_port >= 0) {
    if (auto started = health.Start(opts.health_host, opts.health_port); !started) {
      log::Error("{}", started.error().message);
      return kExitFailure;
    }
  }
  log::Info(
      "operator {} watching {}; leader election {} (lease {}/{}); health and metrics on {}:{}",
      opts.identity,
      opts.watch_namespace.empty() ? std::string("all namespaces")
                                   : "namespace " + opts.watch_namespace,
      opts.leader_elect ? "on" : "off", opts.lease_namespace, opts.lease_name, opts.health_host,
      health.port());

  std::stop_source stop;
  std::thread signal_thread([&] {
    int received = 0;
    while (sigwait(&signals, &received) == 0) {
      if (received == SIGUSR1) return;
      log::Info("received {}: stopping", strsignal(received));
      stop.request_stop();
    }
  });
  auto ran = controller.Run(stop.get_token());
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  health.Stop();
  if (!ran) {
    log::Error("operator stopped: {}", ran.error().ToString());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void RegisterOperatorCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<OperatorOptions>();
  CLI::App* cmd = app.add_subcommand(
      "operator",
      "Run the CustomPodAutoscaler operator: provision and own each autoscaler's Deployment, "
      "ServiceAccount, Role and RoleBinding. Runs until SIGTERM/SIGINT");
  cmd->add_option("--kubeconfig", opts->kubeconfig,
                  "Kubeconfig file (default: $KUBECONFIG, in-cluster service account, "
                  "~/.kube/config)");
  cmd->add_option("--context", opts->context, "Kubeconfig context (default: current-context)");
  cmd->add_option("--namespace", opts->watch_namespace,
                  "Watch only this namespace (default: env WATCH_NAMESPACE, else all namespaces)");
  cmd->add_option("--workers", opts->workers, "Reconciles run at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--resync", opts->resync_seconds,
                  "Seconds between full resyncs of every CustomPodAutoscaler")
      ->check(CLI::Range(10, 86400))
      ->capture_default_str();
  cmd->add_option("--leader-elect", opts->leader_elect,
                  "Elect a leader through a coordination.k8s.io Lease (true/false)")
      ->capture_default_str();
  cmd->add_option("--leader-election-namespace", opts->lease_namespace,
                  "Namespace of the Lease (default: env POD_NAMESPACE, else the watched "
                  "namespace, else the context's namespace)");
  cmd->add_option("--leader-election-id", opts->lease_name, "Name of the Lease")
      ->capture_default_str();
  cmd->add_option("--identity", opts->identity,
                  "This replica's name in the Lease and in Events (default: env POD_NAME, else "
                  "host_pid)");
  cmd->add_option("--lease-duration", opts->lease_seconds,
                  "Seconds a leader's lease lasts without renewal (renewed every fifth of it)")
      ->check(CLI::Range(5, 600))
      ->capture_default_str();
  cmd->add_option("--health-host", opts->health_host,
                  "Address of the /healthz, /readyz and /metrics endpoints")
      ->capture_default_str();
  cmd->add_option("--health-port", opts->health_port,
                  "Port of the health and metrics endpoints (0 = ephemeral, -1 = off)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  cmd->add_option("--verbosity,-v", opts->verbosity, "Log verbosity 0-4")
      ->check(CLI::Range(0, 4))
      ->capture_default_str();
  cmd->callback([opts, &exit_code] { exit_code = RunOperator(*opts); });
}

}  // namespace cpa::cli
