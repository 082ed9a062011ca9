#include "cli/flag_suggestions.h"

#include <fmt/format.h>

#include "common/suggest.h"

namespace cpa::cli {
namespace {

// The deepest sub-command the arguments select (the command whose flags apply).
const CLI::App* SelectedCommand(const CLI::App& app, const std::vector<std::string>& args,
                                size_t& next) {
  const CLI::App* command = &app;
  for (; next < args.size(); ++next) {
    if (args[next].starts_with("-")) break;
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : command->get_subcommands({})) {
      if (s->get_name() == args[next]) sub = s;
    }
    if (sub == nullptr) break;
    command = sub;
  }
  return command;
}

}  // namespace

std::vector<std::string> SuggestForUnknownArguments(const CLI::App& app,
                                                    const std::vector<std::string>& args) {
  std::vector<std::string> hints;
  size_t next = 0;
  const CLI::App* command = SelectedCommand(app, args, next);
  std::vector<std::string> flag_names;
  for (const CLI::App* c = command; c != nullptr; c = c->get_parent()) {
    for (const CLI::Option* option : c->get_options({})) {
      for (const std::string& name : option->get_lnames()) flag_names.push_back("--" + name);
    }
  }
  std::vector<std::string_view> flags(flag_names.begin(), flag_names.end());
  std::vector<std::string_view> subcommands;
  for (const CLI::App* s : command->get_subcommands({})) subcommands.push_back(s->get_name());

  if (next < args.size() && !args[next].starts_with("-") && !subcommands.empty()) {
    if (auto match = ClosestMatch(args[next], subcommands)) {
      hints.push_back(fmt::format("\"{}\" is not a command of `{}`; did you mean \"{}\"?",
                                  args[next], command->get_name(), *match));
    }
  }
  for (size_t i = next; i < args.size(); ++i) {
    if (!args[i].starts_with("--")) continue;
    std::string flag = args[i].substr(0, args[i].find('='));
    if (std::find(flags.begin(), flags.end(), flag) != flags.end()) continue;
    if (auto match = ClosestMatch(flag, flags)) {
      hints.push_back(fmt::format("unknown flag \"{}\"; did you mean \"{}\"?", flag, *match));
    }
  }
  return hints;
}

}  // namespace cpa::cli
