#pragma once
// What `airlock install-scripts` says of each package: its scripts, how each
// ended, and every refusal named (path, connection, name, system call), on
// the terminal and as the JSON report
// (schema "airlock-install-scripts-report", packaging/install-scripts-report.schema.json).
// Pure: outcomes in, text out.
#include <optional>
#include <string>
#include <vector>

#include "audit/assess.hpp"
#include "gateway/stats.hpp"

namespace airlock::report {

struct Refusal {
  std::string kind;     // read, write, exec, connect, dns, syscall, secret, hidden
  std::string subject;  // a path, ADDRESS:PORT, a name, a system call
  std::string detail;
  auto operator<=>(const Refusal&) const = default;
};

// Everything one run of a script was refused: the assessment of what the
// watch saw against the package's profile, and the names the sandbox's
// resolver refused.
std::vector<Refusal> refusals_of(const audit::Assessment& assessment, const std::optional<gateway::Stats>& network);

struct ScriptOutcome {
  std::string event;    // preinstall, install, postinstall
  std::string command;  // as package.json has it; "node-gyp rebuild" for an implicit one
  int exit_status = 0;
  int signal = 0;
  bool timed_out = false;
  std::string setup_error;
  double seconds = 0;
};

enum class PackageStatus { ok, failed, skipped, denied };
std::string_view status_name(PackageStatus status);

struct PackageOutcome {
  std::string name;
  std::string version;
  std::string path;  // relative to the project: node_modules/a/node_modules/b
  PackageStatus status = PackageStatus::skipped;
  std::string approved_by;  // empty: not approved
  std::string why_not;      // skipped or denied: why, and how to approve
  std::vector<ScriptOutcome> scripts;  // declared scripts for a skipped package (exit_status unused)
  std::vector<Refusal> refusals;       // sorted, unique
};

struct InstallScriptsResult {
  std::string project;
  std::string layout;  // "npm" or "pnpm"
  std::vector<PackageOutcome> packages;
  std::vector<std::string> warnings;
  int exit_status = 0;
};

// "NAME@VERSION" as the lines and the hints show a package.
std::string package_label(const PackageOutcome& package);

// The terminal lines of one script's end, and of its package's refusals
// (at most `limit`, then how many more).
std::string script_line(const PackageOutcome& package, const ScriptOutcome& script);
std::vector<std::string> refusal_lines(const PackageOutcome& package, std::size_t limit);
std::string skipped_line(const PackageOutcome& package);
std::string summary_line(const InstallScriptsResult& result);

std::string install_scripts_json(const InstallScriptsResult& result);

}  // namespace airlock::report
