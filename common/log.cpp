#include "common/log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "common/clock.h"

namespace cpa::log {
namespace {

std::atomic<int> g_verbosity{0};

struct Sink {
  std::mutex mu;
  std::vector<std::string>* capture = nullptr;
};

Sink& GlobalSink() {
  static Sink sink;
  return sink;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "INFO";
}

std::string OneLine(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

thread_local std::string t_context;

ScopedContext::ScopedContext(std::string context) : previous_(std::move(t_context)) {
  t_context = std::move(context);
}
ScopedContext::~ScopedContext() { t_context = std::move(previous_); }
const std::string& CurrentContext() { return t_context; }

void SetVerbosity(int verbosity) { g_verbosity = std::clamp(verbosity, 0, 4); }
int Verbosity() { return g_verbosity; }

void Write(Level level, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::string stamp = FormatRfc3339(now);
  stamp.insert(stamp.size() - 1, fmt::format(".{:03}", ms.count()));
  std::string line =
      !t_context.empty() && message.find(t_context) == std::string_view::npos
          ? fmt::format("{} {} {}: {}", stamp, LevelName(level), t_context, OneLine(message))
          : fmt::format("{} {} {}", stamp, LevelName(level), OneLine(message));
  Sink& sink = GlobalSink();
  std::lock_guard lock(sink.mu);
  if (sink.capture != nullptr) {
    sink.capture->push_back(std::move(line));
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

struct LogCapture::State {
  std::vector<std::string> lines;
};

LogCapture::LogCapture() : state_(std::make_shared<State>()) {
  std::lock_guard lock(GlobalSink().mu);
  GlobalSink().capture = &state_->lines;
}

LogCapture::~LogCapture() {
  std::lock_guard lock(GlobalSink().mu);
  GlobalSink().capture = nullptr;
}

std::vector<std::string> LogCapture::Lines() const {
  std::lock_guard lock(GlobalSink().mu);
  return state_->lines;
}

bool LogCapture::Contains(std::string_view text) const {
  auto lines = Lines();
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace cpa::log
