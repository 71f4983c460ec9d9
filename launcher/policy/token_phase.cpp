#include "policy/token_phase.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>
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

bool at_or_beneath(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

}  // namespace

std::vector<ConfigOrder> npmrc_orders(const std::string& text) {
  std::vector<ConfigOrder> out;
  std::istringstream in(text);
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    const auto line = trim(raw);
    if (line.empty() || line.front() == ';' || line.front() == '#' || line.front() == '[') continue;
    const auto eq = line.find('=');
    const auto key = normal_key(trim(std::string_view(line).substr(0, eq)));
    if (auto why = why_refused(key); !why.empty()) out.push_back(ConfigOrder{number, key, why});
  }
  return out;
}

void check_token_phase(const Policy& policy, const std::string& project, const std::string& cwd) {
  const auto& tools = policy.process.token_phase;
  if (std::find(tools.begin(), tools.end(), "npm") == tools.end()) return;
  // npm reads the .npmrc of its project root: the nearest directory from
  // the working directory up that has a package.json. Every one on the way
  // up to the project directory is checked.
  std::vector<std::string> dirs;
  std::string dir = at_or_beneath(cwd, project) ? cwd : project;
  while (true) {
    dirs.push_back(dir);
    if (dir == project || dir == "/") break;
    dir = dir.substr(0, std::max<std::size_t>(dir.rfind('/'), 1));
  }
  std::string refused;
  for (const auto& d : dirs) {
    const auto file = (d == "/" ? "" : d) + "/.npmrc";
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) continue;
    const auto relative = file.substr(project.size() + (project == "/" ? 0 : 1));
    const auto text = read_project_file(project, relative);  // refuses a symbolic link
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
