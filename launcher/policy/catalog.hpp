#pragma once
// Where profiles and policy files come from. Lookup order for a name
// (DESIGN.md): the project's ./.airlock/ only when the operator trusted its
// exact content (policy/trust.hpp), the user's config directory,
// /etc/airlock, then the copies compiled into the binary. A name with a '/'
// or ending in ".toml" is a file path; a file in the project is loaded only
// when its digest is in the trust record.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/trust.hpp"

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

  // The standard search path for a (canonical) project directory and home
  // directory; reads the project's trust record.
  static Catalog standard(const std::string& project, const std::string& home);

  // The same search path without the project's ./.airlock/: a profile named
  // by path, or found in /etc, the user's config or the built-ins, resolves
  // its extends and @sets without the project.
  Catalog without_project() const;

  // For `airlock check`, which only validates: a project file named by path
  // is read even when untrusted (the operator is reviewing it), with a
  // warning that `run` would refuse it.
  Catalog for_review() const;

  // Whether `origin` (a SourceText's) is a file of the project.
  bool is_project_file(const std::string& origin) const;

  // A profile name, a policy file name (for extends) or a path to a file.
  // Throws airlock::Error when a file path cannot be read.
  std::optional<SourceText> find(const std::string& ref) const;

  // Every policy file, lowest precedence first, so later sets override.
  std::vector<SourceText> policy_files() const;

  // Every profile name visible through the search path, with its source.
  std::vector<SourceText> profiles() const;

  const std::vector<std::string>& profile_dirs() const { return profile_dirs_; }

 private:
  struct Project {
    std::string dir;                       // canonical
    std::optional<TrustRecord> record;     // nullopt: never trusted
    std::vector<std::string> exempt;       // airlock's own config dirs, even when beneath `dir`
    bool use_config_dir = true;            // look in ./.airlock/ (when trusted)
    bool review = false;                   // Catalog::for_review()
  };

  std::optional<SourceText> find_named(const std::string& name, const std::vector<std::string>& dirs,
                                       bool is_profile) const;
  std::optional<SourceText> find_in_project(const std::string& relative, const std::string& name,
                                            bool is_profile) const;
  std::optional<SourceText> find_file(const std::string& ref) const;
  std::optional<std::string> project_relative(const std::string& origin) const;
  // The project's .airlock/ content, checked against the record (once);
  // throws airlock::Error listing new and changed files.
  const std::map<std::string, std::string>& trusted_config() const;
  bool project_dir_in_use() const { return project_ && project_->record && project_->use_config_dir; }

  std::vector<std::string> profile_dirs_;
  std::vector<std::string> policy_dirs_;
  bool with_builtin_;
  std::optional<Project> project_;
  mutable std::optional<std::map<std::string, std::string>> checked_config_;
};

// Larger profile and policy files are refused (the shipped ones are < 5 KiB).
inline constexpr std::size_t kMaxProfileBytes = 1024 * 1024;

// Reads a whole file; nullopt when it does not exist, Error when unreadable,
// a directory or larger than kMaxProfileBytes.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace airlock::policy
