// Test fixture: a real Prometheus server (Debian's `prometheus` binary) on a free loopback port
// with a temporary data directory, optional history written with `promtool tsdb
// create-blocks-from openmetrics` before it starts, and a tiny exporter it scrapes every second.
//
// Start() is bounded in time (it fails if /-/ready does not answer 200 within the limit); Stop()
// (also run by the destructor) sends SIGTERM, waits a bounded time, then SIGKILLs and reaps.
// Not thread-safe; one per test.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"

namespace httplib {
class Server;
}

namespace cpa::testing_prometheus {

// A loopback HTTP server answering GET /metrics with the text set by Set() (Prometheus text
// format). Port 0: the kernel picks one.
class Exporter {
 public:
  Exporter();
  ~Exporter();
  Status Start();
  void Stop();
  int port() const { return port_; }
  void Set(std::string text);

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string text_;
};

struct ServerOptions {
  std::string openmetrics;  // history (OpenMetrics text ending in "# EOF"); empty: none
  int exporter_port = 0;    // scraped every second when non-zero (job "exporter")
  std::chrono::seconds ready_timeout{90};
};

class PrometheusServer {
 public:
  explicit PrometheusServer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~PrometheusServer() { Stop(); }
  Status Start(const ServerOptions& options);
  void Stop();
  // "http://127.0.0.1:<port>"
  std::string url() const;
  int port() const { return port_; }
  std::string Log() const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A free loopback TCP port (bound to port 0, read back, closed).
int FreePort();
// Runs a command to completion (bounded); returns its exit code, output in `output`.
int RunCommand(const std::vector<std::string>& args, const std::filesystem::path& log,
               std::chrono::seconds limit);

}  // namespace cpa::testing_prometheus
