// The runtimeTuningFetchHook of a Holt-Winters model, called through an engine Method (http or
// shell, as the original PHPA).
//
// Input (JSON; the request body with `parameterMode: body`, recommended for long histories, or
// the `value` query parameter): {"model": {"name", "type", "perSyncPeriod", "holtWinters": {...}},
// "replicaHistory": [{"time": "<RFC 3339>", "replicas": <value>}, ...]} oldest first.
// Reply: {"alpha": a, "beta": b, "gamma": c}, each optional, each in [0, 1]. Anything else (not
// JSON, a value out of range or not a number, a failed call) is an error naming what came back;
// the model then uses its configured values. Thread-safe when the Method is.
#pragma once

#include <memory>
#include <string_view>

#include "autoscalers/phpa/model_runner.h"
#include "engine/methods/method.h"

namespace cpa::phpa {

// Parses a hook reply (exposed for tests).
Result<TunedParams> ParseTuningReply(std::string_view reply);

class MethodTuningFetcher final : public TuningFetcher {
 public:
  explicit MethodTuningFetcher(std::unique_ptr<engine::Method> method)
      : method_(std::move(method)) {}
  // Creates the http/shell method of `hook`; `name` names it in errors.
  static Result<std::unique_ptr<MethodTuningFetcher>> Create(const config::MethodConfig& hook,
                                                             std::string_view name);

  Result<TunedParams> Fetch(const ModelOptions& model, std::span<const Point> history) override;

 private:
  std::unique_ptr<engine::Method> method_;
};

}  // namespace cpa::phpa
