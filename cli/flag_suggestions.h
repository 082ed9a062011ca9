// "Did you mean ...?" for a mistyped `cpa` command line: after CLI11 rejects the arguments,
// names the nearest sub-command or flag of the command that was being parsed.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace cpa::cli {

// One hint line per unknown argument that is near a known name ("--intervl": did you mean
// "--interval"?), or an empty list. `args` are argv[1..].
std::vector<std::string> SuggestForUnknownArguments(const CLI::App& app,
                                                    const std::vector<std::string>& args);

}  // namespace cpa::cli
