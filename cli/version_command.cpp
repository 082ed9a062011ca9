#include <fmt/format.h>

#include "cli/commands.h"

#ifndef CPA_VERSION
#define CPA_VERSION "0.0.0-dev"
#endif

namespace cpa::cli {

void RegisterVersionCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("version", "Print the version of cpa");
  cmd->callback([&exit_code] {
    fmt::print("cpa {}\n", CPA_VERSION);
    exit_code = kExitOk;
  });
}

}  // namespace cpa::cli
