#include "cli/plot.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace cpa::cli {
namespace {

// gnuplot string literal in single quotes ('' escapes a quote).
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    if (c != '\n') out += c;
  }
  return out + "'";
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

Status RenderPlot(const std::vector<PlotLine>& lines, const PlotOptions& options,
                  const std::string& png_path) {
  char dir_template[] = "/tmp/cpa-plot-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return MakeError(ErrorCode::kInternal, "cannot create a temporary directory for gnuplot");
  }
  const std::filesystem::path dir(dir_template);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};

  std::string script = fmt::format(
      "set terminal pngcairo size {},{} noenhanced\nset output {}\nset title {}\nset ylabel {}\n"
      "set grid\nset key outside bottom center horizontal\nset datafile separator ','\n",
      options.width, options.height, Quote(std::filesystem::absolute(png_path).string()),
      Quote(options.title), Quote(options.y_label));
  if (options.time_axis) {
    script += "set xdata time\nset timefmt '%s'\nset format x '%m-%d\\n%H:%M'\nset xlabel 'UTC'\n";
  }
  std::string plot = "plot ";
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto file = dir / fmt::format("line{}.csv", i);
    std::ofstream out(file);
    for (size_t j = 0; j < lines[i].x.size() && j < lines[i].y.size(); ++j) {
      out << fmt::format("{:.3f},{}\n", lines[i].x[j], lines[i].y[j]);
    }
    if (!out) return MakeErrorF(ErrorCode::kInternal, "cannot write {}", file.string());
    plot += fmt::format("{}{} using 1:2 with {} title {}", i == 0 ? "" : ", ", Quote(file.string()),
                        lines[i].points ? "points pt 7 ps 0.5" : "lines", Quote(lines[i].title));
  }
  script += plot + "\n";
  const auto script_file = dir / "plot.gp";
  std::ofstream(script_file) << script;
  const auto err_file = dir / "stderr.txt";

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string program = "gnuplot";
  std::string script_arg = script_file.string();
  char* argv[] = {program.data(), script_arg.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "cannot run gnuplot (install Debian's gnuplot-nox; scripts/install-deps.sh "
                     "does)");
  }
  // Bounded: a plot of a few hundred thousand points takes well under a minute.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return MakeError(ErrorCode::kDeadlineExceeded, "gnuplot did not finish within 60 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string err = ReadAll(err_file);
    if (err.size() > 500) err.resize(500);
    return MakeErrorF(ErrorCode::kInternal, "gnuplot failed: {}", err);
  }
  return {};
}

}  // namespace cpa::cli
