// `cpa forecast`: run a model (Holt-Winters or linear regression) on a series read from a CSV
// (store/series_input.h: every `cpa history export` layout or `timestamp,value` rows) or a store
// file, and print the forecasts (and fitted parameters, SSE and hold-out metrics) as CSV or JSON,
// optionally with a gnuplot plot. Thin wiring over models/ and store/; the math lives there.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/plot.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"
#include "models/fit.h"
#include "models/holt_winters.h"
#include "models/linear_regression.h"
#include "store/series_input.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace cpa::cli {
namespace {

struct ForecastOptions {
  std::string input;
  std::string store;
  std::string series;
  std::string autoscaler;
  std::string model = "holt-winters";
  std::string trend = "add";
  bool damped = false;
  std::string seasonal = "auto";  // add with --season-length, else none
  int season_length = 0;
  double alpha = 0.5;
  double beta = 0.1;
  double gamma = 0.1;
  double phi = 0.98;
  std::string initialization = "heuristic";
  std::optional<double> initial_level;
  std::optional<double> initial_trend;
  std::string initial_seasonal;
  int horizon = 1;
  bool fit = false;
  int fit_horizon = 1;
  std::string baseline;
  int holdout = 0;
  int history_size = 0;
  std::optional<double> look_ahead;
  std::string output = "csv";
  std::string column;
  std::string plot;
  bool show_initial = false;
};

struct Series {
  std::vector<double> times;  // seconds since the epoch (or whatever unit the file uses)
  std::vector<double> values;
  bool rfc3339 = false;  // timestamps were RFC 3339 strings: print them back that way
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<double> ParseNumber(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  std::string text(s);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return v;
}

Result<std::vector<double>> ParseList(const std::string& text, std::string_view what) {
  std::vector<double> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto v = ParseNumber(item);
    if (!v) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "{}: \"{}\" is not a number", what, item);
    }
    out.push_back(*v);
  }
  return out;
}

// Median spacing of the timestamps (0 with fewer than two points).
double Step(const std::vector<double>& times) {
  if (times.size() < 2) return 0.0;
  std::vector<double> d;
  for (size_t i = 1; i < times.size(); ++i) d.push_back(times[i] - times[i - 1]);
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

std::string FormatTime(double t, bool rfc3339) {
  if (!rfc3339) return fmt::format("{}", t);
  const auto ms = static_cast<int64_t>(std::llround(t * 1000.0));
  return store::FormatTime(FromUnixMillis(ms));
}

struct Output {
  std::vector<std::pair<double, double>> forecast;  // (time, value)
  std::vector<double> fitted;                       // one-step predictions of the history
  std::string verdict;  // one line for people (after --fit), empty otherwise
  JsonDocument summary{rapidjson::kObjectType};  // model settings, params, SSE, metrics
};

void AddNumber(JsonValue& object, std::string_view key, double v, JsonAllocator& a) {
  JsonValue value;
  if (std::isfinite(v)) {
    value.SetDouble(v);
  }  // else null
  object.AddMember(JsonString(key, a), value, a);
}

void AddString(JsonValue& object, std::string_view key, std::string_view v, JsonAllocator& a) {
  object.AddMember(JsonString(key, a), JsonString(v, a), a);
}

JsonValue MetricsJson(const models::ErrorMetrics& m, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  out.AddMember("points", m.count, a);
  AddNumber(out, "rmse", m.rmse, a);
  AddNumber(out, "mae", m.mae, a);
  if (m.mape) {
    AddNumber(out, "mape", *m.mape, a);
  } else {
    out.AddMember("mape", JsonValue(), a);
  }
  return out;
}

Result<Output> RunLinear(const ForecastOptions& opts, const Series& series) {
  auto line = models::FitLine(series.times, series.values, opts.history_size);
  if (!line) return std::unexpected(line.error());
  Output out;
  auto& a = out.summary.GetAllocator();
  AddString(out.summary, "model", "linear", a);
  out.summary.AddMember("points", static_cast<int>(series.values.size()), a);
  out.summary.AddMember("historySize", opts.history_size, a);
  AddNumber(out.summary, "slope", line->slope, a);
  AddNumber(out.summary, "intercept", line->intercept, a);
  const double last = series.times.back();
  if (opts.look_ahead) {
    out.forecast.emplace_back(last + *opts.look_ahead, line->At(last + *opts.look_ahead));
  } else {
    const double step = Step(series.times);
    for (int h = 1; h <= opts.horizon; ++h) {
      out.forecast.emplace_back(last + h * step, line->At(last + h * step));
    }
  }
  return out;
}

Result<Output> RunHoltWintersModel(const ForecastOptions& opts, const Series& series) {
  models::HoltWintersOptions o;
  auto trend = models::ParseTrend(opts.trend);
  if (!trend) return std::unexpected(trend.error());
  const std::string seasonal_name =
      opts.seasonal != "auto" ? opts.seasonal : (opts.season_length > 0 ? "add" : "none");
  auto seasonal = models::ParseSeasonal(seasonal_name);
  if (!seasonal) return std::unexpected(seasonal.error());
  auto init = models::ParseInitialization(opts.initialization);
  if (!init) return std::unexpected(init.error());
  o.trend = *trend;
  o.seasonal = *seasonal;
  o.damped = opts.damped;
  o.season_length = opts.season_length;
  o.params = {opts.alpha, opts.beta, opts.gamma, opts.phi};
  o.initialization = *init;
  if (o.HasSeasonal() && o.season_length < 2) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--season-length (>= 2) is required with --seasonal add|mul");
  }
  if (o.initialization == models::Initialization::kKnown) {
    if (!opts.initial_level) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--initialization known needs --initial-level (and --initial-trend, "
                       "--initial-seasonal as the model has them)");
    }
    o.initial.level = *opts.initial_level;
    if (o.HasTrend()) {
      if (!opts.initial_trend) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "--initialization known with a trend needs --initial-trend");
      }
      o.initial.trend = *opts.initial_trend;
    }
    if (o.HasSeasonal()) {
      auto list = ParseList(opts.initial_seasonal, "--initial-seasonal");
      if (!list) return std::unexpected(list.error());
      o.initial.seasonal = *std::move(list);
    }
  } else if (opts.initial_level || opts.initial_trend || !opts.initial_seasonal.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--initial-level/--initial-trend/--initial-seasonal need --initialization "
                     "known");
  }

  Output out;
  auto& a = out.summary.GetAllocator();
  std::optional<models::FitResult> fit;
  if (opts.fit) {
    models::FitOptions fo;
    fo.horizon = opts.fit_horizon;
    fo.evaluate_holdout = true;
    fo.holdout_points = opts.holdout;
    if (!opts.baseline.empty()) {
      auto list = ParseList(opts.baseline, "--baseline");
      if (!list) return std::unexpected(list.error());
      if (list->size() < 1 || list->size() > 4) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "--baseline takes alpha[,beta[,gamma[,phi]]]");
      }
      models::HoltWintersParams b = o.params;
      b.alpha = (*list)[0];
      if (list->size() > 1) b.beta = (*list)[1];
      if (list->size() > 2) b.gamma = (*list)[2];
      if (list->size() > 3) b.phi = (*list)[3];
      fo.baseline = b;
    }
    auto r = models::FitHoltWinters(o, series.values, fo);
    if (!r) return std::unexpected(r.error());
    fit = *std::move(r);
    o.params = fit->params;
  }
  models::HoltWintersResult result;
  if (fit) {
    // Run with the fitted initial state so that estimated states are not re-estimated.
    result = models::Smooth(o, fit->initial, series.values);
    result.forecast = models::ForecastFrom(o, result.final_state, opts.horizon);
  } else {
    auto r = models::RunHoltWinters(o, series.values, opts.horizon);
    if (!r) return std::unexpected(r.error());
    result = *std::move(r);
  }
  const double last = series.times.back();
  const double step = Step(series.times);
  for (int h = 1; h <= opts.horizon; ++h) {
    out.forecast.emplace_back(last + h * step, result.forecast[static_cast<size_t>(h - 1)]);
  }
  out.fitted = result.fitted;
  if (fit && fit->holdout) {
    out.verdict = fmt::format("fitted alpha={:.3g}", o.params.alpha);
    if (o.HasTrend()) out.verdict += fmt::format(" beta={:.3g}", o.params.beta);
    if (o.HasSeasonal()) out.verdict += fmt::format(" gamma={:.3g}", o.params.gamma);
    out.verdict += fmt::format(": hold-out RMSE {:.4g} over the last {} points", fit->holdout->rmse,
                               fit->holdout->count);
    if (fit->baseline_holdout && std::isfinite(fit->baseline_holdout->rmse) &&
        fit->baseline_holdout->rmse > 0) {
      const double change = 1.0 - fit->holdout->rmse / fit->baseline_holdout->rmse;
      out.verdict +=
          fmt::format(", {:.0f}% {} than {} (RMSE {:.4g})", std::abs(change) * 100.0,
                      change >= 0 ? "lower" : "higher", opts.baseline, fit->baseline_holdout->rmse);
    }
  }

  AddString(out.summary, "model", "holt-winters", a);
  AddString(out.summary, "trend", models::TrendName(o.trend), a);
  out.summary.AddMember("damped", o.damped, a);
  AddString(out.summary, "seasonal", models::SeasonalName(o.seasonal), a);
  out.summary.AddMember("seasonLength", o.SeasonLength(), a);
  AddString(out.summary, "initialization", models::InitializationName(o.initialization), a);
  out.summary.AddMember("points", static_cast<int>(series.values.size()), a);
  AddNumber(out.summary, "alpha", o.params.alpha, a);
  if (o.HasTrend()) AddNumber(out.summary, "beta", o.params.beta, a);
  if (o.HasSeasonal()) AddNumber(out.summary, "gamma", o.params.gamma, a);
  if (o.damped) AddNumber(out.summary, "phi", o.params.phi, a);
  AddNumber(out.summary, "sse", result.sse, a);
  AddNumber(out.summary, "initialLevel", result.initial.level, a);
  if (o.HasTrend()) AddNumber(out.summary, "initialTrend", result.initial.trend, a);
  if (o.HasSeasonal() && opts.show_initial) {
    JsonValue seasonals(rapidjson::kArrayType);
    for (double s : result.initial.seasonal) seasonals.PushBack(s, a);
    out.summary.AddMember("initialSeasonal", seasonals, a);
  }
  if (fit) {
    JsonValue f(rapidjson::kObjectType);
    f.AddMember("horizon", opts.fit_horizon, a);
    AddNumber(f, "objective", fit->objective, a);
    f.AddMember("evaluations", fit->evaluations, a);
    if (fit->holdout) f.AddMember("holdout", MetricsJson(*fit->holdout, a), a);
    if (fit->baseline_holdout) {
      f.AddMember("baselineHoldout", MetricsJson(*fit->baseline_holdout, a), a);
    }
    out.summary.AddMember("fit", f, a);
  }
  return out;
}

void PrintCsvSummary(const JsonValue& value, const std::string& prefix) {
  for (const auto& member : value.GetObject()) {
    const std::string key = prefix + member.name.GetString();
    if (member.value.IsObject()) {
      PrintCsvSummary(member.value, key + ".");
    } else if (member.value.IsArray()) {
      std::string joined;
      for (const auto& v : member.value.GetArray()) {
        joined += (joined.empty() ? "" : ",") + fmt::format("{}", v.GetDouble());
      }
      fmt::print("# {}={}\n", key, joined);
    } else if (member.value.IsString()) {
      fmt::print("# {}={}\n", key, member.value.GetString());
    } else {
      fmt::print("# {}={}\n", key, ToJson(member.value));
    }
  }
}

// Reads the series from --input (CSV of any `cpa history export` layout, or `timestamp,value`
// rows) or --store.
Result<Series> ReadSeries(const ForecastOptions& opts) {
  Result<store::TimeSeries> read;
  if (!opts.store.empty()) {
    store::StoreOptions options;
    options.path = opts.store;
    options.read_only = true;
    options.max_age = std::chrono::milliseconds(0);
    auto opened = store::OpenSqliteStore(options);
    if (!opened) return std::unexpected(opened.error());
    read = store::ReadStoreSeries(**opened, opts.autoscaler,
                                  opts.series.empty() ? "evaluations" : opts.series);
  } else if (opts.input == "-") {
    read = store::ReadCsvSeries(std::cin, "<stdin>", opts.column);
  } else {
    std::ifstream file(opts.input);
    if (!file) return MakeErrorF(ErrorCode::kNotFound, "cannot open \"{}\"", opts.input);
    read = store::ReadCsvSeries(file, opts.input, opts.column);
  }
  if (!read) return std::unexpected(read.error());
  Series series;
  series.rfc3339 = read->absolute_times;
  series.values = std::move(read->values);
  series.times.reserve(read->unix_ms.size());
  for (int64_t ms : read->unix_ms) series.times.push_back(static_cast<double>(ms) / 1000.0);
  return series;
}

int RunForecast(const ForecastOptions& opts) {
  const bool from_store = !opts.store.empty();
  if (!from_store && (!opts.series.empty() || !opts.autoscaler.empty())) {
    fmt::print(stderr, "error: --autoscaler and --series read from a store: add --store FILE\n");
    return kExitInvalidConfig;
  }
  if (from_store && !opts.input.empty()) {
    fmt::print(stderr, "error: --input and --store exclude each other\n");
    return kExitInvalidConfig;
  }
  if (!from_store && opts.input.empty()) {
    fmt::print(stderr,
               "error: --input <file.csv> (or - for stdin), or --store FILE, is required\n");
    return kExitInvalidConfig;
  }
  if (from_store && !opts.column.empty()) {
    fmt::print(stderr, "error: --column applies to --input; with --store use --series\n");
    return kExitInvalidConfig;
  }
  Result<Series> series = ReadSeries(opts);
  if (!series) {
    fmt::print(stderr, "error: {}\n", series.error().message);
    return series.error().code == ErrorCode::kNotFound && !from_store ? kExitFailure
                                                                      : kExitInvalidConfig;
  }
  if (opts.fit && isatty(STDERR_FILENO)) {
    fmt::print(stderr, "fitting {} on {} points...\n", opts.model, series->values.size());
  }
  if (opts.horizon < 1) {
    fmt::print(stderr, "error: --horizon must be >= 1\n");
    return kExitInvalidConfig;
  }
  auto out = opts.model == "linear" ? RunLinear(opts, *series) : RunHoltWintersModel(opts, *series);
  if (!out) {
    fmt::print(stderr, "error: {}\n", out.error().message);
    return out.error().code == ErrorCode::kFailedPrecondition ? kExitFailure : kExitInvalidConfig;
  }
  if (!out->verdict.empty()) fmt::print(stderr, "{}\n", out->verdict);
  if (!opts.plot.empty()) {
    std::vector<PlotLine> lines(1);
    lines[0].title = "history";
    lines[0].x = series->times;
    lines[0].y = series->values;
    if (!out->fitted.empty()) {
      PlotLine fitted{.title = "fitted (one step ahead)", .x = series->times, .y = out->fitted};
      lines.push_back(std::move(fitted));
    }
    PlotLine forecast;
    forecast.title = "forecast";
    forecast.points = out->forecast.size() < 50;
    for (const auto& [t, v] : out->forecast) {
      forecast.x.push_back(t);
      forecast.y.push_back(v);
    }
    lines.push_back(std::move(forecast));
    PlotOptions plot_options;
    plot_options.title =
        fmt::format("cpa forecast: {} ({} points)", opts.model, series->values.size());
    plot_options.time_axis = series->rfc3339 || series->times.front() > 1e8;
    if (auto s = RenderPlot(lines, plot_options, opts.plot); !s) {
      fmt::print(stderr, "error: --plot: {}\n", s.error().message);
      return kExitFailure;
    }
    fmt::print(stderr, "plot written to {}\n", opts.plot);
  }
  if (opts.output == "json") {
    auto& doc = out->summary;
    auto& a = doc.GetAllocator();
    JsonValue rows(rapidjson::kArrayType);
    int step = 1;
    for (const auto& [t, v] : out->forecast) {
      JsonValue row(rapidjson::kObjectType);
      row.AddMember("step", step++, a);
      if (series->rfc3339) {
        AddString(row, "timestamp", FormatTime(t, true), a);
      } else {
        AddNumber(row, "timestamp", t, a);
      }
      AddNumber(row, "value", v, a);
      rows.PushBack(row, a);
    }
    doc.AddMember("forecast", rows, a);
    fmt::print("{}\n", ToJson(doc, true));
  } else {
    PrintCsvSummary(out->summary, "");
    fmt::print("step,timestamp,forecast\n");
    int step = 1;
    for (const auto& [t, v] : out->forecast) {
      fmt::print("{},{},{}\n", step++, FormatTime(t, series->rfc3339), v);
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterForecastCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ForecastOptions>();
  CLI::App* cmd = app.add_subcommand(
      "forecast",
      "Run a prediction model (Holt-Winters or linear regression) on a recorded series (a CSV "
      "that `cpa history export` wrote, `timestamp,value` rows, or a store file) and print the "
      "forecasts (and fitted parameters, SSE and hold-out error metrics) as CSV or JSON; see "
      "docs/models.md");
  cmd->add_option("--input,-i", opts->input,
                  "CSV file: any layout `cpa history export` writes, or `timestamp,value` rows "
                  "(seconds since the epoch or RFC 3339; an optional header row); - reads stdin");
  cmd->add_option("--column", opts->column,
                  "Value column of a `cpa history export` file (default: value, target_replicas "
                  "or stabilized_target, whichever the file has)");
  cmd->add_option("--store", opts->store,
                  "Store file written by `cpa run` (store.path) to read the series from, instead "
                  "of --input")
      ->check(CLI::ExistingFile);
  cmd->add_option("--autoscaler", opts->autoscaler,
                  "Autoscaler id (namespace/name) in --store (default: the store's only one)");
  cmd->add_option("--series", opts->series,
                  "Series in --store: evaluations (default), decisions, or "
                  "metric:NAME[:RESOURCE] (without a resource: the mean over resources at each "
                  "time)");
  cmd->add_option("--model,-m", opts->model, "Model")
      ->check(CLI::IsMember({"holt-winters", "linear"}))
      ->capture_default_str();
  cmd->add_option("--trend", opts->trend, "Holt-Winters trend")
      ->check(CLI::IsMember({"none", "add", "mul"}))
      ->capture_default_str();
  cmd->add_flag("--damped", opts->damped, "Damp the trend (phi)");
  cmd->add_option("--seasonal", opts->seasonal,
                  "Holt-Winters seasonality (auto: add when --season-length is given, else none)")
      ->check(CLI::IsMember({"auto", "none", "add", "mul"}))
      ->capture_default_str();
  cmd->add_option("--season-length", opts->season_length,
                  "Points per season (e.g. 5760 for one day at 15 s)");
  cmd->add_option("--alpha", opts->alpha, "Level smoothing in [0, 1]")->capture_default_str();
  cmd->add_option("--beta", opts->beta, "Trend smoothing in [0, 1]")->capture_default_str();
  cmd->add_option("--gamma", opts->gamma, "Seasonal smoothing in [0, 1]")->capture_default_str();
  cmd->add_option("--phi", opts->phi, "Damping in (0, 1] (with --damped)")->capture_default_str();
  cmd->add_option("--initialization", opts->initialization, "Initial states")
      ->check(CLI::IsMember({"known", "heuristic", "estimated"}))
      ->capture_default_str();
  cmd->add_option("--initial-level", opts->initial_level, "Initial level (known)");
  cmd->add_option("--initial-trend", opts->initial_trend, "Initial trend (known)");
  cmd->add_option("--initial-seasonal", opts->initial_seasonal,
                  "Initial seasonals, comma-separated, one per season step (known)");
  cmd->add_option("--horizon,-H", opts->horizon, "Steps to forecast")->capture_default_str();
  cmd->add_flag("--fit", opts->fit,
                "Fit alpha, beta, gamma (and phi) first (and the initial states with "
                "--initialization estimated)");
  cmd->add_option("--fit-horizon", opts->fit_horizon,
                  "Objective of --fit: 1 = one-step SSE; H > 1 = squared error H steps ahead")
      ->capture_default_str();
  cmd->add_option("--baseline", opts->baseline,
                  "Baseline parameters alpha,beta,gamma[,phi] scored beside the fit on the "
                  "hold-out (e.g. 0.9,0.9,0.9); a one-line verdict goes to stderr");
  cmd->add_option("--holdout", opts->holdout,
                  "Points held out to score --fit (0: one season, or a fifth without season)")
      ->capture_default_str();
  cmd->add_option("--history-size", opts->history_size, "Linear: fit the last N points (0: all)")
      ->capture_default_str();
  cmd->add_option("--look-ahead", opts->look_ahead,
                  "Linear: predict this many seconds after the last point (instead of --horizon "
                  "steps)");
  cmd->add_option("--output,-o", opts->output, "Output format")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--plot", opts->plot,
                  "Also draw the history, the fitted values and the forecast to this PNG file "
                  "(gnuplot)");
  cmd->add_flag("--show-initial", opts->show_initial,
                "Also print the initial seasonal vector (reusable with --initialization known)");
  cmd->callback([opts, &exit_code] { exit_code = RunForecast(*opts); });
}

}  // namespace cpa::cli
