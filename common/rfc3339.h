// RFC 3339 timestamps: the one parser and formatter every module uses (Kubernetes objects, the
// store's exports and command-line times, `cpa forecast` CSV input, the API's query parameters).
//
// ParseRfc3339 reads "2026-11-28T20:43:17Z", "2026-11-28t20:43:17.25+01:00" or, where the caller
// allows it, "2026-11-28 20:43:17" (space separator) and a missing zone (read as UTC); the
// fraction keeps up to nanoseconds. FormatRfc3339 writes UTC with the chosen precision:
// seconds ("...17Z", Kubernetes Time), milliseconds ("...17.250Z", the store), microseconds
// ("...17.250000Z", Kubernetes MicroTime). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"

namespace cpa {

struct Rfc3339ParseOptions {
  bool allow_space_separator = true;  // "2026-11-28 20:43:17Z" as well as 'T'
  bool allow_missing_zone = false;    // no "Z"/offset: read as UTC
};

// kInvalidArgument naming the text when it is not an RFC 3339 time (or the date does not exist).
Result<TimePoint> ParseRfc3339(std::string_view text, const Rfc3339ParseOptions& options = {});

enum class Rfc3339Precision { kSeconds, kMillis, kMicros };

// UTC, truncated (towards the past) to `precision`. FormatRfc3339(t) in common/clock.h is
// FormatRfc3339(t, Rfc3339Precision::kSeconds).
std::string FormatRfc3339(TimePoint t, Rfc3339Precision precision);

}  // namespace cpa
