// PackageConfigDifferential: for each configuration written into a temporary HOME, the
// registries airlock reads (policy/package_config.hpp, no npm or python
// started) are the ones npm and pip themselves report: `npm config list
// --json` and pip's Configuration, run here with the same environment. Only
// made-up hosts are written; the defaults come from npm and pip on both sides.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "policy/package_config.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace airlock::policy;
using airlock::test::TempDir;

namespace {

// What @pip-indexes asked of pip before it read the files itself.
constexpr const char* kPipConfigQuery = R"py(
import json
from pip._internal.configuration import Configuration
from pip._internal.models.index import PyPI
config = Configuration(isolated=False)
config.load()
indexes, files = [], None
items = list(config.items())
for key, value in items:
    if key.endswith(".index-url"):
        indexes[:0] = value.split()
for key, value in items:
    if key.endswith(".extra-index-url"):
        indexes += value.split()
if not any(key.endswith(".index-url") for key, _ in items):
    indexes.insert(0, PyPI.simple_url)
    files = PyPI.file_storage_domain
print(json.dumps({"indexes": indexes, "files": files}))
)py";

std::vector<std::string> addresses_shown(const std::vector<RegistryAddress>& all) {
  std::vector<std::string> out;
  for (const auto& a : all) out.push_back(a.host + ":" + a.port);
  return out;
}

class PackageConfigDifferential : public ::testing::Test {
 protected:
  PackageConfigDifferential() {
    std::filesystem::create_directories(home_);
    // npm's project layer is the nearest package.json's directory: an empty
    // project, so that npm has nothing there that airlock would not read.
    dir_.write("project/package.json", "{}\n");
  }

  // npm and python3 are started by env(1), not a shell: a shell drops
  // variables whose names are no shell names, such as npm_config_@scope:registry.

  EnvEntries env(std::vector<std::string> more) const {
    more.push_back("HOME=" + home_);
    more.push_back("PATH=/usr/bin:/bin");
    more.push_back("npm_config_update_notifier=false");
    return more;
  }

  void expect_npm_agrees(const std::vector<std::string>& vars) {
    const auto e = env(vars);
    const auto ours = addresses_shown(npm_registry_addresses(e, hostile_places(project_, home_)));
    const auto npm = airlock::test::run_program({"/usr/bin/env", "-C", project_, "npm", "config", "list", "--json"}, e);
    ASSERT_EQ(npm.status, 0) << npm.err;
    EXPECT_EQ(ours, addresses_shown(registry_addresses_from_npm_config(npm.out))) << npm.out;
    last_ = ours;
  }

  void expect_pip_agrees(const std::vector<std::string>& vars) {
    const auto e = env(vars);
    const auto ours = addresses_shown(pip_index_addresses(e, hostile_places(project_, home_)));
    const auto pip = airlock::test::run_program({"/usr/bin/env", "-C", project_, "python3", "-I", "-c", kPipConfigQuery}, e);
    ASSERT_EQ(pip.status, 0) << pip.err;
    EXPECT_EQ(ours, addresses_shown(pip_addresses_from_json(pip.out))) << pip.out;
    last_ = ours;
  }

  TempDir dir_;
  std::string home_ = dir_.path() + "/home";
  std::string project_ = dir_.path() + "/project";
  std::vector<std::string> last_;
};

TEST_F(PackageConfigDifferential, Npm) {
  if (::access("/usr/bin/npm", X_OK) != 0) GTEST_SKIP() << "npm is not installed";
  // Nothing configured: npm's default registry, from npm's own definitions.
  expect_npm_agrees({});
  EXPECT_EQ(last_.size(), 1u);

  dir_.write("home/.npmrc",
             "registry=https://registry.example.test/\n"
             "@corp:registry=http://npm.corp.example.test:4873/\n"
             "@other:registry = \"https://registry.example.test/\"\n"
             "@ported:registry=https://${PORTED_HOST}:${PORTED_PORT}/npm/\n"
             "//registry.example.test/:_authToken=${NPM_TOKEN}\n");
  expect_npm_agrees({"PORTED_HOST=ported.example.test", "PORTED_PORT=8443", "NPM_TOKEN=x"});
  EXPECT_EQ(last_, (std::vector<std::string>{"registry.example.test:443", "npm.corp.example.test:4873",
                                             "ported.example.test:8443"}));

  // The environment over the user's file, any case.
  expect_npm_agrees({"npm_config_registry=http://env.example.test:8080/",
                     "NPM_CONFIG_@CORP:REGISTRY=https://corp-env.example.test/",
                     "npm_config_@new:registry=https://new.example.test/", "PORTED_HOST=p.example.test",
                     "PORTED_PORT=1"});
  EXPECT_EQ(last_.front(), "env.example.test:8080");

  // A global configuration named by npm_config_globalconfig, and one in a
  // prefix named by npm_config_prefix, below the user's.
  dir_.write("global/npmrc", "registry=https://global.example.test/\n@global:registry=https://g.example.test/\n"
                             "@corp:registry=https://corp-global.example.test/\n");
  dir_.write("prefix/etc/npmrc", "@prefix:registry=https://prefix.example.test:444/\n");
  expect_npm_agrees({"npm_config_globalconfig=" + dir_.path() + "/global/npmrc", "PORTED_HOST=p.example.test",
                     "PORTED_PORT=1"});
  expect_npm_agrees({"npm_config_prefix=" + dir_.path() + "/prefix", "PORTED_HOST=p.example.test", "PORTED_PORT=1"});

  // Another user configuration; the global one it names.
  dir_.write("other/npmrc", "globalconfig=" + dir_.path() + "/global/npmrc\n@mine:registry=http://[::1]:4874/\n");
  expect_npm_agrees({"npm_config_userconfig=" + dir_.path() + "/other/npmrc"});
  EXPECT_EQ(last_.front(), "global.example.test:443");

  // A registry set in a section is no registry; `${VAR?}` is empty when unset.
  dir_.write("home/.npmrc", "@opt:registry=https://opt${UNSET?}.example.test/\n[section]\n"
                            "registry=https://section.example.test/\n");
  expect_npm_agrees({});
  EXPECT_EQ(last_.size(), 2u);
}

TEST_F(PackageConfigDifferential, Pip) {
  if (::access("/usr/bin/python3", X_OK) != 0 ||
      airlock::test::run_program({"/usr/bin/python3", "-I", "-c", "import pip"}).status != 0)
    GTEST_SKIP() << "python3 with pip is not installed";
  // Nothing configured: pip's default index and its file host.
  expect_pip_agrees({});
  EXPECT_EQ(last_.size(), 2u);

  dir_.write("pip.conf", "[global]\nindex-url = https://index.example.test/simple\n"
                         "extra-index-url =\n    http://extra.example.test:3141/root/\n    https://extra2.example.test/x\n");
  expect_pip_agrees({"PIP_CONFIG_FILE=" + dir_.path() + "/pip.conf"});
  EXPECT_EQ(last_, (std::vector<std::string>{"index.example.test:443", "extra.example.test:3141",
                                             "extra2.example.test:443"}));

  // The user's files: the legacy one under the XDG one; [install] counts too.
  dir_.write("home/.pip/pip.conf", "[global]\nextra-index-url = https://legacy.example.test/simple\n");
  dir_.write("home/.config/pip/pip.conf", "[install]\nindex_url = https://user.example.test/simple\n");
  expect_pip_agrees({});
  EXPECT_EQ(last_.front(), "user.example.test:443");
  // PIP_CONFIG_FILE that exists replaces the user's files.
  expect_pip_agrees({"PIP_CONFIG_FILE=" + dir_.path() + "/pip.conf"});
  // The environment over every file.
  expect_pip_agrees({"PIP_INDEX_URL=http://env.example.test:8080/simple",
                     "PIP_EXTRA_INDEX_URL=https://e1.example.test/ https://e2.example.test/"});
  EXPECT_EQ(last_.front(), "env.example.test:8080");

  // XDG_CONFIG_HOME and XDG_CONFIG_DIRS move the user's and the global files.
  dir_.write("xdg-home/pip/pip.conf", "[global]\nextra-index-url = https://xdg-home.example.test/\n");
  dir_.write("xdg-dir/pip/pip.conf", "[DEFAULT]\nindex-url = https://xdg-dir.example.test/\n[download]\n");
  expect_pip_agrees({"XDG_CONFIG_HOME=" + dir_.path() + "/xdg-home", "XDG_CONFIG_DIRS=/nonexistent:" + dir_.path() + "/xdg-dir"});
  // PIP_CONFIG_FILE=/dev/null: no file at all, the environment still.
  expect_pip_agrees({"PIP_CONFIG_FILE=/dev/null", "PIP_EXTRA_INDEX_URL=https://e1.example.test/"});
  EXPECT_EQ(last_.size(), 3u);
}

}  // namespace
