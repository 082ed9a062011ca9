// cpa: the Custom Pod Autoscaler. Thin wiring: every sub-command lives in its own file.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/flag_suggestions.h"

int main(int argc, char** argv) {
  CLI::App app{
      "cpa: the Custom Pod Autoscaler - autoscale any Kubernetes workload with your own "
      "logic or the built-in HPA and predictive evaluators",
      "cpa"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  int exit_code = cpa::cli::kExitOk;
  cpa::cli::RegisterCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (rc != 0) {
      const std::vector<std::string> args(argv + 1, argv + argc);
      for (const std::string& hint : cpa::cli::SuggestForUnknownArguments(app, args)) {
        std::cerr << hint << "\n";
      }
    }
    return rc == 0 ? 0 : cpa::cli::kExitInvalidConfig;
  }
  return exit_code;
}
