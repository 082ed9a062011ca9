// `cpa config validate`: load a config the way `cpa run` does and print the effective result.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "engine/config/config_loader.h"

namespace cpa::cli {
namespace {

struct ValidateOptions {
  std::string config_path;
  std::string output = "yaml";
  bool require_target = false;
};

int RunValidate(const ValidateOptions& opts) {
  config::LoadOptions load;
  if (!opts.config_path.empty()) load.path = opts.config_path;
  load.require_target = opts.require_target;
  auto result = config::LoadConfig(load);
  if (!result) {
    for (const auto& w : result.error().warnings) {
      fmt::print(stderr, "warning: {}\n", w.ToString());
    }
    for (const auto& e : result.error().errors) fmt::print(stderr, "error: {}\n", e.ToString());
    fmt::print(stderr, "config is invalid: {} error(s)\n", result.error().errors.size());
    return kExitInvalidConfig;
  }
  for (const auto& w : result->warnings) fmt::print(stderr, "warning: {}\n", w.ToString());
  JsonDocument doc = config::ConfigToJson(result->config);
  if (opts.output == "json") {
    fmt::print("{}\n", ToJson(doc, true));
  } else {
    fmt::print("{}", ToYaml(doc));
  }
  return kExitOk;
}

}  // namespace

void RegisterConfigCommand(CLI::App& app, int& exit_code) {
  CLI::App* config = app.add_subcommand("config", "Work with autoscaler config files");
  config->require_subcommand(1);
  auto opts = std::make_shared<ValidateOptions>();
  CLI::App* validate = config->add_subcommand(
      "validate",
      "Load a config as `cpa run` would (file, then env overrides), validate every key and print "
      "the effective config; on errors, list them all and exit 2");
  validate
      ->add_option("--config,-c", opts->config_path,
                   "Config file (YAML or JSON); default: env configPath, else /config.yaml")
      ->check(CLI::ExistingFile);
  validate->add_option("--output,-o", opts->output, "Output format of the effective config")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  validate->add_flag("--require-target", opts->require_target,
                     "Treat a missing scaleTargetRef as an error, as `cpa run` does (by default "
                     "it is a warning: the operator provides it at deploy time)");
  validate->callback([opts, &exit_code] { exit_code = RunValidate(*opts); });
}

}  // namespace cpa::cli
