// A Method calls one piece of logic: user logic (shell, http) or a built-in evaluator.
//
// Call() takes the JSON input of CONTRACTS.md section 3 and returns the logic's raw output; any
// failure (non-zero exit, bad status, timeout, oversized output) is an error that says what
// happened and quotes what came back. Implementations are thread-safe: per-pod gathering calls
// one Method from several threads at once. Methods are created by the registry
// (method_registry.h) from a MethodConfig.
#pragma once

#include <stop_token>
#include <string>
#include <string_view>

#include "common/error.h"

namespace cpa::engine {

// Output above this size is an error, not an out-of-memory.
inline constexpr size_t kMaxMethodOutputBytes = 4 * 1024 * 1024;

class Method {
 public:
  virtual ~Method() = default;
  virtual Result<std::string> Call(std::string_view input, std::stop_token stop) = 0;
};

// Quotes at most `max` bytes of `text` for an error message, marking truncation.
std::string QuoteForError(std::string_view text, size_t max = 200);

// Quotes a failed program's stderr for one log line: short text whole; a long one (a Python
// traceback) as its first line, the count of lines left out, and its last three lines (where
// the cause is), each line cut at 160 bytes.
std::string SummarizeStderr(std::string_view text);

}  // namespace cpa::engine
