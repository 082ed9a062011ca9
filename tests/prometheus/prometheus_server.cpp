#include "tests/prometheus/prometheus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <httplib.h>

extern char** environ;

namespace cpa::testing_prometheus {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

pid_t Spawn(const std::vector<std::string>& args, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Waits up to `limit` for `pid`; kills it after. Returns the exit code (-1: killed).
int WaitBounded(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(20ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return 0;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int RunCommand(const std::vector<std::string>& args, const fs::path& log,
               std::chrono::seconds limit) {
  pid_t pid = Spawn(args, log);
  if (pid < 0) return -1;
  return WaitBounded(pid, limit);
}

Exporter::Exporter() : server_(std::make_unique<httplib::Server>()) {}
Exporter::~Exporter() { Stop(); }

Status Exporter::Start() {
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu_);
    res.set_content(text_, "text/plain; version=0.0.4");
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return MakeError(ErrorCode::kUnavailable, "exporter: cannot bind");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(1ms);
  return OkStatus();
}

void Exporter::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void Exporter::Set(std::string text) {
  std::lock_guard lock(mu_);
  text_ = std::move(text);
}

Status PrometheusServer::Start(const ServerOptions& options) {
  fs::create_directories(dir_ / "data");
  if (!options.openmetrics.empty()) {
    std::ofstream(dir_ / "history.om") << options.openmetrics;
    int rc = RunCommand({"promtool", "tsdb", "create-blocks-from", "openmetrics",
                         (dir_ / "history.om").string(), (dir_ / "data").string()},
                        dir_ / "promtool.log", 120s);
    if (rc != 0) {
      return MakeErrorF(ErrorCode::kInternal, "promtool exited {}: {}", rc, Log());
    }
  }
  std::string config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n";
  if (options.exporter_port != 0) {
    config += fmt::format(
        "scrape_configs:\n  - job_name: exporter\n    scrape_interval: 1s\n"
        "    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
        options.exporter_port);
  }
  std::ofstream(dir_ / "prometheus.yml") << config;
  port_ = FreePort();
  if (port_ == 0) return MakeError(ErrorCode::kUnavailable, "no free port");
  pid_ = Spawn(
      {"prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir_ / "data").string(), "--storage.tsdb.retention.time=3650d",
       fmt::format("--web.listen-address=127.0.0.1:{}", port_), "--log.level=warn"},
      dir_ / "prometheus.log");
  if (pid_ < 0) return MakeError(ErrorCode::kUnavailable, "cannot start prometheus");
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  const auto deadline = std::chrono::steady_clock::now() + options.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return MakeErrorF(ErrorCode::kUnavailable, "prometheus exited: {}", Log());
    }
    auto res = client.Get("/-/ready");
    if (res && res->status == 200) return OkStatus();
    std::this_thread::sleep_for(100ms);
  }
  Stop();
  return MakeErrorF(ErrorCode::kDeadlineExceeded, "prometheus not ready in time: {}", Log());
}

void PrometheusServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  WaitBounded(pid_, 10s);
  pid_ = -1;
}

std::string PrometheusServer::url() const { return fmt::format("http://127.0.0.1:{}", port_); }

std::string PrometheusServer::Log() const {
  std::stringstream s;
  for (const char* f : {"promtool.log", "prometheus.log"}) {
    std::ifstream in(dir_ / f);
    if (in) s << in.rdbuf();
  }
  return s.str();
}

}  // namespace cpa::testing_prometheus
