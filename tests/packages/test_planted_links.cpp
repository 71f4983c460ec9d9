// Planted symbolic links in a hostile project (packages/installed.hpp): a
// package directory returned is granted to a sandbox as writable, so no link
// may lead one anywhere, and no read may leave the project.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "packages/installed.hpp"
#include "packages/packages_support.hpp"
#include "util/error.hpp"
#include "util/path.hpp"

using namespace airlock::packages;
using namespace airlock::packages::testing;
using airlock::test::TempDir;

namespace planted_links_test {

// Every component from the project's node_modules down is a real directory.
void expect_no_link_below(const Installed& installed) {
  for (const auto& package : installed.packages) {
    ASSERT_TRUE(airlock::path_within(package.dir, installed.project)) << package.dir;
    std::string at = installed.project;
    for (const auto& part : airlock::path_components(*airlock::path_relative_to(package.dir, installed.project))) {
      at += "/" + part;
      struct stat st {};
      ASSERT_EQ(::lstat(at.c_str(), &st), 0) << at;
      EXPECT_TRUE(S_ISDIR(st.st_mode)) << at << " is not a real directory";
    }
  }
}

// A directory outside the project holding a package with a postinstall.
std::string outside_package(const TempDir& outside, const std::string& name) {
  outside.write(name + "/package.json", manifest(name, "1.0.0", {{"postinstall", "node x.js"}}).dump());
  return outside / name;
}

TEST(PackagesPlantedLinks, LinksInNodeModulesAreWarningsNeverPaths) {
  TempDir outside;
  NpmProject p;
  p.install_registry("node_modules/real", "real", "1.0.0", {{"postinstall", "node x.js"}});
  p.entry_only("node_modules/foo", registry_entry("foo", "1.0.0"));
  make_link("/etc", p.path() + "/node_modules/foo");
  p.entry_only("node_modules/bar", registry_entry("bar", "1.0.0"));
  const auto relative_outside = std::filesystem::relative(outside_package(outside, "bar"), p.path() + "/node_modules");
  make_link(relative_outside.string(), p.path() + "/node_modules/bar");
  p.entry_only("node_modules/@scope/b", registry_entry("@scope/b", "1.0.0"));
  outside_package(outside, "scope/b");
  make_link(outside / "scope", p.path() + "/node_modules/@scope");
  p.entry_only("node_modules/real/node_modules/c", registry_entry("c", "1.0.0"));
  outside_package(outside, "nested/c");
  make_link(outside / "nested", p.path() + "/node_modules/real/node_modules");
  p.entry_only("node_modules/../../escape", registry_entry("escape", "1.0.0"));
  p.entry_only("node_modules/file", registry_entry("file", "1.0.0"));
  p.dir().write("node_modules/file", "not a directory");
  p.write_lockfile();

  const auto installed = find_installed(p.path());
  ASSERT_EQ(installed.packages.size(), 1u);
  EXPECT_EQ(installed.packages[0].relative_path, "node_modules/real");
  expect_no_link_below(installed);
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/foo is a symbolic link (to /etc): not built"));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/bar is a symbolic link (to " + relative_outside.string()));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/@scope is a symbolic link (to " + outside / "scope" +
                                                  "): packages below it are not built"));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/real/node_modules is a symbolic link"));
  EXPECT_TRUE(any_warning_contains(installed, "packages[\"node_modules/../../escape\"]: not a location airlock follows"));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/file is not a directory"));
}

TEST(PackagesPlantedLinks, NodeModulesItselfALinkBuildsNothing) {
  TempDir outside;
  outside_package(outside, "node_modules/a");
  NpmProject p;
  p.entry_only("node_modules/a", registry_entry("a", "1.0.0"));
  p.write_lockfile();
  make_link(outside / "node_modules", p.path() + "/node_modules");
  const auto installed = find_installed(p.path());
  EXPECT_TRUE(installed.packages.empty());
  EXPECT_TRUE(any_warning_contains(installed, "node_modules is a symbolic link (to " + outside / "node_modules" +
                                                  "): nothing in it is built"));
}

TEST(PackagesPlantedLinks, NoReadLeavesTheProject) {
  TempDir outside;
  outside.write("package-lock.json", R"({"lockfileVersion": 3, "packages": {}})");
  NpmProject p;
  make_link(outside / "package-lock.json", p.path() + "/package-lock.json");
  p.dir().write("node_modules/a/package.json", "{}");
  try {
    (void)find_installed(p.path());
    ADD_FAILURE() << "a lockfile behind a link out of the project was read";
  } catch (const airlock::Error& e) {
    EXPECT_EQ(std::string(e.what()), p.real() + "/package-lock.json: a symbolic link that leads out of the project, not followed");
  }

  // A package's binding.gyp leading out: no implicit build, and said. A link
  // that stays inside is followed as npm would.
  NpmProject q;
  q.install_registry("node_modules/gyp-out", "gyp-out", "1.0.0");
  make_link(outside / "package-lock.json", q.path() + "/node_modules/gyp-out/binding.gyp");
  q.install_registry("node_modules/gyp-in", "gyp-in", "1.0.0");
  q.dir().write("shared.gyp", "{}");
  make_link("../../shared.gyp", q.path() + "/node_modules/gyp-in/binding.gyp");
  q.write_lockfile();
  const auto installed = find_installed(q.path());
  EXPECT_EQ(find_package(installed, "node_modules/gyp-out"), nullptr);
  EXPECT_NE(find_package(installed, "node_modules/gyp-in"), nullptr);
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/gyp-out/binding.gyp is a symbolic link that leads out"));
}

TEST(PackagesPlantedLinks, PnpmStoreEntriesThatAreLinksAreWarningsNeverPaths) {
  TempDir outside;
  outside_package(outside, "store/node_modules/evil");
  outside_package(outside, "pkg/victim");
  PnpmProject p;
  p.install("good", "1.0.0", {{"install", "x"}});
  make_link(outside / "store", p.path() + "/node_modules/.pnpm/evil@1.0.0");
  // An entry whose package directory is a link out of the project.
  std::filesystem::create_directories(p.path() + "/node_modules/.pnpm/victim@1.0.0/node_modules");
  make_link(outside / "pkg/victim", p.path() + "/node_modules/.pnpm/victim@1.0.0/node_modules/victim");
  // A scoped entry whose scope directory is a link.
  std::filesystem::create_directories(p.path() + "/node_modules/.pnpm/@s+x@1.0.0/node_modules");
  make_link(outside / "pkg", p.path() + "/node_modules/.pnpm/@s+x@1.0.0/node_modules/@s");
  // An entry whose node_modules is a link.
  std::filesystem::create_directories(p.path() + "/node_modules/.pnpm/linked@1.0.0");
  make_link(outside / "store/node_modules", p.path() + "/node_modules/.pnpm/linked@1.0.0/node_modules");
  // A top-level link into another place: never followed, never reported.
  make_link(outside / "pkg/victim", p.path() + "/node_modules/victim");

  const auto installed = find_installed(p.path());
  ASSERT_EQ(installed.packages.size(), 1u);
  EXPECT_EQ(installed.packages[0].name, "good");
  expect_no_link_below(installed);
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/.pnpm/evil@1.0.0 is a symbolic link (to " + outside / "store" +
                                                  "): a store entry that is a link: not built"));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/.pnpm/victim@1.0.0/node_modules/victim is a symbolic link"));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/.pnpm/@s+x@1.0.0/node_modules/@s is a symbolic link"));
  EXPECT_TRUE(any_warning_contains(installed, "node_modules/.pnpm/linked@1.0.0/node_modules is a symbolic link (to " +
                                                  outside / "store/node_modules" + "): not built"));

  TempDir store_elsewhere;
  PnpmProject q;
  std::filesystem::remove_all(q.path() + "/node_modules/.pnpm");
  make_link(store_elsewhere.path(), q.path() + "/node_modules/.pnpm");
  const auto none = find_installed(q.path());
  EXPECT_EQ(none.layout, Layout::pnpm);
  EXPECT_TRUE(none.packages.empty());
  EXPECT_TRUE(any_warning_contains(none, "node_modules/.pnpm is a symbolic link"));
}

}  // namespace planted_links_test
