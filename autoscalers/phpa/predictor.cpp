#include "autoscalers/phpa/predictor.h"

#include <fmt/format.h>

#include "autoscalers/phpa/tuning_hook.h"
#include "common/log.h"

namespace cpa::phpa {

store::SeriesRef Predictor::HistorySeries(const std::string& autoscaler, LearnSource learn) {
  return store::SeriesRef::Metric(autoscaler, "phpa",
                                  fmt::format("learned:{}", LearnSourceName(learn)));
}

Result<std::unique_ptr<Predictor>> Predictor::Create(PredictorOptions options) {
  std::unique_ptr<Predictor> p(new Predictor(std::move(options)));
  for (const ModelOptions& model : p->options_.phpa.models) {
    TuningFetcher* fetcher = nullptr;
    if (model.holt_winters && model.holt_winters->runtime_tuning_fetch_hook) {
      auto f = MethodTuningFetcher::Create(
          *model.holt_winters->runtime_tuning_fetch_hook,
          fmt::format("models[{}].holtWinters.runtimeTuningFetchHook", model.name));
      if (!f) return std::unexpected(f.error());
      fetcher = f->get();
      p->fetchers_.push_back(std::move(*f));
    }
    p->models_.emplace_back(model, p->options_.interval_ms, fetcher);
  }
  return p;
}

std::unique_ptr<Predictor> Predictor::CreateWithFetcher(PredictorOptions options,
                                                        TuningFetcher* fetcher) {
  std::unique_ptr<Predictor> p(new Predictor(std::move(options)));
  for (const ModelOptions& model : p->options_.phpa.models) {
    p->models_.emplace_back(model, p->options_.interval_ms, fetcher);
  }
  return p;
}

void Predictor::LoadHistory(TimePoint now) {
  loaded_ = true;
  if (options_.store == nullptr) return;
  int64_t needed = 0;
  for (const ModelRunner& m : models_) needed = std::max(needed, m.RawPointsNeeded());
  if (needed == 0) return;
  store::Query query;
  query.window = store::Window::All();
  query.window.to = now;  // what was recorded before this run
  query.last = static_cast<size_t>(needed);
  auto samples =
      options_.store->Values(HistorySeries(options_.autoscaler, options_.phpa.learn), query);
  if (!samples) {
    log::Warning("phpa {}: cannot read the model history from the store ({}); starting empty",
                 options_.autoscaler, samples.error().ToString());
    return;
  }
  for (const store::Sample& s : *samples) {
    if (!s.value) continue;
    for (ModelRunner& m : models_) m.Observe(s.time, *s.value);
  }
  log::V(1, "phpa {}: {} point(s) of model history loaded", options_.autoscaler, samples->size());
}

Audit Predictor::Run(TimePoint now, int hpa_replicas, std::optional<double> learned, bool dry_run) {
  if (!loaded_) LoadHistory(now);
  Audit audit;
  audit.hpa_replicas = hpa_replicas;
  audit.learned = learned;
  audit.decision_type = options_.phpa.decision_type;
  if (learned && !dry_run) {
    if (options_.store != nullptr) {
      store::RunRecord record;
      record.autoscaler = options_.autoscaler;
      record.time = now;
      const store::SeriesRef series = HistorySeries(options_.autoscaler, options_.phpa.learn);
      record.metrics.push_back(
          store::MetricPoint::FromText(series.resource, series.name, fmt::format("{}", *learned)));
      if (auto st = options_.store->Record(record); !st) {
        log::Warning("phpa {}: cannot record the model history ({}); keeping it in memory",
                     options_.autoscaler, st.error().ToString());
      }
    }
    for (ModelRunner& m : models_) m.Observe(now, *learned);
  }
  for (ModelRunner& m : models_) audit.models.push_back(m.Predict(now));
  audit.decision = Combine(audit.decision_type, hpa_replicas, audit.models);
  return audit;
}

}  // namespace cpa::phpa
