// The built-in contenders of the experiment, by name:
//   hpa-2020     the Kubernetes HPA as it ran in 2020: the hpa evaluator without `behavior`
//                (legacy normalization: downscale stabilization, scale-up limit max(2x, 4));
//   phpa-2020    the Predictive HPA as it ran in 2020 (legacy_phpa.h over the HPA's raw value);
//   phpa         our phpa evaluator with the 2020 settings;
//   phpa-fitted  our phpa with alpha/beta/gamma fitted on the first `fitDays` of its own history
//                (models/ fitting, as `cpa tune`), forecasting a pod start-up plus the metrics
//                delay ahead;
//   phpa-load    as phpa-fitted, learning the load instead of the HPA's replica count.
// Each uses the scenario's shared settings (AutoscalerSettings). Thread-safe (immutable).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/contender.h"
#include "experiments/scenario.h"

namespace cpa::experiments {

// The default contenders, in report order (those whose evaluator is available in this build).
std::vector<std::string> DefaultContenderNames();
// Every built-in name, available or not.
std::vector<std::string> BuiltinContenderNames();

Result<std::unique_ptr<Contender>> MakeBuiltinContender(const std::string& builtin,
                                                        const std::string& name,
                                                        const Scenario& scenario);

// Registers the built-in evaluator method types (hpa, phpa) when nothing has yet (the cli's
// composition root normally does); safe to call many times from any thread.
void EnsureBuiltinEvaluators();

// The config text of the hpa-2020 contender (also the base of the others).
std::string HpaConfigText(const AutoscalerSettings& settings);

}  // namespace cpa::experiments
