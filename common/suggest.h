// "Did you mean ...?" for misspelt names: config keys, CLI flags and sub-commands.
//
// EditDistance is the optimal-string-alignment distance (insertions, deletions, substitutions
// and swaps of adjacent characters each cost 1; letters compare case-insensitively).
// ClosestMatch returns the candidate nearest to `word` when it is near enough to be a typo:
// distance <= 1 for words of up to 4 characters, <= 2 up to 8, else <= 3; ties go to the first
// candidate. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cpa {

size_t EditDistance(std::string_view a, std::string_view b);

std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

// " (did you mean \"x\"?)" or "" — ready to append to an error message.
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace cpa
