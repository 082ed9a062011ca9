#include "api/request_params.h"

#include <array>
#include <charconv>
#include <chrono>
#include <optional>

namespace cpa::api {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool ReadFixed(std::string_view s, size_t pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  using namespace std::chrono;
  int year, month, day, hour, minute, second;
  if (!ReadFixed(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !ReadFixed(s, 5, 2, month) ||
      s[7] != '-' || !ReadFixed(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !ReadFixed(s, 11, 2, hour) || s[13] != ':' || !ReadFixed(s, 14, 2, minute) || s[16] != ':' ||
      !ReadFixed(s, 17, 2, second)) {
    return std::nullopt;
  }
  year_month_day ymd{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t pos = 19;
  nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  minutes offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!ReadFixed(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ReadFixed(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = hours(oh) + minutes(om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto t = sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second) - offset;
  return time_point_cast<Duration>(t + frac);
}

}  // namespace

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
  if (auto t = ParseRfc3339(text)) return *t;
  return MakeErrorF(ErrorCode::kInvalidArgument,
                    "'{}' is not a time (RFC 3339, e.g. 2026-11-28T20:43:17Z, or Unix "
                    "milliseconds)",
                    text);
}

}  // namespace cpa::api
