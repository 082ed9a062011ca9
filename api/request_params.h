// Parsing of API query parameters. Pure functions, thread-safe.
//
// Booleans follow Go's strconv.ParseBool, as the original CPA did: 1 t T TRUE true True and
// 0 f F FALSE false False; anything else is an error. Times are RFC 3339 ("2026-11-28T20:43:17Z",
// "2026-11-28T21:43:17.250+01:00") or integer milliseconds since the Unix epoch.
#pragma once

#include <string_view>

#include "common/clock.h"
#include "common/error.h"

namespace cpa::api {

Result<bool> ParseGoBool(std::string_view text);
Result<TimePoint> ParseTimeParam(std::string_view text);

}  // namespace cpa::api
