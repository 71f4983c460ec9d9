#include "sandbox/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string_view>

#include "sandbox/environment.hpp"

namespace airlock::sandbox {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// scheme://user:secret@host/... -> scheme://host/...
std::string without_userinfo(std::string value) {
  for (std::size_t at = value.find("://"); at != std::string::npos; at = value.find("://", at + 3)) {
    const auto start = at + 3;
    const auto end = value.find_first_of("/?# \t\"'", start);
    const auto authority_end = end == std::string::npos ? value.size() : end;
    const auto sign = value.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (sign != std::string::npos && sign >= start && sign < authority_end) value.erase(start, sign + 1 - start);
  }
  return value;
}

// Each line with its end kept, so the copy has the same shape.
template <typename Keep>
std::string filter_lines(const std::string& text, Keep keep) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string line = text.substr(pos, end - pos);
    pos = end;
    if (auto kept = keep(line)) out += *kept;
  }
  return out;
}

constexpr std::array kNpmCredentialKeys = {"_auth", "_authtoken", "_password", "username", "email",
                                           "certfile", "keyfile", "cert", "key"};

}  // namespace

std::string redact_git_config(const std::string& text) {
  bool in_credential = false;
  return filter_lines(text, [&](const std::string& line) -> std::optional<std::string> {
    const auto t = trim(line);
    if (t.starts_with('[')) {
      const auto name = lower(t.substr(1, t.find_first_of(" \"]") - 1));
      in_credential = name == "credential";
      return line;
    }
    if (in_credential && !t.empty() && t.front() != '#' && t.front() != ';') return std::nullopt;
    const auto key = lower(trim(t.substr(0, t.find('='))));
    if (key == "extraheader") return std::nullopt;
    return without_userinfo(line);
  });
}

std::string redact_npmrc(const std::string& text) {
  return filter_lines(text, [&](const std::string& line) -> std::optional<std::string> {
    const auto t = trim(line);
    if (t.empty() || t.front() == ';' || t.front() == '#') return line;
    auto key = lower(trim(t.substr(0, t.find('='))));
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'')) key = key.substr(1, key.size() - 2);
    if (key.starts_with("//")) return std::nullopt;
    if (std::find(kNpmCredentialKeys.begin(), kNpmCredentialKeys.end(), key) != kNpmCredentialKeys.end())
      return std::nullopt;
    return without_userinfo(line);
  });
}

std::string redact_file(const std::string& path, const std::string& text) {
  if (path.ends_with("/.git/config")) return redact_git_config(text);
  if (path.ends_with("/.npmrc")) return redact_npmrc(text);
  const auto slash = path.rfind('/');
  if (path.compare(slash + 1, 7, ".yarnrc") == 0)  // npmAuthToken, npmAuthIdent, per-scope too
    return filter_lines(text, [&](const std::string& line) -> std::optional<std::string> {
      if (lower(trim(line)).find("npmauth") != std::string::npos) return std::nullopt;
      return without_userinfo(line);
    });
  return filter_lines(text, [&](const std::string& line) -> std::optional<std::string> {
    if (environment::credential_kind(line)) return std::nullopt;
    return without_userinfo(line);
  });
}

}  // namespace airlock::sandbox
