// The http method: calls user logic over HTTP(S) (CONTRACTS.md section 2).
//
// parameterMode query sends the input as `?value=<url-encoded JSON>`; body sends it as the
// request body with Content-Type application/json. A status outside successCodes is an error
// quoting the body. Connections are kept alive and reused through a small pool; a connection is
// always returned to the pool or dropped, never leaked. The method's timeout bounds the whole call
// (connect, send, and the complete reply), and a stop request ends it at once. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "engine/config/config.h"
#include "engine/methods/method.h"
#include "kube/deadline_watchdog.h"

namespace httplib {
class Client;
}

namespace cpa::engine {

class HttpMethod final : public Method {
 public:
  // Fails when the URL cannot be split into scheme/host/path.
  static Result<std::unique_ptr<HttpMethod>> Create(config::HttpMethodConfig config,
                                                    int64_t timeout_ms, std::string name);
  ~HttpMethod() override;
  Result<std::string> Call(std::string_view input, std::stop_token stop) override;

 private:
  HttpMethod(config::HttpMethodConfig config, int64_t timeout_ms, std::string name);
  std::unique_ptr<httplib::Client> Acquire();
  void Release(std::unique_ptr<httplib::Client> client);

  config::HttpMethodConfig config_;
  int64_t timeout_ms_;
  std::string name_;
  std::string scheme_host_port_;
  std::string path_;  // path and any query of the URL
  std::mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;
  kube::DeadlineWatchdog watchdog_;
};

}  // namespace cpa::engine
