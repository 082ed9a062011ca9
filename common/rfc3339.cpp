#include "common/rfc3339.h"

#include <chrono>
#include <cstdint>

#include <fmt/format.h>

namespace cpa {
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

}  // namespace

Result<TimePoint> ParseRfc3339(std::string_view text, const Rfc3339ParseOptions& options) {
  using namespace std::chrono;
  auto invalid = [&] {
    return MakeErrorF(ErrorCode::kInvalidArgument,
                      "\"{}\" is not an RFC 3339 time (e.g. 2026-11-28T20:43:17Z)", text);
  };
  std::string_view s = text;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!ReadDigits(s, 4, y) || !Expect(s, '-') || !ReadDigits(s, 2, mo) || !Expect(s, '-') ||
      !ReadDigits(s, 2, d) || s.empty()) {
    return invalid();
  }
  const char sep = s.front();
  if (sep != 'T' && sep != 't' && !(sep == ' ' && options.allow_space_separator)) return invalid();
  s.remove_prefix(1);
  if (!ReadDigits(s, 2, h) || !Expect(s, ':') || !ReadDigits(s, 2, mi) || !Expect(s, ':') ||
      !ReadDigits(s, 2, sec)) {
    return invalid();
  }
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return invalid();
  // A TimePoint counts nanoseconds in int64: 1678 to 2261 fit (fuzzing found year 4048
  // overflowing the conversion).
  if (y < 1678 || y > 2261) {
    return MakeErrorF(ErrorCode::kInvalidArgument, "RFC 3339 time \"{}\" is out of range", text);
  }
  nanoseconds fraction{0};
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    int64_t scale = 100'000'000;
    size_t digits = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      fraction += nanoseconds((s.front() - '0') * scale);
      scale /= 10;
      ++digits;
      s.remove_prefix(1);
    }
    if (digits == 0) return invalid();
  }
  minutes offset{0};
  if (s.empty()) {
    if (!options.allow_missing_zone) return invalid();
  } else if (s.front() == 'Z' || s.front() == 'z') {
    s.remove_prefix(1);
  } else if (s.front() == '+' || s.front() == '-') {
    const bool negative = s.front() == '-';
    s.remove_prefix(1);
    int oh = 0, om = 0;
    if (!ReadDigits(s, 2, oh) || !Expect(s, ':') || !ReadDigits(s, 2, om) || oh > 23 || om > 59) {
      return invalid();
    }
    offset = hours(oh) + minutes(om);
    if (negative) offset = -offset;
  } else {
    return invalid();
  }
  if (!s.empty()) return invalid();
  const auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + fraction - offset;
  return time_point_cast<Duration>(t);
}

std::string FormatRfc3339(TimePoint t, Rfc3339Precision precision) {
  using namespace std::chrono;
  const auto day_start = floor<days>(t);
  const year_month_day ymd{day_start};
  const hh_mm_ss<nanoseconds> tod{duration_cast<nanoseconds>(t - day_start)};
  std::string out =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  tod.hours().count(), tod.minutes().count(), tod.seconds().count());
  const int64_t ns = tod.subseconds().count();
  switch (precision) {
    case Rfc3339Precision::kSeconds:
      break;
    case Rfc3339Precision::kMillis:
      out += fmt::format(".{:03}", ns / 1'000'000);
      break;
    case Rfc3339Precision::kMicros:
      out += fmt::format(".{:06}", ns / 1'000);
      break;
  }
  out += 'Z';
  return out;
}

std::string FormatRfc3339(TimePoint t) { return FormatRfc3339(t, Rfc3339Precision::kSeconds); }

}  // namespace cpa
