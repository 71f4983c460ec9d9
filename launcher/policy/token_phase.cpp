#include "policy/token_phase.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <string_view>

#include "policy/trust.hpp"
#include "util/error.hpp"

namespace airlock::policy {
namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

// npm's keys as npm compares them: case-insensitive, '_' and '-' alike
// (except a leading '_', as in _authToken), without ini's quotes and "[]".
std::string normal_key(std::string key) {
  if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') && key.back() == key.front())
    key = key.substr(1, key.size() - 2);
  if (key.ends_with("[]")) key.resize(key.size() - 2);
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[i])));
    if (key[i] == '_' && i > 0 && key[i - 1] != ':' && key[i - 1] != '/') key[i] = '-';
  }
  return key;
}

constexpr std::array kCredentialKeys = {"-auth", "_auth", "_authtoken", "username", "_password", "email",
                                        "certfile", "keyfile", "cert", "key", "always-auth"};
constexpr std::array kTransportKeys = {"ca", "cafile", "strict-ssl", "proxy", "https-proxy", "http-proxy",
                                       "noproxy", "no-proxy", "local-address", "replace-registry-host"};
constexpr std::array kProgramKeys = {"git", "script-shell", "shell", "node-gyp", "editor", "browser", "viewer",
                                     "init-module", "onload-script", "node-options", "userconfig",
                                     "globalconfig", "prefix", "npm-path", "call", "which"};

template <std::size_t N>
bool among(const std::string& key, const std::array<const char*, N>& keys) {
  return std::any_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; });
}

std::string why_refused(const std::string& key) {
  if (key == "registry" || key.ends_with(":registry")) return "names a registry (where npm sends the token)";
  if (key.starts_with("//")) return "holds a credential or setting for a registry host";
  if (among(key, kCredentialKeys)) return "names a credential";
  if (among(key, kTransportKeys)) return "changes how npm reaches the registry (TLS trust or a proxy)";
  if (among(key, kProgramKeys)) return "names a program or file npm runs or loads";
  return {};
}

}  // namespace

std::vector<ConfigOrder> npmrc_orders(const std::string& text) {
  std::vector<ConfigOrder> out;
  int number = 0;
  std::size_t pos = 0;
  // npm's ini parser ends a line at \r as well as \n.
  while (pos <= text.size()) {
    const auto end = std::min(text.find_first_of("\r\n", pos), text.size());
    const auto line = trim(std::string_view(text).substr(pos, end - pos));
    if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') pos = end + 2;
    else pos = end + 1;
    ++number;
    if (line.empty() || line.front() == ';' || line.front() == '#' || line.front() == '[') continue;
    const auto raw_key = trim(std::string_view(line).substr(0, line.find('=')));
    // Quotes, escapes, inline comments and ${...} in a key are read by ini
    // and npm in ways a second parser cannot follow exactly
    // ("reg\u0069stry", "registry;x", "re${X?}gistry"): such a key is
    // refused rather than guessed at.
    if (raw_key.find_first_of("\"'\\;#$`") != std::string::npos ||
        std::any_of(raw_key.begin(), raw_key.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f; })) {
      out.push_back(ConfigOrder{number, raw_key, "is a key npm may read differently than it looks (quotes, escapes, comments or ${...})"});
      continue;
    }
    const auto key = normal_key(raw_key);
    if (auto why = why_refused(key); !why.empty()) out.push_back(ConfigOrder{number, key, why});
  }
  return out;
}

namespace {

// Every .npmrc in the project (npm reads the one of its project root, and
// `npm --prefix DIR` or a `cd` makes any directory the root), without
// descending into node_modules, .git or a symbolic link.
std::vector<std::string> project_npmrcs(const std::string& project) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(project, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (it->is_directory(ec) && !it->is_symlink(ec) && (name == "node_modules" || name == ".git" || it.depth() > 12)) {
      it.disable_recursion_pending();
      continue;
    }
    if (name == ".npmrc") out.push_back(it->path().string().substr(project.size() + (project == "/" ? 0 : 1)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void check_token_phase(const Policy& policy, const std::string& project) {
  const auto& tools = policy.process.token_phase;
  if (std::find(tools.begin(), tools.end(), "npm") == tools.end()) return;
  const auto files = project_npmrcs(project);
  std::string refused;
  for (const auto& relative : files) {
    const auto file = (project == "/" ? "" : project) + "/" + relative;
    const auto text = read_project_file(project, relative);  // refuses a symbolic link or a FIFO
    for (const auto& order : npmrc_orders(text))
      refused += "\n  " + file + ":" + std::to_string(order.line) + ": " + order.key + " " + order.why;
  }
  if (!refused.empty())
    throw Error("this profile holds npm's credentials (process.token_phase), and the project's npm configuration "
                "tries to decide where they go or what runs:" + refused +
                "\nA sandboxed step can write the project, so airlock refuses the run. Put registries, "
                "credentials and programs in ~/.npmrc or the global npmrc, not in the project.");
}

}  // namespace airlock::policy
