// `cpa history import`: fill a store file from a Prometheus range query (docs/prometheus.md).
//
//   cpa history import --store FILE --autoscaler NS/NAME --series NAME --prometheus URL
//                      --query Q --start T --end T [--step 15s] [--aggregation none]
//
// The range is fetched in requests of at most 11,000 points (Prometheus' limit) and written one
// point per step; the store keeps one point per (series, time), so importing the same range
// twice stores each point once. Thin wiring: the work is prometheus::ImportRange.
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "autoscalers/phpa/predictor.h"
#include "cli/commands.h"
#include "prometheus/history_import.h"
#include "store/sqlite_store.h"
#include "store/time_text.h"

namespace cpa::cli {
namespace {

struct ImportOptions {
  std::string store_path;
  std::string autoscaler;
  std::string series;
  prometheus::ServerConfig server;
  std::vector<std::string> headers;  // "Name: value"
  std::string query;
  std::string start;
  std::string end;
  std::string step = "15s";
  std::string aggregation = "none";
};

// The store series `name` writes to: phpa (learned HPA replicas), phpa:load, or
// metric:NAME[:RESOURCE] (resource "prometheus" when not given).
Result<store::SeriesRef> SeriesOf(const std::string& autoscaler, const std::string& name) {
  if (name == "phpa" || name == "phpa:load") {
    return phpa::Predictor::HistorySeries(
        autoscaler, name == "phpa" ? phpa::LearnSource::kHpaReplicas : phpa::LearnSource::kLoad);
  }
  if (name.starts_with("metric:") && name.size() > 7) {
    const std::string rest = name.substr(7);
    const size_t colon = rest.find(':');
    std::string resource = colon == std::string::npos ? "prometheus" : rest.substr(colon + 1);
    if (resource.empty() || rest.substr(0, colon).empty()) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "--series \"{}\": empty name or resource",
                        name);
    }
    return store::SeriesRef::Metric(autoscaler, resource, rest.substr(0, colon));
  }
  return MakeErrorF(ErrorCode::kInvalidArgument,
                    "--series must be phpa, phpa:load or metric:NAME[:RESOURCE], got \"{}\"", name);
}

int RunImport(ImportOptions opts) {
  auto fail = [](const std::string& message) {
    fmt::print(stderr, "error: {}\n", message);
    return 2;
  };
  auto series = SeriesOf(opts.autoscaler, opts.series);
  if (!series) return fail(series.error().message);
  auto start = store::ParseTime(opts.start);
  if (!start) return fail("--start: " + start.error().message);
  auto end = store::ParseTime(opts.end);
  if (!end) return fail("--end: " + end.error().message);
  auto step = store::ParseDuration(opts.step);
  if (!step || *step <= Duration::zero()) {
    return fail(
        fmt::format("--step: must be a positive duration such as 15s, got \"{}\"", opts.step));
  }
  auto aggregation = prometheus::ParseAggregation(opts.aggregation);
  if (!aggregation) {
    return fail(fmt::format("--aggregation: must be none, sum, avg, max or min, got \"{}\"",
                            opts.aggregation));
  }
  for (const auto& h : opts.headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos) return fail("--header must be \"Name: value\", got " + h);
    std::string value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    opts.server.headers[h.substr(0, colon)] = value;
  }
  auto client = prometheus::Client::Create(opts.server);
  if (!client) return fail(client.error().message);
  store::StoreOptions store_options;
  store_options.path = opts.store_path;
  store_options.max_age = std::chrono::milliseconds(0);  // never trim history from here
  auto store = store::OpenSqliteStore(store_options);
  if (!store) return fail(store.error().ToString());
  prometheus::RangeImport import;
  import.query = opts.query;
  import.start = *start;
  import.end = *end;
  import.step = std::chrono::duration_cast<std::chrono::milliseconds>(*step);
  import.rules.aggregation = *aggregation;
  import.autoscaler = opts.autoscaler;
  import.resource = series->resource;
  import.metric = series->name;
  auto report = prometheus::ImportRange(**client, **store, import);
  if (!report) {
    fmt::print(stderr, "error: import failed: {}\n", report.error().ToString());
    return 1;
  }
  fmt::print("imported {} point(s) into {} series {} ({} request(s), {} step(s) without a value)",
             report->points, opts.autoscaler, opts.series, report->requests, report->skipped);
  if (report->first) {
    fmt::print(", {} .. {}", store::FormatTime(*report->first), store::FormatTime(*report->last));
  }
  fmt::print("\n");
  return 0;
}

}  // namespace

void RegisterHistoryImportCommand(CLI::App* history, int& exit_code) {
  auto opts = std::make_shared<ImportOptions>();
  CLI::App* cmd = history->add_subcommand(
      "import",
      "Fill a store file from a Prometheus range query (chunked to 11,000 points per request; "
      "importing a range twice stores each point once)");
  cmd->add_option("--store,-s", opts->store_path, "Store file (created when missing)")->required();
  cmd->add_option("--autoscaler,-a", opts->autoscaler, "Autoscaler id, namespace/name")->required();
  cmd->add_option("--series", opts->series,
                  "Where the points go: phpa (the phpa evaluator's learned HPA replicas), "
                  "phpa:load (its learned load), or metric:NAME[:RESOURCE] (resource default: "
                  "prometheus)")
      ->required();
  cmd->add_option("--prometheus", opts->server.address,
                  "Prometheus address, e.g. http://prometheus:9090")
      ->required();
  cmd->add_option("--query,-q", opts->query, "PromQL expression")->required();
  cmd->add_option("--start", opts->start, "Range start: RFC 3339 or Unix milliseconds")->required();
  cmd->add_option("--end", opts->end, "Range end (inclusive): RFC 3339 or Unix milliseconds")
      ->required();
  cmd->add_option("--step", opts->step, "Resolution: 15s, 1m, ...")->capture_default_str();
  cmd->add_option("--aggregation", opts->aggregation,
                  "How several series at one step become one value: none (more than one is an "
                  "error), sum, avg, max, min")
      ->capture_default_str();
  cmd->add_option("--bearer-token-file", opts->server.bearer_token_file,
                  "File with a bearer token for Prometheus");
  cmd->add_option("--header", opts->headers, "Extra request header \"Name: value\" (repeatable)");
  cmd->add_option("--ca-file", opts->server.ca_file, "PEM CA bundle for an https address");
  cmd->add_option("--timeout", opts->server.timeout_ms, "Per-request timeout, milliseconds")
      ->capture_default_str();
  cmd->callback([opts, &exit_code] { exit_code = RunImport(*opts); });
}

}  // namespace cpa::cli
