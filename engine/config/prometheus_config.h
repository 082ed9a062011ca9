// Parsing of the config's Prometheus keys (docs/prometheus.md): the top-level `prometheus`
// server section and `store.backfill`, with validation naming each key. Called by the config
// loader once per load; not thread-safe (writes into the Config being built).
#pragma once

#include "engine/config/config.h"
#include "engine/config/json_reader.h"

namespace cpa::config {

// Reads `prometheus` and `store.backfill` from the top-level reader into `config`, and checks
// that every Prometheus metric spec of kubernetesMetricSpecs has a server to query.
void ParsePrometheusSections(JsonReader& top, Config& config);

// JSON of the effective config's Prometheus keys (for `cpa config validate`).
void PrometheusSectionsToJson(const Config& config, JsonValue& doc, JsonAllocator& a);

}  // namespace cpa::config
