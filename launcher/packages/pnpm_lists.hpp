#pragma once
// pnpm's build approval lists (packages/approvals.hpp), in package.json's
// "pnpm" object and at the top of pnpm-workspace.yaml: onlyBuiltDependencies
// (allow), neverBuiltDependencies and ignoredBuiltDependencies (deny),
// allowBuilds (name -> true or false). dangerouslyAllowAllBuilds and
// onlyBuiltDependenciesFile are not honoured: a project's say-so must not
// approve what nobody named.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "packages/approvals.hpp"

namespace airlock::packages {

// pnpm's dep path of a package that is not from the registry
// ("tool@file:tool-1.0.0.tgz", "x@https://host/x.tgz",
// "x@git+https://host/x.git#<commit>": a version that is no semantic
// version and holds ":", "/" or "#", pnpm's isDepPathAllowBuildKey), as the
// store entry pnpm makes of it (dep-path-to-filename: \ / : * ? " < > | #
// become "+"; a peers suffix "(...)" is dropped); nullopt for anything else.
std::optional<std::string> pnpm_dep_path_entry(const std::string& entry);

// One list entry ("esbuild", "esbuild@0.25.0", a dep path) as a rule of
// `source` (`pnpm-workspace.yaml onlyBuiltDependencies`); nullopt and a
// warning when it is no name or names a range.
std::optional<ApprovalRule> pnpm_entry_rule(const std::string& entry, bool allow, const std::string& source,
                                            std::vector<std::string>& warnings);

// The lists in package.json's "pnpm" value; `shown` names the file in
// errors. Throws airlock::Error naming the key of a list that is not one.
void pnpm_package_json_rules(const nlohmann::json& pnpm, const std::string& shown, Approvals& out);

// The lists at the top of pnpm-workspace.yaml's text; `shown` names the file
// in errors ("FILE:LINE:COLUMN: key: what is wrong").
void pnpm_workspace_rules(const std::string& yaml, const std::string& shown, Approvals& out);

}  // namespace airlock::packages
