// REST API request handling: the input is sent as raw bytes to the API's HTTP server (the real
// parser, on loopback, with a handler that answers every request), the client half-closes, and
// the server must answer and close: never crash, leak, or leave the connection hanging.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "api/http_server.h"

namespace {

cpa::api::HttpServer& Server() {
  static cpa::api::HttpServer* server = [] {
    cpa::api::HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.worker_threads = 2;
    options.max_body_bytes = 4096;
    options.max_header_bytes = 2048;
    options.max_line_bytes = 1024;
    options.request_read_timeout = std::chrono::milliseconds(2000);
    auto* s = new cpa::api::HttpServer(
        options,
        [](const httplib::Request& req, httplib::Response& res) {
          res.status = req.path == "/missing" ? 404 : 200;
          res.set_content(req.method + " " + req.path + " " + req.body, "text/plain");
        },
        [](const httplib::Request& req) { return req.path == "/healthz"; },
        [](const httplib::Request&, int status, std::string_view why, httplib::Response& res) {
          res.status = status;
          res.set_content(std::string(why), "text/plain");
        });
    if (!s->Start()) __builtin_trap();
    return s;
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int port = Server().port();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // connect() can fail transiently at thousands of connections per second (EINTR from
  // libFuzzer's SIGALRM, no free ephemeral port): retry for a while before calling it a failure.
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
    int err = errno;
    close(fd);
    fd = -1;
    if (attempt == 500) {
      std::fprintf(stderr, "fuzz_http_request: connect: %s\n", std::strerror(err));
      __builtin_trap();
    }
    usleep(10000);
  }
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (an error answered): fine
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  // The server must close the connection: after the responses, or at the read deadline.
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    // No answer and no close: a hang. libFuzzer's -timeout (10 s in scripts/fuzz.sh) reports
    // it first; this bound only keeps a run without -timeout from blocking for ever.
    // (libFuzzer's SIGALRM interrupts poll: EINTR is not an answer, retry.)
    int ready;
    do {
      ready = poll(&p, 1, 30000);
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) __builtin_trap();
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
  }
  close(fd);
  return 0;
}
