// Config loading: YAML or JSON text plus env-var overrides, through the loader `cpa run` uses.
// Input: "<config text>\0<env lines KEY=VALUE\n...>"; the first byte of the config text picks
// YAML (even) or JSON (odd) and is dropped. Any input must give a config or errors, never a
// crash, a leak or a hang.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engine/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view text = all.substr(0, all.find('\0'));
  std::map<std::string, std::string> env;
  if (text.size() < all.size()) {
    std::string_view rest = all.substr(text.size() + 1);
    while (!rest.empty()) {
      std::string_view line = rest.substr(0, rest.find('\n'));
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      auto eq = line.find('=');
      if (eq != std::string_view::npos) env[std::string(line.substr(0, eq))] = line.substr(eq + 1);
    }
  }
  cpa::config::LoadOptions options;
  options.env = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  options.require_target = false;
  auto loaded =
      cpa::config::LoadConfigFromText(text, json ? "config.json" : "config.yaml", options);
  if (loaded) {
    // The effective config prints and reads back.
    std::string printed = cpa::ToYaml(cpa::config::ConfigToJson(loaded->config));
    (void)cpa::config::LoadConfigFromText(printed, "printed.yaml", options);
  }
  return 0;
}
