// Test support for fault matrices against kube/fake: the kinds of API server failure a test
// injects, their stable names (parameterized test names), and the FakeApiServer::Fault each one
// is — error Status bodies worded as a real API server words them (../shared/kube-fixtures).
// The caller sets the selector (method, path) and may override the body (e.g. an AlreadyExists
// 409 for a create, an empty list for a metrics API). Header-only.
#pragma once

#include <chrono>
#include <string_view>

#include "kube/fake/fake_api_server.h"

namespace cpa::testing_support {

enum class ApiFaultKind {
  k500,
  k429,  // with Retry-After
  k503Html,
  kReset,
  kSlow,  // the answer after `slow`, past the client's deadline
  kTruncated,
  k404,
  k409,
  kEmptyList,  // a metrics API's empty list (the caller gives the body)
  kReplyLost,  // a write that takes effect but whose reply never arrives
  kTrickle,    // the answer's body a byte at a time: every read quick, the whole past the deadline
};

inline std::string_view Name(ApiFaultKind f) {
  switch (f) {
    case ApiFaultKind::k500:
      return "500";
    case ApiFaultKind::k429:
      return "429_retry_after";
    case ApiFaultKind::k503Html:
      return "503_html";
    case ApiFaultKind::kReset:
      return "reset";
    case ApiFaultKind::kSlow:
      return "slow";
    case ApiFaultKind::kTruncated:
      return "truncated";
    case ApiFaultKind::k404:
      return "404";
    case ApiFaultKind::k409:
      return "409";
    case ApiFaultKind::kEmptyList:
      return "empty_list";
    case ApiFaultKind::kReplyLost:
      return "reply_lost";
    case ApiFaultKind::kTrickle:
      return "trickle";
  }
  return "";
}

inline constexpr const char* kStatus500 =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","details":{"causes":[{"message":"etcdserver: request timed out"}]},"code":500})";
inline constexpr const char* kStatus429 =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429})";
inline constexpr const char* kHtml503 =
    "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this "
    "request.</body></html>";
inline constexpr const char* kStatus404 =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404})";
inline constexpr const char* kStatus409Conflict =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409})";

// Sets the failure part of `f` (kind, status, body, headers, delays) for `kind`; every time
// (times = -1) until the test clears it.
inline void SetFailure(kube::fake::FakeApiServer::Fault& f, ApiFaultKind kind,
                       std::chrono::milliseconds slow) {
  using Fault = kube::fake::FakeApiServer::Fault;
  f.times = -1;
  switch (kind) {
    case ApiFaultKind::k500:
      f.status = 500;
      f.body = kStatus500;
      break;
    case ApiFaultKind::k429:
      f.status = 429;
      f.body = kStatus429;
      f.headers = {{"Retry-After", "1"}};
      break;
    case ApiFaultKind::k503Html:
      f.status = 503;
      f.body = kHtml503;
      f.content_type = "text/html";
      break;
    case ApiFaultKind::kReset:
      f.kind = Fault::Kind::kReset;
      break;
    case ApiFaultKind::kSlow:
      f.kind = Fault::Kind::kDelay;
      f.delay = slow;
      break;
    case ApiFaultKind::kTruncated:
      f.kind = Fault::Kind::kTruncate;
      f.truncate_to = 30;
      break;
    case ApiFaultKind::k404:
      f.status = 404;
      f.body = kStatus404;
      break;
    case ApiFaultKind::k409:
      f.status = 409;
      f.body = kStatus409Conflict;
      break;
    case ApiFaultKind::kEmptyList:
      f.status = 200;
      break;
    case ApiFaultKind::kReplyLost:
      f.kind = Fault::Kind::kReset;
      f.after_effect = true;
      break;
    case ApiFaultKind::kTrickle:
      f.kind = Fault::Kind::kTrickle;
      f.delay = std::chrono::milliseconds(10);
      break;
  }
}

}  // namespace cpa::testing_support
