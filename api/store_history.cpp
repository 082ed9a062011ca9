#include "api/store_history.h"

#include <algorithm>

namespace cpa::api {
namespace {

void AddTime(JsonValue& item, TimePoint t, JsonAllocator& a) {
  int64_t ms = ToUnixMillis(t);
  std::string text = FormatRfc3339(t);
  text.insert(text.size() - 1, fmt::format(".{:03}", ((ms % 1000) + 1000) % 1000));
  item.AddMember("time", JsonString(text, a), a);
  item.AddMember("unixMs", ms, a);
}

template <typename T>
void AddOptional(JsonValue& item, const char* key, const std::optional<T>& v, JsonAllocator& a) {
  if (v) {
    item.AddMember(rapidjson::StringRef(key), *v, a);
  } else {
    item.AddMember(rapidjson::StringRef(key), JsonValue(), a);
  }
}

Result<JsonValue> Metrics(store::Store& s, const HistoryQuery& q, const store::Query& query,
                          JsonAllocator& a) {
  auto series = s.ListSeries(q.autoscaler_id);
  if (!series) return std::unexpected(series.error());
  struct Row {
    store::Sample sample;
    std::string metric;
  };
  std::vector<Row> rows;
  for (const auto& info : *series) {
    auto values =
        s.Values(store::SeriesRef::Metric(q.autoscaler_id, info.resource, info.metric), query);
    if (!values) return std::unexpected(values.error());
    for (auto& v : *values) rows.push_back({std::move(v), info.metric});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& x, const Row& y) { return x.sample.time < y.sample.time; });
  if (q.limit > 0 && rows.size() > q.limit) rows.erase(rows.begin(), rows.end() - q.limit);
  JsonValue items(rapidjson::kArrayType);
  for (const auto& r : rows) {
    JsonValue item(rapidjson::kObjectType);
    AddTime(item, r.sample.time, a);
    item.AddMember("resource", JsonString(r.sample.resource, a), a);
    item.AddMember("metric", JsonString(r.metric, a), a);
    AddOptional(item, "value", r.sample.value, a);
    item.AddMember("text", JsonString(r.sample.text, a), a);
    items.PushBack(item, a);
  }
  return items;
}

}  // namespace

HistoryProvider MakeStoreHistoryProvider(std::map<std::string, store::Store*> stores,
                                         Clock& clock) {
  return [stores = std::move(stores), &clock](const HistoryQuery& q) -> Result<std::string> {
    auto it = stores.find(q.autoscaler_id);
    if (it == stores.end() || it->second == nullptr) {
      return MakeErrorF(ErrorCode::kNotFound, "no stored history for autoscaler {}",
                        q.autoscaler_id);
    }
    store::Store& s = *it->second;
    store::Query query;
    query.window.from = q.from.value_or(store::Window::All().from);
    query.window.to = q.to.value_or(clock.Now() + std::chrono::milliseconds(1));
    query.last = q.limit;
    JsonDocument doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    doc.AddMember("autoscaler", JsonString(q.autoscaler_id, a), a);
    doc.AddMember("kind", JsonString(HistoryKindName(q.kind), a), a);
    JsonValue items(rapidjson::kArrayType);
    switch (q.kind) {
      case HistoryKind::kMetrics: {
        auto m = Metrics(s, q, query, a);
        if (!m) return std::unexpected(m.error());
        items = std::move(*m);
        break;
      }
      case HistoryKind::kEvaluations: {
        auto rows = s.Evaluations(q.autoscaler_id, query);
        if (!rows) return std::unexpected(rows.error());
        for (const auto& r : *rows) {
          JsonValue item(rapidjson::kObjectType);
          AddTime(item, r.time, a);
          item.AddMember("targetReplicas", r.evaluation.target_replicas, a);
          JsonValue predictions(rapidjson::kObjectType);
          for (const auto& [model, value] : r.evaluation.predictions) {
            predictions.AddMember(JsonString(model, a), JsonValue(value), a);
          }
          item.AddMember("predictions", predictions, a);
          items.PushBack(item, a);
        }
        break;
      }
      case HistoryKind::kDecisions: {
        auto rows = s.Decisions(q.autoscaler_id, query);
        if (!rows) return std::unexpected(rows.error());
        for (const auto& r : *rows) {
          const auto& d = r.decision;
          JsonValue item(rapidjson::kObjectType);
          AddTime(item, r.time, a);
          AddOptional(item, "currentReplicas", d.current_replicas, a);
          AddOptional(item, "rawTarget", d.raw_target, a);
          AddOptional(item, "stabilizedTarget", d.stabilized_target, a);
          item.AddMember("applied", d.applied, a);
          item.AddMember("runType", JsonString(d.run_type, a), a);
          item.AddMember("error", JsonString(d.error, a), a);
          items.PushBack(item, a);
        }
        break;
      }
    }
    doc.AddMember("items", items, a);
    return ToJson(doc);
  };
}

}  // namespace cpa::api
