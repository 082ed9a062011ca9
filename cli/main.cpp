// cpa: the Custom Pod Autoscaler. Thin wiring: every sub-command lives in its own file.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/flag_suggestions.h"

namespace {

// SIGXFSZ (a write past the file-size limit, RLIMIT_FSIZE) terminates a process by default: the
// store's write would kill cpa instead of failing with EFBIG like a full disk. An empty handler
// (not SIG_IGN, which user logic started by cpa would inherit) makes it an ordinary error.
void OnFileSizeLimit(int) {}

void SurviveFileSizeLimit() {
  struct sigaction action = {};
  action.sa_handler = OnFileSizeLimit;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGXFSZ, &action, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  SurviveFileSizeLimit();
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
