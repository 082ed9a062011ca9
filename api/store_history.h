// The history routes' data source: reads an autoscaler's stored metrics, evaluations or
// decisions for a window from its store and renders them as JSON (docs/api.md "History").
//
// MakeStoreHistoryProvider returns an ApiServer::HistoryProvider over a map of autoscaler id ->
// Store (several autoscalers may share one store). Unknown ids are kNotFound. The stores must
// outlive the provider. Thread-safe (the stores are).
#pragma once

#include <map>
#include <string>

#include "api/api_server.h"
#include "store/store.h"

namespace cpa::api {

HistoryProvider MakeStoreHistoryProvider(std::map<std::string, store::Store*> stores,
                                         Clock& clock = SystemClock::Instance());

}  // namespace cpa::api
