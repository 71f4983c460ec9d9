#include "util/shell.hpp"

#include <algorithm>

namespace airlock {

std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                            "0123456789_@%+=:,./-") == std::string::npos;
  if (plain) return word;
  const bool controls = std::any_of(word.begin(), word.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (!controls) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "$'";
  for (char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\' || c == '\'') out += std::string("\\") + c;
    else if (u < 0x20 || u == 0x7f) out += std::string("\\x") + kHex[u >> 4] + kHex[u & 0xf];
    else out += c;
  }
  return out + "'";
}

}  // namespace airlock
