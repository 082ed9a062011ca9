#include "engine/methods/method_registry.h"

#include <functional>
#include <utility>

#include "engine/config/method_types.h"
#include "engine/methods/http_method.h"
#include "engine/methods/shell_method.h"

namespace cpa::engine {
namespace {

using Factory =
    std::function<Result<std::unique_ptr<Method>>(const config::MethodConfig&, std::string_view)>;

const std::vector<std::pair<std::string_view, Factory>>& Factories() {
  // Sorted by type name; keep in step with config/method_types.cpp.
  static const std::vector<std::pair<std::string_view, Factory>> kFactories = {
      {"http",
       [](const config::MethodConfig& c, std::string_view name) -> Result<std::unique_ptr<Method>> {
         if (!c.http) return MakeErrorF(ErrorCode::kInvalidArgument, "{}.http is required", name);
         auto m = HttpMethod::Create(*c.http, c.timeout_ms, std::string(name));
         if (!m) return std::unexpected(m.error());
         return std::unique_ptr<Method>(std::move(*m));
       }},
      {"shell",
       [](const config::MethodConfig& c, std::string_view name) -> Result<std::unique_ptr<Method>> {
         if (!c.shell) return MakeErrorF(ErrorCode::kInvalidArgument, "{}.shell is required", name);
         return std::unique_ptr<Method>(
             std::make_unique<ShellMethod>(*c.shell, c.timeout_ms, std::string(name)));
       }},
  };
  return kFactories;
}

}  // namespace

Result<std::unique_ptr<Method>> CreateMethod(const config::MethodConfig& config,
                                             std::string_view name) {
  for (const auto& [type, factory] : Factories()) {
    if (type == config.type) return factory(config, name);
  }
  return MakeErrorF(ErrorCode::kInvalidArgument, "{}.type: unknown method type \"{}\"; known: {}",
                    name, config.type, config::KnownMethodTypeNames());
}

}  // namespace cpa::engine
