#include "api/request_params.h"

#include <array>
#include <charconv>
#include <chrono>
#include <optional>

#include "common/rfc3339.h"

namespace cpa::api {

Result<bool> ParseGoBool(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::array<std::string_view, 6> kFalse = {"0",     "f",     "F",
                                                             "FALSE", "false", "False"};
  for (auto t : kTrue) {
    if (text == t) return true;
  }
  for (auto f : kFalse) {
    if (text == f) return false;
  }
  return MakeErrorF(ErrorCode::kInvalidArgument, "'{}' is not a valid boolean value", text);
}

Result<TimePoint> ParseTimeParam(std::string_view text) {
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    return FromUnixMillis(ms);
  }
  if (auto t = ParseRfc3339(text, {.allow_space_separator = false})) return *t;
  return MakeErrorF(ErrorCode::kInvalidArgument,
                    "'{}' is not a time (RFC 3339, e.g. 2026-11-28T20:43:17Z, or Unix "
                    "milliseconds)",
                    text);
}

}  // namespace cpa::api
