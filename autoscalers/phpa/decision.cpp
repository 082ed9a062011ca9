#include "autoscalers/phpa/decision.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cpa::phpa {

int Combine(DecisionType type, int hpa_replicas, const std::vector<ModelOutcome>& models) {
  std::vector<int> values = {hpa_replicas};
  for (const ModelOutcome& m : models) {
    if (m.replicas) values.push_back(*m.replicas);
  }
  switch (type) {
    case DecisionType::kMaximum:
      return *std::max_element(values.begin(), values.end());
    case DecisionType::kMinimum:
      return *std::min_element(values.begin(), values.end());
    case DecisionType::kMean: {
      int64_t sum = 0;
      for (int v : values) sum += v;
      const auto n = static_cast<int64_t>(values.size());
      return static_cast<int>((sum + n - 1) / n);
    }
    case DecisionType::kMedian: {
      std::sort(values.begin(), values.end());
      const size_t n = values.size();
      if (n % 2 == 1) return values[n / 2];
      const int64_t sum = static_cast<int64_t>(values[n / 2 - 1]) + values[n / 2];
      return static_cast<int>((sum + 1) / 2);
    }
  }
  return hpa_replicas;
}

JsonDocument AuditToJson(const Audit& audit) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("hpaReplicas", audit.hpa_replicas, a);
  if (audit.learned) {
    doc.AddMember("learned", *audit.learned, a);
  } else {
    doc.AddMember("learned", JsonValue(), a);
  }
  doc.AddMember("decisionType", JsonString(DecisionTypeName(audit.decision_type), a), a);
  doc.AddMember("decision", audit.decision, a);
  JsonValue models(rapidjson::kArrayType);
  for (const ModelOutcome& m : audit.models) {
    JsonValue o(rapidjson::kObjectType);
    o.AddMember("name", JsonString(m.name, a), a);
    o.AddMember("type", JsonString(m.type == ModelType::kLinear ? "Linear" : "HoltWinters", a), a);
    if (m.prediction && std::isfinite(*m.prediction)) {
      o.AddMember("prediction", *m.prediction, a);
    } else {
      o.AddMember("prediction", JsonValue(), a);
    }
    if (m.replicas) {
      o.AddMember("replicas", *m.replicas, a);
    } else {
      o.AddMember("replicas", JsonValue(), a);
    }
    o.AddMember("historyPoints", m.history_points, a);
    o.AddMember("abstained", JsonString(m.reason, a), a);
    o.AddMember("note", JsonString(m.note, a), a);
    if (m.params) {
      o.AddMember("alpha", m.params->alpha, a);
      o.AddMember("beta", m.params->beta, a);
      o.AddMember("gamma", m.params->gamma, a);
    }
    models.PushBack(o, a);
  }
  doc.AddMember("models", models, a);
  return doc;
}

std::string AuditSummary(const Audit& audit) {
  std::string out = fmt::format("hpa={}", audit.hpa_replicas);
  for (const ModelOutcome& m : audit.models) {
    if (m.replicas) {
      out += fmt::format(", {}={} (prediction {:.3f})", m.name, *m.replicas, *m.prediction);
    } else {
      out += fmt::format(", {} abstained ({})", m.name, m.reason);
    }
    if (!m.note.empty() && !m.replicas) continue;
    if (!m.note.empty()) out += fmt::format(" [{}]", m.note);
  }
  out += fmt::format(" -> {} {}", DecisionTypeName(audit.decision_type), audit.decision);
  return out;
}

}  // namespace cpa::phpa
