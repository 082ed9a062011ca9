// Issue 14 defect 5: every Kubernetes API call has a total deadline. A server that trickles its
// response (one byte per interval, each within the read timeout) cannot hold a call past it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "kube/transport.h"

namespace cpa::kube {
namespace {

// A loopback server that reads a request, then writes `response` one byte every `gap`, and
// closes. Without a total deadline the client would receive the whole response (and succeed).
class TrickleServer {
 public:
  TrickleServer(std::string response, std::chrono::milliseconds gap)
      : response_(std::move(response)), gap_(gap) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TrickleServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  bool peer_closed() const { return peer_closed_; }

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    std::string in;
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    for (char ch : response_) {
      if (stop_) break;
      if (send(c, &ch, 1, MSG_NOSIGNAL) != 1) {
        peer_closed_ = true;
        break;
      }
      std::this_thread::sleep_for(gap_);
    }
    close(c);
  }

  std::string response_;
  std::chrono::milliseconds gap_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> peer_closed_{false};
  std::thread thread_;
};

HttpRequest Request(std::string method, std::string path, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

std::unique_ptr<Transport> TransportTo(int port, std::chrono::milliseconds request_timeout) {
  ConnectionConfig config;
  config.server = fmt::format("http://127.0.0.1:{}", port);
  config.request_timeout = request_timeout;
  auto t = Transport::Create(config);
  EXPECT_TRUE(t) << (t ? "" : t.error().message);
  return t ? std::move(*t) : nullptr;
}

TEST(KubeTransportDeadline, TricklingBodyEndsAtTheDeadline) {
  // 200 body bytes at 50 ms each = 10 s; each gap is far inside the 300 ms read timeout.
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n" + std::string(200, 'x');
  TrickleServer server(response, std::chrono::milliseconds(50));
  auto transport = TransportTo(server.port(), std::chrono::milliseconds(300));
  ASSERT_TRUE(transport);
  auto r = transport->Send(Request("GET", "/api/v1/namespaces/default/pods"));
  ASSERT_FALSE(r) << "got a response: the deadline did not hold";
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(r.error().message.find("no complete response within 300 ms"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(transport->IdleConnections(), 0u);  // the cut connection is not pooled
}

TEST(KubeTransportDeadline, TricklingHeadersEndAtTheDeadline) {
  std::string response =
      "HTTP/1.1 200 OK\r\nX-Slow: " + std::string(200, 'y') + "\r\nContent-Length: 2\r\n\r\n{}";
  TrickleServer server(response, std::chrono::milliseconds(50));
  auto transport = TransportTo(server.port(), std::chrono::milliseconds(300));
  ASSERT_TRUE(transport);
  HttpRequest request = Request("PATCH", "/apis/apps/v1/x", "{}");
  auto r = transport->Send(request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded) << r.error().message;
}

TEST(KubeTransportDeadline, PerRequestTimeoutOverridesTheConfig) {
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
  TrickleServer server(response, std::chrono::milliseconds(50));
  auto transport = TransportTo(server.port(), std::chrono::milliseconds(60000));
  ASSERT_TRUE(transport);
  HttpRequest request = Request("GET", "/version");
  request.timeout = std::chrono::milliseconds(200);
  auto r = transport->Send(request);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(r.error().message.find("within 200 ms"), std::string::npos) << r.error().message;
}

TEST(KubeTransportDeadline, AFastResponseIsUnaffected) {
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
  TrickleServer server(response, std::chrono::milliseconds(0));
  auto transport = TransportTo(server.port(), std::chrono::milliseconds(5000));
  ASSERT_TRUE(transport);
  auto r = transport->Send(Request("GET", "/version"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
}

}  // namespace
}  // namespace cpa::kube
