#include "kube/exec_credential.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "common/json.h"
#include "common/rfc3339.h"
#include "kube/config.h"

extern char** environ;

namespace cpa::kube {
namespace {

constexpr std::string_view kV1 = "client.authentication.k8s.io/v1";
constexpr std::string_view kV1Beta1 = "client.authentication.k8s.io/v1beta1";
constexpr size_t kMaxOutputBytes = 1 << 20;
constexpr size_t kMaxStderrBytes = 4096;

std::string PluginName(const ExecConfig& config) {
  return fmt::format("exec credential plugin \"{}\"", config.command);
}

std::string Printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  if (text.size() > max) out += "...";
  return out;
}

struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

Status ExecConfig::Validate() const {
  if (api_version != kV1 && api_version != kV1Beta1) {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "exec.apiVersion \"{}\" is not supported (use {} or {})", api_version, kV1,
                      kV1Beta1);
  }
  if (command.empty()) return MakeError(ErrorCode::kInvalidArgument, "exec.command is required");
  if (interactive_mode.empty() && api_version == kV1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "exec.interactiveMode is required by client.authentication.k8s.io/v1 "
                     "(Never, IfAvailable or Always)");
  }
  if (!interactive_mode.empty() && interactive_mode != "Never" &&
      interactive_mode != "IfAvailable" && interactive_mode != "Always") {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "exec.interactiveMode \"{}\" is not Never, IfAvailable or Always",
                      interactive_mode);
  }
  if (interactive_mode == "Always") {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "exec.interactiveMode Always: {} needs a terminal, and cpa runs without one",
                      PluginName(*this));
  }
  if (timeout.count() <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "exec plugin timeout must be positive");
  }
  return OkStatus();
}

std::string ExecInfoJson(const ExecConfig& config, const ExecClusterInfo& cluster) {
  JsonDocument doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("kind", "ExecCredential", a);
  doc.AddMember("apiVersion", JsonString(config.api_version, a), a);
  JsonValue spec(rapidjson::kObjectType);
  spec.AddMember("interactive", false, a);
  if (config.provide_cluster_info) {
    JsonValue c(rapidjson::kObjectType);
    c.AddMember("server", JsonString(cluster.server, a), a);
    if (!cluster.certificate_authority_pem.empty()) {
      c.AddMember("certificate-authority-data",
                  JsonString(EncodeBase64(cluster.certificate_authority_pem), a), a);
    }
    if (cluster.insecure_skip_tls_verify) c.AddMember("insecure-skip-tls-verify", true, a);
    spec.AddMember("cluster", c, a);
  }
  doc.AddMember("spec", spec, a);
  return ToJson(doc);
}

Result<ExecCredential> ParseExecCredential(std::string_view output, const ExecConfig& config) {
  auto bad = [&](std::string_view why) {
    return MakeErrorF(ErrorCode::kUnauthenticated, "{}: {} (output: \"{}\")", PluginName(config),
                      why, Printable(output, 200));
  };
  auto doc = ParseJson(output);
  if (!doc || !doc->IsObject()) return bad("did not print an ExecCredential JSON object");
  if (StringMember(*doc, "kind") != "ExecCredential") return bad("kind is not ExecCredential");
  if (StringMember(*doc, "apiVersion") != config.api_version) {
    return bad(fmt::format("apiVersion \"{}\" differs from the kubeconfig's \"{}\"",
                           StringMember(*doc, "apiVersion"), config.api_version));
  }
  const JsonValue* status = FindMember(*doc, "status");
  if (status == nullptr || !status->IsObject()) return bad("no status");
  ExecCredential credential;
  credential.token = StringMember(*status, "token");
  credential.client_certificate_pem = StringMember(*status, "clientCertificateData");
  credential.client_key_pem = StringMember(*status, "clientKeyData");
  if (credential.client_certificate_pem.empty() != credential.client_key_pem.empty()) {
    return bad("status.clientCertificateData and status.clientKeyData must come together");
  }
  if (credential.token.empty() && credential.client_certificate_pem.empty()) {
    return bad("status has neither a token nor a client certificate");
  }
  if (auto expiry = StringMember(*status, "expirationTimestamp"); !expiry.empty()) {
    auto t = ParseRfc3339(expiry);
    if (!t) return bad(fmt::format("status.expirationTimestamp: {}", t.error().message));
    credential.expiration = *t;
  }
  return credential;
}

Result<ExecCredential> RunExecPlugin(const ExecConfig& config, const ExecClusterInfo& cluster) {
  CPA_RETURN_IF_ERROR(config.Validate());
  const std::string name = PluginName(config);
  // Environment: ours, then the kubeconfig's env entries, then KUBERNETES_EXEC_INFO.
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string_view::npos) env[std::string(entry.substr(0, eq))] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : config.env) env[k] = v;
  env["KUBERNETES_EXEC_INFO"] = ExecInfoJson(config, cluster);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{config.command};
  arg_strings.insert(arg_strings.end(), config.args.begin(), config.args.end());
  std::vector<char*> argv;
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return MakeErrorF(ErrorCode::kInternal, "{}: cannot create a pipe", name);
  }
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return MakeErrorF(ErrorCode::kInternal, "{}: cannot create a pipe", name);
  }
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, config.command.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return MakeErrorF(ErrorCode::kUnauthenticated, "{}: cannot be started: {}{}", name,
                      std::strerror(rc),
                      config.install_hint.empty() ? "" : "; " + config.install_hint);
  }
  out_w.Close();
  err_w.Close();

  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + config.timeout;
  std::string out, err;
  std::optional<Error> failure;
  char buffer[16384];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    const auto now = Steady::now();
    if (now >= deadline) {
      failure = Error{ErrorCode::kDeadlineExceeded,
                      fmt::format("{}: no answer within {} ms", name, config.timeout.count())};
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    if (::poll(fds, n, static_cast<int>(std::min<int64_t>(wait, 1000))) < 0 && errno != EINTR) {
      failure = Error{ErrorCode::kInternal, fmt::format("{}: poll failed", name)};
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      const bool is_out = fds[i].fd == out_r.fd;
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (got > 0) {
        std::string& sink = is_out ? out : err;
        const size_t cap = is_out ? kMaxOutputBytes + 1 : kMaxStderrBytes;
        sink.append(buffer,
                    std::min<size_t>(static_cast<size_t>(got), cap - std::min(cap, sink.size())));
        if (is_out && out.size() > kMaxOutputBytes) {
          failure = Error{ErrorCode::kUnauthenticated,
                          fmt::format("{}: output larger than {} bytes", name, kMaxOutputBytes)};
        }
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        (is_out ? out_r : err_r).Close();
      }
    }
    if (failure) break;
  }
  int status = 0;
  if (failure) {
    ::kill(-pid, SIGKILL);  // the plugin and anything it started
    ::waitpid(pid, &status, 0);
    return std::unexpected(*failure);
  }
  // Both pipes closed: the plugin is exiting. A child that closed them but lingers is killed at
  // the deadline.
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (Steady::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return MakeErrorF(ErrorCode::kDeadlineExceeded, "{}: did not exit within {} ms", name,
                        config.timeout.count());
    }
    ::usleep(1000);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return MakeErrorF(ErrorCode::kUnauthenticated, "{}: {}; stderr: \"{}\"", name,
                      WIFEXITED(status) ? fmt::format("exited with code {}", WEXITSTATUS(status))
                                        : fmt::format("was killed by signal {}", WTERMSIG(status)),
                      Printable(err, 500));
  }
  return ParseExecCredential(out, config);
}

ExecCredentialProvider::ExecCredentialProvider(ExecConfig config, ExecClusterInfo cluster,
                                               const Clock& clock)
    : config_(std::move(config)), cluster_(std::move(cluster)), clock_(clock) {}

Result<ExecCredential> ExecCredentialProvider::Get() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expiration || clock_.Now() < *cached_->expiration)) return *cached_;
  ++runs_;
  auto fresh = RunExecPlugin(config_, cluster_);
  if (!fresh) {
    cached_.reset();
    return std::unexpected(fresh.error());
  }
  cached_ = std::move(*fresh);
  return *cached_;
}

void ExecCredentialProvider::Invalidate(const ExecCredential& used) {
  std::lock_guard lock(mu_);
  if (cached_ && cached_->token == used.token &&
      cached_->client_certificate_pem == used.client_certificate_pem) {
    cached_.reset();
  }
}

int ExecCredentialProvider::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

}  // namespace cpa::kube
