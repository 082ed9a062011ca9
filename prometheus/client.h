// A client of the Prometheus HTTP API: instant queries (/api/v1/query) and range queries
// (/api/v1/query_range), over the project's HTTP stack (kube::Transport: keep-alive pool, TLS,
// bearer-token file re-read on change).
//
// Built from a ServerConfig; every call is bounded by its timeout and by ResponseLimits. Errors
// are values: kUnavailable (server down, 5xx, timeout of the query engine), kDeadlineExceeded
// (no reply in time), kInvalidArgument (bad query, unparsable reply). Thread-safe: any thread may
// query concurrently. Owns its transport.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "prometheus/response.h"
#include "prometheus/server_config.h"

namespace cpa::kube {
class Transport;
}

namespace cpa::prometheus {

// Prometheus refuses range queries of more than this many points per series.
inline constexpr int64_t kMaxPointsPerQuery = 11000;

class Client {
 public:
  static Result<std::unique_ptr<Client>> Create(const ServerConfig& config,
                                                ResponseLimits limits = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Instant query at `time` (unset: the server's now).
  Result<QueryResult> Query(std::string_view query, std::optional<TimePoint> time = std::nullopt);
  // Range query over [start, end] at `step` (one request: the caller keeps the point count
  // <= kMaxPointsPerQuery; see QueryRangeChunked).
  Result<QueryResult> QueryRange(std::string_view query, TimePoint start, TimePoint end,
                                 std::chrono::milliseconds step);

  const ServerConfig& config() const { return config_; }

 private:
  Client(ServerConfig config, ResponseLimits limits);
  Result<QueryResult> Get(const std::string& path_and_query);

  ServerConfig config_;
  ResponseLimits limits_;
  std::string prefix_;  // path prefix of the address ("" or "/prometheus")
  std::unique_ptr<kube::Transport> transport_;
};

// Prometheus' time parameter form: seconds since the epoch with milliseconds ("1700000000.25").
std::string TimeParam(TimePoint t);

}  // namespace cpa::prometheus
