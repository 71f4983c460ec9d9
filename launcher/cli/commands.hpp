#pragma once
// One function per subcommand; each returns the process exit status.
#include <optional>
#include <string>
#include <vector>

#include "policy/resolve.hpp"

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

int run_command(const RunArgs& args);
int audit_command(const AuditArgs& args);
int check_command(const Common& common, const std::vector<std::string>& profiles);
int explain_command(const Common& common, const std::string& profile, const policy::Overrides& overrides);
int profiles_command(const Common& common);
int doctor_command(const Common& common, const std::string& profile);

// The catalog and context every command resolves profiles with.
policy::Catalog make_catalog(const policy::Context& ctx);

}  // namespace airlock::cli
