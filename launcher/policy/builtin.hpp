#pragma once
// The profiles/ and policies/ files compiled into the binary.
#include <string_view>
#include <vector>

namespace airlock::policy {

enum class BuiltinKind { profile, policy };

struct BuiltinFile {
  BuiltinKind kind;
  std::string_view name;    // file stem: "npm-ci", "secrets"
  std::string_view origin;  // "builtin:profiles/npm-ci.toml", used in error locations
  std::string_view text;
};

const std::vector<BuiltinFile>& builtin_files();

}  // namespace airlock::policy
