#pragma once
// Where profiles and policy files come from. Lookup order for a name
// (DESIGN.md): ./.airlock/, the user's config directory, /etc/airlock, then
// the copies compiled into the binary. A name with a '/' or ending in
// ".toml" is a file path.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace airlock::policy {

struct SourceText {
  std::string name;    // "npm-ci"
  std::string origin;  // "/etc/airlock/profiles/npm-ci.toml" or "builtin:profiles/npm-ci.toml"
  std::string text;
  bool is_profile = true;
};

class Catalog {
 public:
  // Directories in precedence order (first wins).
  Catalog(std::vector<std::string> profile_dirs, std::vector<std::string> policy_dirs, bool with_builtin = true);

  // The standard search path for a project directory and home directory.
  static Catalog standard(const std::string& project, const std::string& home);

  // A profile name, a policy file name (for extends) or a path to a file.
  // Throws airlock::Error when a file path cannot be read.
  std::optional<SourceText> find(const std::string& ref) const;

  // Every policy file, lowest precedence first, so later sets override.
  std::vector<SourceText> policy_files() const;

  // Every profile name visible through the search path, with its source.
  std::vector<SourceText> profiles() const;

  const std::vector<std::string>& profile_dirs() const { return profile_dirs_; }

 private:
  std::optional<SourceText> find_named(const std::string& name, const std::vector<std::string>& dirs,
                                       bool is_profile) const;
  std::vector<std::string> profile_dirs_;
  std::vector<std::string> policy_dirs_;
  bool with_builtin_;
};

// Larger profile and policy files are refused (the shipped ones are < 5 KiB).
inline constexpr std::size_t kMaxProfileBytes = 1024 * 1024;

// Reads a whole file; nullopt when it does not exist, Error when unreadable,
// a directory or larger than kMaxProfileBytes.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace airlock::policy
