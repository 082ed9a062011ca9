// Predictor: the prediction half of the phpa evaluator — every configured model, their history
// in the store, and the decision over the HPA's result and the models' predictions.
//
// Each run records the learned value (the HPA's replica count, or the load in replicas; see
// PhpaOptions::learn) in the store as the metric series `HistorySeries()` and feeds it to every
// model. On the first run it reloads that series (as much as the models keep), so a restart keeps
// the history. A failing store write is logged and the run goes on with the history in memory.
// Not thread-safe: one autoscaler's runs are serialized by the engine. The store must outlive it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autoscalers/phpa/decision.h"
#include "autoscalers/phpa/model_runner.h"
#include "autoscalers/phpa/phpa_options.h"
#include "store/store.h"

namespace cpa::phpa {

struct PredictorOptions {
  PhpaOptions phpa;
  int64_t interval_ms = 15000;    // the autoscaler's `interval`
  std::string autoscaler;         // store id, "namespace/name"
  store::Store* store = nullptr;  // null: history in memory only (lost on restart)
};

class Predictor {
 public:
  // Creates the models and their runtimeTuningFetchHook methods.
  static Result<std::unique_ptr<Predictor>> Create(PredictorOptions options);
  // Same, with `fetcher` used for every model that has a runtimeTuningFetchHook (tests).
  static std::unique_ptr<Predictor> CreateWithFetcher(PredictorOptions options,
                                                      TuningFetcher* fetcher);

  // One run at `now`: unless `dry_run`, records `learned` (when set) and feeds the models; then
  // every model predicts and the decision combines them with `hpa_replicas`.
  Audit Run(TimePoint now, int hpa_replicas, std::optional<double> learned, bool dry_run = false);

  const std::vector<ModelRunner>& models() const { return models_; }
  const PredictorOptions& options() const { return options_; }

  // resource "phpa", metric "learned:hpaReplicas" or "learned:load".
  static store::SeriesRef HistorySeries(const std::string& autoscaler, LearnSource learn);

 private:
  explicit Predictor(PredictorOptions options) : options_(std::move(options)) {}
  void LoadHistory(TimePoint now);

  PredictorOptions options_;
  std::vector<std::unique_ptr<TuningFetcher>> fetchers_;
  std::vector<ModelRunner> models_;
  bool loaded_ = false;
};

}  // namespace cpa::phpa
