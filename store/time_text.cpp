#include "store/time_text.h"

#include <charconv>

#include <fmt/format.h>

#include "common/rfc3339.h"
#include "store/query.h"

namespace cpa::store {
Result<TimePoint> ParseTime(std::string_view text) {
  auto invalid = [&] {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "\"{}\" is not a time: use RFC 3339 (2026-11-28T20:43:17Z) or "
                      "milliseconds since the Unix epoch",
                      text);
  };
  if (text.empty()) return invalid();
  bool all_digits = text.find_first_not_of("-0123456789") == std::string_view::npos;
  if (all_digits) {
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc() || end != text.data() + text.size()) return invalid();
    return FromMillis(ms);
  }
  // Store times have millisecond precision: a finer fraction is truncated.
  auto t = ParseRfc3339(text);
  if (!t) return invalid();
  return FromMillis(ToMillis(*t));
}

Result<Duration> ParseDuration(std::string_view text) {
  auto invalid = [&] {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "\"{}\" is not a duration: use <number><unit>... with units ms, s, m, h, d "
                      "(e.g. 90s, 1h30m, 7d)",
                      text);
  };
  std::string_view s = text;
  if (s.empty()) return invalid();
  int64_t total_ms = 0;
  while (!s.empty()) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end == s.data() || n < 0) return invalid();
    s.remove_prefix(static_cast<size_t>(end - s.data()));
    int64_t unit = 0;
    if (s.starts_with("ms")) {
      unit = 1;
      s.remove_prefix(2);
    } else if (!s.empty() && s.front() == 's') {
      unit = 1000;
    } else if (!s.empty() && s.front() == 'm') {
      unit = 60'000;
    } else if (!s.empty() && s.front() == 'h') {
      unit = 3'600'000;
    } else if (!s.empty() && s.front() == 'd') {
      unit = 86'400'000;
    } else {
      return invalid();
    }
    if (unit != 1) s.remove_prefix(1);
    total_ms += n * unit;
  }
  return std::chrono::duration_cast<Duration>(std::chrono::milliseconds(total_ms));
}

std::string FormatTime(TimePoint t) {
  return FormatRfc3339(FromMillis(ToMillis(t)), Rfc3339Precision::kMillis);
}

}  // namespace cpa::store
