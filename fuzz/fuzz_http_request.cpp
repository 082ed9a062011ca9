// REST API request handling: the input is sent as raw bytes to the API's HTTP server (the real
// parser, on loopback, with a handler that answers every request), the client half-closes, and
// the server must answer and close: never crash, leak, or leave the connection hanging.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
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
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) __builtin_trap();
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
    if (poll(&p, 1, 5000) <= 0) __builtin_trap();  // no answer and no close: a hang
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
  }
  close(fd);
  return 0;
}
