// `cpa evaluate --config FILE --snapshot FILE`: what the configured evaluator decides for a
// captured cluster state, with no cluster.
#include "cli/commands.h"

namespace cpa::cli {

void RegisterEvaluateCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("evaluate",
                                 "Print what the configured evaluator decides for a snapshot of a "
                                 "cluster state (no cluster needed)");
  static std::string config_path;
  static std::string snapshot_path;
  cmd->add_option("--config", config_path, "autoscaler config (YAML or JSON)")->required();
  cmd->add_option("--snapshot", snapshot_path, "snapshot JSON")->required();
  cmd->callback([&exit_code] { exit_code = kExitFailure; });
}

}  // namespace cpa::cli
