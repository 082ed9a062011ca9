// Test support for end-to-end tests that start real processes (`cpa run`, `cpa operator`, …):
// spawn with stdout+stderr into a log file, wait with a limit (the process is killed when the
// limit passes, and reaped when the handle goes away), read the log, and count what a process
// holds (open descriptors, direct children, memory) so leak tests can compare before and after.
// Header-only; POSIX (Linux /proc).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace cpa::testing_support {

// The `cpa` binary of the tree under test (CPA_BINARY_DIR, set by tests/test_environment.cpp).
inline std::string CpaBinary() {
  const char* dir = std::getenv("CPA_BINARY_DIR");
  return std::string(dir != nullptr ? dir : "build") + "/cli/cpa";
}

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, std::filesystem::path log) : pid_(pid), log_(std::move(log)) {}
  ChildProcess(ChildProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), log_(std::move(other.log_)) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
      Reap();
      pid_ = std::exchange(other.pid_, -1);
      log_ = std::move(other.log_);
    }
    return *this;
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Reap(); }

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log() const { return log_; }
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  void Signal(int signal) const {
    if (pid_ > 0) kill(pid_, signal);
  }

  // Waits up to `limit` for the process to exit; returns its exit code (128 + signal when killed
  // by one), or -1 when the limit passed (the process is then killed and reaped).
  int Wait(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return -1;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    for (;;) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Reap();
    return -1;
  }

  // Everything the process wrote to stdout and stderr so far.
  std::string Output() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void Reap() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// Starts args[0] (a path) with args, stdout and stderr both appended to `log` (created/truncated),
// and the test's environment plus `extra_env` ("NAME=value").
inline ChildProcess SpawnLogged(const std::vector<std::string>& args,
                                const std::filesystem::path& log,
                                const std::vector<std::string>& extra_env = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (const auto& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()), 0)
      << "cannot start " << args.front();
  posix_spawn_file_actions_destroy(&actions);
  return ChildProcess(pid, log);
}

// Polls `condition` every 10 ms for up to `limit`; true as soon as it holds.
inline bool WaitUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Open file descriptors of `pid` (entries of /proc/<pid>/fd; 0 when it is gone).
inline int CountOpenFds(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return n;
}

// Live direct children of `pid` (processes whose parent it is, zombies included).
inline int CountChildProcesses(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::ifstream stat(it->path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == pid) ++n;
  }
  return n;
}

// The fewest open descriptors of `pid` over `samples` samples 5 ms apart: what a process holds
// at rest (a run in flight holds pipes and connections for a moment).
inline int CountOpenFdsAtRest(pid_t pid, int samples = 100) {
  int fewest = 1 << 20;
  for (int i = 0; i < samples; ++i) {
    fewest = std::min(fewest, CountOpenFds(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fewest;
}

// The fewest direct children of `pid` over `samples` samples 5 ms apart (0 when every process a
// run started has been reaped; a run in flight has its user logic running for a moment).
inline int CountChildProcessesAtRest(pid_t pid, int samples = 100) {
  int fewest = 1 << 20;
  for (int i = 0; i < samples; ++i) {
    fewest = std::min(fewest, CountChildProcesses(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fewest;
}

// True when `pid` no longer runs: no such process, or a zombie (it exited and waits for a reaper
// that is not the caller).
inline bool ProcessGone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

// A "kB" field of /proc/<pid>/status (VmRSS, VmHWM, ...) in KiB; -1 when it cannot be read.
inline int64_t ProcStatusKiB(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  }
  return -1;
}

// Lines of `text` that contain `needle`.
inline int CountLinesWith(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace cpa::testing_support
