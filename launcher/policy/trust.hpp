#pragma once
// The project's own profiles and policies (./.airlock/, or a profile file in
// the project named by path) are configuration a sandboxed step can write.
// airlock uses them only in the exact form the operator approved with
// `airlock trust`: a record of each file's SHA-256, kept in the operator's
// airlock configuration directory, which no sandbox can write (README,
// "Trust model"). A file that changed since, or a new one, is refused.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::policy {

// Lower-case hex SHA-256 of `data` (nettle).
std::string sha256_hex(std::string_view data);

// airlock's configuration directories: $XDG_CONFIG_HOME/airlock (default
// ~/.config/airlock) and /etc/airlock. Never writable inside a sandbox.
std::string user_config_dir(const std::string& home);
inline constexpr const char* kSystemConfigDir = "/etc/airlock";

struct TrustRecord {
  std::string project;                       // canonical
  std::map<std::string, std::string> files;  // path relative to the project -> sha256
};

// Where the record of `project` lives: <user config>/trust/<sha256 of the path>.
std::string trust_record_path(const std::string& home, const std::string& project);

// The record, or nullopt when the project was never trusted. Throws
// airlock::Error when it exists but cannot be read or parsed.
std::optional<TrustRecord> load_trust_record(const std::string& home, const std::string& project);

// Pure: the record's text and back.
std::string render_trust_record(const TrustRecord& record);
TrustRecord parse_trust_record(const std::string& text, const std::string& origin);

// Reads a file of the project by its path relative to the project, without
// following any symbolic link (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH).
// Throws airlock::Error naming the file.
std::string read_project_file(const std::string& project, const std::string& relative);

// The configuration files in <project>/.airlock (*.toml at the top and in
// policies/), relative path -> sha256. A symbolic link (.airlock itself
// included) or a non-regular file among them is an error: trust does not
// follow links a step could retarget. Empty when there is no .airlock.
std::map<std::string, std::string> scan_project_config(const std::string& project);

// What differs between the project's configuration now and the record:
// one line per new or changed file; empty when it matches.
std::vector<std::string> trust_differences(const std::map<std::string, std::string>& now, const TrustRecord& record);

}  // namespace airlock::policy
