#pragma once
// Who a package is, from what its package manager wrote rather than from the
// package: a tarball's own package.json may claim any name and version
// (npm's "manifest confusion"), so names come from install paths and
// versions from the registry URL of the tarball or pnpm's store path, as
// npm's allowScripts matcher does (@npmcli/arborist lib/script-allowed.js).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::packages {

// A name npm would accept for a package (validate-npm-package-name's
// validForOldPackages): "name" or "@scope/name", each part non-empty, made of
// the characters encodeURIComponent leaves alone, not starting with "." or
// "_" (a scope's part may). Such a name never holds "/" but the scope's, "+",
// "%", ":" or "..", so it is safe as a path component.
bool is_package_name(std::string_view name);

// "1.2.3", "v1.2.3-rc.1+build" -> "1.2.3" / "1.2.3-rc.1": node-semver's
// strict parse() and its .version (build metadata and a leading "v"
// dropped); nullopt when not a version.
std::optional<std::string> semver_version(std::string_view text);

struct TarballIdentity {
  std::string name;
  std::string version;
};

// The name and version a registry tarball URL names:
// "https://packages.example/@s/b/-/b-1.2.3.tgz" -> {"@s/b", "1.2.3"}
// (arborist's version-from-tgz.js with no name to fall back on, as
// getTrustedRegistryIdentity calls it); nullopt for anything else.
std::optional<TarballIdentity> tarball_identity(std::string_view resolved);

// Whether npm takes a lockfile entry for a registry package (script-allowed.js
// isRegistryNode without an arborist tree): a resolved URL shaped like
// "<scheme>://host/<path>/-/<file>-<digit>...", or, with no resolved at all
// (omit-lockfile-registry-resolved), an entry that has a version.
bool is_registry_entry(std::string_view resolved, std::string_view lockfile_version);

// The package name at the end of an install location: "node_modules/a" ->
// "a", "node_modules/a/node_modules/@s/b" -> "@s/b",
// "packages/w/node_modules/c" -> "c"; nullopt when `location` is not one
// (no node_modules component, ".", "..", empty components, a bad name).
std::optional<std::string> name_at_location(std::string_view location);

// The installed packages a package named at `location` sees as `dependency`,
// nearest first, the way Node's require() walks up: <location>/node_modules/
// <dependency>, then each ancestor directory's node_modules (never a
// node_modules/node_modules), up to the project's own.
std::vector<std::string> node_lookup_locations(std::string_view location, std::string_view dependency);

}  // namespace airlock::packages
