// The registry of method types a config may name (`metric.type: shell`).
//
// Every way of calling logic is one entry, kept sorted by name: its roles, a validator for its
// own config block, and the factory that creates it. shell and http are built into the table
// (engine/methods/method_registry.cpp); built-in evaluators living outside engine/ (autoscalers/
// hpa, phpa) join through RegisterMethodType, called by the composition root (cli/) before any
// config is loaded — engine/ never depends on autoscalers/. The loader checks `type` against
// this table (unknown names list the known ones); CreateMethod and the Autoscaler use the same
// table. RegisterMethodType is not thread-safe and must finish before lookups start; lookups are
// thread-safe.
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
#include "engine/methods/evaluator.h"
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
  // Built-in evaluators: creates the in-process evaluator (engine/methods/evaluator.h). When
  // set (and `create` is not), the type is only usable as `evaluate`, the run gathers the
  // evaluator's GatherPlan with the Kubernetes gatherer, `metric` may be omitted (and is
  // ignored when given), and the engine's stabilize stage is replaced by the evaluator's own.
  std::function<Result<std::unique_ptr<engine::Evaluator>>(
      const MethodConfig& config, const engine::EvaluatorFactoryContext& context)>
      create_evaluator;
};

// Adds a type (kept sorted). Fails when the name is taken or empty.
Status RegisterMethodType(MethodTypeInfo info);

const std::vector<MethodTypeInfo>& MethodTypes();
const MethodTypeInfo* FindMethodType(std::string_view name);
std::string KnownMethodTypeNames();  // "hpa, http, shell"
// True when `name` is a registered type with an in-process evaluator.
bool IsBuiltinEvaluator(std::string_view name);

}  // namespace cpa::config
