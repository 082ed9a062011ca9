// `store.backfill` (docs/prometheus.md): before `cpa run` starts an autoscaler whose evaluator is
// phpa, fill the model history its store lacks from a Prometheus range query, once.
//
// Wiring only: how much history the models need comes from the phpa library (each model's
// RawPointsNeeded x interval), which range is missing and the import from the prometheus
// library. Failures are logged and the autoscaler starts anyway (with the history it has).
#include <fmt/format.h>

#include "autoscalers/phpa/phpa_evaluator.h"
#include "autoscalers/phpa/predictor.h"
#include "cli/prometheus_backfill.h"
#include "common/log.h"
#include "prometheus/history_import.h"
#include "store/time_text.h"

namespace cpa::cli {

void BackfillFromPrometheus(const config::Config& c, store::Store& store, Clock& clock) {
  if (!c.store_backfill || !c.prometheus || !c.scale_target_ref) return;
  const std::string id = c.namespace_ + "/" + c.scale_target_ref->name;
  if (c.evaluate.type != "phpa") {
    log::Warning(
        "store.backfill of {}: ignored, evaluate.type is {} (backfill fills the phpa "
        "models' history)",
        id, c.evaluate.type);
    return;
  }
  auto options = phpa::LoadPhpaEvaluatorOptions(c.evaluate.options_json, "evaluate.phpa", c);
  if (!options) {
    log::Warning("store.backfill of {}: {}", id, options.error().message);
    return;
  }
  phpa::PredictorOptions predictor_options{options->phpa, c.interval_ms, id, nullptr};
  auto predictor = phpa::Predictor::CreateWithFetcher(predictor_options, nullptr);
  int64_t needed_points = 0;
  for (const auto& m : predictor->models()) {
    needed_points = std::max(needed_points, m.RawPointsNeeded());
  }
  const auto& b = *c.store_backfill;
  const auto step = std::chrono::milliseconds(b.step_ms > 0 ? b.step_ms : c.interval_ms);
  const Duration needed = std::chrono::milliseconds(needed_points * c.interval_ms);
  const store::SeriesRef series = phpa::Predictor::HistorySeries(id, options->phpa.learn);
  const TimePoint now = clock.Now();
  auto missing = prometheus::BackfillPlan(store, series, now, needed, step);
  if (!missing) {
    log::Warning("store.backfill of {}: cannot read the store: {}", id, missing.error().ToString());
    return;
  }
  if (!*missing) {
    log::Info("store.backfill of {}: the store already holds the {} the models need", id,
              fmt::format("{}s", std::chrono::duration_cast<std::chrono::seconds>(needed).count()));
    return;
  }
  auto client = prometheus::Client::Create(*c.prometheus);
  if (!client) {
    log::Warning("store.backfill of {}: {}", id, client.error().message);
    return;
  }
  auto query = prometheus::RenderQuery(
      b.query, {{"namespace", c.namespace_}, {"target", c.scale_target_ref->name}});
  if (!query) {
    log::Warning("store.backfill of {}: query: {}", id, query.error().message);
    return;
  }
  prometheus::RangeImport import;
  import.query = *query;
  import.start = (*missing)->start;
  import.end = (*missing)->end;
  import.step = step;
  import.rules.aggregation =
      prometheus::ParseAggregation(b.aggregation).value_or(prometheus::Aggregation::kNone);
  import.autoscaler = id;
  import.resource = series.resource;
  import.metric = series.name;
  auto report = prometheus::ImportRange(**client, store, import);
  if (!report) {
    log::Warning(
        "store.backfill of {}: fetching {} .. {} failed, starting with the history the "
        "store has: {}",
        id, store::FormatTime(import.start), store::FormatTime(import.end),
        report.error().ToString());
    return;
  }
  log::Info(
      "store.backfill of {}: fetched {} point(s) of {} from Prometheus ({} .. {}, step "
      "{} ms, {} request(s), {} step(s) without a value)",
      id, report->points, series.name, store::FormatTime(import.start),
      store::FormatTime(import.end), step.count(), report->requests, report->skipped);
}

}  // namespace cpa::cli
