#pragma once
// The environment npm 11 gives a dependency's lifecycle script
// (@npmcli/run-script make-spawn-args.js, set-path.js, package-envs.js;
// @npmcli/config set-envs.js), built as a value: the caller finds npm's
// installation and starts the script in a sandbox with these variables on
// top of the ones its profile keeps.
//
// One deliberate difference: npm puts node_modules/.bin of every directory
// from the package's up to "/" on PATH; here the walk stops at the project,
// whose directories are the install's. What lies above it belongs to nobody
// this install trusts.
//
// Not set: npm's own configuration as npm_config_* (but npm_config_node_gyp),
// npm_execpath, and the package.json fields npm also exports (config,
// engines, bin): the script gets what it needs to build, not npm's settings.
#include <map>
#include <string>

#include "packages/installed.hpp"

namespace airlock::packages {

// Where the caller found npm and node (outside the project).
struct NpmInstallation {
  std::string node;          // node's executable: npm_node_execpath and NODE
  std::string node_gyp;      // <npm>/node_modules/node-gyp/bin/node-gyp.js: npm_config_node_gyp
  std::string node_gyp_bin;  // <npm>/node_modules/@npmcli/run-script/lib/node-gyp-bin, on PATH
};

// The variables for running `script` of `package` installed in `project`
// (canonical, as Installed::project), with `caller_path` the PATH to extend:
// npm_lifecycle_event, npm_lifecycle_script, npm_package_json,
// npm_package_name and npm_package_version (package.json's own fields, when
// it has them), npm_config_node_gyp, npm_node_execpath, NODE, INIT_CWD,
// npm_command=rebuild and PATH: each node_modules/.bin from the package's
// directory up to the project's, nearest first, then node_gyp_bin, then
// caller_path.
std::map<std::string, std::string> script_environment(const std::string& project, const Package& package,
                                                      const Script& script, const NpmInstallation& npm,
                                                      const std::string& caller_path);

}  // namespace airlock::packages
