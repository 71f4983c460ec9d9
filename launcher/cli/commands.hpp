#pragma once
// One function per subcommand; each returns the process exit status.
#include <optional>
#include <string>
#include <vector>

#include "policy/resolve.hpp"
#include "util/output_file.hpp"

namespace airlock::cli {

struct Common {
  std::optional<std::string> project;  // --project: what ${project} means
  int verbosity = 0;
};

struct RunArgs {
  Common common;
  std::string profile = policy::kDefaultProfile;
  policy::Overrides overrides;
  std::optional<std::string> report_path;
  std::vector<std::string> command;
  bool audit = false;  // --audit: enforce nothing, report what the profile would refuse
  // The words after "airlock" as given, for the hint that repeats a failed
  // run in complain mode.
  std::vector<std::string> invocation;
};

// `airlock audit` and `airlock run --audit`.
struct AuditArgs {
  Common common;
  std::string profile = policy::kDefaultProfile;
  policy::Overrides overrides;
  std::optional<std::string> output;  // -o: the generated profile (none for run --audit)
  std::optional<std::string> report_path;
  std::vector<std::string> command;
};

// `airlock trust`: record, list or forget the project's trusted configuration.
struct TrustArgs {
  Common common;
  std::vector<std::string> files;  // project files besides .airlock/ (profiles named by path)
  bool list = false;
  bool forget = false;
};

// `airlock install-scripts`: each approved dependency's install scripts in
// a sandbox of its own.
struct InstallScriptsArgs {
  Common common;
  std::string profile = "npm-install-script";
  std::vector<std::string> allow;  // --allow NAME[@VERSION]
  bool no_project_approvals = false;
  bool list = false;
  std::optional<std::string> report_path;
};

int run_command(const RunArgs& args);
int install_scripts_command(const InstallScriptsArgs& args);
int trust_command(const TrustArgs& args);
int audit_command(const AuditArgs& args);
int check_command(const Common& common, const std::vector<std::string>& profiles);
int explain_command(const Common& common, const std::string& profile, const policy::Overrides& overrides);
int profiles_command(const Common& common);
int doctor_command(const Common& common, const std::string& profile);
// `doctor --containers`: what each container engine must allow.
int containers_command();

// The catalog and context every command resolves profiles with.
policy::Catalog make_catalog(const policy::Context& ctx);

// Warns about each built-in or earlier set the profile replaced (a weaker
// sandbox than the set's name promises) and says at -v which were extended.
void say_set_changes(const policy::Policy& policy);

// A file the command writes at the end (--report, -o), opened before
// anything runs (util/output_file.hpp); nullopt when none was asked for.
// `policy`'s writable paths and the project are where a step could have
// planted a symbolic link; `also_hostile` adds more (an audit's home).
std::optional<OutputFile> prepare_output(const std::optional<std::string>& path, const policy::Context& ctx,
                                         const policy::Policy& policy, const std::string& option,
                                         const std::vector<std::string>& also_hostile = {});

}  // namespace airlock::cli
