#include "engine/methods/shell_method.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include "common/log.h"

extern char** environ;

namespace cpa::engine {
namespace {

constexpr size_t kMaxStderrBytes = 64 * 1024;

void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  void CloseRead() {
    if (fd[0] >= 0) ::close(fd[0]);
    fd[0] = -1;
  }
  void CloseWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
};

bool MakePipe(Pipe& p) { return ::pipe2(p.fd, O_CLOEXEC) == 0; }

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Whether orphaned processes become children of this process: it is PID 1 (of a container, as
// in the images) or a subreaper.
bool AdoptsOrphans() {
  if (::getpid() == 1) return true;
  int subreaper = 0;
  return ::prctl(PR_GET_CHILD_SUBREAPER, &subreaper) == 0 && subreaper != 0;
}

// Processes of process group `group` other than its leader, each with its parent (from /proc).
std::vector<std::pair<pid_t, pid_t>> GroupMembers(pid_t group) {
  std::vector<std::pair<pid_t, pid_t>> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t member = static_cast<pid_t>(std::atol(name.c_str()));
    if (member == group) continue;
    std::ifstream stat(it->path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t parent = 0;
    pid_t pgrp = 0;
    if (rest >> state >> parent >> pgrp && pgrp == group) out.emplace_back(member, parent);
  }
  return out;
}

// Ends what is left of the call's process group, whose leader `pid` has exited or must end, and
// reaps the leader; returns its wait status. SIGKILL goes to the group while the unreaped leader
// keeps the group id from being reused. When this process adopts orphans (PID 1, subreaper),
// members of the group it adopted are reaped before the leader, so none stays a zombie; they
// are found by group, so no other child of the process is ever reaped here.
int EndProcessGroup(pid_t pid) {
  ::kill(-pid, SIGKILL);
  if (AdoptsOrphans()) {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 &&
           errno == EINTR) {
    }
    // SIGKILLed processes exit within milliseconds; one stuck in the kernel is not waited for.
    const pid_t self = ::getpid();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (auto members = GroupMembers(pid);
         !members.empty() && std::chrono::steady_clock::now() < give_up;
         members = GroupMembers(pid)) {
      for (const auto& [member, parent] : members) {
        if (parent == self) ::waitpid(member, nullptr, WNOHANG);
      }
      ::usleep(1000);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// True when the child has exited (it is a zombie, not reaped: its pid and group stay reserved).
bool HasExited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       ::strsignal(WTERMSIG(status)));
  }
  return fmt::format("ended with status {}", status);
}

}  // namespace

std::string QuoteForError(std::string_view text, size_t max) {
  std::string out;
  bool truncated = text.size() > max;
  for (char c : text.substr(0, max)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return fmt::format("\"{}\"{}", out, truncated ? fmt::format(" (first {} bytes)", max) : "");
}

std::string SummarizeStderr(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  constexpr size_t kLast = 3;
  if (lines.size() <= kLast + 2 && text.size() <= 500) return QuoteForError(text, 500);
  auto cut = [](std::string_view line) {
    return line.size() > 160 ? std::string(line.substr(0, 160)) + "..." : std::string(line);
  };
  std::string summary = cut(lines.front());
  const size_t omitted = lines.size() > kLast + 1 ? lines.size() - kLast - 1 : 0;
  if (omitted > 0) summary += fmt::format("\n[{} lines omitted]", omitted);
  for (size_t i = std::max<size_t>(1, lines.size() - kLast); i < lines.size(); ++i) {
    summary += '\n';  // not "\n" + cut(...): GCC 12 reports a false -Wrestrict on that
    summary += cut(lines[i]);
  }
  return QuoteForError(summary, 1000);
}

ShellMethod::ShellMethod(config::ShellMethodConfig config, int64_t timeout_ms, std::string name)
    : config_(std::move(config)), timeout_ms_(timeout_ms), name_(std::move(name)) {
  IgnoreSigpipeOnce();
}

Result<std::string> ShellMethod::Call(std::string_view input, std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  Pipe in, out, err;
  if (!MakePipe(in) || !MakePipe(out) || !MakePipe(err)) {
    return MakeErrorF(ErrorCode::kInternal, "cannot create pipes: {}", std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(config_.entrypoint.c_str()));
  for (auto& arg : config_.command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, config_.entrypoint.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "{}: cannot execute \"{}\": {}", name_,
                      config_.entrypoint, std::strerror(rc));
  }
  in.CloseRead();
  out.CloseWrite();
  err.CloseWrite();
  SetNonBlocking(in.fd[1]);
  SetNonBlocking(out.fd[0]);
  SetNonBlocking(err.fd[0]);

  std::string stdout_text;
  std::string stderr_text;
  size_t written = 0;
  if (input.empty()) in.CloseWrite();
  std::optional<Error> failure;
  char buffer[65536];
  // Readable when the child exits (a kernel without pidfds: checked on each poll timeout).
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    if (stop.stop_requested()) {
      failure = Error{ErrorCode::kDeadlineExceeded, fmt::format("{}: cancelled", name_)};
      break;
    }
    auto now = Clock::now();
    if (now >= deadline) {
      if (!exited) exited = HasExited(pid);
      failure = Error{
          ErrorCode::kDeadlineExceeded,
          exited ? fmt::format("{}: timed out after {} ms: \"{}\" exited, but a process it left "
                               "running still holds its output open (redirect the output of "
                               "background processes, e.g. `cmd >/dev/null 2>&1 &`)",
                               name_, timeout_ms_, config_.entrypoint)
                 : fmt::format("{}: timed out after {} ms", name_, timeout_ms_)};
      break;
    }
    std::vector<pollfd> fds;
    if (in.fd[1] >= 0) fds.push_back({in.fd[1], POLLOUT, 0});
    if (out.fd[0] >= 0) fds.push_back({out.fd[0], POLLIN, 0});
    if (err.fd[0] >= 0) fds.push_back({err.fd[0], POLLIN, 0});
    if (pidfd >= 0 && !exited) fds.push_back({pidfd, POLLIN, 0});
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(wait_ms, 100)));
    if (ready < 0 && errno != EINTR) {
      failure =
          Error{ErrorCode::kInternal, fmt::format("{}: poll: {}", name_, std::strerror(errno))};
      break;
    }
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == pidfd) {
        exited = true;
        continue;
      }
      if (p.fd == in.fd[1]) {
        ssize_t n = ::write(in.fd[1], input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN) || written == input.size()) in.CloseWrite();
        continue;
      }
      bool is_out = p.fd == out.fd[0];
      ssize_t n = ::read(p.fd, buffer, sizeof(buffer));
      if (n > 0) {
        if (is_out) {
          // Checked before appending: the buffer never grows past the limit (nor doubles its
          // capacity beyond it), whatever the user logic prints.
          if (stdout_text.size() + static_cast<size_t>(n) > kMaxMethodOutputBytes) {
            failure = Error{ErrorCode::kInvalidArgument,
                            fmt::format("{}: output exceeded the limit of {} bytes", name_,
                                        kMaxMethodOutputBytes)};
          } else {
            stdout_text.append(buffer, static_cast<size_t>(n));
          }
        } else if (stderr_text.size() < kMaxStderrBytes) {
          stderr_text.append(buffer, std::min<size_t>(n, kMaxStderrBytes - stderr_text.size()));
        }
      } else if (n == 0 || errno != EAGAIN) {
        (is_out ? out : err).CloseRead();
      }
    }
    if (failure) break;
  }
  struct ClosePidfd {
    int fd;
    ~ClosePidfd() {
      if (fd >= 0) ::close(fd);
    }
  } close_pidfd{pidfd};
  if (failure) {
    EndProcessGroup(pid);  // the whole group: the child and anything it started
    return std::unexpected(*failure);
  }
  // Output is closed; the child exits now or soon. Wait for it (the pidfd when the kernel has
  // them, else short sleeps), bounded by the deadline, without reaping it yet.
  while (!exited && !(exited = HasExited(pid))) {
    auto now = Clock::now();
    if (now >= deadline || stop.stop_requested()) {
      EndProcessGroup(pid);
      return MakeErrorF(ErrorCode::kDeadlineExceeded, "{}: timed out after {} ms", name_,
                        timeout_ms_);
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(wait_ms, 1, 100)));
    } else {
      ::usleep(1000);
    }
  }
  // Anything the user logic left running in its group (a background process that closed its
  // output) ends with the call, as on a timeout.
  const int status = EndProcessGroup(pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return MakeErrorF(ErrorCode::kUnavailable, "{}: \"{}\" {}; stderr: {}", name_,
                      config_.entrypoint, DescribeStatus(status), SummarizeStderr(stderr_text));
  }
  if (config_.log_stderr && !stderr_text.empty()) {
    log::Info("{} stderr: {}", name_, stderr_text);
  }
  return stdout_text;
}

}  // namespace cpa::engine
