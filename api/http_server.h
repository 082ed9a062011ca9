// A small HTTP/1.1 server on POSIX sockets, with optional TLS (OpenSSL), for the REST API
// (internal to api/).
//
// Why not cpp-httplib's server: version 0.11 cannot bound the total time to read a request (one
// header line every few seconds holds a worker for ever), answers one of many pipelined requests,
// accepts duplicate Content-Length, does not bound a chunked body, and gives a half-closed client
// no reply. This server does all of that with one I/O thread (poll) and a fixed pool of workers:
//   - at most `max_connections` connections; a new one beyond that evicts the connection that has
//     waited longest for its client (never one with a request being handled), so slow or idle
//     clients cannot lock the probes out;
//   - each request (request line, headers, body; and the TLS handshake) must arrive within
//     `request_read_timeout` of its first byte (else 408 and close); an idle keep-alive connection
//     is closed after `keep_alive_timeout`; a response must be written within `write_timeout`;
//   - bodies are bounded by `max_body_bytes` (Content-Length or chunked: 413), headers by
//     `max_header_bytes` (431) and one line by `max_line_bytes` (400); a duplicate or malformed
//     Content-Length, both Content-Length and Transfer-Encoding, or a Transfer-Encoding other
//     than chunked is 400/501 and closes the connection;
//   - pipelined requests are answered in order, one at a time per connection; "Connection: close",
//     HTTP/1.0 and `keep_alive_max_requests` end a connection after the response; a client that
//     half-closes after sending still gets its responses;
//   - requests for which `fast` returns true (the probes) are answered on the I/O thread, so they
//     answer while every worker is busy; the handler must then not block.
// The Handler and ErrorFiller run concurrently on worker threads (and the I/O thread) and must be
// thread-safe. Start() and Stop() from one thread; port() from any. Ignores SIGPIPE (process-wide)
// when TLS is on, since OpenSSL writes to the socket with write().
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include "common/error.h"

namespace cpa::api {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;  // 0: any free port
  bool tls = false;
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // non-empty: clients must present a certificate from this CA

  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_line_bytes = 8 * 1024;
  int worker_threads = 8;
  int max_queued_requests = 64;  // waiting for a worker; beyond: 503
  int max_connections = 256;
  std::chrono::milliseconds request_read_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  int keep_alive_max_requests = 100;
};

class HttpServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using Predicate = std::function<bool(const httplib::Request&)>;
  // Fills the response for an error the HTTP layer found itself (400, 408, 413, 431, 501, 503).
  // `request` has whatever was parsed (method and path may be empty).
  using ErrorFiller = std::function<void(const httplib::Request& request, int status,
                                         std::string_view why, httplib::Response& response)>;

  HttpServer(HttpServerOptions options, Handler handler, Predicate fast, ErrorFiller on_error);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads TLS material, binds and starts the threads. kInvalidArgument: TLS files;
  // kUnavailable: cannot listen.
  Status Start();
  // Closes every connection and joins the threads (handlers running finish first).
  void Stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The reason phrase of a status code ("OK", "Not Found", ...).
std::string_view ReasonPhrase(int status);

}  // namespace cpa::api
