#include "cli/commands.h"

namespace cpa::cli {

void RegisterCommands(CLI::App& app, int& exit_code) {
  RegisterBuiltinEvaluators();
  // Sorted by name; each capability adds its line here.
  RegisterConfigCommand(app, exit_code);
  RegisterEvaluateCommand(app, exit_code);
  RegisterExperimentCommand(app, exit_code);
  RegisterForecastCommand(app, exit_code);
  RegisterHistoryCommand(app, exit_code);
  RegisterOperatorCommand(app, exit_code);
  RegisterReplayCommand(app, exit_code);
  RegisterRunCommand(app, exit_code);
  RegisterSimCommand(app, exit_code);
  RegisterTuneCommand(app, exit_code);
  RegisterVersionCommand(app, exit_code);
}

}  // namespace cpa::cli
