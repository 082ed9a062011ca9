// The operator's HTTP endpoints: GET /healthz (alive), GET /readyz (200 once the informers have
// listed and, with leader election, on every replica: a standby is ready to take over) and
// GET /metrics (Prometheus text format, see MetricsText()).
//
// Start() binds `host:port` (port 0 = ephemeral) and serves on a background thread until Stop()
// or destruction. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/error.h"
#include "operator/controller.h"

namespace httplib {
class Server;
}

namespace cpa::op {

// The Prometheus exposition of a stats snapshot.
std::string MetricsText(const ControllerStats& stats);

class HealthServer {
 public:
  explicit HealthServer(std::function<ControllerStats()> stats);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  Status Start(const std::string& host, int port);
  void Stop();
  int port() const { return port_; }

 private:
  std::function<ControllerStats()> stats_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace cpa::op
