// The REST API (CONTRACTS.md section 4 and docs/api.md): /api/v1 metrics, evaluation, the
// autoscaler list and history; /healthz, /readyz and Prometheus /metrics.
//
// ApiServer serves on its own threads between Start() and Stop() (or destruction). With
// apiConfig.enabled false, Start() opens no port at all. API-triggered runs go through
// Autoscaler::Run, which serializes them with scheduled runs. Stop() cancels runs in flight
// (through their stop token) and joins every thread. The Autoscalers, the MetricsRegistry and
// the providers must outlive the server. Setters only before Start(); port() is thread-safe.
// /healthz and /readyz are answered on the HTTP server's I/O thread, so they answer while every
// worker runs an evaluation; the readiness provider must therefore be quick and thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "api/metrics_registry.h"
#include "common/clock.h"
#include "common/error.h"
#include "engine/autoscaler.h"
#include "engine/config/config.h"

namespace cpa::api {

// GET /readyz: ready when every check is ok.
struct ReadinessCheck {
  std::string name;  // "config", "cluster", "lastRun:default/web", ...
  bool ok = true;
  std::string message;
};
struct Readiness {
  std::vector<ReadinessCheck> checks;
  bool Ready() const;
};
using ReadinessProvider = std::function<Readiness()>;

// GET /api/v1/history: what to read; the provider returns the JSON document to send.
enum class HistoryKind { kMetrics, kEvaluations, kDecisions };
std::string_view HistoryKindName(HistoryKind kind);  // "metrics", "evaluations", "decisions"
struct HistoryQuery {
  std::string autoscaler_id;  // "namespace/name"
  HistoryKind kind = HistoryKind::kMetrics;
  std::optional<TimePoint> from;  // inclusive; none = from the first record
  std::optional<TimePoint> to;    // exclusive; none = up to now
  size_t limit = 0;               // newest `limit` rows (still oldest first); 0 = all
};
// Errors map to statuses: invalid_argument 400, not_found 404, unavailable 503, others 500.
using HistoryProvider = std::function<Result<std::string>(const HistoryQuery&)>;

// The HTTP layer's bounds (api/http_server.h describes how each is enforced).
struct ApiServerLimits {
  size_t max_body_bytes = 64 * 1024;    // larger bodies, chunked or not: 413
  size_t max_header_bytes = 16 * 1024;  // all headers together: 431 (one line: 8 KiB, 400)
  int worker_threads = 8;               // API requests handled at once (probes: on the I/O thread)
  int max_queued_requests = 64;         // waiting for a worker; beyond: 503
  int max_connections = 256;            // beyond: the connection idle longest is closed
  std::chrono::milliseconds read_timeout{5000};  // total to receive one request (and TLS handshake)
  std::chrono::milliseconds write_timeout{5000};       // total to send one response
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle between requests
  int keep_alive_max_requests = 100;
};

class ApiServer {
 public:
  ApiServer(config::ApiConfig config, std::vector<engine::Autoscaler*> autoscalers,
            MetricsRegistry& metrics, ApiServerLimits limits = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Without a readiness provider /readyz reports ready; without a history provider the
  // history routes answer 501.
  void SetReadinessProvider(ReadinessProvider provider) { readiness_ = std::move(provider); }
  void SetHistoryProvider(HistoryProvider provider) { history_ = std::move(provider); }

  // Binds host:port (port 0: any free port) and starts serving. Errors: bad TLS files, port in
  // use, duplicate autoscaler ids. A no-op when the API is disabled.
  Status Start();
  void Stop();
  // The bound port; 0 when not listening.
  int port() const { return port_.load(); }

 private:
  struct Impl;
  config::ApiConfig config_;
  std::vector<engine::Autoscaler*> autoscalers_;
  MetricsRegistry& metrics_;
  ApiServerLimits limits_;
  ReadinessProvider readiness_;
  HistoryProvider history_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<class HttpServer> server_;
  std::stop_source stop_runs_;
  std::atomic<int> port_{0};
};

}  // namespace cpa::api
