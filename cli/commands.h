// The `cpa` sub-commands. Each capability registers its sub-command in commands.cpp (one place);
// a command's callback stores its process exit code in `exit_code`:
//   0 success, 1 runtime failure, 2 invalid configuration or usage.
#pragma once

#include <CLI/CLI.hpp>

namespace cpa::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalidConfig = 2;

void RegisterCommands(CLI::App& app, int& exit_code);
// Registers the built-in evaluators' method types (hpa, ...); idempotent.
void RegisterBuiltinEvaluators();

void RegisterVersionCommand(CLI::App& app, int& exit_code);
void RegisterConfigCommand(CLI::App& app, int& exit_code);
void RegisterEvaluateCommand(CLI::App& app, int& exit_code);
void RegisterExperimentCommand(CLI::App& app, int& exit_code);
void RegisterForecastCommand(CLI::App& app, int& exit_code);
void RegisterHistoryCommand(CLI::App& app, int& exit_code);
void RegisterOperatorCommand(CLI::App& app, int& exit_code);
void RegisterHistoryImportCommand(CLI::App* history, int& exit_code);
void RegisterReplayCommand(CLI::App& app, int& exit_code);
void RegisterRunCommand(CLI::App& app, int& exit_code);
void RegisterSimCommand(CLI::App& app, int& exit_code);
void RegisterTuneCommand(CLI::App& app, int& exit_code);

}  // namespace cpa::cli
