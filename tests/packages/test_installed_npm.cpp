// The installed packages of an npm project and their install scripts
// (packages/installed.hpp), read from fixture trees as npm lays them out.
#include <gtest/gtest.h>

#include <string>

#include "packages/installed.hpp"
#include "packages/packages_support.hpp"
#include "support/error_message.hpp"
#include "util/error.hpp"

using namespace airlock::packages;
using namespace airlock::packages::testing;

namespace npm_tree_test {

std::string error_of(const std::string& project) {
  return airlock::test::error_message([&] { (void)find_installed(project); });
}

std::vector<std::string> events_of(const Package& package) {
  std::vector<std::string> out;
  for (const auto& script : package.scripts) out.push_back(script.event + (script.implicit_gyp ? " (gyp)" : ""));
  return out;
}

TEST(PackagesNpm, LockfileV3NestedAndScopedPackagesWithTheirScriptsInNpmsOrder) {
  NpmProject p;
  p.install_registry("node_modules/a", "a", "1.0.0",
                     {{"postinstall", "node post.js"}, {"preinstall", "node pre.js"}, {"install", "node inst.js"}},
                     {{"@s/b", "^2.0.0"}});
  p.install_registry("node_modules/a/node_modules/@s/b", "@s/b", "2.0.1", {{"install", "node-gyp-build"}});
  p.install_registry("node_modules/@s/b", "@s/b", "1.0.0");  // no scripts: scanned, not returned
  p.install_registry("node_modules/c", "c", "3.0.0", {{"test", "jest"}, {"prepare", "tsc"}});
  p.write_lockfile();

  const auto installed = find_installed(p.path());
  EXPECT_EQ(installed.layout, Layout::npm);
  EXPECT_EQ(installed.project, p.real());
  EXPECT_EQ(installed.lockfile, p.real() + "/package-lock.json");
  EXPECT_EQ(installed.scanned, 4u);
  EXPECT_TRUE(installed.warnings.empty()) << installed.warnings.front();
  ASSERT_EQ(installed.packages.size(), 2u);

  const auto& a = installed.packages[0];
  EXPECT_EQ(a.relative_path, "node_modules/a");
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.version, "1.0.0");
  EXPECT_TRUE(a.version_verified);
  EXPECT_TRUE(a.registry);
  EXPECT_EQ(a.dir, p.real() + "/node_modules/a");
  EXPECT_EQ(events_of(a), (std::vector<std::string>{"preinstall", "install", "postinstall"}));
  EXPECT_EQ(a.scripts[0].command, "node pre.js");
  // Node's lookup from node_modules/a finds its own nested @s/b first.
  EXPECT_EQ(a.dependencies, std::vector<std::string>{"node_modules/a/node_modules/@s/b"});

  const auto& b = installed.packages[1];
  EXPECT_EQ(b.relative_path, "node_modules/a/node_modules/@s/b");
  EXPECT_EQ(b.name, "@s/b");
  EXPECT_EQ(b.version, "2.0.1");
  EXPECT_EQ(b.resolved, "https://packages.example/@s/b/-/b-2.0.1.tgz");
  EXPECT_EQ(b.dir, p.real() + "/node_modules/a/node_modules/@s/b");
  EXPECT_EQ(events_of(b), std::vector<std::string>{"install"});
  EXPECT_EQ(installed.dependency_graph.count("node_modules/@s/b"), 1u);
}

TEST(PackagesNpm, BindingGypIsAnImplicitInstallUnlessGypfileIsFalseOrThereIsAnInstallScript) {
  NpmProject p;
  p.install_registry("node_modules/native", "native", "1.0.0");
  p.dir().write("node_modules/native/binding.gyp", "{}");
  p.install("node_modules/off", json{{"name", "off"}, {"version", "1.0.0"}, {"gypfile", false}},
            registry_entry("off", "1.0.0"));
  p.dir().write("node_modules/off/binding.gyp", "{}");
  p.install_registry("node_modules/pre", "pre", "1.0.0", {{"preinstall", "node pre.js"}});
  p.dir().write("node_modules/pre/binding.gyp", "{}");
  p.install_registry("node_modules/post", "post", "1.0.0", {{"postinstall", "node post.js"}, {"install", ""}});
  p.dir().write("node_modules/post/binding.gyp", "{}");
  p.install_registry("node_modules/nested", "nested", "1.0.0");
  p.dir().write("node_modules/nested/src/binding.gyp", "{}");  // only the top counts
  p.write_lockfile();

  const auto installed = find_installed(p.path());
  const auto* native = find_package(installed, "node_modules/native");
  ASSERT_NE(native, nullptr);
  ASSERT_EQ(native->scripts.size(), 1u);
  EXPECT_EQ(native->scripts[0].event, "install");
  EXPECT_EQ(native->scripts[0].command, "node-gyp rebuild");
  EXPECT_TRUE(native->scripts[0].implicit_gyp);
  EXPECT_EQ(find_package(installed, "node_modules/off"), nullptr);
  EXPECT_EQ(find_package(installed, "node_modules/nested"), nullptr);
  ASSERT_NE(find_package(installed, "node_modules/pre"), nullptr);
  EXPECT_EQ(events_of(*find_package(installed, "node_modules/pre")), std::vector<std::string>{"preinstall"});
  // An empty install script is no script: the implicit one stands in.
  EXPECT_EQ(events_of(*find_package(installed, "node_modules/post")),
            (std::vector<std::string>{"install (gyp)", "postinstall"}));
}

TEST(PackagesNpm, BundledDependenciesAreReportedAndLinksAndWorkspacesSkipped) {
  NpmProject p;
  p.install_registry("node_modules/host", "host", "1.0.0");
  auto bundled = json{{"version", "1.0.0"}, {"inBundle", true}, {"hasInstallScript", true}};
  p.install("node_modules/host/node_modules/inner", manifest("inner", "1.0.0", {{"postinstall", "node x.js"}}), bundled);
  p.entry_only("node_modules/ws", {{"resolved", "packages/ws"}, {"link", true}});
  p.entry_only("packages/ws", {{"name", "ws"}, {"version", "0.1.0"}});
  p.dir().write("packages/ws/package.json", manifest("ws", "0.1.0", {{"postinstall", "node w.js"}}).dump());
  make_link("../packages/ws", p.path() + "/node_modules/ws");
  p.write_lockfile();

  const auto installed = find_installed(p.path());
  ASSERT_EQ(installed.packages.size(), 1u);
  const auto& inner = installed.packages[0];
  EXPECT_EQ(inner.relative_path, "node_modules/host/node_modules/inner");
  EXPECT_TRUE(inner.in_bundle);
  EXPECT_FALSE(inner.version_verified);  // no resolved URL: the lockfile's version
  ASSERT_EQ(installed.skipped.size(), 2u);
  EXPECT_EQ(installed.skipped[0].relative_path, "node_modules/ws");
  EXPECT_EQ(installed.skipped[0].reason, "a link to packages/ws: the project's own workspace code");
  EXPECT_EQ(installed.skipped[1].relative_path, "packages/ws");
  EXPECT_EQ(installed.skipped[1].reason, "a workspace folder: the project's own code");
}

TEST(PackagesNpm, IdentityComesFromTheInstallPathAndTheTarballUrlNotFromPackageJson) {
  NpmProject p;
  // The tarball claims to be esbuild 9.9.9; the lockfile's version field says
  // 4.17.20, its resolved URL 4.17.21.
  auto entry = registry_entry("lodash", "4.17.21");
  entry["version"] = "4.17.20";
  p.install("node_modules/lodash", manifest("esbuild", "9.9.9", {{"postinstall", "node x.js"}}), entry);
  // An alias: installed as "trusted", fetched as "naughty".
  p.install("node_modules/trusted", manifest("trusted", "1.0.0", {{"postinstall", "node x.js"}}),
            registry_entry("naughty", "1.0.0"));
  p.install("node_modules/fromgit", manifest("fromgit", "2.0.0", {{"install", "make"}}),
            json{{"version", "2.0.0"}, {"resolved", "git+ssh://git@git.example/o/fromgit.git#0123abc"},
                 {"hasInstallScript", true}});
  p.write_lockfile();

  const auto installed = find_installed(p.path());
  const auto* lodash = find_package(installed, "node_modules/lodash");
  ASSERT_NE(lodash, nullptr);
  EXPECT_EQ(lodash->name, "lodash");
  EXPECT_EQ(lodash->version, "4.17.21");
  EXPECT_TRUE(lodash->version_verified);
  EXPECT_EQ(lodash->manifest_name, "esbuild");
  EXPECT_EQ(lodash->manifest_version, "9.9.9");

  const auto* trusted = find_package(installed, "node_modules/trusted");
  ASSERT_NE(trusted, nullptr);
  EXPECT_EQ(trusted->name, "trusted");
  EXPECT_EQ(trusted->registry_name, "naughty");

  const auto* git = find_package(installed, "node_modules/fromgit");
  ASSERT_NE(git, nullptr);
  EXPECT_EQ(git->version, "2.0.0");
  EXPECT_FALSE(git->version_verified);
  EXPECT_FALSE(git->registry);
  EXPECT_EQ(git->registry_name, "");
}

TEST(PackagesNpm, MalformedJsonIsRefusedNamingTheFileLineAndColumn) {
  NpmProject p;
  p.dir().write("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {,}\n}\n");
  p.dir().write("node_modules/a/package.json", "{}");
  EXPECT_EQ(error_of(p.path()).find(p.real() + "/package-lock.json:3:16: "), 0u) << error_of(p.path());

  NpmProject q;
  q.install_registry("node_modules/a", "a", "1.0.0", {{"postinstall", "x"}});
  q.write_lockfile();
  q.dir().write("node_modules/a/package.json", "{\"name\": \"a\",\n\"version\": 1.0.0}");
  const auto message = error_of(q.path());
  EXPECT_EQ(message.find(q.real() + "/node_modules/a/package.json:2:15: "), 0u) << message;

  NpmProject deep;
  deep.dir().write("package-lock.json", std::string(100, '[') + std::string(100, ']'));
  deep.dir().write("node_modules/a/package.json", "{}");
  EXPECT_NE(error_of(deep.path()).find("nested deeper than 64 levels"), std::string::npos);

  NpmProject v1;
  v1.dir().write("package-lock.json", R"({"lockfileVersion": 1, "dependencies": {}})");
  v1.dir().write("node_modules/a/package.json", "{}");
  EXPECT_NE(error_of(v1.path()).find("lockfileVersion 1 has no \"packages\" map"), std::string::npos);

  NpmProject typed;
  typed.entry_only("node_modules/a", {{"version", "1.0.0"}, {"inBundle", "yes"}});
  typed.dir().write("node_modules/a/package.json", "{}");
  typed.write_lockfile();
  EXPECT_EQ(error_of(typed.path()), typed.real() + "/package-lock.json: packages[\"node_modules/a\"].inBundle: not true or false");
}

TEST(PackagesNpm, ScriptsTheLockfileDoesNotAnnounceAreFoundAndSaid) {
  NpmProject p;
  p.install("node_modules/quiet", manifest("quiet", "1.0.0", {{"postinstall", "node x.js"}}),
            registry_entry("quiet", "1.0.0", /*has_install_script=*/false));
  p.write_lockfile();
  const auto installed = find_installed(p.path());
  ASSERT_NE(find_package(installed, "node_modules/quiet"), nullptr);
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/quiet: package.json has install scripts its lockfile"));
}

TEST(PackagesNpm, TheHiddenLockfileServesWhenThereIsNoPackageLock) {
  NpmProject p;
  p.install_registry("node_modules/a", "a", "1.0.0", {{"install", "x"}});
  p.entry_only("node_modules/@esbuild/linux-arm64", registry_entry("@esbuild/linux-arm64", "0.19.0"));  // other platform
  p.write_lockfile("node_modules/.package-lock.json");
  const auto installed = find_installed(p.path());
  EXPECT_EQ(installed.lockfile, p.real() + "/node_modules/.package-lock.json");
  ASSERT_EQ(installed.packages.size(), 1u);
  EXPECT_EQ(installed.scanned, 1u);
  EXPECT_TRUE(installed.warnings.empty());  // a package not installed here is no problem
}

TEST(PackagesNpm, InstalledPackagesWithoutALockfileAreRefusedAndNoNodeModulesIsEmpty) {
  NpmProject p;
  p.dir().write("node_modules/a/package.json", "{}");
  EXPECT_NE(error_of(p.path()).find("there is no package-lock.json"), std::string::npos);
  NpmProject empty;
  const auto installed = find_installed(empty.path());
  EXPECT_TRUE(installed.packages.empty());
  EXPECT_EQ(installed.scanned, 0u);
}

}  // namespace npm_tree_test
