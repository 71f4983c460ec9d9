#pragma once
// Network byte order, read from received bytes: DNS messages, packet headers.
#include <cstddef>
#include <cstdint>
#include <span>

namespace airlock {

// The big-endian 16-bit value at `at`; the caller has checked at + 2 <= size.
inline std::uint16_t read_be16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

}  // namespace airlock
