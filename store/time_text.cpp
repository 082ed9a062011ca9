#include "store/time_text.h"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "store/query.h"

namespace cpa::store {
namespace {

bool ReadDigits(std::string_view& s, size_t n, int& out) {
  if (s.size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  s.remove_prefix(n);
  return true;
}

bool Expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

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
  std::string_view s = text;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, 4, year) || !Expect(s, '-') || !ReadDigits(s, 2, month) || !Expect(s, '-') ||
      !ReadDigits(s, 2, day)) {
    return invalid();
  }
  if (s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' ')) return invalid();
  s.remove_prefix(1);
  if (!ReadDigits(s, 2, hour) || !Expect(s, ':') || !ReadDigits(s, 2, minute) || !Expect(s, ':') ||
      !ReadDigits(s, 2, second)) {
    return invalid();
  }
  int64_t millis = 0;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    int digits = 0;
    int64_t scale = 100;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      if (digits < 3) millis += (s.front() - '0') * scale;
      scale /= 10;
      ++digits;
      s.remove_prefix(1);
    }
    if (digits == 0) return invalid();
  }
  int offset_minutes = 0;
  if (!s.empty() && (s.front() == 'Z' || s.front() == 'z')) {
    s.remove_prefix(1);
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh = 0, om = 0;
    if (!ReadDigits(s, 2, oh) || !Expect(s, ':') || !ReadDigits(s, 2, om)) return invalid();
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return invalid();
  }
  if (!s.empty() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return invalid();
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return FromMillis(seconds * 1000 + millis);
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
  int64_t ms = ToMillis(t);
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int64_t frac = ms - secs * 1000;
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

}  // namespace cpa::store
