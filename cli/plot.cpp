#include "cli/plot.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "engine/methods/shell_method.h"

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
  // gnuplot runs as user logic does: argv without a shell, its own process group, a time bound
  // (a plot of a few hundred thousand points takes well under a minute), stderr in the error.
  engine::ShellMethod gnuplot(config::ShellMethodConfig{"gnuplot", {script_file.string()}, false},
                              /*timeout_ms=*/60'000, "gnuplot");
  if (auto ran = gnuplot.Call("", {}); !ran) return std::unexpected(ran.error());
  return {};
}

}  // namespace cpa::cli
