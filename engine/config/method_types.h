// The registry of method types a config may name (`metric.type: shell`), filled in one place.
//
// Every way of calling logic — shell, http and the built-in gatherers/evaluators that later join
// — is one entry of the table in engine/methods/method_registry.cpp, sorted by name: its roles,
// a validator for its own config block, and the factory that creates it. The loader checks
// `type` against this table (unknown names list the known ones); CreateMethod uses the same
// table. Immutable after static initialisation; thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "engine/config/config.h"
#include "engine/config/config_issues.h"
#include "engine/methods/method.h"

namespace cpa::config {

enum class MethodRole { kMetric, kEvaluate, kHook };

struct MethodTypeInfo {
  std::string_view name;     // value of `type`
  std::string_view summary;  // one line for docs and `--help`
  bool metric = true;        // usable as `metric`
  bool evaluate = true;      // usable as `evaluate`
  bool hook = true;          // usable as a hook
  // Validates the block named after the type (`hpa: {...}`); null block when absent.
  std::function<void(const JsonValue* block, const std::string& path, ConfigIssues& issues)>
      validate_block;
  // Creates the method; `name` is the config key it serves ("metric", "preScale").
  std::function<Result<std::unique_ptr<engine::Method>>(const MethodConfig& config,
                                                        std::string_view name)>
      create;
};

const std::vector<MethodTypeInfo>& MethodTypes();
const MethodTypeInfo* FindMethodType(std::string_view name);
std::string KnownMethodTypeNames();  // "http, shell"

}  // namespace cpa::config
