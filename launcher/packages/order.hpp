#pragma once
// The order in which the packages' install scripts run: a package's
// dependencies are built before it, transitively (through packages that have
// no scripts too), so that an install script finds what it requires already
// built. npm itself sorts by depth and runs each event across all packages
// at once (@npmcli/arborist rebuild.js); airlock runs one package at a time,
// each in its own sandbox, and so needs an order that holds for each.
//
// Deterministic: packages are taken by relative path, dependencies in
// relative-path order; a dependency cycle is broken at the edge that closes
// it in that walk, and said.
#include <string>
#include <vector>

#include "packages/installed.hpp"

namespace airlock::packages {

struct InstallOrder {
  std::vector<Package> packages;      // installed.packages, dependencies first
  std::vector<std::string> warnings;  // one per cycle broken
};

InstallOrder install_order(const Installed& installed);

}  // namespace airlock::packages
