#pragma once
// What the npm and the pnpm readers of packages/installed.cpp share: the
// reading of one installed package (its package.json, its install scripts
// by npm's rules) and the warnings, each said once.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "packages/installed.hpp"
#include "packages/project_files.hpp"

namespace airlock::packages::scan {

// preinstall, install, postinstall as npm runs them (@npmcli/arborist
// rebuild.js, @npmcli/run-script run-script-pkg.js): a non-empty string
// each; with neither install nor preinstall, "gypfile" not false and a
// binding.gyp file at the top, the implicit install "node-gyp rebuild".
// `has_binding_gyp` is asked only then.
std::vector<Script> install_scripts(const nlohmann::json& manifest, const std::function<bool()>& has_binding_gyp);

// The names package.json's dependencies, optionalDependencies and
// peerDependencies list (valid package names only), sorted, once each.
std::vector<std::string> declared_dependencies(const nlohmann::json& manifest);

// An installed package read, before its dependencies are resolved.
struct Found {
  Package package;
  std::vector<std::string> dependency_names;
};

class Scan {
 public:
  Scan(const ProjectDir& project, Installed& out) : project_(project), out_(out) {}

  const ProjectDir& project() const { return project_; }
  Installed& out() { return out_; }
  // Adds a warning unless the same one was given already (every package
  // below one planted link would repeat it).
  void warn(const std::string& warning);

  // Reads the package at `location`, a directory the caller found real:
  // package.json's name, version, scripts and dependency names, with `dir`
  // set. false (and a warning) when it has no package.json. Throws
  // airlock::Error on a malformed one.
  bool read_package(const std::string& location, Found& found);

  // Fills out().packages (those with scripts), dependency_graph and the
  // dependencies of each from `found`, given each one's resolved
  // dependencies.
  void finish(std::vector<Found>& found, const std::function<std::vector<std::string>(const Found&)>& resolve);

 private:
  const ProjectDir& project_;
  Installed& out_;
  std::set<std::string> said_;
};

// The two layouts' readers (npm_tree.cpp, pnpm_store.cpp).
void read_npm_tree(Scan& scan);
void read_pnpm_store(Scan& scan);

}  // namespace airlock::packages::scan
