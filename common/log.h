// Logging: one line per event on stderr, with levels mapped to the config's `logVerbosity`.
//
//   verbosity 0: errors, warnings and info (start-up, scaling decisions, run failures)
//   verbosity 1: + per-run summaries          verbosity 2: + stage timings and method calls
//   verbosity 3: + metric/evaluation values   verbosity 4: + full method inputs and outputs
//
// A message never spans lines: embedded newlines are written as "\n". Thread-safe.
// ScopedContext names what the current thread works for ("autoscaler default/web"): every line
// written on that thread while it lives starts with the name, unless the message already
// names it — so a line from a stage, a method or a hook says which autoscaler it belongs to.
// LogCapture (for tests) redirects every line into memory for its lifetime.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace cpa::log {

enum class Level { kDebug, kInfo, kWarning, kError };

void SetVerbosity(int verbosity);  // clamped to [0, 4]
int Verbosity();
void Write(Level level, std::string_view message);

template <typename... Args>
void Error(fmt::format_string<Args...> format, Args&&... args) {
  Write(Level::kError, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Warning(fmt::format_string<Args...> format, Args&&... args) {
  Write(Level::kWarning, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> format, Args&&... args) {
  Write(Level::kInfo, fmt::format(format, std::forward<Args>(args)...));
}
// Detail shown only when the verbosity is at least `level` (1..4).
template <typename... Args>
void V(int level, fmt::format_string<Args...> format, Args&&... args) {
  if (Verbosity() >= level) Write(Level::kDebug, fmt::format(format, std::forward<Args>(args)...));
}

// Sets the current thread's context for its lifetime (restores the previous one after).
class ScopedContext {
 public:
  explicit ScopedContext(std::string context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  std::string previous_;
};
// The current thread's context ("" when none), to carry it into worker threads.
const std::string& CurrentContext();

// Collects log lines in memory while alive (tests). Only one capture at a time.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::vector<std::string> Lines() const;
  bool Contains(std::string_view text) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cpa::log
