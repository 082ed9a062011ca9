#include "prometheus/client.h"

#include <fmt/format.h>

#include "kube/resource.h"
#include "kube/transport.h"

namespace cpa::prometheus {

std::string TimeParam(TimePoint t) {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  return fmt::format("{}.{:03d}", s, ms - s * 1000);
}

Client::Client(ServerConfig config, ResponseLimits limits)
    : config_(std::move(config)), limits_(limits) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Create(const ServerConfig& config, ResponseLimits limits) {
  auto problems = config.Validate();
  if (!problems.empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "prometheus.{}: {}", problems.front().field,
                      problems.front().message);
  }
  std::unique_ptr<Client> c(new Client(config, limits));
  // Split "scheme://authority/prefix" into the server and a path prefix.
  const size_t authority_start = config.address.find("://") + 3;
  const size_t slash = config.address.find('/', authority_start);
  kube::ConnectionConfig conn;
  conn.server = config.address.substr(0, slash);
  if (slash != std::string::npos) {
    c->prefix_ = config.address.substr(slash);
    while (!c->prefix_.empty() && c->prefix_.back() == '/') c->prefix_.pop_back();
  }
  conn.ca_file = config.ca_file;
  conn.insecure_skip_tls_verify = config.insecure_skip_verify;
  conn.token_file = config.bearer_token_file;
  conn.request_timeout = std::chrono::milliseconds(config.timeout_ms);
  conn.connect_timeout = std::min(conn.request_timeout, std::chrono::milliseconds(5000));
  conn.source = "prometheus";
  auto transport = kube::Transport::Create(conn);
  if (!transport) return std::unexpected(transport.error().WithContext("prometheus"));
  c->transport_ = std::move(*transport);
  return c;
}

Result<QueryResult> Client::Get(const std::string& path_and_query) {
  kube::HttpRequest request;
  request.method = "GET";
  request.path = prefix_ + path_and_query;
  request.timeout = std::chrono::milliseconds(config_.timeout_ms);
  for (const auto& [name, value] : config_.headers) request.headers.emplace_back(name, value);
  auto response = transport_->Send(request);
  if (!response) {
    if (response.error().code == ErrorCode::kDeadlineExceeded) {
      return std::unexpected(response.error().WithContext(
          fmt::format("no reply within the timeout of {} ms", config_.timeout_ms)));
    }
    return std::unexpected(response.error());
  }
  return ParseQueryResponse(response->body, response->status, limits_);
}

Result<QueryResult> Client::Query(std::string_view query, std::optional<TimePoint> time) {
  std::string path = "/api/v1/query?query=" + kube::UrlEncode(query);
  if (time) path += "&time=" + TimeParam(*time);
  return Get(path);
}

Result<QueryResult> Client::QueryRange(std::string_view query, TimePoint start, TimePoint end,
                                       std::chrono::milliseconds step) {
  if (step.count() <= 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "step must be > 0, got {} ms", step.count());
  }
  if (end < start) return MakeError(ErrorCode::kInvalidArgument, "end is before start");
  const int64_t points =
      std::chrono::duration_cast<std::chrono::milliseconds>(end - start) / step + 1;
  if (points > kMaxPointsPerQuery) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "a range of {} points exceeds Prometheus' {} points per query", points,
                      kMaxPointsPerQuery);
  }
  std::string path =
      fmt::format("/api/v1/query_range?query={}&start={}&end={}&step={}", kube::UrlEncode(query),
                  TimeParam(start), TimeParam(end),
                  fmt::format("{}.{:03d}", step.count() / 1000, step.count() % 1000));
  return Get(path);
}

}  // namespace cpa::prometheus
