// HTTP(S) transport to one API server: a pool of keep-alive connections (cpp-httplib) and
// bearer-token / mTLS authentication.
//
// One httplib client is not safe for concurrent requests, so each request borrows a client from
// a pool for its duration and returns it afterwards (idle connections are reused; concurrent
// requests open more). A token file is re-read whenever it changes on disk, and once more when the
// server answers 401, so rotated service-account tokens are picked up. Thread-safe: any thread
// may call Send/Stream concurrently. The Transport must outlive calls in flight.
//
// Every Send has a total deadline (the request's timeout, else the config's request_timeout) that
// covers connecting, TLS, the request, the headers and the whole body: a server that trickles one
// byte at a time cannot hold a call past it. A watchdog thread shuts the connection down when the
// deadline passes; the call returns kDeadlineExceeded. Stream (watches) is long-lived by design and
// bounded per read instead (the timeout between chunks) and by `stop`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "kube/config.h"
#include "kube/exec_credential.h"

namespace httplib {
class ClientImpl;
}

namespace cpa::kube {

class DeadlineWatchdog;

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string path;            // absolute path with an already-encoded query string
  std::string body;
  std::string content_type;                                  // e.g. "application/merge-patch+json"
  std::chrono::milliseconds timeout{0};                      // 0 = the config's request_timeout
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

class Transport {
 public:
  // Validates the config and loads certificates. kInvalidArgument for a bad config or unreadable
  // certificate/key.
  static Result<std::unique_ptr<Transport>> Create(const ConnectionConfig& config);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends a request and returns the response whatever its status; transport failures are
  // errors (kUnavailable: connection refused/reset, TLS failure; kDeadlineExceeded: the total
  // deadline passed; kUnauthenticated: server certificate rejected).
  Result<HttpResponse> Send(const HttpRequest& request);

  // Sends a request whose response body is delivered in chunks as it arrives. `on_status` sees
  // the status first (return false to stop, e.g. on an error status: the body then goes to
  // `error_body`); `on_chunk` gets every chunk (return false to stop). Returns the HTTP status
  // when the server ends the stream, or when `on_chunk` or `stop` ended it early.
  // `idle_timeout` bounds the wait for the next chunk (0 = none beyond the config's timeout).
  Result<int> Stream(const HttpRequest& request,
                     const std::function<bool(std::string_view)>& on_chunk, std::string* error_body,
                     std::stop_token stop);

  const ConnectionConfig& config() const { return config_; }

  // Connections currently idle in the pool (tests and benchmarks).
  size_t IdleConnections() const;

 private:
  explicit Transport(ConnectionConfig config);
  Status Init();
  std::unique_ptr<httplib::ClientImpl> Acquire();
  void Release(std::unique_ptr<httplib::ClientImpl> client);
  Result<std::unique_ptr<httplib::ClientImpl>> NewClient();
  // The current bearer token (re-reading the token file when it changed, or when forced).
  std::string Token(bool force_reload);
  // The token to send: Token(), or the exec plugin's (whose client certificate, if it returned
  // one, replaces the pool's); `used` receives the exec credential sent (for a 401).
  Result<std::string> RequestToken(bool force_reload, std::optional<ExecCredential>* used);
  Status UseExecCertificate(const ExecCredential& credential);

  ConnectionConfig config_;
  std::string scheme_host_port_;
  std::string host_;
  int port_ = 0;
  bool tls_ = false;
  struct TlsMaterial;  // CA file path, in-memory client certificate and key
  std::unique_ptr<TlsMaterial> tls_material_;
  std::unique_ptr<DeadlineWatchdog> watchdog_;  // enforces the total deadline of each Send

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle_;

  std::unique_ptr<ExecCredentialProvider> exec_;  // set when the config has an exec plugin
  std::mutex cert_mu_;                            // guards the client certificate in TLS material
  std::string exec_cert_pem_;                     // the exec certificate currently loaded

  std::mutex token_mu_;
  std::string token_;
  struct FileStamp {
    long long mtime_ns = -1;
    long long size = -1;
    unsigned long long inode = 0;
    bool operator==(const FileStamp&) const = default;
  } token_stamp_;
};

}  // namespace cpa::kube
