#include "policy/diagnostics.hpp"

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
  messages_.push_back(line + message);
}

void Diagnostics::throw_if_any() const {
  if (!messages_.empty()) throw ProfileError(messages_);
}

}  // namespace airlock::policy
