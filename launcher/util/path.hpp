#pragma once
// Lexical normalisation of absolute paths: the one way airlock does it, for
// the profile's paths and the mount plan's alike.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace airlock {

// "/a//b/./c/" -> "/a/b/c". nullopt when a component is "..": folding it
// lexically would be wrong across symlinks. `path` must be absolute.
inline std::optional<std::string> normalize_absolute(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, next - pos);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") {
      out += '/';
      out += part;
    }
    pos = next + 1;
  }
  if (out.empty()) out = "/";
  return out;
}

// True when `path` is `dir` or lies below it ("/a/bc" is not within "/a/b").
// Both lexical and normalised; every path is within "/".
inline bool path_within(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

}  // namespace airlock
