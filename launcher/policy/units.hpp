#pragma once
// Strict parsers for the units profiles use: durations ("30m", "1h30m",
// "500ms") and sizes ("4GiB", "512MiB", "1024"). Anything else is an error:
// a typo in a limit must not silently become a different limit.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace airlock::policy {

// Returns the duration, or nullopt with `why` set to what was expected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string& why);

// Bytes; IEC suffixes only (KiB, MiB, GiB, TiB) or a bare byte count.
std::optional<std::uint64_t> parse_size(std::string_view text, std::string& why);

std::string format_duration(std::chrono::milliseconds d);
std::string format_size(std::uint64_t bytes);

}  // namespace airlock::policy
