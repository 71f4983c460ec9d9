// The package managers' configuration as airlock reads it without starting
// them (policy/package_config.hpp): the parsers as data, then the trust rule
// on real files. Only made-up hosts: no test names a real registry.
#include "policy/package_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/error_message.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace airlock::policy;
using airlock::test::TempDir;

namespace {

// ---- npm ---------------------------------------------------------------------

TEST(NpmConfig, EnvReplaceFollowsNpm) {
  const EnvEntries env{"HOST=registry.example.test", "EMPTY="};
  EXPECT_EQ(npm_env_replace("https://${HOST}/", env), "https://registry.example.test/");
  EXPECT_EQ(npm_env_replace("${MISSING}/x", env), "${MISSING}/x");
  EXPECT_EQ(npm_env_replace("a${MISSING?}b${EMPTY}c", env), "abc");
  EXPECT_EQ(npm_env_replace("\\${HOST}", env), "${HOST}");
  EXPECT_EQ(npm_env_replace("\\\\${HOST}", env), "\\registry.example.test");
  EXPECT_EQ(npm_env_replace("\\\\\\${HOST}", env), "\\${HOST}");
  EXPECT_EQ(npm_env_replace("$HOST ${} ${HOST", env), "$HOST ${} ${HOST");
}

TEST(NpmConfig, ParsesTheTopLevelOfAnNpmrc) {
  const EnvEntries env{"SCOPE=@env", "TOKEN=t0k"};
  const auto layer = parse_npmrc(R"(; a comment
# another
registry = https://registry.example.test/
@corp:registry="http://npm.corp.example.test:4873/"
'@quoted:registry' = 'https://quoted.example.test/'
always = true
flag
empty =
list[] = a
list[] = b
value = a ; trailing comment
escaped = a\;b\#c
${SCOPE}:registry = https://env.example.test/
//registry.example.test/:_authToken=${TOKEN}
=no key
[section]
@in-section:registry = https://section.example.test/
)",
                                 env);
  EXPECT_EQ(layer.at("registry"), "https://registry.example.test/");
  EXPECT_EQ(layer.at("@corp:registry"), "http://npm.corp.example.test:4873/");
  EXPECT_EQ(layer.at("@quoted:registry"), "https://quoted.example.test/");
  EXPECT_EQ(layer.at("always"), std::nullopt);
  EXPECT_EQ(layer.at("flag"), std::nullopt);
  EXPECT_EQ(layer.at("empty"), "");
  EXPECT_EQ(layer.at("list"), std::nullopt);
  EXPECT_EQ(layer.at("value"), "a");
  EXPECT_EQ(layer.at("escaped"), "a;b#c");
  EXPECT_EQ(layer.at("@env:registry"), "https://env.example.test/");
  // Values are expanded when read (npm_string_value), keys at once.
  EXPECT_EQ(layer.at("//registry.example.test/:_authToken"), "${TOKEN}");
  EXPECT_FALSE(layer.contains("@in-section:registry"));
  EXPECT_EQ(layer.at("section"), std::nullopt);  // a section is an object, not a setting's value
  EXPECT_EQ(layer.size(), 12u);
}

TEST(NpmConfig, ADottedSectionHidesTheSettingOfItsFirstPart) {
  const auto layer = parse_npmrc("registry=https://registry.example.test/\n[registry.x]\na=b\n", {});
  EXPECT_EQ(layer.at("registry"), std::nullopt);
}

TEST(NpmConfig, MapsNpmConfigVariablesAsNpmDoes) {
  const auto layer = npm_environment_layer({"npm_config_registry=https://a.example.test/",
                                            "NPM_CONFIG_@Corp:Registry=https://corp.example.test/",
                                            "Npm_Config_fetch_retries=3", "npm_config__auth=x",
                                            "npm_config_//Host.example.test/:_authToken=t", "npm_config_empty=",
                                            "npm_config_registry=https://second.example.test/", "OTHER=1"});
  EXPECT_EQ(layer.at("registry"), "https://a.example.test/");  // the first of two, as getenv
  EXPECT_EQ(layer.at("@corp:registry"), "https://corp.example.test/");
  EXPECT_EQ(layer.at("fetch-retries"), "3");
  EXPECT_EQ(layer.at("_auth"), "x");
  EXPECT_EQ(layer.at("//Host.example.test/:_authToken"), "t");
  EXPECT_FALSE(layer.contains("empty"));
  EXPECT_EQ(layer.size(), 5u);
}

TEST(NpmConfig, StringValuesAsParseFieldMakesThem) {
  const EnvEntries env{"P=8080"};
  EXPECT_EQ(npm_string_value(std::string(" http://h.example.test:${P}/ "), env), "http://h.example.test:8080/");
  EXPECT_EQ(npm_string_value(std::string("undefined"), env), std::nullopt);
  EXPECT_EQ(npm_string_value(std::string("null"), env), std::nullopt);
  EXPECT_EQ(npm_string_value(std::nullopt, env), std::nullopt);
}

TEST(NpmConfig, ReadsTheDefaultRegistryFromNpmsDefinitions) {
  EXPECT_EQ(npm_default_registry(R"js(
  'read-only': new Definition('read-only', {
    default: false,
  }),
  registry: new Definition('registry', {
    default: 'https://default.example.test/',
    type: url,
  }),
)js",
                                 "definitions.js"),
            "https://default.example.test/");
  EXPECT_EQ(npm_default_registry("define(\"registry\", {\n  default: \"http://old.example.test/\",\n})\n", "d.js"),
            "http://old.example.test/");
  const auto e = airlock::test::error_message([] { npm_default_registry("define('registry', { type: url })\ndefine('x', {default: 'y'})", "/npm/defs.js"); });
  EXPECT_NE(e.find("/npm/defs.js"), std::string::npos) << e;
  EXPECT_NE(airlock::test::error_message([] { npm_default_registry("", "f"); }).find("registry"), std::string::npos);
}

TEST(NpmConfig, TheHighestLayerWinsAndScopesComeInKeyOrder) {
  const NpmLayer env{{"@b:registry", "https://b-env.example.test/"}};
  const NpmLayer user{{"registry", "https://user.example.test/"}, {"@b:registry", "https://b-user.example.test/"},
                      {"@a:registry", "https://a.example.test/"}, {"@c:registry", std::nullopt},
                      {"@d:registries", "https://not-a-scope-registry.example.test/"}};
  const NpmLayer builtin{{"registry", "https://builtin.example.test/"}};
  EXPECT_EQ(npm_registry_urls({env, user, builtin}, "https://default.example.test/", {}),
            (std::vector<std::string>{"https://user.example.test/", "https://a.example.test/",
                                      "https://b-env.example.test/"}));
  EXPECT_EQ(npm_registry_urls({env}, "https://default.example.test/", {}),
            (std::vector<std::string>{"https://default.example.test/", "https://b-env.example.test/"}));
  // A registry that is not a string (`registry` alone on a line) hides the default.
  EXPECT_EQ(npm_registry_urls({NpmLayer{{"registry", std::nullopt}}}, "https://default.example.test/", {}),
            std::vector<std::string>{});
}

// ---- pip ---------------------------------------------------------------------

TEST(PipConfig, ParsesAsConfigParserDoes) {
  const auto items = parse_pip_config(R"([DEFAULT]
timeout = 60

[global]
# a comment
; another
Index_URL = https://one.example.test/simple
extra-index-url =
    https://two.example.test/simple

    https://three.example.test/simple
--Trusted-Host: two.example.test

[install]
timeout = 5
find-links = x # not a comment
)",
                                      "/etc/pip.conf");
  const PipItems expected{{"global.timeout", "60"},
                          {"global.index-url", "https://one.example.test/simple"},
                          {"global.extra-index-url", "\nhttps://two.example.test/simple\n\nhttps://three.example.test/simple"},
                          {"global.trusted-host", "two.example.test"},
                          {"install.timeout", "5"},
                          {"install.find-links", "x # not a comment"}};
  EXPECT_EQ(items, expected);
}

TEST(PipConfig, RefusesWhatPipRefusesNamingFileAndLine) {
  auto e = airlock::test::error_message([] { parse_pip_config("index-url = https://x.example.test/\n", "/h/pip.conf"); });
  EXPECT_NE(e.find("/h/pip.conf: line 1"), std::string::npos) << e;
  e = airlock::test::error_message([] { parse_pip_config("[global]\na = 1\nA = 2\n", "/h/pip.conf"); });
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  e = airlock::test::error_message([] { parse_pip_config("[global]\n[global]\n", "/h/pip.conf"); });
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  e = airlock::test::error_message([] { parse_pip_config("[global]\nno delimiter\na = 1\n", "/h/pip.conf"); });
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
}

TEST(PipConfig, MapsPipVariablesAsPipDoes) {
  const auto items = pip_environment_items({"PIP_INDEX_URL=https://i.example.test/simple", "PIP_VERSION=1",
                                            "PIP_EXTRA_INDEX_URL=https://e.example.test/simple", "pip_lower=x",
                                            "PIP_INDEX_URL=https://ignored.example.test/"});
  const PipItems expected{{":env:.index-url", "https://i.example.test/simple"},
                          {":env:.extra-index-url", "https://e.example.test/simple"}};
  EXPECT_EQ(items, expected);
}

TEST(PipConfig, ReadsTheDefaultIndexFromPipsModel) {
  const auto index = pip_default_index(R"py(import urllib.parse


class PackageIndex:
    def __init__(self, url: str, file_storage_domain: str) -> None:
        self.url = url


PyPI = PackageIndex("https://index.example.test/", file_storage_domain="files.example.test")
TestPyPI = PackageIndex(
    "https://test.example.test/", file_storage_domain="test-files.example.test"
)
)py",
                                       "index.py");
  EXPECT_EQ(index.url, "https://index.example.test/");
  EXPECT_EQ(index.file_host, "files.example.test");
  const auto e = airlock::test::error_message([] { pip_default_index("PyPI = object()\n", "/usr/lib/pip/index.py"); });
  EXPECT_NE(e.find("/usr/lib/pip/index.py"), std::string::npos) << e;
}

TEST(PipConfig, IndexUrlsInTheOrderOfPipsQuery) {
  const PipDefaultIndex fallback{"https://index.example.test/", "files.example.test"};
  const PipItems global{{"global.index-url", "https://g.example.test/simple"},
                        {"global.extra-index-url", "https://ge.example.test/simple"}};
  const PipItems user{{"install.index-url", "https://u1.example.test/simple https://u2.example.test/simple"},
                      {"global.extra-index-url", "https://ue.example.test/simple"}};
  const PipItems env{{":env:.extra-index-url", "https://ee.example.test/simple"}};
  auto [urls, files] = pip_index_urls({global, user, env}, fallback);
  EXPECT_EQ(urls, (std::vector<std::string>{"https://u1.example.test/simple", "https://u2.example.test/simple",
                                            "https://g.example.test/simple", "https://ue.example.test/simple",
                                            "https://ee.example.test/simple"}));
  EXPECT_EQ(files, std::nullopt);
  std::tie(urls, files) = pip_index_urls({env}, fallback);
  EXPECT_EQ(urls, (std::vector<std::string>{"https://index.example.test/simple", "https://ee.example.test/simple"}));
  EXPECT_EQ(files, "files.example.test");
}

// ---- Trust -------------------------------------------------------------------

TEST(PackageConfigTrust, TheTrustedPathDropsRelativeEntriesAndHostilePlaces) {
  EXPECT_EQ(trusted_path("/p/node_modules/.bin:.:/usr/bin::bin:/p:/usr/local/bin:/p2:/h/.cache/venv/bin",
                         hostile_places("/p", "/h")),
            "/usr/bin:/usr/local/bin:/p2");
}

bool have_program(const char* program) { return ::access(program, X_OK) == 0; }

// A HOME and a project side by side, and the caller's environment for them.
struct PackageHomes {
  TempDir dir;
  std::string home = dir.path() + "/home";
  std::string project = dir.path() + "/project";
  PackageHomes() {
    std::filesystem::create_directories(home);
    std::filesystem::create_directories(project);
  }
  EnvEntries env(std::vector<std::string> more = {}) const {
    more.push_back("HOME=" + home);
    more.push_back("PATH=" + project + "/bin:/usr/bin:/bin");
    return more;
  }
  std::vector<std::string> hostile() const { return hostile_places(project, home); }
};

TEST(PackageConfigTrust, NpmIgnoresTheProjectAndRefusesConfigurationInIt) {
  if (!have_program("/usr/bin/npm")) GTEST_SKIP() << "npm is not installed";
  PackageHomes h;
  h.dir.write("project/.npmrc", "registry=http://project.example.test/\n");
  h.dir.write("project/bin/npm", "#!/bin/sh\necho planted\n");
  ::chmod((h.project + "/bin/npm").c_str(), 0755);
  h.dir.write("home/.npmrc", "registry=http://user.example.test:4873/\n");
  auto all = npm_registry_addresses(h.env(), h.hostile());
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].host, "user.example.test");
  EXPECT_EQ(all[0].port, "4873");

  auto e = airlock::test::error_message([&] { npm_registry_addresses(h.env({"npm_config_userconfig=" + h.project + "/.npmrc"}), h.hostile()); });
  EXPECT_NE(e.find(h.project + "/.npmrc"), std::string::npos) << e;
  e = airlock::test::error_message([&] { npm_registry_addresses(h.env({"npm_config_globalconfig=" + h.project + "/none"}), h.hostile()); });
  EXPECT_NE(e.find("a sandboxed step can write"), std::string::npos) << e;
  e = airlock::test::error_message([&] { npm_registry_addresses(h.env({"npm_config_prefix=" + h.project}), h.hostile()); });
  EXPECT_NE(e.find(h.project + "/etc/npmrc"), std::string::npos) << e;

  // ~/.npmrc as a symbolic link into the project: refused, not followed.
  std::filesystem::remove(h.home + "/.npmrc");
  std::filesystem::create_symlink(h.project + "/.npmrc", h.home + "/.npmrc");
  e = airlock::test::error_message([&] { npm_registry_addresses(h.env(), h.hostile()); });
  EXPECT_NE(e.find(h.home + "/.npmrc"), std::string::npos) << e;
  EXPECT_NE(e.find("lies in " + h.project), std::string::npos) << e;

  e = airlock::test::error_message([&] { npm_registry_addresses({"HOME=" + h.project, "PATH=/usr/bin:/bin"}, h.hostile()); });
  EXPECT_NE(e.find("HOME"), std::string::npos) << e;
  e = airlock::test::error_message([&] { npm_registry_addresses({"HOME=" + h.home, "PATH=" + h.project + "/bin"}, h.hostile()); });
  EXPECT_NE(e.find("npm not found on PATH outside the project"), std::string::npos) << e;
}

TEST(PackageConfigTrust, PipRefusesConfigurationInTheProject) {
  if (!have_program("/usr/bin/python3") || !std::filesystem::exists("/usr/lib/python3/dist-packages/pip"))
    GTEST_SKIP() << "Debian's python3 with pip is not installed";
  PackageHomes h;
  h.dir.write("home/.config/pip/pip.conf", "[global]\nindex-url = http://user.example.test:3141/simple\n");
  h.dir.write("project/pip.conf", "[global]\nindex-url = http://project.example.test/simple\n");
  auto all = pip_index_addresses(h.env(), h.hostile());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].host, "user.example.test");

  auto e = airlock::test::error_message([&] { pip_index_addresses(h.env({"PIP_CONFIG_FILE=" + h.project + "/pip.conf"}), h.hostile()); });
  EXPECT_NE(e.find(h.project + "/pip.conf"), std::string::npos) << e;
  e = airlock::test::error_message([&] { pip_index_addresses(h.env({"XDG_CONFIG_HOME=" + h.project}), h.hostile()); });
  EXPECT_NE(e.find("a sandboxed step can write"), std::string::npos) << e;

  std::filesystem::remove_all(h.home + "/.config/pip");
  std::filesystem::create_symlink(h.project, h.home + "/.config/pip");
  e = airlock::test::error_message([&] { pip_index_addresses(h.env(), h.hostile()); });
  EXPECT_NE(e.find(h.home + "/.config/pip/pip.conf"), std::string::npos) << e;
}

}  // namespace
