// Times and durations as people type them on the command line and read them in exports.
//
// ParseTime: RFC 3339 ("2026-11-28T20:43:17Z", "2026-11-28T21:43:17.250+01:00") or an integer
// count of milliseconds since the Unix epoch. ParseDuration: a sequence of <number><unit> with
// units ms, s, m, h, d ("90s", "1h30m", "7d"). FormatTime: RFC 3339 in UTC with milliseconds.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"

namespace cpa::store {

Result<TimePoint> ParseTime(std::string_view text);
Result<Duration> ParseDuration(std::string_view text);
std::string FormatTime(TimePoint t);

}  // namespace cpa::store
