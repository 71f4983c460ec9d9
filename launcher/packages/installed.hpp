#pragma once
// The dependencies installed in an npm or pnpm project and the install
// scripts they carry: what `airlock install-scripts` may run, each in its
// own sandbox with write access to the package's directory alone.
//
// The project is hostile input (packages/project_files.hpp): a package's
// directory is returned only when it is reached from the project with no
// symbolic link on the way, so the path is safe to grant; anything else is a
// warning, never a path. Identity comes from where the package manager put
// the package and from the lockfile, never from the package's own
// package.json (packages/identity.hpp).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace airlock::packages {

enum class Layout { npm, pnpm };

std::string layout_name(Layout layout);

// One lifecycle script, in the order npm runs them.
struct Script {
  std::string event;          // "preinstall", "install" or "postinstall"
  std::string command;        // as package.json has it
  bool implicit_gyp = false;  // no script: npm's "node-gyp rebuild" for a binding.gyp
};

struct Package {
  // From the install location (npm: the lockfile key; pnpm: the directory in
  // the store entry), never from package.json.
  std::string name;
  // npm: from the resolved tarball URL when it names one (verified), else
  // the lockfile's "version" (unverified). pnpm: from the store entry's
  // name, verified when it is a semantic version.
  std::string version;
  bool version_verified = false;
  // npm: the name the resolved tarball URL gives (an alias installs
  // "naughty" as node_modules/trusted: this says "naughty"); "" when the
  // URL names none. What npm's allowScripts matches registry keys against.
  std::string registry_name;
  // Whether npm counts the package as from a registry: name-based
  // allowScripts keys match only such packages (packages/approvals.hpp).
  // pnpm: whether the store entry's version is a semantic version.
  bool registry = false;
  std::string resolved;       // the lockfile's "resolved" (npm), may be empty
  // pnpm: the directory in node_modules/.pnpm of the store entry this
  // package is the own package of ("tool@file+tool-1.0.0.tgz": its dep path
  // made a file name); "" otherwise. What pnpm's dep-path approvals match.
  std::string store_entry;
  std::string relative_path;  // "node_modules/a/node_modules/b"
  // Absolute and canonical, with no symbolic link below the project when it
  // was read. Whoever grants it opens it again from the project's descriptor
  // without following links (util/files.hpp open_beneath): a process may
  // have swapped a component for a link in between.
  std::string dir;
  std::vector<Script> scripts;
  // package.json's own "name" and "version", for npm_package_name and
  // npm_package_version only; nullopt when absent or not a string.
  std::optional<std::string> manifest_name, manifest_version;
  // The installed packages this one depends on (relative paths, sorted):
  // package.json's dependencies, optionalDependencies and peerDependencies
  // that are installed where Node (npm) or pnpm's store would find them.
  std::vector<std::string> dependencies;
  // npm: the lockfile says "inBundle": npm never runs a bundled
  // dependency's install scripts (packages/approvals.hpp denies them).
  bool in_bundle = false;
  // npm: the lockfile's "hasInstallScript". Informational: package.json in
  // node_modules decides, since that is what a rebuild would run.
  bool lockfile_has_install_script = false;
};

// An entry that is not a dependency to build, and why.
struct Skipped {
  std::string relative_path;
  std::string reason;
};

struct Installed {
  Layout layout = Layout::npm;
  std::string project;            // canonical
  std::string lockfile;           // the npm lockfile read ("" for pnpm)
  std::vector<Package> packages;  // with install scripts, by relative path
  std::size_t scanned = 0;        // installed packages whose package.json was read
  std::vector<Skipped> skipped;   // link and workspace entries
  // Every scanned package's dependencies (relative paths), scripts or not:
  // the order of builds goes through packages that have none.
  std::map<std::string, std::vector<std::string>> dependency_graph;
  std::vector<std::string> warnings;  // "PATH: problem"
};

// Detects the layout (pnpm when node_modules/.pnpm or node_modules/.modules.yaml
// exists, npm otherwise) and reads the installed packages. npm: from
// npm-shrinkwrap.json, package-lock.json or node_modules/.package-lock.json
// (the first present; lockfileVersion 2 or 3). pnpm: from the store entries
// node_modules/.pnpm/<name>@<version>/node_modules/<name>; pnpm-lock.yaml is
// not needed. Throws airlock::Error naming the file on malformed JSON or a
// lockfile it cannot use.
Installed find_installed(const std::string& project);

}  // namespace airlock::packages
