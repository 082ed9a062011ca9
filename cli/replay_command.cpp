// `cpa replay`: run an autoscaler config over a recorded demand series with a simulated clock and
// print the replica timeline beside what happened, with a summary. Thin wiring over
// autoscalers/phpa/replay.h.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "autoscalers/phpa/replay.h"
#include "autoscalers/phpa/series_source.h"
#include "cli/commands.h"
#include "cli/prometheus_series.h"
#include "common/json.h"
#include "engine/config/config_loader.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace cpa::cli {
namespace {

struct ReplayFlags {
  std::string config;
  std::string input;
  std::string store;
  std::string autoscaler;
  std::string series;
  PrometheusSeriesFlags prometheus;  // --prometheus ... (prometheus_series.h)
  std::string actual = "current";
  bool per_replica = false;
  double demand_scale = 1.0;
  std::string pod_startup = "0s";
  double cpu_request = 1.0;
  std::optional<double> pod_capacity;
  std::optional<int> initial_replicas;
  int season_length = 0;
  std::string timeline;
  std::string output = "csv";
};

// --season-length: sets seasonalPeriods of every HoltWinters model of an evaluate.phpa block.
Status OverrideSeasonLength(config::Config& config, int season_length) {
  if (config.evaluate.type != "phpa") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--season-length needs a config with evaluate.type phpa");
  }
  auto doc = ParseJson(config.evaluate.options_json.empty() ? "{}" : config.evaluate.options_json);
  if (!doc) return std::unexpected(doc.error());
  auto& a = doc->GetAllocator();
  if (doc->IsObject() && doc->HasMember("models") && (*doc)["models"].IsArray()) {
    for (auto& model : (*doc)["models"].GetArray()) {
      if (!model.IsObject() || !model.HasMember("holtWinters")) continue;
      JsonValue& hw = model["holtWinters"];
      if (!hw.IsObject()) continue;
      if (hw.HasMember("seasonalPeriods")) {
        hw["seasonalPeriods"].SetInt(season_length);
      } else {
        hw.AddMember("seasonalPeriods", season_length, a);
      }
    }
  }
  config.evaluate.options_json = ToJson(*doc);
  return OkStatus();
}

// Aligns a store series (what happened) to the demand's times: the newest value at or before.
std::vector<std::optional<double>> Align(const phpa::Series& demand, const phpa::Series& other) {
  std::vector<std::optional<double>> out(demand.size());
  size_t j = 0;
  for (size_t i = 0; i < demand.size(); ++i) {
    while (j < other.size() && other.times[j] <= demand.times[i]) ++j;
    if (j > 0) out[i] = other.values[j - 1];
  }
  return out;
}

int RunReplay(const ReplayFlags& flags) {
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
  config::LoadOptions load;
  load.path = flags.config;
  load.env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  load.require_target = false;
  auto loaded = config::LoadConfig(load);
  if (!loaded) {
    for (const auto& e : loaded.error().errors) fmt::print(stderr, "error: {}\n", e.ToString());
    return kExitInvalidConfig;
  }
  config::Config config = loaded->config;
  if (flags.season_length > 0) {
    if (auto s = OverrideSeasonLength(config, flags.season_length); !s) {
      fmt::print(stderr, "error: {}\n", s.error().message);
      return kExitInvalidConfig;
    }
  }
  auto startup = store::ParseDuration(flags.pod_startup);
  if (!startup) {
    fmt::print(stderr, "error: --pod-startup: {}\n", startup.error().message);
    return kExitInvalidConfig;
  }
  phpa::ReplayOptions options;
  options.pod_startup = *startup;
  options.cpu_request_cores = flags.cpu_request;
  options.pod_capacity = flags.pod_capacity;
  options.initial_replicas = flags.initial_replicas;
  if (from_store) {
    auto demand = phpa::ReadSeriesStoreFile(flags.store, flags.autoscaler, flags.series,
                                            phpa::SeriesReduce::kSum);
    if (!demand) {
      fmt::print(stderr, "error: {}\n", demand.error().message);
      return kExitFailure;
    }
    options.demand = *std::move(demand);
    if (!flags.actual.empty() && flags.actual != "none") {
      auto actual = phpa::ReadSeriesStoreFile(flags.store, flags.autoscaler, flags.actual);
      if (actual) {
        options.actual = Align(options.demand, *actual);
      } else if (flags.per_replica) {
        fmt::print(stderr, "error: --per-replica needs --actual: {}\n", actual.error().message);
        return kExitFailure;
      }
    }
  } else if (from_prometheus) {
    auto demand = ReadSeriesPrometheus(flags.prometheus);
    if (!demand) {
      fmt::print(stderr, "error: {}\n", demand.error().message);
      return demand.error().code == ErrorCode::kInvalidArgument ? kExitInvalidConfig : kExitFailure;
    }
    options.demand = *std::move(demand);
  } else {
    auto demand = phpa::ReadSeriesFile(flags.input);
    if (!demand) {
      fmt::print(stderr, "error: {}\n", demand.error().message);
      return demand.error().code == ErrorCode::kNotFound ? kExitFailure : kExitInvalidConfig;
    }
    options.demand = *std::move(demand);
    options.actual = options.demand.extra;
  }
  for (size_t i = 0; i < options.demand.size(); ++i) {
    double replicas = 1.0;
    if (flags.per_replica && i < options.actual.size() && options.actual[i]) {
      replicas = *options.actual[i];
    }
    options.demand.values[i] *= replicas * flags.demand_scale;
  }
  auto result = phpa::Replay(config, options);
  if (!result) {
    fmt::print(stderr, "error: {}\n", result.error().message);
    return kExitFailure;
  }
  const std::string csv = phpa::ReplayCsv(*result);
  if (!flags.timeline.empty()) {
    std::ofstream out(flags.timeline, std::ios::binary);
    out << csv;
    if (!out) {
      fmt::print(stderr, "error: cannot write {}\n", flags.timeline);
      return kExitFailure;
    }
  }
  JsonDocument summary = phpa::ReplaySummaryJson(result->summary);
  if (flags.output == "json") {
    fmt::print("{}\n", ToJson(summary, true));
    return kExitOk;
  }
  for (const auto& member : summary.GetObject()) {
    fmt::print("# {}={}\n", member.name.GetString(), ToJson(member.value));
  }
  if (flags.timeline.empty()) fmt::print("{}", csv);
  return kExitOk;
}

}  // namespace

void RegisterReplayCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Run an autoscaler config (hpa, phpa or user logic) over a recorded demand series with a "
      "simulated clock and print the replica timeline beside what happened, with replica-hours, "
      "scale events and time under-provisioned; see docs/replay-and-tune.md");
  cmd->add_option("--config,-c", flags->config, "Autoscaler config (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--input,-i", flags->input,
                  "CSV of `timestamp,demand[,replicas]` rows (the third column: what happened); "
                  "- reads stdin");
  AddPrometheusSeriesFlags(cmd, flags->prometheus);
  cmd->add_option("--store", flags->store, "Store file written by `cpa run` (instead of --input)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--autoscaler", flags->autoscaler, "Autoscaler id (namespace/name) in --store");
  cmd->add_option("--series", flags->series,
                  "Demand series in --store: metric:NAME[:RESOURCE] (summed over resources), "
                  "phpa, phpa:load, evaluations, decisions or current");
  cmd->add_option("--actual", flags->actual,
                  "Series in --store of what happened (replicas), shown beside the replay; none "
                  "to skip")
      ->capture_default_str();
  cmd->add_flag("--per-replica", flags->per_replica,
                "The demand series is per replica (e.g. a recorded utilization): multiply it by "
                "what happened (--actual, or the CSV's third column)");
  cmd->add_option("--demand-scale", flags->demand_scale,
                  "Multiply the demand by this (e.g. 0.01 turns a recorded CPU utilization in "
                  "percent of a 1-core request into cores)")
      ->capture_default_str();
  cmd->add_option("--pod-startup", flags->pod_startup,
                  "How long a new pod is Pending before it runs (e.g. 90s)")
      ->capture_default_str();
  cmd->add_option("--cpu-request", flags->cpu_request,
                  "CPU request per simulated pod, in cores (the demand of a cpu metric is in "
                  "cores)")
      ->capture_default_str();
  cmd->add_option("--pod-capacity", flags->pod_capacity,
                  "Demand one running pod serves; enables time under-provisioned (demand > "
                  "running pods * capacity)");
  cmd->add_option("--initial-replicas", flags->initial_replicas,
                  "Replicas at the start (default: the first of what happened, else "
                  "minReplicas)");
  cmd->add_option("--season-length", flags->season_length,
                  "Override seasonalPeriods of every HoltWinters model of an evaluate.phpa "
                  "config");
  cmd->add_option("--timeline", flags->timeline,
                  "Write the timeline CSV to this file (stdout then gets only the summary)");
  cmd->add_option("--output,-o", flags->output,
                  "csv: `# key=value` summary lines then the timeline; json: the summary")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = RunReplay(*flags); });
}

}  // namespace cpa::cli
