#pragma once
// Network byte order, read from received bytes: DNS messages, packet headers;
// bytes as lower-case hex (digests, random names).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace airlock {

// The big-endian 16-bit value at `at`; the caller has checked at + 2 <= size.
inline std::uint16_t read_be16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

inline std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace airlock
