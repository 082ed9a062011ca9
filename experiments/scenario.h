// A scenario: one experiment described in a YAML file (experiments/scenarios/*.yaml) — the load
// schedule, the cluster model, the shared autoscaler settings, the contenders and the seeds.
//
// Every key is optional; absent keys keep the original experiment's values (model.h). Unknown
// keys are errors (a typo must not silently run the default), and every error names its key.
// Pure apart from reading the file; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "experiments/model.h"

namespace cpa::experiments {

// One contender of a scenario: a built-in (contenders.h) or a user's cpa config file.
struct ContenderRef {
  std::string name;         // shown in the report
  std::string builtin;      // built-in name, or empty
  std::string config_path;  // a cpa config file (YAML/JSON), or empty
};

struct Scenario {
  std::string name = "default";
  std::string description;
  TimePoint start;  // item 8: near 23:25 UTC
  double duration_s = 3 * 86400.0;
  int seeds = 1;
  uint64_t first_seed = 1;
  std::vector<ConnectionModel> connections = {ConnectionModel::kPerRequest,
                                              ConnectionModel::kSticky};
  LoadModel load;
  ClusterModel cluster;
  AutoscalerSettings autoscaler;
  // The fitted contenders fit on this many days of their own history: the heuristic start of a
  // seasonal Holt-Winters needs two seasons, and a few hours more are held out.
  double fit_days = 2.25;
  std::vector<ContenderRef> contenders;  // empty: every built-in default contender
};

// The defaults: the original 3-day experiment.
Scenario DefaultScenario();
Result<Scenario> LoadScenarioFile(const std::string& path);
// `base_dir` resolves relative config paths of contenders.
Result<Scenario> ParseScenario(std::string_view yaml, const std::string& source,
                               const std::string& base_dir);

}  // namespace cpa::experiments
