// The Prometheus server an autoscaler queries: the config's top-level `prometheus` section.
//
// One section per autoscaler, shared by every Prometheus query it makes (metric specs of
// kubernetesMetricSpecs, hpa.metrics, phpa.metrics, store.backfill). Defaults are in the struct;
// Validate() lists every problem naming the key under `prometheus`. Plain value; copyable.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cpa::prometheus {

struct ServerConfig {
  // "http://prometheus:9090" or "https://host/prefix" (a path prefix is kept for every request).
  std::string address;
  // File holding a bearer token sent as "Authorization: Bearer <token>"; re-read when it changes.
  std::string bearer_token_file;
  // Extra request headers (e.g. X-Scope-OrgID for Thanos/Cortex/Mimir tenants).
  std::map<std::string, std::string> headers;
  // PEM CA bundle trusted for an https address (default: the system trust store).
  std::string ca_file;
  // Skip verification of the server's certificate. Off by default; for tests only.
  bool insecure_skip_verify = false;
  // Per-request timeout, milliseconds.
  int64_t timeout_ms = 5000;

  struct Problem {
    std::string field;  // key under `prometheus`, e.g. "address"
    std::string message;
  };
  // Empty when usable. Does not touch the network; checks that the files are readable.
  std::vector<Problem> Validate() const;
};

}  // namespace cpa::prometheus
