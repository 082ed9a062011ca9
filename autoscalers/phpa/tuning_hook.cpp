#include "autoscalers/phpa/tuning_hook.h"

#include <cmath>

#include <fmt/format.h>

#include "common/json.h"
#include "engine/methods/method_registry.h"

namespace cpa::phpa {

Result<TunedParams> ParseTuningReply(std::string_view reply) {
  auto doc = ParseJson(reply);
  if (!doc || !doc->IsObject()) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "reply must be a JSON object {{\"alpha\", \"beta\", \"gamma\"}}, got {}",
                      engine::QuoteForError(reply));
  }
  TunedParams params;
  for (auto [key, out] : {std::pair<const char*, std::optional<double>*>{"alpha", &params.alpha},
                          {"beta", &params.beta},
                          {"gamma", &params.gamma}}) {
    const JsonValue* v = FindMember(*doc, key);
    if (v == nullptr || v->IsNull()) continue;
    if (!v->IsNumber() || !(v->GetDouble() >= 0.0 && v->GetDouble() <= 1.0)) {
      return MakeErrorF(ErrorCode::kInvalidArgument,
                        "reply field {} must be a number in [0, 1], got {} (reply {})", key,
                        ToJson(*v), engine::QuoteForError(reply));
    }
    *out = v->GetDouble();
  }
  return params;
}

Result<std::unique_ptr<MethodTuningFetcher>> MethodTuningFetcher::Create(
    const config::MethodConfig& hook, std::string_view name) {
  auto method = engine::CreateMethod(hook, name);
  if (!method) return std::unexpected(method.error());
  return std::make_unique<MethodTuningFetcher>(std::move(*method));
}

Result<TunedParams> MethodTuningFetcher::Fetch(const ModelOptions& model,
                                               std::span<const Point> history) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  JsonValue m(rapidjson::kObjectType);
  m.AddMember("name", JsonString(model.name, a), a);
  m.AddMember("type", JsonString(model.type == ModelType::kLinear ? "Linear" : "HoltWinters", a),
              a);
  m.AddMember("perSyncPeriod", model.per_sync_period, a);
  if (model.holt_winters) {
    const auto& hw = *model.holt_winters;
    JsonValue h(rapidjson::kObjectType);
    if (hw.configured_alpha) h.AddMember("alpha", *hw.configured_alpha, a);
    if (hw.configured_beta) h.AddMember("beta", *hw.configured_beta, a);
    if (hw.configured_gamma) h.AddMember("gamma", *hw.configured_gamma, a);
    h.AddMember("trend", JsonString(models::TrendName(hw.model.trend), a), a);
    h.AddMember("seasonal", JsonString(models::SeasonalName(hw.model.seasonal), a), a);
    h.AddMember("seasonalPeriods", hw.model.season_length, a);
    h.AddMember("storedSeasons", hw.stored_seasons, a);
    h.AddMember("dampedTrend", hw.model.damped, a);
    h.AddMember("lookAhead", hw.look_ahead, a);
    m.AddMember("holtWinters", h, a);
  }
  doc.AddMember("model", m, a);
  JsonValue rows(rapidjson::kArrayType);
  rows.Reserve(static_cast<rapidjson::SizeType>(history.size()), a);
  for (const Point& p : history) {
    JsonValue row(rapidjson::kObjectType);
    row.AddMember("time", JsonString(FormatRfc3339(p.time), a), a);
    row.AddMember("replicas", p.value, a);
    rows.PushBack(row, a);
  }
  doc.AddMember("replicaHistory", rows, a);
  auto reply = method_->Call(ToJson(doc), {});
  if (!reply) return std::unexpected(reply.error());
  return ParseTuningReply(*reply);
}

}  // namespace cpa::phpa
