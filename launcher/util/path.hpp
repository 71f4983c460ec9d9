#pragma once
// Lexical path handling: the one way airlock normalises and compares paths,
// for the profile's paths, the mount plan, Landlock and audit alike.
//
// Normalisation is lexical (no file system access): repeated slashes, "."
// components and a trailing slash go, the root stays "/". The one question
// on which callers legitimately differ is "..", because folding it lexically
// ("/a/link/.." -> "/a") is wrong when "link" is a symbolic link that leads
// elsewhere:
//   - normalize_absolute refuses it. This is the rule for paths airlock
//     itself grants, hides or mounts: a profile path with ".." could name
//     something else than what the text suggests, so it is an error.
//   - normalize_folding folds it, ".." at the root staying at the root as the
//     kernel does. For text that is not a profile's grant: paths a sandboxed
//     call named (audit resolves symlinks separately) and a symlink's target
//     text, where the kernel would fold it the same way.
//   - normalize_keeping_dot_dot leaves it for the kernel. For paths that are
//     handed to the kernel to open (Landlock rules), where the program found
//     on a PATH like /opt/tool/../bin must still be granted.
// All three read a relative input as relative to "/".
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock {

namespace path_detail {

enum class DotDot { refuse, fold, keep };

// True when `path` is already what normalize gives for any DotDot: "/", or
// "/" and components none of which is empty, "." or "..".
inline bool is_normal(std::string_view path) {
  if (path == "/") return true;
  if (path.empty() || path.front() != '/' || path.back() == '/') return false;
  for (std::size_t pos = 1; pos <= path.size();) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, next - pos);
    if (part.empty() || part == "." || part == "..") return false;
    pos = next + 1;
  }
  return true;
}

inline std::optional<std::string> normalize(std::string_view path, DotDot dot_dot) {
  // Most paths are normal already: one copy, no list of components (start-up time).
  if (is_normal(path)) return std::string(path);
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") continue;
    if (part == ".." && dot_dot == DotDot::refuse) return std::nullopt;
    if (part == ".." && dot_dot == DotDot::fold) {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  out.reserve(path.size());
  for (const auto part : parts) {
    out += '/';
    out += part;
  }
  if (out.empty()) out = "/";
  return out;
}

}  // namespace path_detail

// "/a//b/./c/" -> "/a/b/c". nullopt when a component is "..".
inline std::optional<std::string> normalize_absolute(std::string_view path) {
  return path_detail::normalize(path, path_detail::DotDot::refuse);
}

// "/a/b/../c" -> "/a/c", "/.." -> "/", "" -> "/".
inline std::string normalize_folding(std::string_view path) {
  return *path_detail::normalize(path, path_detail::DotDot::fold);
}

// "//a/./b/../c/" -> "/a/b/../c".
inline std::string normalize_keeping_dot_dot(std::string_view path) {
  return *path_detail::normalize(path, path_detail::DotDot::keep);
}

// True when `path` is `dir` or lies below it ("/a/bc" is not within "/a/b").
// Both lexical and normalised; every path is within "/".
inline bool path_within(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// `path` relative to `dir` when it lies within it: "b/c" for "/a/b/c" in
// "/a", "" for `dir` itself; nullopt elsewhere. Both normalised.
inline std::optional<std::string> path_relative_to(std::string_view path, std::string_view dir) {
  if (!path_within(path, dir)) return std::nullopt;
  if (path == dir) return std::string();
  return std::string(path.substr(dir == "/" ? 1 : dir.size() + 1));
}

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "/". `path` normalised.
inline std::string path_parent(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

// The non-empty components: "/a//b/" -> {"a", "b"}; "." and ".." are kept
// (the callers walk them with the kernel, one openat at a time).
inline std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    if (next > pos) out.emplace_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// Number of components: "/" 0, "/usr" 1, "/usr/lib" 2. `path` normalised.
inline std::size_t path_depth(std::string_view path) {
  return path == "/" ? 0 : static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

}  // namespace airlock
