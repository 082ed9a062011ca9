// The phpa decision and its audit: the HPA's own result and the predictions of the models that
// take part, combined by decisionType (before behavior and min/max, which the HPA's
// normalization applies afterwards).
//
// maximum / minimum: the largest / smallest value; mean: ceil of the mean; median: the middle
// value, ceil of the mean of the two middle values for an even count. Models that abstain (warming
// up, failed) are left out, never counted as 0. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "autoscalers/phpa/model_runner.h"
#include "autoscalers/phpa/phpa_options.h"
#include "common/json.h"

namespace cpa::phpa {

int Combine(DecisionType type, int hpa_replicas, const std::vector<ModelOutcome>& models);

// What one phpa run decided and why.
struct Audit {
  int hpa_replicas = 0;              // the HPA's raw proposal
  std::optional<double> learned;     // the value the models learned this run
  std::vector<ModelOutcome> models;  // every model: its prediction or why it abstained
  DecisionType decision_type = DecisionType::kMaximum;
  int decision = 0;  // Combine(...), before behavior and min/max
};

// {"hpaReplicas", "learned", "decisionType", "decision", "models": [{"name", "type",
//  "prediction", "replicas", "historyPoints", "abstained", "note", "alpha", "beta", "gamma"}]}
JsonDocument AuditToJson(const Audit& audit);
// One log line: "hpa=3 models: hw=5 (pred 4.62), lin abstained (warming up: ...) -> maximum 5".
std::string AuditSummary(const Audit& audit);

}  // namespace cpa::phpa
