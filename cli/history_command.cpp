// `cpa history`: inspect and export what an autoscaler stored (the store file of `cpa run`).
//
//   cpa history list   --store FILE [--series]
//   cpa history show   --store FILE --autoscaler NS/NAME [--kind ...] [window] [--step ...]
//   cpa history export --store FILE --autoscaler NS/NAME [--kind ...] [window] [--output FILE]
//
// The file is opened read-only (safe beside a running autoscaler); --upgrade opens it for writing
// once to migrate an older schema.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "store/csv.h"
#include "store/number.h"
#include "store/resample.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace cpa::cli {
namespace {

struct HistoryOptions {
  std::string store_path;
  bool upgrade = false;
  // list
  bool series = false;
  // show / export
  std::string autoscaler;
  std::string kind = "metrics";
  std::string metric = "value";
  std::string resource;
  std::string model;
  std::string from;
  std::string to;
  std::string since;
  std::size_t last = 0;
  std::string step;
  std::string aggregation = "mean";
  std::string format = "table";
  std::string output;
};

Result<std::unique_ptr<store::Store>> OpenForHistory(const HistoryOptions& opts) {
  store::StoreOptions options;
  options.path = opts.store_path;
  options.read_only = !opts.upgrade;
  options.max_age = std::chrono::milliseconds(0);  // never trim someone's history from here
  return store::OpenSqliteStore(options);
}

// Escapes line breaks and tabs so one stored value stays on one table line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Opt(const std::optional<int64_t>& v) { return v ? fmt::format("{}", *v) : "-"; }
std::string Opt(const std::optional<double>& v) { return v ? store::FormatNumber(*v) : "-"; }

int RunList(const HistoryOptions& opts) {
  auto opened = OpenForHistory(opts);
  if (!opened) {
    fmt::print(stderr, "error: {}\n", opened.error().ToString());
    return kExitFailure;
  }
  store::Store& db = **opened;
  auto names = db.ListAutoscalers();
  if (!names) {
    fmt::print(stderr, "error: {}\n", names.error().ToString());
    return kExitFailure;
  }
  for (const std::string& name : *names) {
    fmt::print("{}\n", name);
    if (!opts.series) continue;
    auto series = db.ListSeries(name);
    if (!series) {
      fmt::print(stderr, "error: {}\n", series.error().ToString());
      return kExitFailure;
    }
    for (const auto& s : *series) {
      fmt::print("  metric={} resource={} points={} first={} last={}\n", s.metric, s.resource,
                 s.points, store::FormatTime(s.first), store::FormatTime(s.last));
    }
    auto evaluations = db.Evaluations(name, store::Query{store::Window::All(), 0});
    auto decisions = db.Decisions(name, store::Query{store::Window::All(), 0});
    if (evaluations && decisions) {
      fmt::print("  evaluations={} decisions={}\n", evaluations->size(), decisions->size());
    }
  }
  if (opts.series) {
    if (auto stats = db.Stats()) {
      fmt::print("# {}: schema version {}, {} bytes on disk\n", stats->location,
                 stats->schema_version, stats->bytes_on_disk);
    }
  }
  return kExitOk;
}

Result<store::Window> WindowFrom(const HistoryOptions& opts) {
  store::Window window = store::Window::All();
  if (!opts.from.empty()) {
    auto t = store::ParseTime(opts.from);
    if (!t) return std::unexpected(t.error().WithContext("--from"));
    window.from = *t;
  }
  if (!opts.to.empty()) {
    auto t = store::ParseTime(opts.to);
    if (!t) return std::unexpected(t.error().WithContext("--to"));
    window.to = *t;
  }
  if (!opts.since.empty()) {
    if (!opts.from.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "--since and --from exclude each other");
    }
    auto d = store::ParseDuration(opts.since);
    if (!d) return std::unexpected(d.error().WithContext("--since"));
    // Relative to --to when given, else to the wall clock.
    TimePoint end = opts.to.empty() ? SystemClock::Instance().Now() : window.to;
    window.from = end - *d;
  }
  return window;
}

// Writes `text` to --output (or stdout).
int Emit(const HistoryOptions& opts, const std::string& text) {
  if (opts.output.empty() || opts.output == "-") {
    fmt::print("{}", text);
    return kExitOk;
  }
  std::ofstream out(opts.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    fmt::print(stderr, "error: cannot write \"{}\"\n", opts.output);
    return kExitFailure;
  }
  return kExitOk;
}

std::string JoinOrNone(const std::vector<std::string>& names) {
  return names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", "));
}

// The autoscaler (and, for --kind metrics, the metric and resource) must exist: an empty table
// for a misspelt name would look like "nothing happened".
Status CheckExists(store::Store& db, const HistoryOptions& opts) {
  auto names = db.ListAutoscalers();
  if (!names) return std::unexpected(names.error());
  if (std::find(names->begin(), names->end(), opts.autoscaler) == names->end()) {
    return MakeErrorF(ErrorCode::kNotFound, "no autoscaler \"{}\" in {}; it holds: {}",
                      opts.autoscaler, opts.store_path, JoinOrNone(*names));
  }
  if (opts.kind != "metrics") return {};
  auto series = db.ListSeries(opts.autoscaler);
  if (!series) return std::unexpected(series.error());
  std::vector<std::string> metrics;
  std::vector<std::string> resources;
  bool metric_found = false;
  bool resource_found = opts.resource.empty();
  for (const auto& s : *series) {
    if (std::find(metrics.begin(), metrics.end(), s.metric) == metrics.end()) {
      metrics.push_back(s.metric);
    }
    if (s.metric != opts.metric) continue;
    metric_found = true;
    resources.push_back(s.resource);
    if (s.resource == opts.resource) resource_found = true;
  }
  if (!metric_found) {
    return MakeErrorF(ErrorCode::kNotFound,
                      "autoscaler \"{}\" has no metric \"{}\"; its metrics: {} (choose one with "
                      "--metric)",
                      opts.autoscaler, opts.metric, JoinOrNone(metrics));
  }
  if (!resource_found) {
    return MakeErrorF(ErrorCode::kNotFound,
                      "metric \"{}\" of \"{}\" has no resource \"{}\"; its resources: {}",
                      opts.metric, opts.autoscaler, opts.resource, JoinOrNone(resources));
  }
  return {};
}

int RunShow(const HistoryOptions& opts, bool csv) {
  auto window = WindowFrom(opts);
  if (!window) {
    fmt::print(stderr, "error: {}\n", window.error().message);
    return kExitInvalidConfig;
  }
  std::optional<Duration> step;
  if (!opts.step.empty()) {
    auto d = store::ParseDuration(opts.step);
    if (!d || *d <= Duration::zero()) {
      fmt::print(stderr, "error: --step: {}\n",
                 d ? std::string("must be positive") : d.error().message);
      return kExitInvalidConfig;
    }
    if (opts.kind != "metrics" && opts.kind != "predictions") {
      fmt::print(stderr, "error: --step applies to --kind metrics or predictions\n");
      return kExitInvalidConfig;
    }
    step = *d;
  }
  if (opts.kind == "predictions" && opts.model.empty()) {
    fmt::print(stderr, "error: --kind predictions needs --model\n");
    return kExitInvalidConfig;
  }
  auto opened = OpenForHistory(opts);
  if (!opened) {
    fmt::print(stderr, "error: {}\n", opened.error().ToString());
    return kExitFailure;
  }
  store::Store& db = **opened;
  if (auto known = CheckExists(db, opts); !known) {
    fmt::print(stderr, "error: {}\n", known.error().message);
    return kExitInvalidConfig;
  }
  store::Query query{*window, opts.last};
  auto fail = [](const Error& e) {
    fmt::print(stderr, "error: {}\n", e.ToString());
    return kExitFailure;
  };

  if (opts.kind == "evaluations") {
    auto rows = db.Evaluations(opts.autoscaler, query);
    if (!rows) return fail(rows.error());
    if (csv) return Emit(opts, store::EvaluationsToCsv(*rows));
    std::string text = fmt::format("{:<25} {:>8}  {}\n", "TIME", "TARGET", "PREDICTIONS");
    for (const auto& row : *rows) {
      std::string predictions;
      for (const auto& [model, value] : row.evaluation.predictions) {
        predictions += fmt::format("{}{}={}", predictions.empty() ? "" : " ", model,
                                   store::FormatNumber(value));
      }
      text += fmt::format("{:<25} {:>8}  {}\n", store::FormatTime(row.time),
                          row.evaluation.target_replicas, predictions);
    }
    return Emit(opts, text);
  }
  if (opts.kind == "decisions") {
    auto rows = db.Decisions(opts.autoscaler, query);
    if (!rows) return fail(rows.error());
    if (csv) return Emit(opts, store::DecisionsToCsv(*rows));
    std::string text = fmt::format("{:<25} {:>7} {:>7} {:>10} {:>7}  {:<12} {}\n", "TIME",
                                   "CURRENT", "RAW", "STABILIZED", "APPLIED", "RUN TYPE", "ERROR");
    for (const auto& row : *rows) {
      const auto& d = row.decision;
      text +=
          fmt::format("{:<25} {:>7} {:>7} {:>10} {:>7}  {:<12} {}\n", store::FormatTime(row.time),
                      Opt(d.current_replicas), Opt(d.raw_target), Opt(d.stabilized_target),
                      d.applied ? "yes" : "no", d.run_type, OneLine(d.error));
    }
    return Emit(opts, text);
  }

  store::SeriesRef ref =
      opts.kind == "predictions"
          ? store::SeriesRef{opts.autoscaler, store::SeriesKind::kPrediction, "", opts.model}
          : store::SeriesRef::Metric(opts.autoscaler, opts.resource, opts.metric);
  auto samples = db.Values(ref, query);
  if (!samples) return fail(samples.error());
  if (step) {
    // Buckets start at --from, or at the first sample when no start was given.
    store::Window range = *window;
    if (opts.from.empty() && opts.since.empty()) {
      if (samples->empty()) return Emit(opts, csv ? store::BucketsToCsv({}) : std::string());
      range.from = samples->front().time;
    }
    if (opts.to.empty() && !samples->empty()) {
      range.to = std::min(range.to, samples->back().time + std::chrono::milliseconds(1));
    }
    auto buckets =
        store::Resample(*samples, range, *step, *store::ParseAggregation(opts.aggregation));
    if (!buckets) {
      fmt::print(stderr, "error: {}\n", buckets.error().message);
      return kExitInvalidConfig;
    }
    if (csv) return Emit(opts, store::BucketsToCsv(*buckets));
    std::string text = fmt::format("{:<25} {:>14} {:>6}\n", "TIME", opts.aggregation, "COUNT");
    for (const auto& b : *buckets) {
      text +=
          fmt::format("{:<25} {:>14} {:>6}\n", store::FormatTime(b.start), Opt(b.value), b.count);
    }
    return Emit(opts, text);
  }
  if (csv) return Emit(opts, store::SamplesToCsv(*samples));
  std::string text = fmt::format("{:<25} {:<24} {:>14}  {}\n", "TIME", "RESOURCE", "VALUE", "TEXT");
  for (const auto& s : *samples) {
    text += fmt::format("{:<25} {:<24} {:>14}  {}\n", store::FormatTime(s.time), s.resource,
                        Opt(s.value), OneLine(s.text));
  }
  return Emit(opts, text);
}

void AddStoreOptions(CLI::App* cmd, HistoryOptions& opts) {
  cmd->add_option("--store,-s", opts.store_path, "Store file written by `cpa run` (store.path)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--upgrade", opts.upgrade,
                "Open the file for writing so that an older schema is upgraded first (by default "
                "the file is opened read-only and never changed)");
}

void AddSeriesOptions(CLI::App* cmd, HistoryOptions& opts) {
  cmd->add_option("--autoscaler,-a", opts.autoscaler,
                  "Autoscaler id, namespace/name (see `cpa history list`)")
      ->required();
  cmd->add_option("--kind,-k", opts.kind,
                  "What to print: metrics (metric points), evaluations (target + model "
                  "predictions), decisions (current, raw and stabilized target, applied, run "
                  "type, error), or predictions (one model's prediction series); the same words "
                  "as the REST API's kind (the singular forms are accepted too)")
      ->transform(CLI::Transformer(std::map<std::string, std::string>{{"metric", "metrics"},
                                                                      {"prediction", "predictions"},
                                                                      {"evaluation", "evaluations"},
                                                                      {"decision", "decisions"}}))
      ->check(CLI::IsMember({"metrics", "evaluations", "decisions", "predictions"}))
      ->capture_default_str();
  cmd->add_option("--metric,-m", opts.metric, "Metric name (--kind metrics)")
      ->capture_default_str();
  cmd->add_option("--resource,-r", opts.resource,
                  "Only this resource (pod or target name) of the metric; default: all of them");
  cmd->add_option("--model", opts.model, "Model name (--kind predictions)");
  cmd->add_option("--from", opts.from,
                  "Window start, inclusive: RFC 3339 (2026-11-28T20:00:00Z) or Unix milliseconds; "
                  "default: the beginning");
  cmd->add_option("--to", opts.to,
                  "Window end, exclusive: RFC 3339 or Unix milliseconds; default: the end");
  cmd->add_option("--since", opts.since,
                  "Window start as a duration before --to (or before now): 90s, 15m, 1h30m, 7d");
  cmd->add_option("--last,-n", opts.last,
                  "Only the newest N rows of the window (printed oldest first); 0 = all")
      ->capture_default_str();
  cmd->add_option("--step", opts.step,
                  "Resample numeric values to this fixed step (e.g. 1m, 15s); buckets start at "
                  "--from (or the first value) and empty buckets are printed without a value");
  cmd->add_option("--agg", opts.aggregation, "How --step combines the values of a bucket")
      ->check(CLI::IsMember({"mean", "max", "last"}))
      ->capture_default_str();
  cmd->add_option("--output,-o", opts.output, "Write to this file instead of standard output");
}

}  // namespace

void RegisterHistoryCommand(CLI::App& app, int& exit_code) {
  CLI::App* history = app.add_subcommand(
      "history",
      "Inspect or export the history an autoscaler stored (metrics, evaluations, decisions)");
  history->require_subcommand(1);

  auto list_opts = std::make_shared<HistoryOptions>();
  CLI::App* list =
      history->add_subcommand("list", "List the autoscalers in a store file (and their series)");
  AddStoreOptions(list, *list_opts);
  list->add_flag("--series", list_opts->series,
                 "Also list each autoscaler's metric series (points, first and last time), its "
                 "evaluation and decision counts, and the file's size");
  list->callback([list_opts, &exit_code] { exit_code = RunList(*list_opts); });

  auto show_opts = std::make_shared<HistoryOptions>();
  CLI::App* show = history->add_subcommand(
      "show", "Print one autoscaler's series or rows for a time window as a table");
  AddStoreOptions(show, *show_opts);
  AddSeriesOptions(show, *show_opts);
  show->add_option("--format,-f", show_opts->format, "Output format")
      ->check(CLI::IsMember({"table", "csv"}))
      ->capture_default_str();
  show->callback(
      [show_opts, &exit_code] { exit_code = RunShow(*show_opts, show_opts->format == "csv"); });

  auto export_opts = std::make_shared<HistoryOptions>();
  CLI::App* exporter = history->add_subcommand(
      "export",
      "Write one autoscaler's series or rows for a time window as CSV (header row; times as RFC "
      "3339 UTC and Unix milliseconds), e.g. to tune a model offline");
  AddStoreOptions(exporter, *export_opts);
  AddSeriesOptions(exporter, *export_opts);
  exporter->callback([export_opts, &exit_code] { exit_code = RunShow(*export_opts, true); });

  RegisterHistoryImportCommand(history, exit_code);  // history_import_command.cpp
}

}  // namespace cpa::cli
