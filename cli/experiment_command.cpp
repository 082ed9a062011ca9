// `cpa experiment`: the HPA-vs-predictive-HPA harness on the simulated cluster (experiments/).
// Loads a scenario (default: the original 3-day experiment), runs every contender for every
// connection model and seed in parallel, shows progress, writes the report (report.md, plots,
// CSV, summary.json) into --out and prints the summary table. Thin wiring over experiments/.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "experiments/experiment.h"
#include "experiments/report.h"
#include "experiments/scenario.h"

namespace cpa::cli {
namespace {

struct ExperimentFlags {
  std::string scenario;
  std::string out = "experiment-results";
  int seeds = 0;
  int64_t first_seed = -1;
  int jobs = 0;
  double hours = 0;
  std::vector<std::string> contenders;
  std::vector<std::string> configs;
  std::vector<std::string> connections;
  bool no_plots = false;
  bool quiet = false;
};

// Sends the engine's log lines (one per scale decision and failed run) to a file while the
// simulated runs go, so the terminal shows progress; restores stderr afterwards.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) {
    std::fflush(stderr);
    saved_ = dup(2);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0 && saved_ >= 0) {
      dup2(fd, 2);
      close(fd);
    }
  }
  ~StderrToFile() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
    }
  }

 private:
  int saved_ = -1;
};

int Run(const ExperimentFlags& flags) {
  using namespace experiments;
  Result<Scenario> loaded = flags.scenario.empty() ? Result<Scenario>(DefaultScenario())
                                                   : LoadScenarioFile(flags.scenario);
  if (!loaded) {
    fmt::print(stderr, "cpa experiment: {}\n", loaded.error().message);
    return kExitInvalidConfig;
  }
  Scenario scenario = std::move(*loaded);
  if (flags.seeds > 0) scenario.seeds = flags.seeds;
  if (flags.first_seed >= 0) scenario.first_seed = static_cast<uint64_t>(flags.first_seed);
  if (flags.hours > 0) scenario.duration_s = flags.hours * 3600.0;
  if (!flags.connections.empty()) {
    scenario.connections.clear();
    for (const auto& c : flags.connections) {
      scenario.connections.push_back(c == "sticky" ? ConnectionModel::kSticky
                                                   : ConnectionModel::kPerRequest);
    }
  }
  ExperimentOptions options;
  options.jobs = flags.jobs;
  options.only = flags.contenders;
  options.extra_configs = flags.configs;
  const bool tty = isatty(1) != 0;
  options.progress = [&](const Progress& p) {
    if (flags.quiet) return;
    if (!p.finished.empty()) {
      fmt::print("{}[{:>3}/{}] {}\n", tty ? "\r\033[K" : "", p.runs_done, p.runs_total, p.finished);
    } else if (tty) {
      const int width = 30;
      const int filled = static_cast<int>(p.fraction * width);
      fmt::print("\r[{}{}] {:5.1f}%  {}/{} runs done",
                 std::string(static_cast<size_t>(filled), '#'),
                 std::string(static_cast<size_t>(width - filled), ' '), 100.0 * p.fraction,
                 p.runs_done, p.runs_total);
    }
    std::fflush(stdout);
  };
  std::error_code ec;
  std::filesystem::create_directories(flags.out, ec);
  if (ec) {
    fmt::print(stderr, "cpa experiment: cannot create {}: {}\n", flags.out, ec.message());
    return kExitFailure;
  }
  const std::string log_path = (std::filesystem::path(flags.out) / "experiment.log").string();
  if (!flags.quiet) {
    fmt::print(
        "cpa experiment: scenario {} ({:.1f} simulated hours, {} seed(s)); engine log in {}\n",
        scenario.name, scenario.duration_s / 3600.0, scenario.seeds, log_path);
  }
  Result<ExperimentResult> result = [&] {
    StderrToFile redirect(log_path);
    return RunExperiment(scenario, options);
  }();
  if (!result) {
    fmt::print(stderr, "cpa experiment: {}\n", result.error().message);
    return result.error().code == ErrorCode::kInvalidArgument ? kExitInvalidConfig : kExitFailure;
  }
  ReportOptions report_options;
  report_options.plots = !flags.no_plots;
  auto written = WriteReport(*result, flags.out, report_options);
  if (!written) {
    fmt::print(stderr, "cpa experiment: {}\n", written.error().message);
    return kExitFailure;
  }
  fmt::print("\n{}\n", SummaryTable(*result));
  fmt::print("{} runs in {:.1f} s. Report: {}\n", result->runs.size(), result->wall_seconds,
             written->front());
  return kExitOk;
}

}  // namespace

void RegisterExperimentCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ExperimentFlags>();
  CLI::App* cmd = app.add_subcommand(
      "experiment",
      "Run the HPA-vs-predictive-HPA experiment on a simulated cluster and write a report");
  cmd->add_option("--scenario", flags->scenario,
                  "Scenario file (YAML; default: the original 3-day experiment)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", flags->out, "Directory for report.md, plots, CSV and summary.json")
      ->capture_default_str();
  cmd->add_option("--seeds", flags->seeds, "Number of seeds (overrides the scenario)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--first-seed", flags->first_seed, "First seed (overrides the scenario)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--jobs", flags->jobs, "Runs in parallel (default: the machine's cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--hours", flags->hours, "Simulated hours (overrides the scenario)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--contender", flags->contenders,
                  "Run only this contender (repeatable; default: all of the scenario's)");
  cmd->add_option("--config", flags->configs,
                  "A cpa config file to run as an extra contender (repeatable)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--connection", flags->connections,
                  "Connection model (repeatable; overrides the scenario)")
      ->check(CLI::IsMember({"per-request", "sticky"}));
  cmd->add_flag("--no-plots", flags->no_plots, "Do not draw plots (no gnuplot needed)");
  cmd->add_flag("--quiet", flags->quiet, "No progress output");
  cmd->callback([flags, &exit_code] { exit_code = Run(*flags); });
}

}  // namespace cpa::cli
