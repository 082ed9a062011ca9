#include "experiments/contender.h"

#include "engine/config/config_loader.h"

namespace cpa::experiments {

Result<config::Config> LoadContenderConfig(std::string_view text, const std::string& source) {
  config::LoadOptions options;
  options.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  options.require_target = false;
  auto loaded = config::LoadConfigFromText(text, source, options);
  if (!loaded) {
    std::string message;
    for (const auto& e : loaded.error().errors) {
      message += (message.empty() ? "" : "; ") + e.ToString();
    }
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: {}", source, message);
  }
  config::Config c = std::move(loaded->config);
  // Every contender scales the simulated Deployment, without an API server, in memory.
  c.scale_target_ref = config::ScaleTargetRef{"apps/v1", "Deployment", "web"};
  c.namespace_ = "default";
  c.api.enabled = false;
  c.store.path.clear();
  c.log_verbosity = 0;
  return c;
}

ConfigContender::ConfigContender(std::string name, std::string config_text, std::string source,
                                 std::string description)
    : Contender(std::move(name)),
      text_(std::move(config_text)),
      source_(std::move(source)),
      description_(std::move(description)) {}

Result<config::Config> ConfigContender::Config() const {
  return LoadContenderConfig(text_, source_);
}

Result<ContenderSetup> ConfigContender::Setup(const RunEnvironment&) const {
  auto c = LoadContenderConfig(text_, source_);
  if (!c) return std::unexpected(c.error());
  ContenderSetup setup;
  setup.config = std::move(*c);
  return setup;
}

}  // namespace cpa::experiments
