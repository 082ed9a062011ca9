// Options of the predictive evaluator (`evaluate: {type: phpa, phpa: {...}}`): the prediction
// models and how their predictions and the HPA's own result are combined.
//
// The model keys are those of the original Predictive HPA (an original `models[]` /
// `decisionType` block loads unchanged); keys marked "ours" are additions. The HPA keys of the
// same block (`metrics`, `behavior`, `tolerance`, ...) belong to the hpa evaluator and are left to
// its parser. ParsePhpaOptions collects every problem with its key path (`phpa.models[0].
// holtWinters.alpha`), never stopping at the first. Plain values; copyable; thread-safe to read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/config/config.h"
#include "engine/config/config_issues.h"
#include "engine/config/json_reader.h"
#include "models/holt_winters.h"

namespace cpa::phpa {

enum class ModelType { kLinear, kHoltWinters };
enum class DecisionType { kMaximum, kMinimum, kMean, kMedian };
// How the runs a model skips (perSyncPeriod > 1) become one model point (ours).
enum class Aggregation { kMean, kMax, kLast };
// What the models learn, one value per run (ours):
//   kHpaReplicas  the HPA's computed replica count (as the original);
//   kLoad         the metric's total usage across pods divided by the per-pod target: the replica
//                 count the load needs, independent of the autoscaler's own past decisions.
enum class LearnSource { kHpaReplicas, kLoad };

std::string_view DecisionTypeName(DecisionType type);
std::string_view AggregationName(Aggregation aggregation);
std::string_view LearnSourceName(LearnSource source);

struct LinearOptions {
  int history_size = 0;       // historySize: newest model points fitted (required, >= 1)
  int64_t look_ahead_ms = 0;  // lookAhead: predict this many ms after the newest point
};

struct HoltWintersModelOptions {
  // alpha/beta/gamma, trend/seasonal/damping, seasonalPeriods, initialization and initial values
  // as models/ takes them. Parameters the config omits are unset in `configured_*`.
  models::HoltWintersOptions model;
  std::optional<double> configured_alpha;
  std::optional<double> configured_beta;
  std::optional<double> configured_gamma;
  int stored_seasons = 4;  // storedSeasons: seasons of history kept and fitted
  int look_ahead = 1;      // lookAhead (ours): forecast this many runs ahead (>= 1)
  // runtimeTuningFetchHook: asked for {alpha, beta, gamma} before each prediction.
  std::optional<config::MethodConfig> runtime_tuning_fetch_hook;
};

struct ModelOptions {
  ModelType type = ModelType::kHoltWinters;
  std::string name;
  int per_sync_period = 1;             // perSyncPeriod: one model point per this many runs
  int64_t calculation_timeout_ms = 0;  // calculationTimeout: accepted; in-process models ignore it
  int64_t start_interval_ms = 0;       // startInterval: history starts at a multiple of this
  int64_t reset_duration_ms = 0;       // resetDuration: a gap longer than this clears history
  Aggregation aggregation = Aggregation::kMax;  // aggregation (ours)
  std::optional<LinearOptions> linear;
  std::optional<HoltWintersModelOptions> holt_winters;

  // Model points of history the model keeps (HW: storedSeasons * seasonalPeriods; linear:
  // historySize).
  int HistoryPoints() const;
};

struct PhpaOptions {
  std::vector<ModelOptions> models;
  DecisionType decision_type = DecisionType::kMaximum;
  LearnSource learn = LearnSource::kHpaReplicas;
};

// Parses the model part of a `phpa` block. Keys this parser does not own (the HPA's) are marked
// known only when listed in `foreign_keys`, so typos still warn. `path` is the block's key path.
PhpaOptions ParsePhpaOptions(const JsonValue& block, const std::string& path,
                             config::ConfigIssues& issues,
                             std::span<const std::string_view> foreign_keys = {});

// Reads the model keys of a `phpa` block into `options` through a reader the caller owns (the
// evaluator reads the HPA keys with the same reader, then calls reader.Finish()).
void ReadPhpaFields(config::JsonReader& reader, PhpaOptions& options);

// "60s", "5m", "1h30m", "250ms", "1.5s" (Go durations) or a number of milliseconds.
std::optional<int64_t> ParseDurationMs(const JsonValue& value);

// The HPA keys a `phpa` block may carry beside the model keys.
inline constexpr std::array<std::string_view, 6> kHpaKeys = {"metrics",
                                                             "behavior",
                                                             "tolerance",
                                                             "cpuInitializationPeriod",
                                                             "initialReadinessDelay",
                                                             "downscaleStabilization"};

}  // namespace cpa::phpa
