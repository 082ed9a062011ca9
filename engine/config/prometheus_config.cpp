#include "engine/config/prometheus_config.h"

#include <fmt/format.h>

#include "prometheus/query_value.h"

namespace cpa::config {

void ParsePrometheusSections(JsonReader& top, Config& config) {
  ConfigIssues& issues = top.issues();
  if (const JsonValue* v = top.Get("prometheus")) {
    JsonReader r(*v, "prometheus", issues);
    if (r.Valid()) {
      prometheus::ServerConfig server;
      r.Required("address");
      r.String("address", server.address);
      r.String("bearerTokenFile", server.bearer_token_file);
      r.StringMap("headers", server.headers);
      r.String("caFile", server.ca_file);
      r.Bool("insecureSkipVerify", server.insecure_skip_verify);
      r.Int("timeout", server.timeout_ms);
      r.Finish();
      if (r.Has("address")) {
        for (const auto& p : server.Validate()) issues.Error("prometheus." + p.field, p.message);
      }
      config.prometheus = std::move(server);
    }
  }
  if (const JsonValue* store = top.Get("store"); store != nullptr && store->IsObject()) {
    if (const JsonValue* v = FindMember(*store, "backfill"); v != nullptr && !v->IsNull()) {
      JsonReader r(*v, "store.backfill", issues);
      if (r.Valid()) {
        BackfillConfig backfill;
        r.Required("query");
        r.String("query", backfill.query);
        r.Int("step", backfill.step_ms);
        r.String("aggregation", backfill.aggregation);
        r.Finish();
        if (r.Has("query")) {
          if (backfill.query.empty()) {
            issues.Error("store.backfill.query", "must not be empty");
          } else if (auto names = prometheus::Placeholders(backfill.query); !names) {
            issues.Error("store.backfill.query", names.error().message);
          } else {
            for (const auto& name : *names) {
              if (name == "pod") {
                issues.Error("store.backfill.query",
                             "{{pod}} cannot be used here (the history is the target's)");
              }
            }
          }
        }
        if (backfill.step_ms < 0) {
          issues.Error(
              "store.backfill.step",
              fmt::format("must be >= 0 (milliseconds; 0 = interval), got {}", backfill.step_ms));
        }
        if (!prometheus::ParseAggregation(backfill.aggregation)) {
          issues.Error("store.backfill.aggregation",
                       fmt::format("must be one of none, sum, avg, max, min, got \"{}\"",
                                   backfill.aggregation));
        }
        if (!config.prometheus) {
          issues.Error("store.backfill", "needs the top-level prometheus section (its server)");
        }
        config.store_backfill = std::move(backfill);
      }
    }
  }
  if (!config.prometheus && !config.evaluate.options_json.empty()) {
    // Built-in evaluators (hpa, phpa) keep their block as JSON; their `metrics` are MetricSpecs.
    if (auto block = ParseJson(config.evaluate.options_json)) {
      const JsonValue* metrics = FindMember(*block, "metrics");
      if (metrics != nullptr && metrics->IsArray()) {
        for (rapidjson::SizeType i = 0; i < metrics->Size(); ++i) {
          if (StringMember((*metrics)[i], "type") == "Prometheus") {
            issues.Error(fmt::format("evaluate.{}.metrics[{}]", config.evaluate.type, i),
                         "type Prometheus needs the top-level prometheus section (its server)");
          }
        }
      }
    }
  }
  if (!config.prometheus) {
    for (size_t i = 0; i < config.kubernetes_metric_specs.size(); ++i) {
      if (config.kubernetes_metric_specs[i].prometheus) {
        issues.Error(fmt::format("kubernetesMetricSpecs[{}]", i),
                     "type Prometheus needs the top-level prometheus section (its server)");
      }
    }
  }
}

void PrometheusSectionsToJson(const Config& config, JsonValue& doc, JsonAllocator& a) {
  if (config.prometheus) {
    const auto& p = *config.prometheus;
    JsonValue out(rapidjson::kObjectType);
    out.AddMember("address", JsonString(p.address, a), a);
    out.AddMember("bearerTokenFile", JsonString(p.bearer_token_file, a), a);
    JsonValue headers(rapidjson::kObjectType);
    for (const auto& [k, v] : p.headers) headers.AddMember(JsonString(k, a), JsonString(v, a), a);
    out.AddMember("headers", headers, a);
    out.AddMember("caFile", JsonString(p.ca_file, a), a);
    out.AddMember("insecureSkipVerify", p.insecure_skip_verify, a);
    out.AddMember("timeout", p.timeout_ms, a);
    doc.AddMember("prometheus", out, a);
  }
  if (config.store_backfill) {
    JsonValue* store = nullptr;
    if (auto it = doc.FindMember("store"); it != doc.MemberEnd()) store = &it->value;
    if (store != nullptr && store->IsObject()) {
      JsonValue b(rapidjson::kObjectType);
      b.AddMember("query", JsonString(config.store_backfill->query, a), a);
      b.AddMember("step", config.store_backfill->step_ms, a);
      b.AddMember("aggregation", JsonString(config.store_backfill->aggregation, a), a);
      store->AddMember("backfill", b, a);
    }
  }
}

}  // namespace cpa::config
