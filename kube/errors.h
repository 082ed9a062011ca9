// Kubernetes API failures as cpa::Error values.
//
// The API server answers a failed request with a `Status` object (kind Status, reason, message,
// code). ApiError() maps the HTTP status (and, for 409, the Status reason) onto the project's
// error codes so callers decide retries by code alone:
//   400/422 invalid_argument, 401 unauthenticated, 403 permission_denied, 404 not_found,
//   409 already_exists (reason AlreadyExists) or conflict, 410 gone, 429/5xx unavailable,
//   504/Timeout deadline_exceeded. The message is the server's own Status message when the body
// is a Status, else a bounded excerpt of the body. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/json.h"

namespace cpa::kube {

struct ApiStatus {
  int code = 0;
  std::string reason;   // "NotFound", "Conflict", "AlreadyExists", "Expired", ...
  std::string message;  // human-readable, from the server
};

// Reads a `Status` object; std::nullopt-like empty reason/message when `value` is not one.
ApiStatus ParseApiStatus(const JsonValue& value);

// The error for an HTTP response with a failing status code.
Error ApiError(int http_status, std::string_view body);

// The error for an in-stream watch ERROR event carrying a Status object.
Error WatchStatusError(const JsonValue& status_object);

ErrorCode ErrorCodeForHttpStatus(int http_status, std::string_view reason);

}  // namespace cpa::kube
