// `store.backfill` of `cpa run` (docs/prometheus.md): at start, fills a phpa autoscaler's missing
// model history from Prometheus, once, and logs how much was fetched. Never fails the start:
// problems are logged and the autoscaler runs with the history the store has.
#pragma once

#include "common/clock.h"
#include "engine/config/config.h"
#include "store/store.h"

namespace cpa::cli {

void BackfillFromPrometheus(const config::Config& config, store::Store& store, Clock& clock);

}  // namespace cpa::cli
