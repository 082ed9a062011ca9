// The shell method: runs user logic as a child process (CONTRACTS.md section 2).
//
// The entrypoint is executed directly with the command as its arguments (posix_spawnp; no shell,
// no interpolation), in a new process group. The input JSON is written to stdin, stdout is the
// result (complete when every process holding stdout has closed it), a non-zero exit or a signal
// is an error quoting stderr. When the call ends, however it ends (success, error, timeout,
// output larger than kMaxMethodOutputBytes, cancel), the whole process group is killed and the
// child reaped: background processes started by user logic do not outlive the call (a process
// meant to must start its own session, e.g. with setsid). Group members adopted by this process
// (when it is PID 1 or a subreaper) are reaped as well. Thread-safe: each Call() spawns its own
// process.
#pragma once

#include "engine/config/config.h"
#include "engine/methods/method.h"

namespace cpa::engine {

class ShellMethod final : public Method {
 public:
  ShellMethod(config::ShellMethodConfig config, int64_t timeout_ms, std::string name);
  Result<std::string> Call(std::string_view input, std::stop_token stop) override;

 private:
  config::ShellMethodConfig config_;
  int64_t timeout_ms_;
  std::string name_;  // the config key ("metric", "preScale") for log lines
};

}  // namespace cpa::engine
