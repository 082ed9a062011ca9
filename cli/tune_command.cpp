// `cpa tune`: fit the predictive evaluator's Holt-Winters parameters (and the linear model's
// historySize) on a recorded series and print an error table and a ready-to-paste config
// snippet. Thin wiring over autoscalers/phpa/tune.h.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "autoscalers/phpa/phpa_options.h"
#include "autoscalers/phpa/series_source.h"
#include "autoscalers/phpa/tune.h"
#include "cli/commands.h"
#include "cli/prometheus_series.h"
#include "common/json.h"
#include "engine/config/config_issues.h"

namespace cpa::cli {
namespace {

struct TuneFlags {
  std::string input;
  std::string store;
  std::string autoscaler;
  std::string series;
  PrometheusSeriesFlags prometheus;  // --prometheus ... (prometheus_series.h)
  std::string config;
  std::string model;
  std::string trend;
  std::string seasonal;
  bool damped = false;
  std::string initialization;
  int season_length = 0;
  int look_ahead = 0;
  int holdout = 0;
  int stored_seasons = 0;
  bool score_replay = false;
  bool no_linear = false;
  std::string output = "csv";
};

std::string Optional(const std::optional<double>& v) {
  return v ? fmt::format("{}", *v) : std::string();
}

// Reads evaluate.phpa of an autoscaler config and picks the Holt-Winters model to tune.
Result<phpa::ModelOptions> ModelFromConfig(const std::string& path, const std::string& name) {
  std::ifstream file(path);
  if (!file) return MakeErrorF(ErrorCode::kNotFound, "cannot open {}", path);
  std::stringstream text;
  text << file.rdbuf();
  auto doc = ParseYaml(text.str());
  if (!doc) return std::unexpected(doc.error().WithContext(path));
  const JsonValue* evaluate = FindMember(*doc, "evaluate");
  const JsonValue* block = evaluate != nullptr ? FindMember(*evaluate, "phpa") : nullptr;
  if (block == nullptr) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: no evaluate.phpa block", path);
  }
  config::ConfigIssues issues;
  phpa::PhpaOptions options =
      phpa::ParsePhpaOptions(*block, "evaluate.phpa", issues, phpa::kHpaKeys);
  if (!issues.errors.empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: {}", path, issues.errors[0].ToString());
  }
  for (const phpa::ModelOptions& m : options.models) {
    if (m.type == phpa::ModelType::kHoltWinters && (name.empty() || m.name == name)) return m;
  }
  return MakeErrorF(ErrorCode::kInvalidArgument, "{}: no HoltWinters model{} in evaluate.phpa",
                    path, name.empty() ? "" : fmt::format(" named \"{}\"", name));
}

int RunTune(const TuneFlags& flags) {
  const bool from_store = !flags.store.empty();
  const bool from_prometheus = flags.prometheus.given();
  if (int(from_store) + int(!flags.input.empty()) + int(from_prometheus) != 1) {
    fmt::print(stderr,
               "error: give one of --input <file.csv>, --store <file> and --prometheus <url>\n");
    return kExitInvalidConfig;
  }
  if (from_store && (flags.autoscaler.empty() || flags.series.empty())) {
    fmt::print(stderr, "error: --store needs --autoscaler and --series\n");
    return kExitInvalidConfig;
  }
  phpa::TuneOptions options;
  options.model.trend = models::Trend::kAdditive;
  options.model.seasonal = models::Seasonal::kAdditive;
  options.model.initialization = models::Initialization::kHeuristic;
  if (!flags.config.empty()) {
    auto model = ModelFromConfig(flags.config, flags.model);
    if (!model) {
      fmt::print(stderr, "error: {}\n", model.error().message);
      return kExitInvalidConfig;
    }
    const auto& hw = *model->holt_winters;
    options.model = hw.model;
    options.model_name = model->name;
    options.look_ahead = hw.look_ahead;
    options.stored_seasons = hw.stored_seasons;
    if (hw.configured_alpha) {
      options.configured = hw.model.params;
    }
  }
  auto set = [](const std::string& text, auto parse, auto& out) -> Status {
    if (text.empty()) return OkStatus();
    auto v = parse(text);
    if (!v) return std::unexpected(v.error());
    out = *v;
    return OkStatus();
  };
  for (auto status :
       {set(flags.trend, models::ParseTrend, options.model.trend),
        set(flags.seasonal, models::ParseSeasonal, options.model.seasonal),
        set(flags.initialization, models::ParseInitialization, options.model.initialization)}) {
    if (!status) {
      fmt::print(stderr, "error: {}\n", status.error().message);
      return kExitInvalidConfig;
    }
  }
  if (flags.damped) options.model.damped = true;
  if (flags.season_length > 0) options.model.season_length = flags.season_length;
  if (flags.look_ahead > 0) options.look_ahead = flags.look_ahead;
  if (flags.stored_seasons > 0) options.stored_seasons = flags.stored_seasons;
  options.holdout = flags.holdout;
  options.score_replay = flags.score_replay;
  if (flags.no_linear) options.linear_history_sizes.clear();
  if (options.model.HasSeasonal() && options.model.season_length < 2) {
    fmt::print(stderr,
               "error: --season-length (>= 2) is required for a seasonal model (or --config)\n");
    return kExitInvalidConfig;
  }
  if (options.model.initialization == models::Initialization::kKnown) {
    options.model.initialization = models::Initialization::kHeuristic;  // refit the start too
  }
  auto series = from_prometheus ? ReadSeriesPrometheus(flags.prometheus)
                : from_store
                    ? phpa::ReadSeriesStoreFile(flags.store, flags.autoscaler, flags.series)
                    : phpa::ReadSeriesFile(flags.input);
  if (!series) {
    fmt::print(stderr, "error: {}\n", series.error().message);
    return series.error().code == ErrorCode::kNotFound ? kExitFailure : kExitInvalidConfig;
  }
  auto result = phpa::Tune(*series, options);
  if (!result) {
    fmt::print(stderr, "error: {}\n", result.error().message);
    return result.error().code == ErrorCode::kFailedPrecondition ? kExitFailure
                                                                 : kExitInvalidConfig;
  }
  if (flags.output == "json") {
    JsonDocument doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    doc.AddMember("points", result->points, a);
    doc.AddMember("holdout", result->holdout, a);
    doc.AddMember("stepSeconds", std::chrono::duration<double>(result->step).count(), a);
    doc.AddMember("lookAhead", options.look_ahead, a);
    JsonValue rows(rapidjson::kArrayType);
    for (const auto& c : result->candidates) {
      JsonValue row(rapidjson::kObjectType);
      row.AddMember("candidate", JsonString(c.name, a), a);
      if (c.params) {
        row.AddMember("alpha", c.params->alpha, a);
        row.AddMember("beta", c.params->beta, a);
        row.AddMember("gamma", c.params->gamma, a);
      }
      if (c.history_size) row.AddMember("historySize", *c.history_size, a);
      if (c.error) {
        row.AddMember("rmse", c.error->rmse, a);
        row.AddMember("mae", c.error->mae, a);
        if (c.error->mape) row.AddMember("mape", *c.error->mape, a);
      }
      if (c.replay) {
        row.AddMember("replicaHours", c.replay->replica_hours, a);
        row.AddMember("underProvisionedShare", c.replay->under_provisioned_share, a);
        row.AddMember("scaleEvents", c.replay->scale_events, a);
      }
      if (!c.problem.empty()) row.AddMember("problem", JsonString(c.problem, a), a);
      rows.PushBack(row, a);
    }
    doc.AddMember("candidates", rows, a);
    JsonValue rec(rapidjson::kObjectType);
    rec.AddMember("alpha", result->recommended.params.alpha, a);
    rec.AddMember("beta", result->recommended.params.beta, a);
    rec.AddMember("gamma", result->recommended.params.gamma, a);
    if (options.model.damped) rec.AddMember("phi", result->recommended.params.phi, a);
    doc.AddMember("recommended", rec, a);
    doc.AddMember("snippet", JsonString(result->snippet, a), a);
    fmt::print("{}\n", ToJson(doc, true));
    return kExitOk;
  }
  fmt::print("# points={} holdout={} step={}s lookAhead={}\n", result->points, result->holdout,
             std::chrono::duration<double>(result->step).count(), options.look_ahead);
  fmt::print(
      "candidate,alpha,beta,gamma,history_size,rmse,mae,mape,replica_hours,"
      "under_provisioned_share,scale_events\n");
  for (const auto& c : result->candidates) {
    std::string row = c.name;
    row +=
        "," + (c.params ? fmt::format("{},{},{}", c.params->alpha, c.params->beta, c.params->gamma)
                        : std::string(",,"));
    row += "," + (c.history_size ? std::to_string(*c.history_size) : std::string());
    row += "," +
           (c.error ? fmt::format("{},{},{}", c.error->rmse, c.error->mae, Optional(c.error->mape))
                    : std::string(",,"));
    row += "," + (c.replay ? fmt::format("{},{},{}", c.replay->replica_hours,
                                         c.replay->under_provisioned_share, c.replay->scale_events)
                           : std::string(",,"));
    fmt::print("{}\n", row);
    if (!c.problem.empty()) fmt::print(stderr, "note: {}: {}\n", c.name, c.problem);
  }
  fmt::print("\n{}", result->snippet);
  return kExitOk;
}

}  // namespace

void RegisterTuneCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<TuneFlags>();
  CLI::App* cmd = app.add_subcommand(
      "tune",
      "Fit the phpa evaluator's Holt-Winters alpha/beta/gamma (and the linear historySize) on a "
      "recorded series; compare fitted, configured and the original's 0.9/0.9/0.9 on a held-out "
      "last season and print the error table and a config snippet; see "
      "autoscalers/phpa/README.md");
  cmd->add_option("--input,-i", flags->input,
                  "CSV file of `timestamp,value` rows (seconds since the epoch or RFC 3339); - "
                  "reads stdin");
  AddPrometheusSeriesFlags(cmd, flags->prometheus);
  cmd->add_option("--store", flags->store, "Store file written by `cpa run` (instead of --input)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--autoscaler", flags->autoscaler, "Autoscaler id (namespace/name) in --store");
  cmd->add_option("--series", flags->series,
                  "Series in --store: phpa (the evaluator's learned history), phpa:load, "
                  "evaluations, decisions, current or metric:NAME[:RESOURCE]");
  cmd->add_option("--config,-c", flags->config,
                  "Autoscaler config whose evaluate.phpa model to tune (its settings and "
                  "configured alpha/beta/gamma)");
  cmd->add_option("--model", flags->model, "Name of the HoltWinters model in --config");
  cmd->add_option("--season-length", flags->season_length,
                  "Points per season (seasonalPeriods); overrides --config");
  cmd->add_option("--trend", flags->trend, "Trend: none, add, mul (default add)")
      ->check(CLI::IsMember({"none", "add", "mul", "additive", "multiplicative"}));
  cmd->add_option("--seasonal", flags->seasonal, "Seasonality: none, add, mul (default add)")
      ->check(CLI::IsMember({"none", "add", "mul", "additive", "multiplicative"}));
  cmd->add_flag("--damped", flags->damped, "Damp the trend (fits phi too)");
  cmd->add_option("--initialization", flags->initialization,
                  "Initial states: heuristic (default) or estimated")
      ->check(CLI::IsMember({"heuristic", "estimated"}));
  cmd->add_option("--look-ahead", flags->look_ahead,
                  "Points ahead to optimize and score (holtWinters.lookAhead; default 1 or "
                  "--config's)");
  cmd->add_option("--holdout", flags->holdout, "Points held out (0: the last season)")
      ->capture_default_str();
  cmd->add_option("--stored-seasons", flags->stored_seasons,
                  "storedSeasons written into the snippet (default 4 or --config's)");
  cmd->add_flag("--score-replay", flags->score_replay,
                "Also score each candidate by replaying decisions on the hold-out (replica-hours, "
                "share of points under-provisioned, scale events; beside the HPA alone)");
  cmd->add_flag("--no-linear", flags->no_linear, "Do not tune the linear model's historySize");
  cmd->add_option("--output,-o", flags->output, "Output format")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = RunTune(*flags); });
}

}  // namespace cpa::cli
