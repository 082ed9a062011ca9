// Problems found while loading a config, each tied to the key path it concerns.
//
// Loading collects every problem instead of stopping at the first: errors make the config
// unusable, warnings (unknown keys, clamped values) do not. Plain values; not thread-safe.
#pragma once

#include <string>
#include <vector>

namespace cpa::config {

struct ConfigIssue {
  std::string path;     // "metric.shell.command", "kubernetesMetricSpecs[1].resource.target"
  std::string message;  // "is required", "must be > 0, got 0"
  std::string ToString() const { return path.empty() ? message : path + ": " + message; }
};

struct ConfigIssues {
  std::vector<ConfigIssue> errors;
  std::vector<ConfigIssue> warnings;

  void Error(std::string path, std::string message) {
    errors.push_back({std::move(path), std::move(message)});
  }
  void Warning(std::string path, std::string message) {
    warnings.push_back({std::move(path), std::move(message)});
  }
};

}  // namespace cpa::config
