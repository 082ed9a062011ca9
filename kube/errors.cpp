#include "kube/errors.h"

namespace cpa::kube {
namespace {

std::string Excerpt(std::string_view body) {
  constexpr size_t kMax = 256;
  std::string out;
  for (char c : body.substr(0, kMax)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (body.size() > kMax) out += "...";
  return out;
}

}  // namespace

ApiStatus ParseApiStatus(const JsonValue& value) {
  ApiStatus status;
  if (!value.IsObject() || StringMember(value, "kind") != "Status") return status;
  status.reason = StringMember(value, "reason");
  status.message = StringMember(value, "message");
  if (const JsonValue* code = FindMember(value, "code"); code != nullptr && code->IsInt()) {
    status.code = code->GetInt();
  }
  return status;
}

ErrorCode ErrorCodeForHttpStatus(int http_status, std::string_view reason) {
  switch (http_status) {
    case 400:
    case 405:
    case 406:
    case 413:
    case 415:
    case 422:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? ErrorCode::kAlreadyExists : ErrorCode::kConflict;
    case 410:
      return ErrorCode::kGone;
    case 408:
    case 504:
      return ErrorCode::kDeadlineExceeded;
    case 429:
      return ErrorCode::kUnavailable;
    default:
      break;
  }
  if (reason == "Timeout") return ErrorCode::kDeadlineExceeded;
  if (http_status >= 500) return ErrorCode::kUnavailable;
  return ErrorCode::kInternal;
}

Error ApiError(int http_status, std::string_view body) {
  ApiStatus status;
  if (auto doc = ParseJson(body); doc) status = ParseApiStatus(*doc);
  Error error;
  error.code = ErrorCodeForHttpStatus(http_status, status.reason);
  if (!status.message.empty()) {
    error.message = status.message;
  } else if (!status.reason.empty()) {
    error.message = fmt::format("HTTP {} {}", http_status, status.reason);
  } else {
    error.message = fmt::format("HTTP {}: {}", http_status, Excerpt(body));
  }
  return error;
}

Error WatchStatusError(const JsonValue& status_object) {
  ApiStatus status = ParseApiStatus(status_object);
  if (status.code == 0 && status.reason.empty()) {
    return Error{ErrorCode::kInternal, "watch ERROR event without a Status object"};
  }
  int code = status.code != 0 ? status.code : 500;
  // A compacted resourceVersion is reported as 410 (reason Expired or Gone).
  if (status.reason == "Expired" || status.reason == "Gone") code = 410;
  return Error{ErrorCodeForHttpStatus(code, status.reason),
               status.message.empty() ? status.reason : status.message};
}

}  // namespace cpa::kube
