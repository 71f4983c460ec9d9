#include "policy/units.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace airlock::policy {
namespace {

// Reads a run of decimal digits; nullopt when there is none or it overflows.
std::optional<std::uint64_t> take_number(std::string_view& s) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    const auto digit = static_cast<std::uint64_t>(s[i] - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  if (i == 0) return std::nullopt;
  s.remove_prefix(i);
  return n;
}

std::string_view take_unit(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  auto unit = s.substr(0, i);
  s.remove_prefix(i);
  return unit;
}

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kDurationUnits{{
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kSizeUnits{{
    {"B", 1}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40}}};

template <std::size_t N>
std::optional<std::uint64_t> unit_factor(const std::array<std::pair<std::string_view, std::uint64_t>, N>& units,
                                         std::string_view unit) {
  for (const auto& [name, factor] : units)
    if (name == unit) return factor;
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string& why) {
  why = "a duration such as \"90s\", \"30m\", \"1h30m\" or \"500ms\" (units ms, s, m, h, d)";
  if (text.empty()) return std::nullopt;
  std::uint64_t total = 0;
  std::uint64_t last_factor = std::numeric_limits<std::uint64_t>::max();
  while (!text.empty()) {
    auto n = take_number(text);
    if (!n) return std::nullopt;
    auto factor = unit_factor(kDurationUnits, take_unit(text));
    // Each component must have a unit, units must descend ("1h30m", not "30m1h").
    if (!factor || *factor >= last_factor) return std::nullopt;
    last_factor = *factor;
    if (*n > std::numeric_limits<std::uint64_t>::max() / *factor) return std::nullopt;
    const auto add = *n * *factor;
    if (total > std::numeric_limits<std::uint64_t>::max() - add) return std::nullopt;
    total += add;
  }
  if (total > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

std::optional<std::uint64_t> parse_size(std::string_view text, std::string& why) {
  why = "a size such as \"4GiB\", \"512MiB\", \"64KiB\" or a byte count (IEC units B, KiB, MiB, GiB, TiB)";
  auto n = take_number(text);
  if (!n) return std::nullopt;
  std::uint64_t factor = 1;
  if (!text.empty()) {
    auto f = unit_factor(kSizeUnits, take_unit(text));
    if (!f || !text.empty()) return std::nullopt;
    factor = *f;
  }
  if (*n > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
  return *n * factor;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = static_cast<std::uint64_t>(d.count());
  if (ms == 0) return "0s";
  std::string out;
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (ms >= it->second) {
      out += std::to_string(ms / it->second) + std::string(it->first);
      ms %= it->second;
    }
  }
  return out;
}

std::string format_size(std::uint64_t bytes) {
  for (auto it = kSizeUnits.rbegin(); it != kSizeUnits.rend(); ++it)
    if (bytes != 0 && bytes % it->second == 0) return std::to_string(bytes / it->second) + std::string(it->first);
  return std::to_string(bytes);
}

}  // namespace airlock::policy
