#pragma once
// Which installed packages may run their install scripts: the approval lists
// npm and pnpm read from the project, and the operator's own --allow.
//
// npm (11, package.json "allowScripts", RFC npm/rfcs#868; its matcher is
// @npmcli/arborist lib/script-allowed.js): keys "name", "name@*",
// "name@1.2.3", "name@1.2.3 || 1.2.4", values true (allow) or false (deny);
// a deny that matches wins. Semver ranges and dist-tags are ignored with a
// warning (they would allow versions nobody reviewed). A registry key
// matches only a registry package, by the name and version its resolved
// tarball URL gives, never by what its package.json claims; a version that
// cannot be verified matches a deny but not an allow. Name-based keys never
// match a file:, git or link package (npm's rule: the name such a package
// shows is its own claim); a "file:..." key matches the entry whose
// "resolved" is exactly that. Git, URL and alias keys match nothing here.
// Bundled dependencies are always denied: npm never runs their scripts.
//
// pnpm (package.json "pnpm": onlyBuiltDependencies, neverBuiltDependencies,
// ignoredBuiltDependencies, allowBuilds, and the same keys at the top of
// pnpm-workspace.yaml), as pnpm 10.34.2 and later read them
// (@pnpm/builder.policy): a name (versions as above) allows a registry
// package only, one whose store entry has a semantic version; a package
// from a file, a tarball URL or git is allowed only by its dep path
// ("tool@file:tool-1.0.0.tgz", what pnpm-lock.yaml and pnpm's "Ignored
// build scripts" call it), matched with the store entry pnpm made of it (an
// entry pnpm shortened with a hash, or with peers, matches none). A deny
// matches by name whatever the source.
//
// --allow NAME or NAME@VERSION (the operator typed it): by name whatever
// the source; a version must be a verified one.
//
// Across --allow and the lists, a deny that matches wins (fail closed). The
// project's lists are as hostile as the rest of the project: with
// ignore_project_lists only --allow counts.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "packages/installed.hpp"

namespace airlock::packages {

enum class Verdict { approved, denied, unreviewed };

struct Decision {
  Verdict verdict = Verdict::unreviewed;
  // The entry that decided: `--allow esbuild`, `package.json allowScripts
  // "esbuild"`, `pnpm-workspace.yaml onlyBuiltDependencies "esbuild"`; for an
  // unreviewed package, a hint when a list names it but cannot match it.
  std::string source;
};

struct ApprovalOptions {
  std::vector<std::string> allow;  // --allow values
  bool ignore_project_lists = false;
};

// One entry of one list.
struct ApprovalRule {
  enum class Match {
    registry,    // npm's name keys: registry packages only
    any_source,  // pnpm's denies and --allow
    resolved,    // npm's "file:..." keys: the lockfile's resolved, exactly
    store_entry, // pnpm's dep-path entries: the package's store entry, exactly
  };
  Match match = Match::registry;
  bool allow = true;
  // Match::resolved: the resolved text; Match::store_entry: the store
  // entry's directory name ("tool@file+tool-1.0.0.tgz").
  std::string name;
  // Empty: any version. exact_spec: "name@1.2.3" as written, compared as
  // text with the verified version (npm's `version` keys); otherwise
  // versions, normalised, any of which matches (npm's "a || b" keys).
  std::string exact_spec;
  std::vector<std::string> versions;
  std::string source;
};

struct Approvals {
  std::vector<ApprovalRule> rules;  // --allow first, then the project's
  std::vector<std::string> warnings;
};

// The --allow values as rules. Throws airlock::Error on one that is not a
// package name with an optional exact version (or versions joined by "||").
std::vector<ApprovalRule> allow_rules(const std::vector<std::string>& allow);

// The rules of package.json's allowScripts object; ignored keys become
// warnings. Throws airlock::Error naming `shown` (the file) and the key when
// a value is not true or false.
Approvals npm_allow_scripts_rules(const nlohmann::json& allow_scripts, const std::string& shown);

// --allow, then the lists of the project's layout: allowScripts for npm,
// pnpm's in package.json and pnpm-workspace.yaml for pnpm. Throws
// airlock::Error naming the file and key of a malformed list.
Approvals read_approvals(const std::string& project, Layout layout, const ApprovalOptions& options);

Decision decide(const Package& package, const Approvals& approvals);

// How to approve an unreviewed package in a project of `layout`: "To
// approve it: ..." with the project's own way and --allow.
std::string approval_hint(const Package& package, Layout layout);

std::string verdict_name(Verdict verdict);

}  // namespace airlock::packages
