// Hooks (preMetric ... postScale): optional methods called with a JSON snapshot of the run.
//
// A hook's output is ignored; its failure fails the run in the stage named after the hook.
// Stateless helper; thread-safe when the Method is.
#pragma once

#include <memory>
#include <string_view>

#include "common/json.h"
#include "engine/methods/method.h"
#include "engine/run_types.h"

namespace cpa::engine {

struct Hooks {
  std::unique_ptr<Method> pre_metric, post_metric, pre_evaluate, post_evaluate, pre_scale,
      post_scale;
};

// Calls `hook` (if set) with `input` serialized; errors carry `name` as the stage.
std::expected<void, StageError> RunHook(Method* hook, std::string_view name, const JsonValue& input,
                                        std::stop_token stop);

}  // namespace cpa::engine
