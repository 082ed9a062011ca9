#include "kube/transport.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <httplib.h>

#include "kube/deadline_watchdog.h"
#include "kube/error_text.h"

namespace cpa::kube {

struct Transport::TlsMaterial {
  std::string ca_file;       // a file OpenSSL loads (the config's, or a temp copy of ca_data)
  std::string ca_temp_file;  // deleted on destruction
  X509* client_cert = nullptr;
  EVP_PKEY* client_key = nullptr;
  ~TlsMaterial() {
    if (client_cert != nullptr) X509_free(client_cert);
    if (client_key != nullptr) EVP_PKEY_free(client_key);
    if (!ca_temp_file.empty()) std::remove(ca_temp_file.c_str());
  }
};

namespace {

constexpr size_t kMaxIdleConnections = 16;
// A response body larger than this is an error rather than an out-of-memory.
constexpr size_t kMaxResponseBytes = size_t{512} << 20;

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeErrorF(ErrorCode::kInvalidArgument, "cannot read {}", path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<std::string> WritePrivateTempFile(const std::string& contents) {
  const char* dir = std::getenv("TMPDIR");
  std::string templ = fmt::format("{}/cpa-kube-ca-XXXXXX", dir != nullptr ? dir : "/tmp");
  int fd = mkstemp(templ.data());  // created 0600
  if (fd < 0) return MakeError(ErrorCode::kInternal, "cannot create a temporary CA file");
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n <= 0) {
      close(fd);
      std::remove(templ.c_str());
      return MakeError(ErrorCode::kInternal, "cannot write a temporary CA file");
    }
    written += static_cast<size_t>(n);
  }
  close(fd);
  return templ;
}

ErrorCode CodeForHttplibError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Read:
    case httplib::Error::ConnectionTimeout:
      return ErrorCode::kDeadlineExceeded;
    case httplib::Error::SSLServerVerification:
      return ErrorCode::kUnauthenticated;
    case httplib::Error::SSLLoadingCerts:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kUnavailable;
  }
}

void ApplyTimeout(httplib::ClientImpl& client, std::chrono::milliseconds timeout) {
  auto sec = static_cast<time_t>(timeout.count() / 1000);
  auto usec = static_cast<time_t>((timeout.count() % 1000) * 1000);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

}  // namespace

Transport::Transport(ConnectionConfig config)
    : config_(std::move(config)), watchdog_(std::make_unique<DeadlineWatchdog>()) {}

Transport::~Transport() = default;

Result<std::unique_ptr<Transport>> Transport::Create(const ConnectionConfig& config) {
  CPA_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<Transport> transport(new Transport(config));
  CPA_RETURN_IF_ERROR(transport->Init());
  return transport;
}

Status Transport::Init() {
  std::string_view rest = config_.server;
  if (rest.rfind("https://", 0) == 0) {
    tls_ = true;
    rest.remove_prefix(8);
  } else {
    rest.remove_prefix(7);  // "http://", checked by Validate
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "server \"{}\" has no host", config_.server);
  }
  port_ = tls_ ? 443 : 80;
  if (authority.front() == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "bad server host in \"{}\"", config_.server);
    }
    host_ = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') port_ = std::atoi(authority.data() + 1);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host_ = std::string(authority.substr(0, colon));
    port_ = std::atoi(std::string(authority.substr(colon + 1)).c_str());
  } else {
    host_ = std::string(authority);
  }
  if (port_ <= 0 || port_ > 65535) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "bad server port in \"{}\"", config_.server);
  }

  tls_material_ = std::make_unique<TlsMaterial>();
  if (tls_) {
    if (!config_.ca_data.empty()) {
      auto path = WritePrivateTempFile(config_.ca_data);
      if (!path) return std::unexpected(path.error());
      tls_material_->ca_file = tls_material_->ca_temp_file = *path;
    } else {
      tls_material_->ca_file = config_.ca_file;
    }
    if (!tls_material_->ca_file.empty() && access(tls_material_->ca_file.c_str(), R_OK) != 0) {
      return MakeErrorF(ErrorCode::kInvalidArgument, "cannot read CA file {}",
                        tls_material_->ca_file);
    }
    std::string cert_pem = config_.client_cert_data;
    std::string key_pem = config_.client_key_data;
    if (!config_.client_cert_file.empty()) {
      auto data = ReadWholeFile(config_.client_cert_file);
      if (!data) return std::unexpected(data.error());
      cert_pem = std::move(*data);
    }
    if (!config_.client_key_file.empty()) {
      auto data = ReadWholeFile(config_.client_key_file);
      if (!data) return std::unexpected(data.error());
      key_pem = std::move(*data);
    }
    if (!cert_pem.empty()) {
      BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
      tls_material_->client_cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
      bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
      tls_material_->client_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
      if (tls_material_->client_cert == nullptr || tls_material_->client_key == nullptr) {
        return MakeError(ErrorCode::kInvalidArgument, "client certificate or key is not valid PEM");
      }
      if (X509_check_private_key(tls_material_->client_cert, tls_material_->client_key) != 1) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "client key does not match the client certificate");
      }
    }
  }
  if (config_.exec) {
    // The plugin runs on the first request (as kubectl), not here.
    ExecClusterInfo cluster{config_.server, config_.ca_data, config_.insecure_skip_tls_verify};
    if (cluster.certificate_authority_pem.empty() && !config_.ca_file.empty()) {
      if (auto ca = ReadWholeFile(config_.ca_file)) cluster.certificate_authority_pem = *ca;
    }
    exec_ = std::make_unique<ExecCredentialProvider>(*config_.exec, std::move(cluster));
  }
  if (config_.token.empty() && config_.token_file.empty()) return OkStatus();
  if (!config_.token_file.empty() && Token(true).empty()) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "token file {} is empty or unreadable",
                      config_.token_file);
  }
  return OkStatus();
}

Result<std::unique_ptr<httplib::ClientImpl>> Transport::NewClient() {
  std::unique_ptr<httplib::ClientImpl> client;
  if (tls_) {
    std::unique_ptr<httplib::SSLClient> ssl;
    std::lock_guard cert_lock(cert_mu_);  // an exec plugin may replace the certificate
    if (tls_material_->client_cert != nullptr) {
      ssl = std::make_unique<httplib::SSLClient>(host_, port_, tls_material_->client_cert,
                                                 tls_material_->client_key);
    } else {
      ssl = std::make_unique<httplib::SSLClient>(host_, port_);
    }
    if (!ssl->is_valid()) {
      return MakeError(ErrorCode::kInvalidArgument, "cannot set up TLS (client certificate?)");
    }
    if (!tls_material_->ca_file.empty()) ssl->set_ca_cert_path(tls_material_->ca_file.c_str());
    ssl->enable_server_certificate_verification(!config_.insecure_skip_tls_verify);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(host_, port_);
  }
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  auto connect = config_.connect_timeout.count();
  client->set_connection_timeout(static_cast<time_t>(connect / 1000),
                                 static_cast<time_t>((connect % 1000) * 1000));
  return client;
}

std::unique_ptr<httplib::ClientImpl> Transport::Acquire() {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return nullptr;
  auto client = std::move(idle_.back());
  idle_.pop_back();
  return client;
}

void Transport::Release(std::unique_ptr<httplib::ClientImpl> client) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(client));
}

size_t Transport::IdleConnections() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

std::string Transport::Token(bool force_reload) {
  std::lock_guard lock(token_mu_);
  if (config_.token_file.empty()) return config_.token;
  struct stat st {};
  FileStamp stamp;
  if (stat(config_.token_file.c_str(), &st) == 0) {
    stamp.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    stamp.size = static_cast<long long>(st.st_size);
    stamp.inode = static_cast<unsigned long long>(st.st_ino);
  }
  if (force_reload || !(stamp == token_stamp_) || token_.empty()) {
    if (auto data = ReadWholeFile(config_.token_file); data) {
      std::string t = std::move(*data);
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      if (!t.empty()) token_ = std::move(t);
      token_stamp_ = stamp;
    }
  }
  return token_.empty() ? config_.token : token_;
}

Result<std::string> Transport::RequestToken(bool force_reload,
                                            std::optional<ExecCredential>* used) {
  if (!exec_) return Token(force_reload);
  auto credential = exec_->Get();
  if (!credential) return std::unexpected(credential.error());
  if (!credential->client_certificate_pem.empty()) {
    CPA_RETURN_IF_ERROR(UseExecCertificate(*credential));
  }
  if (used != nullptr) *used = *credential;
  return credential->token;
}

Status Transport::UseExecCertificate(const ExecCredential& credential) {
  if (!tls_) return OkStatus();
  {
    std::lock_guard lock(cert_mu_);
    if (credential.client_certificate_pem == exec_cert_pem_) return OkStatus();
    const std::string& cert = credential.client_certificate_pem;
    const std::string& key = credential.client_key_pem;
    BIO* bio = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
    X509* x509 = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (x509 == nullptr || pkey == nullptr || X509_check_private_key(x509, pkey) != 1) {
      if (x509 != nullptr) X509_free(x509);
      if (pkey != nullptr) EVP_PKEY_free(pkey);
      return MakeErrorF(ErrorCode::kUnauthenticated,
                        "exec credential plugin \"{}\": the client certificate/key it returned "
                        "is not valid PEM or does not match",
                        config_.exec->command);
    }
    if (tls_material_->client_cert != nullptr) X509_free(tls_material_->client_cert);
    if (tls_material_->client_key != nullptr) EVP_PKEY_free(tls_material_->client_key);
    tls_material_->client_cert = x509;
    tls_material_->client_key = pkey;
    exec_cert_pem_ = cert;
  }
  std::lock_guard lock(mu_);
  idle_.clear();  // connections made with the previous certificate
  return OkStatus();
}

namespace {

httplib::Request BuildRequest(const HttpRequest& request, const std::string& token) {
  httplib::Request req;
  req.method = request.method;
  req.path = request.path;
  req.body = request.body;
  req.headers.emplace("Accept", "application/json");
  req.headers.emplace("User-Agent", "cpa/0.1");
  if (!request.content_type.empty()) req.headers.emplace("Content-Type", request.content_type);
  if (!token.empty()) req.headers.emplace("Authorization", "Bearer " + token);
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  return req;
}

}  // namespace

Result<HttpResponse> Transport::Send(const HttpRequest& request) {
  const auto timeout = request.timeout.count() > 0 ? request.timeout : config_.request_timeout;
  // One total deadline for the call, retries included.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto deadline_error = [&] {
    return MakeErrorF(ErrorCode::kDeadlineExceeded, "{} {}{}: no complete response within {} ms",
                      request.method, config_.server, request.path, timeout.count());
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (std::chrono::steady_clock::now() >= deadline) return deadline_error();
    std::optional<ExecCredential> exec_used;
    auto token = RequestToken(attempt > 0, &exec_used);
    if (!token) return std::unexpected(token.error());
    auto client = Acquire();
    bool reused = client != nullptr;
    if (!client) {
      auto fresh = NewClient();
      if (!fresh) return std::unexpected(fresh.error());
      client = std::move(*fresh);
    }
    ApplyTimeout(*client, timeout);
    httplib::Request req = BuildRequest(request, *token);
    // Receive into one buffer sized from Content-Length (a LIST of 1,000 pods is ~1 MB; growing
    // a string by doubling would allocate twice that).
    std::string body;
    int status = 0;
    req.response_handler = [&](const httplib::Response& response) {
      status = response.status;
      if (response.has_header("Content-Length")) {
        auto length = response.get_header_value<uint64_t>("Content-Length");
        if (length <= kMaxResponseBytes) body.reserve(static_cast<size_t>(length));
      }
      return true;
    };
    bool too_large = false;
    std::atomic<bool> expired{false};
    req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
      if (expired.load()) return false;
      if (body.size() + length > kMaxResponseBytes) {
        too_large = true;
        return false;
      }
      body.append(data, length);
      return true;
    };
    httplib::ClientImpl* raw = client.get();
    const uint64_t watch = watchdog_->Arm(deadline, [raw, &expired] {
      expired.store(true);
      raw->stop();  // shuts the socket down; the blocked read or write returns
    });
    auto result = client->send(req);
    watchdog_->Disarm(watch);
    // The connection was shut down: not pooled. httplib's own read timeout (set to the same
    // deadline) may fire first and report a generic read error: one deadline, one message.
    if (expired.load() || (!result && std::chrono::steady_clock::now() >= deadline)) {
      return deadline_error();
    }
    if (too_large) {
      return MakeErrorF(ErrorCode::kUnavailable, "{} {}{}: response larger than {} bytes",
                        request.method, config_.server, request.path, kMaxResponseBytes);
    }
    if (!result) {
      auto error = result.error();
      // A pooled keep-alive connection the server closed meanwhile: retry once on a fresh one,
      // but only for requests that are safe to repeat.
      if (reused && attempt == 0 && request.method == "GET" &&
          (error == httplib::Error::Read || error == httplib::Error::Write ||
           error == httplib::Error::Connection)) {
        continue;
      }
      return MakeErrorF(CodeForHttplibError(error), "{} {}{}: {}", request.method, config_.server,
                        request.path, DescribeHttpError(error, DescribeTrustedCa(config_)));
    }
    HttpResponse response{status != 0 ? status : result->status, std::move(body)};
    Release(std::move(client));
    if (response.status == 401 && attempt == 0 && exec_used) {
      exec_->Invalidate(*exec_used);  // run the plugin again and retry once
      continue;
    }
    if (response.status == 401 && attempt == 0 && !config_.token_file.empty()) {
      std::string before = Token(false);
      if (Token(true) != before) continue;  // the token rotated: retry once with the new one
    }
    return response;
  }
  return MakeError(ErrorCode::kUnavailable, "request failed after a retry");
}

Result<int> Transport::Stream(const HttpRequest& request,
                              const std::function<bool(std::string_view)>& on_chunk,
                              std::string* error_body, std::stop_token stop) {
  if (stop.stop_requested()) return 0;
  auto token = RequestToken(false, nullptr);
  if (!token) return std::unexpected(token.error());
  auto fresh = NewClient();  // a stream holds its connection: never a pooled one
  if (!fresh) return std::unexpected(fresh.error());
  std::unique_ptr<httplib::ClientImpl> client = std::move(*fresh);
  const auto timeout = request.timeout.count() > 0 ? request.timeout : config_.request_timeout;
  ApplyTimeout(*client, timeout);
  httplib::Request req = BuildRequest(request, *token);
  int status = 0;
  bool stopped_by_us = false;
  req.response_handler = [&](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    if (stop.stop_requested()) {
      stopped_by_us = true;
      return false;
    }
    if (status >= 300) {
      if (error_body != nullptr && error_body->size() < (1 << 20)) error_body->append(data, length);
      return true;
    }
    if (!on_chunk(std::string_view(data, length))) {
      stopped_by_us = true;
      return false;
    }
    return true;
  };
  httplib::ClientImpl* raw = client.get();
  std::stop_callback on_stop(stop, [raw] { raw->stop(); });
  auto result = client->send(req);
  if (!result) {
    if (stopped_by_us || stop.stop_requested()) return status;
    return MakeErrorF(CodeForHttplibError(result.error()), "{} {}{}: {}", request.method,
                      config_.server, request.path,
                      DescribeHttpError(result.error(), DescribeTrustedCa(config_)));
  }
  return result->status;
}

}  // namespace cpa::kube
