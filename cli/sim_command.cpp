// `cpa sim`: serve the simulated cluster (experiments/) live over the Kubernetes API on
// localhost, at real or accelerated speed, and write a kubeconfig for it, so `cpa run` and
// kubectl (get, scale) can be pointed at a cluster with moving load. Thin wiring over
// experiments::LiveCluster; runs until SIGINT/SIGTERM or --hours of simulated time.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "experiments/live_cluster.h"
#include "experiments/scenario.h"

namespace cpa::cli {
namespace {

struct SimFlags {
  std::string scenario;
  double speed = 1.0;
  double hours = 0;
  int port = 0;
  std::string token;
  std::string kubeconfig = "sim-kubeconfig";
  std::string ready_file;
  int64_t seed = 1;
  double status_every = 15;
  bool scenario_start = false;
};

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Run(const SimFlags& flags) {
  using namespace experiments;
  Result<Scenario> loaded = flags.scenario.empty() ? Result<Scenario>(DefaultScenario())
                                                   : LoadScenarioFile(flags.scenario);
  if (!loaded) {
    fmt::print(stderr, "cpa sim: {}\n", loaded.error().message);
    return kExitInvalidConfig;
  }
  const Scenario& s = *loaded;
  SimulationOptions options;
  options.load = s.load;
  options.cluster = s.cluster;
  options.cluster.connection = s.connections.front();
  options.start = !flags.scenario_start
                      ? std::chrono::time_point_cast<Duration>(
                            std::chrono::floor<std::chrono::seconds>(SystemClock::Instance().Now()))
                      : s.start;
  options.duration_s = flags.hours > 0 ? flags.hours * 3600.0 : 3650 * 86400.0;
  options.reference_utilization = s.autoscaler.target_utilization;
  options.reference_tolerance = s.autoscaler.tolerance;
  options.seed = static_cast<uint64_t>(flags.seed);
  kube::fake::FakeApiServerOptions server;
  server.port = flags.port;
  server.token = flags.token;
  LiveCluster cluster(options, server);
  if (auto st = cluster.Start(); !st) {
    fmt::print(stderr, "cpa sim: {}\n", st.error().message);
    return kExitFailure;
  }
  std::ofstream(flags.kubeconfig) << cluster.Kubeconfig();
  fmt::print(
      "cpa sim: serving the simulated cluster at {} (Deployment default/web, selector app=web); "
      "kubeconfig {}; speed x{}; scenario {}\n",
      cluster.url(), flags.kubeconfig, flags.speed, s.name);
  std::fflush(stdout);
  if (!flags.ready_file.empty()) std::ofstream(flags.ready_file) << cluster.url() << "\n";
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  const auto wall_start = std::chrono::steady_clock::now();
  double next_status = 0;
  while (g_stop == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const double t = std::min(options.duration_s, elapsed * flags.speed);
    if (auto st = cluster.Step(t); !st) {
      fmt::print(stderr, "cpa sim: {}\n", st.error().message);
      return kExitFailure;
    }
    const auto& sim = cluster.simulation();
    if (t >= next_status) {
      next_status += flags.status_every;
      const auto& runs = sim.trace().load_runs;
      std::string latency = "-";
      if (runs.size() >= 2 && runs[runs.size() - 2].requests > 0) {
        const auto& r = runs[runs.size() - 2];
        latency =
            fmt::format("{:.0f} ms", 1000.0 * r.latency_sum_s / static_cast<double>(r.requests));
      }
      fmt::print("{}  users {:>3}  replicas {:>2}  ready {:>2}  last load run mean latency {}\n",
                 FormatRfc3339(sim.WallTime(t)), sim.CurrentUsers(), sim.replicas(),
                 sim.ReadyPods(), latency);
      std::fflush(stdout);
    }
    if (t >= options.duration_s) break;
  }
  cluster.Stop();
  return kExitOk;
}

}  // namespace

void RegisterSimCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sim",
      "Serve the simulated cluster live over the Kubernetes API on localhost (for cpa run, "
      "kubectl)");
  cmd->add_option("--scenario", flags->scenario,
                  "Scenario file for the load and cluster model (default: the original experiment)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--speed", flags->speed, "Simulated seconds per real second (1: real time)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--hours", flags->hours, "Stop after this many simulated hours (default: never)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--port", flags->port, "Port on 127.0.0.1 (0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token", flags->token, "Require this bearer token on every request");
  cmd->add_option("--kubeconfig-out", flags->kubeconfig, "Write a kubeconfig for the server here")
      ->capture_default_str();
  cmd->add_option("--ready-file", flags->ready_file,
                  "Write the server URL to this file once it is serving (for scripts)");
  cmd->add_option("--seed", flags->seed, "Random seed")->capture_default_str();
  cmd->add_option("--status-every", flags->status_every,
                  "Print a status line every this many simulated seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--scenario-start", flags->scenario_start,
                "Start the simulated clock at the scenario's start (default: now, so the load "
                "follows the current UTC hour)");
  cmd->callback([flags, &exit_code] { exit_code = Run(*flags); });
}

}  // namespace cpa::cli
