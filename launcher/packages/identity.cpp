#include "packages/identity.hpp"

#include <algorithm>
#include <cctype>

#include "util/path.hpp"

namespace airlock::packages {
namespace {

// The characters encodeURIComponent leaves as they are.
bool uri_component_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_.!~*'()").find(c) != std::string_view::npos;
}

bool name_part_ok(std::string_view part) {
  return !part.empty() && part.front() != '.' && std::all_of(part.begin(), part.end(), uri_component_char);
}

// node-semver's NUMERICIDENTIFIER (0|[1-9]\d*), no larger than
// Number.MAX_SAFE_INTEGER (parse() refuses larger ones).
bool numeric_identifier(std::string_view s) {
  if (s.empty() || s.size() > 16 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  if (s.size() > 1 && s.front() == '0') return false;
  return std::stoull(std::string(s)) <= 9007199254740991ULL;
}

bool alnum_or_hyphen(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// PRERELEASEIDENTIFIER: numeric, or \d*[a-zA-Z-][a-zA-Z0-9-]*.
bool prerelease_identifier(std::string_view s) {
  if (numeric_identifier(s)) return true;
  return !s.empty() && std::all_of(s.begin(), s.end(), alnum_or_hyphen) &&
         std::any_of(s.begin(), s.end(), [](char c) { return !(c >= '0' && c <= '9'); });
}

template <typename Check>
bool dotted(std::string_view s, Check check) {
  while (true) {
    const auto dot = s.find('.');
    if (!check(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The pathname the WHATWG URL parser would give an http(s) URL, when it
// would give it unchanged: no dot segments, nothing it would percent-encode
// or fold. nullopt otherwise (the identity is then unknown, never guessed).
std::optional<std::string_view> plain_url_path(std::string_view url) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (!url.starts_with(scheme)) continue;
    auto rest = url.substr(scheme.size());
    const auto end = rest.find_first_of("?#");
    rest = rest.substr(0, end);
    const auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    const auto path = rest.substr(slash);
    constexpr std::string_view kPathChars = "-._~!$&'()*+,;=:@%/";
    for (char c : path)
      if (!std::isalnum(static_cast<unsigned char>(c)) && kPathChars.find(c) == std::string_view::npos)
        return std::nullopt;
    for (const auto& part : path_components(path))
      if (part == "." || part == ".." || part.find("%2e") != std::string::npos || part.find("%2E") != std::string::npos)
        return std::nullopt;
    return path;
  }
  return std::nullopt;
}

// Splits at "/" and at "%2f" in either case, as version-from-tgz.js does.
std::vector<std::string> split_url_segments(std::string_view s) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '/') {
      out.emplace_back();
    } else if (s[i] == '%' && i + 2 < s.size() && s[i + 1] == '2' && (s[i + 2] == 'f' || s[i + 2] == 'F')) {
      out.emplace_back();
      i += 2;
    } else {
      out.back() += s[i];
    }
  }
  return out;
}

}  // namespace

bool is_package_name(std::string_view name) {
  if (name.empty() || name.size() > 214 || name == "node_modules" || name == "favicon.ico") return false;
  if (name.front() != '@') return name.front() != '_' && name_part_ok(name);
  const auto slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  return name_part_ok(name.substr(1, slash - 1)) && name_part_ok(name.substr(slash + 1));
}

std::optional<std::string> semver_version(std::string_view text) {
  auto s = trim(text);
  if (s.size() > 256) return std::nullopt;
  if (!s.empty() && s.front() == 'v') s.remove_prefix(1);
  const auto build = s.find('+');
  if (build != std::string_view::npos &&
      !dotted(s.substr(build + 1), [](std::string_view id) {
        return !id.empty() && std::all_of(id.begin(), id.end(), alnum_or_hyphen);
      }))
    return std::nullopt;
  const auto version = s.substr(0, build);
  const auto dash = version.find('-');
  const auto main = version.substr(0, dash);
  int parts = 0;
  if (!dotted(main, [&](std::string_view id) { return ++parts <= 3 && numeric_identifier(id); }) || parts != 3)
    return std::nullopt;
  if (dash != std::string_view::npos && !dotted(version.substr(dash + 1), prerelease_identifier)) return std::nullopt;
  return std::string(version);
}

std::optional<TarballIdentity> tarball_identity(std::string_view resolved) {
  const auto base = resolved.substr(resolved.rfind('/') + 1);
  if (!base.ends_with(".tgz")) return std::nullopt;
  const auto path = plain_url_path(resolved);
  if (!path) return std::nullopt;
  // "/<registry path>/<scope>/<name>/-/<name>-<version>.tgz": the part after
  // the last "/-/" must be the file name, the part before ends in the name.
  std::vector<std::string> halves;
  std::string_view rest = path->substr(1);
  for (auto at = rest.find("/-/"); at != std::string_view::npos; at = rest.find("/-/")) {
    halves.emplace_back(rest.substr(0, at));
    rest.remove_prefix(at + 3);
  }
  if (halves.empty() || rest != base) return std::nullopt;
  const auto segments = split_url_segments(halves.back());
  const std::string& project = segments.back();
  const std::string scope = segments.size() > 1 ? segments[segments.size() - 2] : "";
  if (!base.starts_with(project + "-")) return std::nullopt;
  const auto version = semver_version(base.substr(project.size() + 1, base.size() - project.size() - 1 - 4));
  if (!version) return std::nullopt;
  std::string name = scope.starts_with('@') ? scope + "/" + project : project;
  if (!is_package_name(name)) return std::nullopt;
  return TarballIdentity{std::move(name), *version};
}

bool is_registry_entry(std::string_view resolved, std::string_view lockfile_version) {
  if (resolved.empty()) return !lockfile_version.empty();
  // /^https?:\/\/[^/]+\/.+\/-\/[^/]+-\d/ (JavaScript's "." stops at line ends).
  if (resolved.find_first_of("\r\n") != std::string_view::npos) return false;
  std::string_view rest;
  if (resolved.starts_with("https://")) rest = resolved.substr(8);
  else if (resolved.starts_with("http://")) rest = resolved.substr(7);
  else return false;
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  const auto path = rest.substr(slash);
  for (auto at = path.find("/-/", 2); at != std::string_view::npos; at = path.find("/-/", at + 1)) {
    const auto file = path.substr(at + 3, path.find('/', at + 3) - (at + 3));
    for (std::size_t j = 1; j + 1 < file.size(); ++j)
      if (file[j] == '-' && file[j + 1] >= '0' && file[j + 1] <= '9') return true;
  }
  return false;
}

std::optional<std::string> name_at_location(std::string_view location) {
  const auto parts = path_components(location);
  // Every component must be a plain name: the location is joined to the
  // project's path and later handed to a sandbox.
  if (parts.empty() || location.front() == '/' || location.back() == '/' ||
      location.find("//") != std::string_view::npos)
    return std::nullopt;
  for (const auto& part : parts)
    if (part == "." || part == "..") return std::nullopt;
  const auto last_modules = std::find(parts.rbegin(), parts.rend(), "node_modules");
  if (last_modules == parts.rend()) return std::nullopt;
  const auto after = static_cast<std::size_t>(last_modules - parts.rbegin());
  std::string name;
  if (after == 1) name = parts.back();
  else if (after == 2) name = parts[parts.size() - 2] + "/" + parts.back();
  else return std::nullopt;
  if ((after == 2) != name.starts_with('@') || !is_package_name(name)) return std::nullopt;
  return name;
}

std::vector<std::string> node_lookup_locations(std::string_view location, std::string_view dependency) {
  auto parts = path_components(location);
  std::vector<std::string> out;
  while (true) {
    if (parts.empty() || parts.back() != "node_modules") {
      std::string dir;
      for (const auto& part : parts) dir += part + "/";
      out.push_back(dir + "node_modules/" + std::string(dependency));
    }
    if (parts.empty()) return out;
    parts.pop_back();
  }
}

}  // namespace airlock::packages
