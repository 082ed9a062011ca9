// Errors as values.
//
// Every fallible call in the project returns `Result<T>` (= std::expected<T, Error>) or `Status`
// (= Result<void>). No exception crosses a module boundary. The code decides what a caller does:
//   kUnavailable / kDeadlineExceeded -> retry later (next run),
//   kConflict                        -> re-read and retry now,
//   kInvalidArgument and the rest    -> terminal: report it.
// Error is a small value type; it is cheap to copy and safe to share between threads.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace cpa {

enum class ErrorCode {
  kInvalidArgument,     // bad input: config, user-logic output, request parameter
  kNotFound,            // the thing named does not exist
  kAlreadyExists,       // create of something that exists
  kConflict,            // optimistic concurrency failure (stale resourceVersion)
  kGone,                // a watch/list position that has expired (HTTP 410)
  kUnauthenticated,     // no or wrong credentials (HTTP 401)
  kPermissionDenied,    // authenticated but not allowed (HTTP 403)
  kUnavailable,         // transient: server down, 429, 5xx, connection refused
  kDeadlineExceeded,    // a timeout elapsed
  kFailedPrecondition,  // the system is not in a state to do this (e.g. a model not warmed up)
  kDataLoss,            // stored data is unreadable or corrupt
  kInternal,            // a bug or an unexpected state
};

// "invalid_argument", "not_found", ...: stable names used in logs and API bodies.
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "not_found: deployments.apps \"web\" not found"
  std::string ToString() const;
  // Returns a copy whose message is "<context>: <message>" (the code is kept).
  Error WithContext(std::string_view context) const;
  // True for codes a caller may retry later (unavailable, deadline exceeded).
  bool Retryable() const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

template <typename... Args>
std::unexpected<Error> MakeErrorF(ErrorCode code, fmt::format_string<Args...> format,
                                  Args&&... args) {
  return std::unexpected(Error{code, fmt::format(format, std::forward<Args>(args)...)});
}

inline Status OkStatus() { return {}; }

}  // namespace cpa

// Propagates an error from an expression of type Result<T>/Status: `CPA_RETURN_IF_ERROR(Save());`
#define CPA_RETURN_IF_ERROR(expr)                             \
  do {                                                        \
    if (auto cpa_status_ = (expr); !cpa_status_) {            \
      return std::unexpected(std::move(cpa_status_).error()); \
    }                                                         \
  } while (false)
