// The registry of method types a config may name (`metric.type: shell`), filled in one place.
//
// Every way of calling logic — shell, http and the built-in gatherers/evaluators that later join
// — is listed in method_types.cpp, sorted by name. The loader checks `type` against this list
// (unknown names list the known ones) and hands a built-in's own block to its validator.
// Immutable after static initialisation; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/config/config_issues.h"

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
};

const std::vector<MethodTypeInfo>& MethodTypes();
const MethodTypeInfo* FindMethodType(std::string_view name);
std::string KnownMethodTypeNames();  // "http, shell"

}  // namespace cpa::config
