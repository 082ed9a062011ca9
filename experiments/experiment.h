// `cpa experiment`: runs every contender of a scenario against the simulated cluster, for every
// connection model and seed, in parallel on `jobs` threads, and collects the results for the
// report (report.h). Results do not depend on `jobs` (each run is independent and seeded).
// Thread-safe: RunExperiment may be called from any thread; the progress callback is called
// from worker threads, one call at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/contender.h"
#include "experiments/report.h"
#include "experiments/scenario.h"

namespace cpa::experiments {

struct Progress {
  int runs_done = 0;
  int runs_total = 0;
  double fraction = 0;   // of all simulated time
  std::string finished;  // "<contender> <connection> seed N (x.x s)" when a run just ended
};

struct ExperimentOptions {
  int jobs = 0;  // worker threads; 0 = the machine's cores
  // cpa config files run as extra contenders (named after the file).
  std::vector<std::string> extra_configs;
  // Only these contenders (names); empty = all of the scenario's.
  std::vector<std::string> only;
  std::function<void(const Progress&)> progress;
};

// The contenders of a scenario (its list, or every default built-in) plus the extra configs.
Result<std::vector<std::unique_ptr<Contender>>> ScenarioContenders(
    const Scenario& scenario, const ExperimentOptions& options);

Result<ExperimentResult> RunExperiment(const Scenario& scenario, const ExperimentOptions& options);

}  // namespace cpa::experiments
