// The `mode` and `fallback` keys of an autoscaler config (ours): observe-only runs and the
// opt-in fallback scale after repeated failures. Parsed and validated here; config_loader.cpp and
// config_json.cpp call these. Pure functions, thread-safe.
#pragma once

#include "common/json.h"
#include "engine/config/config.h"
#include "engine/config/config_issues.h"
#include "engine/config/json_reader.h"

namespace cpa::config {

// Reads `mode` and `fallback` from the top-level reader into `c`.
void ParseModes(JsonReader& top, Config& c);
// Cross-key checks (fallback.replicas within minReplicas..maxReplicas).
void ValidateModes(const Config& c, ConfigIssues& issues);
// Adds "mode" and, when set, "fallback" to the effective-config JSON.
void ModesToJson(const Config& c, JsonValue& doc, JsonAllocator& a);

std::string_view ModeName(Mode mode);  // "live" | "observe"

}  // namespace cpa::config
