#include "packages/script_env.hpp"

#include "util/path.hpp"

namespace airlock::packages {
namespace {

// set-path.js: resolve(p, 'node_modules', '.bin') for p and each parent,
// node_modules folders included (npm's PATH has .../node_modules/
// node_modules/.bin too).
std::string bin_directories(const std::string& project, const std::string& package_dir) {
  std::string path;
  std::string dir = package_dir;
  while (true) {
    path += (path.empty() ? "" : ":") + (dir == "/" ? "" : dir) + "/node_modules/.bin";
    if (dir == project || !path_within(dir, project) || dir == "/") return path;
    dir = path_parent(dir);
  }
}

}  // namespace

std::map<std::string, std::string> script_environment(const std::string& project, const Package& package,
                                                      const Script& script, const NpmInstallation& npm,
                                                      const std::string& caller_path) {
  std::map<std::string, std::string> env{
      {"npm_lifecycle_event", script.event},
      {"npm_lifecycle_script", script.command},
      {"npm_package_json", package.dir + "/package.json"},
      {"npm_config_node_gyp", npm.node_gyp},
      {"npm_node_execpath", npm.node},
      {"NODE", npm.node},
      {"INIT_CWD", project},
      {"npm_command", "rebuild"},
  };
  if (package.manifest_name) env["npm_package_name"] = *package.manifest_name;
  if (package.manifest_version) env["npm_package_version"] = *package.manifest_version;
  std::string path = bin_directories(project, package.dir) + ":" + npm.node_gyp_bin;
  if (!caller_path.empty()) path += ":" + caller_path;
  env["PATH"] = path;
  return env;
}

}  // namespace airlock::packages
