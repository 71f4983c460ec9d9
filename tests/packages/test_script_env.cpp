// npm's lifecycle script environment (packages/script_env.hpp): as a value,
// and against what npm itself sets when it rebuilds a package.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "packages/installed.hpp"
#include "packages/packages_support.hpp"
#include "packages/script_env.hpp"
#include "support/process.hpp"
#include "util/path.hpp"

using namespace airlock::packages;
using namespace airlock::packages::testing;

namespace script_env_test {

const NpmInstallation kNpm{"/opt/node/bin/node", "/opt/npm/node_modules/node-gyp/bin/node-gyp.js",
                           "/opt/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin"};

TEST(PackagesScriptEnv, TheVariablesAndPathOfANestedPackage) {
  Package package;
  package.dir = "/w/p/node_modules/a/node_modules/@s/b";
  package.manifest_name = "@s/b";
  package.manifest_version = "2.0.0";
  const auto env = script_environment("/w/p", package, {"install", "node-gyp rebuild", true}, kNpm, "/usr/bin:/bin");
  const std::map<std::string, std::string> expected{
      {"npm_lifecycle_event", "install"},
      {"npm_lifecycle_script", "node-gyp rebuild"},
      {"npm_package_json", "/w/p/node_modules/a/node_modules/@s/b/package.json"},
      {"npm_package_name", "@s/b"},
      {"npm_package_version", "2.0.0"},
      {"npm_config_node_gyp", kNpm.node_gyp},
      {"npm_node_execpath", kNpm.node},
      {"NODE", kNpm.node},
      {"INIT_CWD", "/w/p"},
      {"npm_command", "rebuild"},
      {"PATH",
       "/w/p/node_modules/a/node_modules/@s/b/node_modules/.bin:/w/p/node_modules/a/node_modules/@s/node_modules/.bin:"
       "/w/p/node_modules/a/node_modules/node_modules/.bin:/w/p/node_modules/a/node_modules/.bin:"
       "/w/p/node_modules/node_modules/.bin:/w/p/node_modules/.bin:" +
           kNpm.node_gyp_bin + ":/usr/bin:/bin"},
  };
  EXPECT_EQ(env, expected);

  Package bare;  // package.json without name or version: npm sets neither
  bare.dir = "/w/p/node_modules/x";
  const auto without = script_environment("/w/p", bare, {"postinstall", "x", false}, kNpm, "");
  EXPECT_EQ(without.count("npm_package_name"), 0u);
  EXPECT_EQ(without.count("npm_package_version"), 0u);
  EXPECT_EQ(without.at("PATH"), "/w/p/node_modules/x/node_modules/.bin:/w/p/node_modules/node_modules/.bin:"
                                "/w/p/node_modules/.bin:" + kNpm.node_gyp_bin);
}

std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : airlock::path_components(path ? path : "")) {
    const auto candidate = "/" + dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return std::filesystem::canonical(candidate).string();
  }
  return {};
}

std::map<std::string, std::string> read_env_dump(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, std::string> out;
  std::string entry;
  while (std::getline(text, entry, '\0')) {
    const auto eq = entry.find('=');
    if (eq != std::string::npos) out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  for (std::string entry; std::getline(in, entry, ':');) out.push_back(entry);
  return out;
}

TEST(PackagesScriptEnv, MatchesWhatNpmItselfSetsForARebuild) {
  const auto npm = on_path("npm");
  const auto node = on_path("node");
  if (npm.empty() || node.empty()) GTEST_SKIP() << "npm or node is not installed: nothing to compare with";
  // <npm>/bin/npm-cli.js: npm's installation is two levels up.
  const auto npm_root = std::filesystem::path(npm).parent_path().parent_path().string();
  const NpmInstallation installation{node, npm_root + "/node_modules/node-gyp/bin/node-gyp.js",
                                     npm_root + "/node_modules/@npmcli/run-script/lib/node-gyp-bin"};

  NpmProject p;
  p.root_manifest({{"dependencies", {{"host", "1.0.0"}}}, {"allowScripts", {{"dumper", true}}}});
  p.install_registry("node_modules/host", "host", "1.0.0", json::object(), {{"dumper", "1.0.0"}});
  p.install_registry("node_modules/host/node_modules/dumper", "dumper", "1.0.0", {{"postinstall", "env -0 > envdump"}});
  p.write_lockfile();
  const auto home = p.dir().write("home/.keep", "");
  const std::string caller_path = std::filesystem::path(node).parent_path().string() + ":/usr/bin:/bin";
  const auto run = airlock::test::run_program(
      {"/usr/bin/env", "-C", p.real(), npm, "rebuild"},
      {"PATH=" + caller_path, "HOME=" + std::filesystem::path(home).parent_path().string(),
       "npm_config_cache=" + p.path() + "/cache", "npm_config_offline=true", "npm_config_update_notifier=false",
       "npm_config_audit=false", "npm_config_fund=false", "npm_config_loglevel=error"});
  ASSERT_EQ(run.status, 0) << run.out << run.err;

  const auto installed = find_installed(p.path());
  ASSERT_EQ(installed.packages.size(), 1u);
  const auto& dumper = installed.packages[0];
  const auto npm_env = read_env_dump(dumper.dir + "/envdump");
  ASSERT_FALSE(npm_env.empty()) << "npm ran no postinstall";
  const auto ours = script_environment(installed.project, dumper, dumper.scripts[0], installation, caller_path);
  for (const auto& [key, value] : ours) {
    if (key == "PATH") continue;
    ASSERT_EQ(npm_env.count(key), 1u) << key << " is not in npm's environment";
    EXPECT_EQ(npm_env.at(key), value) << key;
  }
  // npm's PATH goes on above the project, up to /node_modules/.bin; airlock's
  // stops at the project (script_env.hpp). Otherwise the same, in order.
  std::vector<std::string> npm_path;
  for (const auto& entry : split_path(npm_env.at("PATH"))) {
    const auto owner = airlock::path_parent(airlock::path_parent(entry));
    const bool above = entry.ends_with("/node_modules/.bin") && owner != installed.project &&
                       airlock::path_within(installed.project, owner);
    if (!above) npm_path.push_back(entry);
  }
  EXPECT_EQ(npm_path, split_path(ours.at("PATH")));
}

}  // namespace script_env_test
