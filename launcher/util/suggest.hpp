#pragma once
// "Did you mean": the known name closest to a mistyped one, for error
// messages (profile names, profile keys and sections).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock {

// The candidate nearest to `word` by edit distance (insertions, deletions,
// substitutions and swaps of neighbours, ignoring case) when it is near
// enough to be a typo: one edit for words of up to four letters, two up to
// eight, three beyond. The first of equally near candidates wins.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"NAME\"?)" for closest_match, or "" when nothing is near.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace airlock
