// Creates the Method for a MethodConfig from the one table of method types
// (config::MethodTypes(), defined in method_registry.cpp next to the factories it holds) — the
// same table the config loader validates `type` against. Thread-safe (immutable table).
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
