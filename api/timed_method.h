// A Method decorator that reports each call's duration and result to the MetricsRegistry
// (cpa_method_call_duration_seconds{autoscaler, method, result}).
//
// Wiring: create the metric/evaluate methods with engine::CreateMethod, wrap them, and hand them
// to Autoscaler::Create through AutoscalerOptions::metric / ::evaluate. The inner Method's output
// and errors pass through unchanged. Thread-safe when the inner Method is; the registry must
// outlive it.
#pragma once

#include <memory>
#include <string>

#include "api/metrics_registry.h"
#include "engine/methods/method.h"

namespace cpa::api {

class TimedMethod final : public engine::Method {
 public:
  TimedMethod(std::unique_ptr<engine::Method> inner, MetricsRegistry& metrics,
              std::string autoscaler_id, std::string method_name)
      : inner_(std::move(inner)),
        metrics_(metrics),
        autoscaler_id_(std::move(autoscaler_id)),
        method_name_(std::move(method_name)) {}

  Result<std::string> Call(std::string_view input, std::stop_token stop) override {
    auto started = std::chrono::steady_clock::now();
    auto out = inner_->Call(input, stop);
    metrics_.ObserveMethodCall(autoscaler_id_, method_name_, out.has_value(),
                               std::chrono::steady_clock::now() - started);
    return out;
  }

 private:
  std::unique_ptr<engine::Method> inner_;
  MetricsRegistry& metrics_;
  std::string autoscaler_id_;
  std::string method_name_;
};

}  // namespace cpa::api
