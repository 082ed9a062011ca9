// How metric text becomes a number, and back.
//
// ParseNumber accepts a decimal or scientific number with optional surrounding ASCII whitespace
// (user logic usually prints a trailing newline): "3", " 2.5\n", "-1e3". Anything else - empty,
// "12abc", "0x10", "nan", "inf", out of double range - is not a number. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cpa::store {

std::optional<double> ParseNumber(std::string_view text);

// The shortest text that reads back as exactly `value` ("3", "0.1", "1e+20").
std::string FormatNumber(double value);

}  // namespace cpa::store
