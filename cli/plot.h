// Renders a line chart to a PNG file with gnuplot (Debian `gnuplot-nox`), for CLI reports such
// as `cpa forecast --plot`. The data go to a temporary directory that is removed afterwards;
// gnuplot runs through engine::ShellMethod (argv, no shell, its own process group, 60 s bound).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace cpa::cli {

struct PlotLine {
  std::string title;
  std::vector<double> x;  // seconds since the epoch when PlotOptions::time_axis
  std::vector<double> y;
  bool points = false;  // draw points instead of a line
};

struct PlotOptions {
  std::string title;
  std::string y_label = "value";
  bool time_axis = true;  // x values are Unix seconds, printed as UTC times
  int width = 1200;
  int height = 500;
};

// Writes `png_path`. Errors name what failed (gnuplot missing, its exit status and stderr).
Status RenderPlot(const std::vector<PlotLine>& lines, const PlotOptions& options,
                  const std::string& png_path);

}  // namespace cpa::cli
