#include "api/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/log.h"

namespace cpa::api {
namespace {

using Steady = std::chrono::steady_clock;
constexpr std::size_t kMaxPipelined = 16;  // parsed requests waiting per connection
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxChunkSizeLine = 1024;

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// A parsed request waiting for its turn, or an error the parser found (answered in order).
struct Pending {
  httplib::Request request;
  int error_status = 0;
  std::string why;
  bool keep_alive = true;
};

enum class ParseState { kIdle, kHeaders, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers };

struct Conn {
  uint64_t id = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  std::string in;
  std::string out;
  std::size_t out_offset = 0;
  std::deque<Pending> ready;
  bool in_flight = false;
  int served = 0;
  bool read_closed = false;   // EOF from the peer (half-close or close)
  bool stop_reading = false;  // a request ended the connection, or an error did
  bool ssl_wants_write = false;
  Steady::time_point request_deadline = Steady::time_point::max();
  Steady::time_point idle_deadline = Steady::time_point::max();
  Steady::time_point write_deadline = Steady::time_point::max();
  Steady::time_point waiting_since;  // for eviction: when it last started waiting on the client
  // Parser state for the request being read.
  ParseState state = ParseState::kIdle;
  httplib::Request current;
  bool current_keep_alive = true;
  std::size_t body_remaining = 0;
  bool continue_sent = false;
  std::size_t trailer_bytes = 0;

  bool WaitingOnClient() const { return !in_flight && ready.empty() && out_offset >= out.size(); }
};

struct Job {
  uint64_t conn_id;
  httplib::Request request;
  bool keep_alive;
};

struct Completion {
  uint64_t conn_id;
  std::string bytes;
  bool keep_alive;
};

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  Predicate fast;
  ErrorFiller on_error;

  SSL_CTX* ssl_ctx = nullptr;
  int listen_fd = -1;
  int wake_fd = -1;
  std::atomic<int> port{0};
  std::atomic<bool> stopping{false};
  std::thread io_thread;
  std::vector<std::thread> workers;

  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  std::deque<Job> jobs;
  bool workers_done = false;

  std::mutex done_mu;
  std::vector<Completion> completions;

  // Owned by the I/O thread.
  std::map<uint64_t, Conn> conns;
  uint64_t next_id = 0;

  ~Impl() {
    if (ssl_ctx != nullptr) SSL_CTX_free(ssl_ctx);
  }

  // --- set-up ---------------------------------------------------------------------------------

  Status LoadTls() {
    ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (ssl_ctx == nullptr) return MakeError(ErrorCode::kInternal, "cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ssl_ctx, options.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl_ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl_ctx) != 1) {
      return MakeErrorF(
          ErrorCode::kInvalidArgument,
          "cannot use certFile {} with keyFile {} (not PEM, or they do not match): {}",
          options.cert_file, options.key_file, OpenSslError());
    }
    if (!options.client_ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ssl_ctx, options.client_ca_file.c_str(), nullptr) != 1) {
        return MakeErrorF(ErrorCode::kInvalidArgument, "cannot use clientCAFile {}: {}",
                          options.client_ca_file, OpenSslError());
      }
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str())) {
        SSL_CTX_set_client_CA_list(ssl_ctx, names);
      }
      SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    static std::once_flag once;
    std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
    return OkStatus();
  }

  Status Listen() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    std::string port_text = std::to_string(options.port);
    if (getaddrinfo(options.host.empty() ? nullptr : options.host.c_str(), port_text.c_str(),
                    &hints, &found) != 0 ||
        found == nullptr) {
      return MakeErrorF(ErrorCode::kUnavailable, "cannot resolve {}", options.host);
    }
    std::string last_error = "no address";
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
        listen_fd = fd;
        break;
      }
      last_error = std::strerror(errno);
      close(fd);
    }
    freeaddrinfo(found);
    if (listen_fd < 0) {
      return MakeErrorF(ErrorCode::kUnavailable, "cannot listen on {}:{}: {}", options.host,
                        options.port, last_error);
    }
    SetNonBlocking(listen_fd);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    return OkStatus();
  }

  // --- workers --------------------------------------------------------------------------------

  void Work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(jobs_mu);
        jobs_cv.wait(lock, [&] { return workers_done || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      httplib::Response res;
      try {
        handler(job.request, res);
      } catch (...) {
        res = httplib::Response();
        on_error(job.request, 500, "internal error", res);
      }
      std::string bytes = Serialize(job.request, res, job.keep_alive);
      {
        std::lock_guard lock(done_mu);
        completions.push_back({job.conn_id, std::move(bytes), job.keep_alive});
      }
      Wake();
    }
  }

  void Wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = write(wake_fd, &one, sizeof one);
  }

  static std::string Serialize(const httplib::Request& req, const httplib::Response& res,
                               bool keep_alive) {
    int status = res.status == -1 ? 200 : res.status;
    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, ReasonPhrase(status));
    for (const auto& [name, value] : res.headers) {
      std::string lower = Lower(name);
      if (lower == "content-length" || lower == "connection" || lower == "transfer-encoding") {
        continue;
      }
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (!no_body) out += fmt::format("Content-Length: {}\r\n", res.body.size());
    out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!no_body && req.method != "HEAD") out += res.body;
    return out;
  }

  // --- the I/O loop ---------------------------------------------------------------------------

  void Loop() {
    std::vector<pollfd> fds;
    std::vector<uint64_t> ids;
    while (!stopping) {
      auto now = Steady::now();
      Steady::time_point next = now + std::chrono::seconds(1);
      fds.clear();
      ids.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      fds.push_back({listen_fd, POLLIN, 0});
      for (auto& [id, c] : conns) {
        short events = 0;
        if (WantsRead(c)) events |= POLLIN;
        if (c.out_offset < c.out.size() || c.ssl_wants_write) events |= POLLOUT;
        // Nothing wanted (a request in flight, reading stopped): leave the socket out, or a
        // peer's hang-up (POLLHUP is always reported) would spin this loop until the handler ends.
        fds.push_back({events == 0 ? -1 : c.fd, events, 0});
        ids.push_back(id);
        next = std::min({next, c.request_deadline, c.idle_deadline, c.write_deadline});
      }
      auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
      int n =
          poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait_ms, 0, 1000)));
      if (n < 0 && errno != EINTR) break;
      if (stopping) break;
      if (fds[0].revents & POLLIN) {
        uint64_t v;
        [[maybe_unused]] auto r = read(wake_fd, &v, sizeof v);
      }
      DrainCompletions();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (fds[i + 2].revents == 0) continue;
        auto it = conns.find(ids[i]);
        if (it == conns.end()) continue;
        Service(it->second, fds[i + 2].revents);
      }
      if (fds[1].revents & POLLIN) Accept();
      Expire();
      Reap();
    }
    for (auto& [id, c] : conns) CloseFd(c);
    conns.clear();
  }

  bool WantsRead(const Conn& c) const {
    if (c.read_closed || c.stop_reading) return false;
    return c.ready.size() < kMaxPipelined;
  }

  void Accept() {
    for (;;) {
      int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or an error on one connection
      if (static_cast<int>(conns.size()) >= options.max_connections && !Evict()) {
        log::V(2, "api: connection limit {} reached; refusing a connection",
               options.max_connections);
        close(fd);
        continue;
      }
      int yes = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      Conn c;
      c.id = ++next_id;
      c.fd = fd;
      auto now = Steady::now();
      c.waiting_since = now;
      // The first request (and the TLS handshake) must arrive within the read timeout.
      c.request_deadline = now + options.request_read_timeout;
      if (ssl_ctx != nullptr) {
        c.ssl = SSL_new(ssl_ctx);
        SSL_set_fd(c.ssl, fd);
        SSL_set_accept_state(c.ssl);
      }
      conns.emplace(c.id, std::move(c));
    }
  }

  // Closes the connection that has waited longest for its client; false when every connection
  // has a request being handled or a response being written.
  bool Evict() {
    Conn* oldest = nullptr;
    for (auto& [id, c] : conns) {
      if (c.fd < 0 || !c.WaitingOnClient()) continue;
      if (oldest == nullptr || c.waiting_since < oldest->waiting_since) oldest = &c;
    }
    if (oldest == nullptr) return false;
    log::V(2, "api: connection limit {} reached; closing the connection idle longest",
           options.max_connections);
    CloseFd(*oldest);
    return true;
  }

  void CloseFd(Conn& c) {
    if (c.fd < 0) return;
    if (c.ssl != nullptr) {
      SSL_shutdown(c.ssl);  // best effort close_notify
      SSL_free(c.ssl);
      c.ssl = nullptr;
    }
    close(c.fd);
    c.fd = -1;
  }

  void Reap() {
    for (auto it = conns.begin(); it != conns.end();) {
      Conn& c = it->second;
      if (c.fd >= 0 && ShouldClose(c)) CloseFd(c);
      // A closed connection with a request in flight stays until its completion arrives.
      if (c.fd < 0 && !c.in_flight) {
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }

  bool ShouldClose(const Conn& c) const {
    if (c.in_flight || !c.ready.empty() || c.out_offset < c.out.size()) return false;
    return c.stop_reading || c.read_closed;
  }

  void Expire() {
    auto now = Steady::now();
    for (auto& [id, c] : conns) {
      if (c.fd < 0) continue;
      if (c.out_offset < c.out.size() && now >= c.write_deadline) {
        log::V(2, "api: closing a connection: the client did not read its response in time");
        CloseFd(c);
        continue;
      }
      if (!c.WaitingOnClient() || c.stop_reading) continue;
      const bool partial = c.state != ParseState::kIdle || !c.in.empty();
      if (partial && now >= c.request_deadline) {
        // 408, then close: the rest of this request will never be read.
        Pending p;
        p.request = c.current;
        p.error_status = 408;
        p.why = fmt::format("the request was not received within {} ms",
                            options.request_read_timeout.count());
        p.keep_alive = false;
        c.ready.push_back(std::move(p));
        c.stop_reading = true;
        Pump(c);
      } else if (!partial && now >= std::min(c.idle_deadline, c.request_deadline)) {
        CloseFd(c);  // idle: close silently
      }
    }
  }

  void DrainCompletions() {
    std::vector<Completion> done;
    {
      std::lock_guard lock(done_mu);
      done.swap(completions);
    }
    for (auto& d : done) {
      auto it = conns.find(d.conn_id);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      c.in_flight = false;
      if (c.fd < 0) continue;  // closed meanwhile (write timeout, stop): drop the response
      Append(c, std::move(d.bytes));
      Pump(c);
      // Requests parsed while this one was handled may be waiting; bytes may be buffered.
      if (c.fd >= 0) DoRead(c);
    }
  }

  void Service(Conn& c, short revents) {
    if (c.fd < 0) return;
    if (revents & (POLLERR | POLLNVAL)) {
      CloseFd(c);
      return;
    }
    if (revents & (POLLIN | POLLHUP | POLLOUT)) {
      if (c.out_offset < c.out.size() || c.ssl_wants_write) DoWrite(c);
      if (c.fd >= 0 && WantsRead(c)) DoRead(c);
    }
  }

  void DoRead(Conn& c) {
    char buf[kReadChunk];
    while (c.fd >= 0 && WantsRead(c)) {
      ssize_t n;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        int r = SSL_read(c.ssl, buf, sizeof buf);
        if (r > 0) {
          n = r;
        } else {
          int err = SSL_get_error(c.ssl, r);
          if (err == SSL_ERROR_WANT_READ) break;
          if (err == SSL_ERROR_WANT_WRITE) {
            c.ssl_wants_write = true;
            break;
          }
          if (err == SSL_ERROR_ZERO_RETURN) {
            n = 0;
          } else {
            // Handshake failure (plain HTTP, an untrusted or missing client certificate) or a
            // broken connection: nothing can be answered.
            log::V(2, "api: TLS connection closed: {}", OpenSslError());
            CloseFd(c);
            return;
          }
        }
      } else {
        n = recv(c.fd, buf, sizeof buf, 0);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
          CloseFd(c);
          return;
        }
      }
      if (n == 0) {
        c.read_closed = true;
        break;
      }
      if (c.in.empty() && c.state == ParseState::kIdle && c.WaitingOnClient()) {
        c.request_deadline = Steady::now() + options.request_read_timeout;
      }
      c.in.append(buf, static_cast<std::size_t>(n));
      Parse(c);
      Pump(c);
    }
    if (c.fd < 0) return;
    if (c.read_closed && (c.state != ParseState::kIdle || !c.in.empty())) {
      // Half a request and then EOF: it can never complete. Answer what came before, then close.
      c.in.clear();
      c.state = ParseState::kIdle;
      c.stop_reading = true;
    }
    Pump(c);
  }

  void DoWrite(Conn& c) {
    c.ssl_wants_write = false;
    while (c.fd >= 0 && c.out_offset < c.out.size()) {
      const char* data = c.out.data() + c.out_offset;
      std::size_t len = c.out.size() - c.out_offset;
      ssize_t n;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        int r = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(len, 1 << 20)));
        if (r <= 0) {
          int err = SSL_get_error(c.ssl, r);
          if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) return;
          CloseFd(c);
          return;
        }
        n = r;
      } else {
        n = send(c.fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
          CloseFd(c);
          return;
        }
      }
      c.out_offset += static_cast<std::size_t>(n);
    }
    if (c.out_offset >= c.out.size()) {
      c.out.clear();
      c.out_offset = 0;
      c.write_deadline = Steady::time_point::max();
      if (c.WaitingOnClient()) {
        auto now = Steady::now();
        c.waiting_since = now;
        c.idle_deadline = now + options.keep_alive_timeout;
        // Bytes of the next request may already be here: its clock restarts now.
        c.request_deadline = now + options.request_read_timeout;
      }
    }
  }

  void Append(Conn& c, std::string bytes) {
    if (c.out_offset >= c.out.size()) {
      c.out.clear();
      c.out_offset = 0;
      c.write_deadline = Steady::now() + options.write_timeout;
    }
    c.out += bytes;
    DoWrite(c);
  }

  // Parses what is buffered and starts the connection's requests in order: inline (errors,
  // probes) or on a worker, one at a time.
  void Pump(Conn& c) {
    for (;;) {
      if (c.fd < 0 || c.in_flight) return;
      Parse(c);
      if (c.ready.empty()) return;
      Pending p = std::move(c.ready.front());
      c.ready.pop_front();
      // The last response before the connection ends says so.
      bool last = c.ready.empty() && (c.stop_reading || c.read_closed) && c.in.empty();
      bool keep_alive =
          p.keep_alive && !last && !stopping && ++c.served < options.keep_alive_max_requests;
      if (!keep_alive) {
        c.stop_reading = true;  // later pipelined requests are not answered
        c.ready.clear();
        c.in.clear();
        c.state = ParseState::kIdle;
      }
      if (p.error_status != 0) {
        httplib::Response res;
        on_error(p.request, p.error_status, p.why, res);
        Append(c, Serialize(p.request, res, keep_alive));
        continue;
      }
      if (fast && fast(p.request)) {
        httplib::Response res;
        handler(p.request, res);
        Append(c, Serialize(p.request, res, keep_alive));
        continue;
      }
      bool queued = false;
      {
        std::lock_guard lock(jobs_mu);
        if (static_cast<int>(jobs.size()) < options.max_queued_requests) {
          jobs.push_back({c.id, std::move(p.request), keep_alive});
          queued = true;
        }
      }
      if (queued) {
        c.in_flight = true;
        jobs_cv.notify_one();
        return;
      }
      httplib::Response res;
      on_error(p.request, 503, "the server is busy; retry later", res);
      Append(c, Serialize(p.request, res, keep_alive));
    }
  }

  // --- the request parser ---------------------------------------------------------------------

  void Fail(Conn& c, int status, std::string why) {
    Pending p;
    p.request = std::move(c.current);
    p.error_status = status;
    p.why = std::move(why);
    p.keep_alive = false;
    c.ready.push_back(std::move(p));
    c.stop_reading = true;
    c.in.clear();
    c.state = ParseState::kIdle;
    c.current = httplib::Request();
  }

  void Complete(Conn& c) {
    Pending p;
    p.request = std::move(c.current);
    p.keep_alive = c.current_keep_alive;
    if (!p.keep_alive) c.stop_reading = true;
    c.ready.push_back(std::move(p));
    c.current = httplib::Request();
    c.state = ParseState::kIdle;
  }

  void Parse(Conn& c) {
    while (!c.stop_reading && c.ready.size() < kMaxPipelined) {
      switch (c.state) {
        case ParseState::kIdle:
          // Empty lines before a request line are ignored (RFC 9112 2.2).
          while (c.in.size() >= 2 && c.in[0] == '\r' && c.in[1] == '\n') c.in.erase(0, 2);
          if (c.in.empty() || c.in == "\r") return;
          c.state = ParseState::kHeaders;
          c.continue_sent = false;
          break;
        case ParseState::kHeaders:
          if (!ParseHead(c)) return;
          break;
        case ParseState::kBody: {
          std::size_t take = std::min(c.body_remaining, c.in.size());
          c.current.body.append(c.in, 0, take);
          c.in.erase(0, take);
          c.body_remaining -= take;
          if (c.body_remaining > 0) return;
          Complete(c);
          break;
        }
        case ParseState::kChunkSize: {
          std::size_t eol = c.in.find("\r\n");
          if (eol == std::string::npos) {
            if (c.in.size() > kMaxChunkSizeLine) return Fail(c, 400, "bad chunk size line");
            return;
          }
          std::string_view line(c.in.data(), eol);
          line = line.substr(0, line.find(';'));  // chunk extensions are ignored
          line = Trim(line);
          std::size_t size = 0;
          if (line.empty() || line.size() > 15) return Fail(c, 400, "bad chunk size");
          for (char ch : line) {
            int v = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0'
                    : (ch >= 'a' && ch <= 'f')                   ? ch - 'a' + 10
                    : (ch >= 'A' && ch <= 'F')                   ? ch - 'A' + 10
                                                                 : -1;
            if (v < 0) return Fail(c, 400, "bad chunk size");
            size = size * 16 + static_cast<std::size_t>(v);
          }
          c.in.erase(0, eol + 2);
          if (size == 0) {
            c.state = ParseState::kTrailers;
            c.trailer_bytes = 0;
            break;
          }
          if (c.current.body.size() + size > options.max_body_bytes) {
            return Fail(c, 413,
                        fmt::format("the request body exceeds {} bytes", options.max_body_bytes));
          }
          c.body_remaining = size;
          c.state = ParseState::kChunkData;
          break;
        }
        case ParseState::kChunkData: {
          std::size_t take = std::min(c.body_remaining, c.in.size());
          c.current.body.append(c.in, 0, take);
          c.in.erase(0, take);
          c.body_remaining -= take;
          if (c.body_remaining > 0) return;
          c.state = ParseState::kChunkEnd;
          break;
        }
        case ParseState::kChunkEnd:
          if (c.in.size() < 2) return;
          if (c.in[0] != '\r' || c.in[1] != '\n') return Fail(c, 400, "bad chunk terminator");
          c.in.erase(0, 2);
          c.state = ParseState::kChunkSize;
          break;
        case ParseState::kTrailers: {
          std::size_t eol = c.in.find("\r\n");
          if (eol == std::string::npos) {
            if (c.trailer_bytes + c.in.size() > options.max_header_bytes) {
              return Fail(c, 431, "trailers too large");
            }
            return;
          }
          c.trailer_bytes += eol + 2;
          if (c.trailer_bytes > options.max_header_bytes) return Fail(c, 431, "trailers too large");
          c.in.erase(0, eol + 2);
          if (eol == 0) Complete(c);  // trailer fields are read and dropped
          break;
        }
      }
    }
  }

  // Parses the request line and headers once they are complete; false when more bytes are needed
  // (or after Fail).
  bool ParseHead(Conn& c) {
    std::size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
      // Bound what is buffered while the head is incomplete.
      std::size_t last_eol = c.in.rfind('\n');
      std::size_t open_line = last_eol == std::string::npos ? c.in.size() : c.in.size() - last_eol;
      if (open_line > options.max_line_bytes) {
        const bool request_line = last_eol == std::string::npos;
        Fail(c, request_line ? 414 : 400,
             fmt::format("a {} exceeds {} bytes", request_line ? "request line" : "header line",
                         options.max_line_bytes));
      } else if (c.in.size() > options.max_header_bytes + options.max_line_bytes) {
        Fail(c, 431, fmt::format("request headers exceed {} bytes", options.max_header_bytes));
      }
      return false;
    }
    std::string head = c.in.substr(0, end + 2);
    c.in.erase(0, end + 4);
    httplib::Request& req = c.current;
    std::size_t pos = 0;
    std::size_t header_bytes = 0;
    bool first = true;
    std::optional<std::size_t> content_length;
    bool chunked = false;
    bool has_te = false;
    std::string connection;
    while (pos < head.size()) {
      std::size_t eol = head.find("\r\n", pos);
      std::string_view line(head.data() + pos, eol - pos);
      pos = eol + 2;
      if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        Fail(c, 400, "a bare CR, LF or NUL in the request head");
        return false;
      }
      if (line.size() > options.max_line_bytes) {
        Fail(c, first ? 414 : 400,
             fmt::format("a {} exceeds {} bytes", first ? "request line" : "header line",
                         options.max_line_bytes));
        return false;
      }
      if (first) {
        first = false;
        std::size_t sp1 = line.find(' ');
        std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
          Fail(c, 400, "malformed request line");
          return false;
        }
        req.method = std::string(line.substr(0, sp1));
        req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
        req.version = std::string(line.substr(sp2 + 1));
        bool method_ok =
            !req.method.empty() && std::all_of(req.method.begin(), req.method.end(), IsTokenChar);
        if (!method_ok || (req.version != "HTTP/1.1" && req.version != "HTTP/1.0") ||
            req.target.empty() || req.target.front() != '/') {
          Fail(c, 400, "malformed request line");
          return false;
        }
        continue;
      }
      header_bytes += line.size() + 2;
      if (header_bytes > options.max_header_bytes) {
        Fail(c, 431, fmt::format("request headers exceed {} bytes", options.max_header_bytes));
        return false;
      }
      std::size_t colon = line.find(':');
      if (colon == 0 || colon == std::string_view::npos ||
          !std::all_of(line.begin(), line.begin() + static_cast<long>(colon), IsTokenChar)) {
        Fail(c, 400, "malformed header line");  // also obsolete line folding
        return false;
      }
      std::string name(line.substr(0, colon));
      std::string value(Trim(line.substr(colon + 1)));
      std::string lower = Lower(name);
      if (lower == "content-length") {
        if (content_length) {
          Fail(c, 400, "more than one Content-Length");
          return false;
        }
        if (value.empty() || value.size() > 18 ||
            !std::all_of(value.begin(), value.end(),
                         [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
          Fail(c, 400, fmt::format("invalid Content-Length '{}'", value.substr(0, 40)));
          return false;
        }
        content_length = std::stoull(value);
      } else if (lower == "transfer-encoding") {
        if (has_te || Lower(value) != "chunked") {
          Fail(c, 501,
               fmt::format("Transfer-Encoding '{}' is not supported (only chunked)",
                           value.substr(0, 40)));
          return false;
        }
        has_te = true;
        chunked = true;
      } else if (lower == "connection") {
        connection = Lower(value);
      }
      req.headers.emplace(std::move(name), std::move(value));
    }
    if (chunked && content_length) {
      Fail(c, 400, "both Content-Length and Transfer-Encoding");
      return false;
    }
    // Path and query, decoded as cpp-httplib does.
    std::size_t q = req.target.find('?');
    req.path = httplib::detail::decode_url(req.target.substr(0, q), false);
    if (q != std::string::npos)
      httplib::detail::parse_query_text(req.target.substr(q + 1), req.params);
    if (req.version == "HTTP/1.0") {
      c.current_keep_alive = connection.find("keep-alive") != std::string::npos;
    } else {
      c.current_keep_alive = connection.find("close") == std::string::npos;
    }
    const std::size_t length = content_length.value_or(0);
    if (!chunked && length > options.max_body_bytes) {
      Fail(c, 413, fmt::format("the request body exceeds {} bytes", options.max_body_bytes));
      return false;
    }
    // "Expect: 100-continue": ask for the body unless responses are queued ahead of this one.
    if ((chunked || length > 0) && Lower(req.get_header_value("Expect")) == "100-continue" &&
        c.WaitingOnClient()) {
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      c.write_deadline = Steady::now() + options.write_timeout;
      DoWrite(c);
    }
    if (chunked) {
      c.state = ParseState::kChunkSize;
    } else if (length > 0) {
      c.body_remaining = length;
      c.state = ParseState::kBody;
    } else {
      Complete(c);  // no Content-Length: no body (so `curl -X POST` works)
    }
    return true;
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler, Predicate fast,
                       ErrorFiller on_error)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  impl_->fast = std::move(fast);
  impl_->on_error = std::move(on_error);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& s = *impl_;
  if (s.options.tls) {
    if (auto st = s.LoadTls(); !st) return st;
  }
  if (auto st = s.Listen(); !st) return st;
  s.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  s.stopping = false;
  s.workers_done = false;
  for (int i = 0; i < std::max(1, s.options.worker_threads); ++i) {
    s.workers.emplace_back([&s] { s.Work(); });
  }
  s.io_thread = std::thread([&s] { s.Loop(); });
  return OkStatus();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.io_thread.joinable()) return;
  s.stopping = true;
  s.Wake();
  s.io_thread.join();
  {
    std::lock_guard lock(s.jobs_mu);
    s.workers_done = true;
    s.jobs.clear();  // requests not started are dropped (their connections are closed)
  }
  s.jobs_cv.notify_all();
  for (auto& w : s.workers) w.join();
  s.workers.clear();
  s.completions.clear();
  close(s.listen_fd);
  close(s.wake_fd);
  s.listen_fd = s.wake_fd = -1;
  s.port = 0;
}

int HttpServer::port() const { return impl_->port.load(); }

}  // namespace cpa::api
