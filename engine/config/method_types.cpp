#include "engine/config/method_types.h"

#include <fmt/ranges.h>

namespace cpa::config {

const std::vector<MethodTypeInfo>& MethodTypes() {
  // Sorted by name. Built-in types add their entry here, with a validator for their block.
  static const std::vector<MethodTypeInfo> kTypes = {
      {.name = "http", .summary = "call user logic over HTTP(S)", .validate_block = {}},
      {.name = "shell",
       .summary = "run user logic as a process; JSON on stdin, result on stdout",
       .validate_block = {}},
  };
  return kTypes;
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

}  // namespace cpa::config
