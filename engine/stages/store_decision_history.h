// Downscale stabilization backed by the history store: the window is read from the evaluations
// the record step persisted (store::MaxEvaluatedTarget), so it survives a restart. Add() is a
// no-op because the record step writes the run's evaluation. Thread-safe (the Store is).
#pragma once

#include <string>

#include "engine/stages/decision_history.h"
#include "store/store.h"

namespace cpa::engine {

class StoreDecisionHistory final : public DecisionHistory {
 public:
  StoreDecisionHistory(store::Store& store, std::string autoscaler_id)
      : store_(store), id_(std::move(autoscaler_id)) {}
  void Add(TimePoint, int) override {}
  Result<std::optional<int>> MaxInWindow(TimePoint now, Duration window) override;

 private:
  store::Store& store_;
  std::string id_;
};

}  // namespace cpa::engine
