#include "engine/methods/method_registry.h"

#include <algorithm>

#include <fmt/ranges.h>

#include "engine/config/method_types.h"
#include "engine/methods/http_method.h"
#include "engine/methods/shell_method.h"

namespace cpa {
namespace config {

namespace {

std::vector<MethodTypeInfo>& MutableMethodTypes() {
  // The one table of method types, sorted by name. Types of the engine are listed here; built-in
  // evaluators of autoscalers/ join through RegisterMethodType (cli/ wires them in).
  static std::vector<MethodTypeInfo> kTypes = {
      {.name = "http",
       .summary = "call user logic over HTTP(S)",
       .validate_block = {},
       .create = [](const MethodConfig& c,
                    std::string_view name) -> Result<std::unique_ptr<engine::Method>> {
         if (!c.http) return MakeErrorF(ErrorCode::kInvalidArgument, "{}.http is required", name);
         auto m = engine::HttpMethod::Create(*c.http, c.timeout_ms, std::string(name));
         if (!m) return std::unexpected(m.error());
         return std::unique_ptr<engine::Method>(std::move(*m));
       },
       .create_evaluator = {}},
      {.name = "shell",
       .summary = "run user logic as a process; JSON on stdin, result on stdout",
       .validate_block = {},
       .create = [](const MethodConfig& c,
                    std::string_view name) -> Result<std::unique_ptr<engine::Method>> {
         if (!c.shell) {
           return MakeErrorF(ErrorCode::kInvalidArgument, "{}.shell is required", name);
         }
         return std::unique_ptr<engine::Method>(
             std::make_unique<engine::ShellMethod>(*c.shell, c.timeout_ms, std::string(name)));
       },
       .create_evaluator = {}},
  };
  return kTypes;
}

}  // namespace

const std::vector<MethodTypeInfo>& MethodTypes() { return MutableMethodTypes(); }

Status RegisterMethodType(MethodTypeInfo info) {
  if (info.name.empty())
    return MakeError(ErrorCode::kInvalidArgument, "method type without a name");
  auto& types = MutableMethodTypes();
  auto at =
      std::lower_bound(types.begin(), types.end(), info.name,
                       [](const MethodTypeInfo& t, std::string_view n) { return t.name < n; });
  if (at != types.end() && at->name == info.name) {
    return MakeErrorF(ErrorCode::kAlreadyExists, "method type \"{}\" is already registered",
                      info.name);
  }
  types.insert(at, std::move(info));
  return OkStatus();
}

bool IsBuiltinEvaluator(std::string_view name) {
  const MethodTypeInfo* type = FindMethodType(name);
  return type != nullptr && static_cast<bool>(type->create_evaluator);
}

const MethodTypeInfo* FindMethodType(std::string_view name) {
  for (const auto& t : MethodTypes()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string KnownMethodTypeNames() {
  std::vector<std::string_view> names;
  for (const auto& t : MethodTypes()) names.push_back(t.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace config

namespace engine {

Result<std::unique_ptr<Method>> CreateMethod(const config::MethodConfig& config,
                                             std::string_view name) {
  const config::MethodTypeInfo* type = config::FindMethodType(config.type);
  if (type != nullptr && !type->create && type->create_evaluator) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "{}.type: \"{}\" is a built-in evaluator, usable only as evaluate", name,
                      config.type);
  }
  if (type == nullptr || !type->create) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "{}.type: unknown method type \"{}\"; known types: {}", name, config.type,
                      config::KnownMethodTypeNames());
  }
  return type->create(config, name);
}

}  // namespace engine
}  // namespace cpa
