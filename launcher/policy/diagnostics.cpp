#include "policy/diagnostics.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>

namespace airlock::policy {
namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// Profiles come from repositories nobody reviewed (./.airlock/), and a
// message quotes what they say: a control character in a quoted value (an
// ESC sequence that rewrites the terminal, a NUL, a newline that forges a
// line of its own) is written as an escape, never as itself. C1 controls
// (U+0080-U+009F, which some terminals obey) too.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
      out += "\\u00";
      out += kHex[next >> 4];
      out += kHex[next & 0xf];
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string SourceLoc::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ProfileError::ProfileError(std::vector<std::string> messages)
    : Error(join_lines(messages)), messages_(std::move(messages)) {}

void Diagnostics::error(const SourceLoc& where, const std::string& key, const std::string& message) {
  std::string line = where.str() + ": error: ";
  if (!key.empty()) line += key + ": ";
  const auto file = std::find(files_.begin(), files_.end(), where.file);
  const auto index = static_cast<std::size_t>(file - files_.begin());
  if (file == files_.end()) files_.push_back(where.file);
  entries_.push_back({index, where.line, where.column, printable(line + message)});
}

void Diagnostics::throw_if_any() const {
  if (entries_.empty()) return;
  auto sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  std::vector<std::string> messages;
  for (const auto& entry : sorted)
    if (std::find(messages.begin(), messages.end(), entry.message) == messages.end()) messages.push_back(entry.message);
  throw ProfileError(std::move(messages));
}

}  // namespace airlock::policy
