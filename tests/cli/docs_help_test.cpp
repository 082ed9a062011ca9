// The docs tell the truth about the command line: every `cpa` sub-command and flag that a
// Markdown file of the repository shows in code (fenced blocks and `inline` spans) is one that
// `cpa ... --help` knows; and a mistyped command line gets a "did you mean" hint.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/cli/cli_runner.h"

namespace cpa::cli {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::RunCpa;
using testing::ScratchDir;

struct CommandHelp {
  std::set<std::string> flags;
  std::set<std::string> subcommands;
};

// Every command path ("", "history", "history show") with its flags and sub-commands, read from
// the binary's own --help.
class HelpIndex {
 public:
  explicit HelpIndex(const ScratchDir& scratch) { Visit({}, scratch); }

  const CommandHelp* Find(const std::string& path) const {
    auto it = commands_.find(path);
    return it == commands_.end() ? nullptr : &it->second;
  }
  bool AnyCommandHasFlag(const std::string& flag) const {
    for (const auto& [path, help] : commands_) {
      if (help.flags.count(flag) != 0) return true;
    }
    return false;
  }

 private:
  void Visit(const std::vector<std::string>& path, const ScratchDir& scratch) {
    std::vector<std::string> args = path;
    args.push_back("--help");
    CliResult help = RunCpa(args, scratch);
    ASSERT_EQ(help.exit_code, 0) << help.err;
    CommandHelp parsed;
    std::istringstream lines(help.out);
    std::string line;
    bool in_subcommands = false;
    // An option line: "  -k,--kind TEXT ..." or "  --events,--no-events{false} ...".
    const std::regex option_line(R"(^\s+(-\S+))");
    const std::regex subcommand(R"(^  ([a-z][a-z0-9-]*)(\s|$))");
    while (std::getline(lines, line)) {
      if (line.starts_with("Subcommands:")) {
        in_subcommands = true;
        continue;
      }
      if (!line.empty() && line[0] != ' ') in_subcommands = false;
      std::smatch m;
      if (in_subcommands && std::regex_search(line, m, subcommand)) {
        parsed.subcommands.insert(m[1]);
      } else if (!in_subcommands && std::regex_search(line, m, option_line)) {
        std::istringstream names(m[1].str());
        std::string name;
        while (std::getline(names, name, ',')) {
          name = name.substr(0, name.find('{'));
          if (name.starts_with("--")) parsed.flags.insert(name);
        }
      }
    }
    std::string key;
    for (const auto& p : path) key += (key.empty() ? "" : " ") + p;
    commands_[key] = parsed;
    for (const auto& sub : parsed.subcommands) {
      std::vector<std::string> child = path;
      child.push_back(sub);
      Visit(child, scratch);
    }
  }

  std::map<std::string, CommandHelp> commands_;
};

// Markdown files of the repository (not build trees, not the changelog: it records history).
std::vector<fs::path> MarkdownFiles() {
  std::vector<fs::path> files;
  const fs::path root = testing::SourceDir();
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() &&
        (name.starts_with("build") || name.starts_with(".") || name == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".md" && name != "CHANGELOG.md") {
      files.push_back(it->path());
    }
  }
  return files;
}

struct Code {
  int line_number;
  std::string code;  // a fenced line, or one `inline` span
  std::string line;  // the whole source line (the prose around a span)
};

// The code on each line: whole lines inside ``` fences, else the `inline` spans.
std::vector<Code> CodeOf(const fs::path& file) {
  std::vector<Code> code;
  std::istringstream lines(testing::ReadFile(file));
  std::string line;
  bool fenced = false;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find("```") != std::string::npos && line.find_first_not_of(" ") == line.find("```")) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      // A shell or YAML comment is prose, not a command line.
      std::string command = line;
      if (const size_t hash = command.find(" #"); hash != std::string::npos) command.resize(hash);
      code.push_back({number, command, line});
      continue;
    }
    for (size_t start = line.find('`'); start != std::string::npos;) {
      const size_t end = line.find('`', start + 1);
      if (end == std::string::npos) break;
      code.push_back({number, line.substr(start + 1, end - start - 1), line});
      start = line.find('`', end + 1);
    }
  }
  return code;
}

// Other programs whose flags a code line may show.
bool MentionsAnotherTool(const std::string& code) {
  static const std::regex tools(
      R"(\b(HPA flag|kube-controller-manager|kubectl|curl|make|cmake|ctest|git|python3?|pip|promtool|prometheus|gnuplot|podman|buildah|mmdebstrap|docker|helm|apt-get|gcovr|valgrind|perf|hyperfine|wrk|clang-format|clang-tidy|mkdocs|go|npm|cpa-fake-apiserver|[a-z_]+_bench|[a-z_]+_test|statsmodels_timing\.py|fuzz[a-z_]*)\b)");
  return std::regex_search(code, tools);
}

TEST(CliDocsTest, EveryCommandAndFlagInTheDocsIsKnownToHelp) {
  ScratchDir scratch;
  HelpIndex index(scratch);
  ASSERT_NE(index.Find(""), nullptr);
  const std::regex invocation(R"((^|[\s($`"'])cpa\s+([a-z][a-z0-9-]*(?:\s+[a-z][a-z0-9-]*)*))");
  const std::regex flag_token(R"((^|\s|\[)(--[a-z][a-z0-9-]*))");
  std::vector<std::string> problems;
  for (const fs::path& file : MarkdownFiles()) {
    const std::string where = fs::relative(file, testing::SourceDir()).string();
    for (const auto& [number, code, line] : CodeOf(file)) {
      if (code.find("kubectl") != std::string::npos) continue;  // `kubectl get cpa` (short name)
      // Each `cpa ...` invocation runs up to the next pipe, `;` or `&&`.
      bool had_invocation = false;
      for (std::sregex_iterator it(code.begin(), code.end(), invocation), end; it != end; ++it) {
        had_invocation = true;
        std::istringstream words((*it)[2].str());
        std::string word;
        std::string path;
        const CommandHelp* command = index.Find("");
        std::set<std::string> flags = command->flags;
        bool first = true;
        while (words >> word) {
          const CommandHelp* next = command->subcommands.count(word) != 0
                                        ? index.Find(path.empty() ? word : path + " " + word)
                                        : nullptr;
          if (next == nullptr) {
            if (first) {
              problems.push_back(
                  fmt::format("{}:{}: `cpa {}`: no such command", where, number, word));
            }
            break;
          }
          path = path.empty() ? word : path + " " + word;
          command = next;
          flags.insert(command->flags.begin(), command->flags.end());
          first = false;
        }
        if (path.empty()) continue;
        const size_t begin = static_cast<size_t>(it->position(0));
        size_t stop = code.size();
        for (std::string_view sep : {"|", ";", "&&"}) {
          stop = std::min(stop, code.find(sep, begin));
        }
        const std::string tail = code.substr(begin, stop - begin);
        for (std::sregex_iterator f(tail.begin(), tail.end(), flag_token), fend; f != fend; ++f) {
          const std::string name = (*f)[2];
          if (flags.count(name) == 0 && command->subcommands.empty()) {
            problems.push_back(
                fmt::format("{}:{}: `cpa {}` has no flag {}", where, number, path, name));
          }
        }
      }
      // A flag shown on its own (a table row `--fit`) must belong to some cpa command.
      if (!had_invocation && code.starts_with("--") && !MentionsAnotherTool(line)) {
        std::smatch m;
        std::regex_search(code, m, flag_token);
        const std::string name = m[2];
        if (!name.empty() && !index.AnyCommandHasFlag(name)) {
          problems.push_back(
              fmt::format("{}:{}: `{}` is not a flag of any cpa command", where, number, name));
        }
      }
    }
  }
  EXPECT_TRUE(problems.empty()) << fmt::format("{}", fmt::join(problems, "\n"));
}

TEST(CliDocsTest, TheCheckCatchesAnUnknownFlag) {
  ScratchDir scratch;
  HelpIndex index(scratch);
  const CommandHelp* forecast = index.Find("forecast");
  ASSERT_NE(forecast, nullptr);
  EXPECT_EQ(forecast->flags.count("--season-length"), 1u);
  EXPECT_EQ(forecast->flags.count("--season-lenght"), 0u);
  const CommandHelp* show = index.Find("history show");
  ASSERT_NE(show, nullptr);
  EXPECT_EQ(show->flags.count("--kind"), 1u);
  EXPECT_TRUE(index.Find("history")->subcommands.count("export"));
}

TEST(CliDocsTest, MistypedCommandLinesGetAHint) {
  ScratchDir scratch;
  CliResult command = RunCpa({"histroy", "list"}, scratch);
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("did you mean \"history\"?"), std::string::npos) << command.err;
  CliResult flag = RunCpa({"forecast", "--season-lenght", "3"}, scratch);
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("unknown flag \"--season-lenght\"; did you mean \"--season-length\"?"),
            std::string::npos)
      << flag.err;
}

}  // namespace
}  // namespace cpa::cli
