#include "engine/stages/hooks.h"

#include "common/log.h"

namespace cpa::engine {

std::expected<void, StageError> RunHook(Method* hook, std::string_view name, const JsonValue& input,
                                        std::stop_token stop) {
  if (hook == nullptr) return {};
  std::string json = ToJson(input);
  log::V(4, "{} input: {}", name, json);
  auto out = hook->Call(json, stop);
  if (!out) return std::unexpected(StageError{std::string(name), out.error()});
  log::V(4, "{} output: {}", name, *out);
  return {};
}

}  // namespace cpa::engine
