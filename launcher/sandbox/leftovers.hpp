#pragma once
// What a step leaves behind for the next one. A protected path
// (filesystem.protect: @project-control, airlock's own configuration) that
// exists is bound read-only; one that does not exist yet cannot be mounted
// over, so a step could create it (.envrc, .git/, .vscode/tasks.json, ...)
// for a later tool to obey. After the run, each such path that now exists is
// moved aside (renamed beside itself, never followed through a symbolic
// link) and the run fails with kExitLeftControlFiles.
#include <string>
#include <vector>

#include "policy/policy.hpp"
#include "sandbox/mounts.hpp"

namespace airlock::sandbox {

// The run created a control file: distinct from the command's own statuses
// as far as a convention allows (see README, "Exit status").
inline constexpr int kExitLeftControlFiles = 122;

// A protected path that did not exist when the run was planned: `base`, its
// deepest existing ancestor then (canonical), and the components below it.
struct WatchedPath {
  std::string path;
  std::string base;
  std::vector<std::string> below;
};

// The protected paths that do not exist and lie beneath a writable path:
// the ones a step could create. `exists` is lstat(2)-like (no following).
std::vector<WatchedPath> watch_absent_protected(const policy::Filesystem& fs, const mounts::ExistsFn& exists);

struct MovedAside {
  std::string rule;      // the protected path it stood at or on the way to
  std::string path;      // the control path (or the link on the way to it) the run created
  std::string moved_to;  // where it is now; empty when it could not be moved
  std::string why;       // when it could not be moved
};

// After the run: moves aside whatever now stands at a watched path, or a
// symbolic link a step put on the way to one (a tool would follow it).
std::vector<MovedAside> move_aside_created(const std::vector<WatchedPath>& watched);

// Control files below the project's top: git finds a .git in any directory
// it runs in, direnv an .envrc, cargo a .cargo/config.toml, yarn a
// .yarnrc.yml, npm an .npmrc beside a package.json, mise a .tool-versions,
// from the working directory upwards. So every protected path under the
// project (`.git`, `.envrc`, `.yarn/releases`, ...) is protected in every
// directory of the project as well, except under node_modules (packages
// ship such files, and tools do not take orders from them there) and
// inside the protected paths themselves.
struct NestedControl {
  std::string project;                // canonical
  std::string rules_project;          // as the profile's rules name it (${project})
  std::vector<std::string> relatives; // ".git", ".yarn/releases": as under the project's top
  std::vector<std::string> existing;  // "sub/.git": nested ones there before the run (sorted)
  // Directories the user could not read before the run (another user's):
  // not reported afterwards when still so, as the step could not write them.
  std::vector<std::string> unreadable;
  // False when the project was too large to walk before the run: airlock
  // refuses the run then, unless best effort was accepted (a warning says
  // so), and nested control files are neither protected nor looked for.
  bool complete = true;
  // How much of the tree is walked: a project is a source tree, not a home
  // directory or a disk, and past these the walk stops rather than make
  // every run pay for a tree no build has.
  std::size_t max_directories = 100000;
  std::size_t max_depth = 128;
};

// Before the run: the nested control paths that exist (bound read-only:
// returned as protect rules) and what to compare with afterwards. Empty
// when the profile protects nothing under the project.
NestedControl watch_nested_control(const policy::Filesystem& fs, const std::string& project,
                                   std::vector<policy::PathRule>& protect);

// After the run: every nested control path that was not there before is
// moved aside, like a top-level one; a directory that cannot be searched,
// or a tree the run grew past what is walked, is reported (what is in it
// could not be checked), which fails the run as a control file does.
std::vector<MovedAside> move_aside_nested(const NestedControl& nested);

}  // namespace airlock::sandbox
