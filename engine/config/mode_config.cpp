#include "engine/config/mode_config.h"

#include <fmt/format.h>

namespace cpa::config {

std::string_view ModeName(Mode mode) { return mode == Mode::kObserve ? "observe" : "live"; }

void ParseModes(JsonReader& top, Config& c) {
  std::string mode(ModeName(c.mode));
  top.String("mode", mode);
  if (mode == "live") {
    c.mode = Mode::kLive;
  } else if (mode == "observe") {
    c.mode = Mode::kObserve;
  } else {
    top.issues().Error("mode", fmt::format("must be \"live\" or \"observe\", got \"{}\"", mode));
  }
  const JsonValue* v = top.Get("fallback");
  if (v == nullptr) return;
  JsonReader r(*v, "fallback", top.issues());
  if (!r.Valid()) return;
  FallbackConfig f;
  r.Required("failureThreshold");
  r.Required("replicas");
  r.Int("failureThreshold", f.failure_threshold);
  r.Int("replicas", f.replicas);
  r.Bool("allowScaleDown", f.allow_scale_down);
  r.Finish();
  if (f.failure_threshold < 1) {
    top.issues().Error(
        "fallback.failureThreshold",
        fmt::format("must be >= 1 (consecutive failed runs), got {}", f.failure_threshold));
  }
  if (f.replicas < 0) {
    top.issues().Error("fallback.replicas", fmt::format("must be >= 0, got {}", f.replicas));
  }
  c.fallback = f;
}

void ValidateModes(const Config& c, ConfigIssues& issues) {
  if (!c.fallback || c.fallback->replicas < 0) return;
  if (c.fallback->replicas < c.min_replicas || c.fallback->replicas > c.max_replicas) {
    issues.Error("fallback.replicas",
                 fmt::format("must be within minReplicas..maxReplicas ({}..{}), got {}",
                             c.min_replicas, c.max_replicas, c.fallback->replicas));
  }
}

void ModesToJson(const Config& c, JsonValue& doc, JsonAllocator& a) {
  doc.AddMember("mode", JsonString(ModeName(c.mode), a), a);
  if (c.fallback) {
    JsonValue f(rapidjson::kObjectType);
    f.AddMember("failureThreshold", c.fallback->failure_threshold, a);
    f.AddMember("replicas", c.fallback->replicas, a);
    f.AddMember("allowScaleDown", c.fallback->allow_scale_down, a);
    doc.AddMember("fallback", f, a);
  }
}

}  // namespace cpa::config
