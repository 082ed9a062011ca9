// Creates the Method for a MethodConfig, looked up by `type` in one sorted list of factories
// (method_registry.cpp) — the same names the config loader accepts (config/method_types.cpp).
// Built-in gatherers and evaluators add their factory here. Thread-safe (immutable table).
#pragma once

#include <memory>
#include <string_view>

#include "engine/config/config.h"
#include "engine/methods/method.h"

namespace cpa::engine {

// `name` is the config key the method serves ("metric", "preScale"), used in error messages.
Result<std::unique_ptr<Method>> CreateMethod(const config::MethodConfig& config,
                                             std::string_view name);

}  // namespace cpa::engine
