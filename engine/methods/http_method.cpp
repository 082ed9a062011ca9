#include "engine/methods/http_method.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include <fmt/ranges.h>

#include "kube/error_text.h"

namespace cpa::engine {
namespace {

constexpr size_t kMaxIdleConnections = 8;

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

HttpMethod::HttpMethod(config::HttpMethodConfig config, int64_t timeout_ms, std::string name)
    : config_(std::move(config)), timeout_ms_(timeout_ms), name_(std::move(name)) {}

HttpMethod::~HttpMethod() = default;

Result<std::unique_ptr<HttpMethod>> HttpMethod::Create(config::HttpMethodConfig config,
                                                       int64_t timeout_ms, std::string name) {
  const std::string url = config.url;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: invalid url \"{}\"", name, url);
  }
  size_t path_start = url.find('/', scheme_end + 3);
  auto method = std::unique_ptr<HttpMethod>(new HttpMethod(std::move(config), timeout_ms, name));
  method->scheme_host_port_ = url.substr(0, path_start);
  method->path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
  return method;
}

std::unique_ptr<httplib::Client> HttpMethod::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  std::unique_ptr<httplib::Client> client;
  if (config_.client_cert && config_.client_key) {
    client = std::make_unique<httplib::Client>(scheme_host_port_, *config_.client_cert,
                                               *config_.client_key);
  } else {
    client = std::make_unique<httplib::Client>(scheme_host_port_);
  }
  time_t sec = timeout_ms_ / 1000;
  time_t usec = (timeout_ms_ % 1000) * 1000;
  client->set_connection_timeout(sec, usec);
  client->set_read_timeout(sec, usec);
  client->set_write_timeout(sec, usec);
  client->set_keep_alive(true);
  if (config_.ca_cert) client->set_ca_cert_path(*config_.ca_cert);
  return client;
}

void HttpMethod::Release(std::unique_ptr<httplib::Client> client) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(client));
}

Result<std::string> HttpMethod::Call(std::string_view input, std::stop_token stop) {
  if (stop.stop_requested()) {
    return MakeErrorF(ErrorCode::kDeadlineExceeded, "{}: cancelled", name_);
  }
  auto client = Acquire();
  httplib::Headers headers;
  for (const auto& [k, v] : config_.headers) headers.emplace(k, v);
  std::string path = path_;
  std::string body;
  std::string content_type;
  if (config_.parameter_mode == config::ParameterMode::kQuery) {
    path += (path.find('?') == std::string::npos ? "?" : "&");
    path += "value=" + UrlEncode(input);
  } else {
    body = std::string(input);
    content_type = "application/json";
  }
  httplib::Request req;
  req.method = config_.method;
  req.path = path;
  req.headers = headers;
  if (!content_type.empty()) {
    req.body = body;
    req.set_header("Content-Type", content_type);
  }
  size_t received = 0;
  bool too_large = false;
  std::string response_body;
  req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    received += length;
    if (received > kMaxMethodOutputBytes) {
      too_large = true;
      return false;  // stop reading: bounded memory whatever the server sends
    }
    response_body.append(data, length);
    return true;
  };
  // httplib's timeouts are per read and per write; the watchdog bounds the whole call by the
  // method's timeout (a server trickling its reply cannot hold the run), and a stop request
  // (shutdown, --grace over) ends it at once. Either way the connection is shut down.
  std::atomic<bool> expired{false};
  httplib::Client* raw = client.get();
  const uint64_t watch = watchdog_.Arm(
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_), [raw, &expired] {
        expired.store(true);
        raw->stop();
      });
  std::optional<httplib::Result> result;
  {
    std::stop_callback on_stop(stop, [raw] { raw->stop(); });
    result.emplace(client->send(req));
  }
  watchdog_.Disarm(watch);
  if (expired.load()) {
    return MakeErrorF(ErrorCode::kDeadlineExceeded, "{}: {} {}: no complete reply within {} ms",
                      name_, config_.method, config_.url, timeout_ms_);
  }
  if (stop.stop_requested()) {
    return MakeErrorF(ErrorCode::kDeadlineExceeded, "{}: cancelled", name_);
  }
  if (too_large) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: response exceeded the limit of {} bytes",
                      name_, kMaxMethodOutputBytes);
  }
  if (!*result) {
    auto err = result->error();
    // The connection is in an unknown state: drop it rather than return it to the pool.
    ErrorCode code = (err == httplib::Error::Read || err == httplib::Error::Write ||
                      err == httplib::Error::ConnectionTimeout)
                         ? ErrorCode::kDeadlineExceeded
                         : ErrorCode::kUnavailable;
    if (err == httplib::Error::SSLServerVerification) code = ErrorCode::kUnauthenticated;
    return MakeErrorF(
        code, "{}: {} {} failed: {}", name_, config_.method, config_.url,
        kube::DescribeHttpError(err, config_.ca_cert ? "the CA in " + *config_.ca_cert
                                                     : std::string("the system's trusted CAs")));
  }
  int status = (*result)->status;
  Release(std::move(client));
  const auto& codes = config_.success_codes;
  if (std::find(codes.begin(), codes.end(), status) == codes.end()) {
    return MakeErrorF(ErrorCode::kUnavailable,
                      "{}: {} {} returned status {}, expected one of [{}]; body: {}", name_,
                      config_.method, config_.url, status, fmt::join(codes, ", "),
                      QuoteForError(response_body));
  }
  return response_body;
}

}  // namespace cpa::engine
