// Loading the autoscaler config: file (YAML or JSON) + env overrides + validation.
//
// Order (CONTRACTS.md section 1): the file named by --config, else env `configPath`, else
// /config.yaml; then every env var named exactly like a top-level key overrides it (scalars by
// the key's type, objects merged into the file's object, lists replaced); then every field is
// validated and *all* errors are returned together, each naming its key path. Unknown keys are
// warnings. Pure apart from reading the file and the injected env; thread-safe.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "engine/config/config.h"
#include "engine/config/config_issues.h"

namespace cpa::config {

inline constexpr std::string_view kDefaultConfigPath = "/config.yaml";
inline constexpr std::string_view kConfigPathEnv = "configPath";

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// Reads the process environment.
EnvLookup ProcessEnv();

struct LoadOptions {
  std::optional<std::string> path;  // --config; overrides env configPath
  EnvLookup env = ProcessEnv();
  // When false, a missing scaleTargetRef is a warning (a config baked into an image gets its
  // target from the operator at deploy time); `cpa run` requires it.
  bool require_target = true;
  // Read when neither `path` nor env configPath is set; a missing file there means "defaults and
  // env vars only" (with a warning), not an error.
  std::string default_path = std::string(kDefaultConfigPath);
};

struct LoadedConfig {
  Config config;
  std::vector<ConfigIssue> warnings;
  std::string source;  // the file read, or "" when none
};

using LoadResult = std::expected<LoadedConfig, ConfigIssues>;

LoadResult LoadConfig(const LoadOptions& options);
// Same, from text already read (`source_name` ends in .json for JSON, else YAML).
LoadResult LoadConfigFromText(std::string_view text, std::string_view source_name,
                              const LoadOptions& options);

// The effective config with every key (defaults included), in the file's camelCase shape.
JsonDocument ConfigToJson(const Config& config);
JsonValue MethodToJson(const MethodConfig& method, JsonAllocator& a);
// {"apiVersion", "kind", "name"}, as the config and the scale hooks write it.
JsonValue ScaleTargetRefToJson(const ScaleTargetRef& ref, JsonAllocator& a);

}  // namespace cpa::config
