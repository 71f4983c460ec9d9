// The installed packages of a pnpm project (packages/installed.hpp): the
// real directories in node_modules/.pnpm, never the links to them.
#include <gtest/gtest.h>

#include <string>

#include "packages/installed.hpp"
#include "packages/packages_support.hpp"

using namespace airlock::packages;
using namespace airlock::packages::testing;

namespace pnpm_store_test {

TEST(PackagesPnpm, StorePackagesAreFoundByTheirRealDirectoryWithVersionsFromTheEntryName) {
  PnpmProject p;
  const auto esbuild = p.install("esbuild", "0.19.0", {{"postinstall", "node install.js"}});
  // A peer suffix after the version; the package.json claims another name.
  const auto scoped = p.install("@s/b", "1.2.3", {{"install", "node-gyp-build"}}, {{"esbuild", "^0.19.0"}, {"left-pad", "1"}},
                                "@s+b@1.2.3_react@18.2.0");
  p.dir().write(scoped + "/package.json",
                json{{"name", "evil"}, {"version", "6.6.6"}, {"scripts", {{"install", "node-gyp-build"}}},
                     {"dependencies", {{"esbuild", "^0.19.0"}, {"left-pad", "1"}}}}
                    .dump());
  p.install("left-pad", "1.0.0");  // no scripts
  p.link_dependency("@s/b", "esbuild");
  p.link_dependency("@s/b", "left-pad");
  p.link_top("esbuild");
  p.link_top("@s/b");

  const auto installed = find_installed(p.path());
  EXPECT_EQ(installed.layout, Layout::pnpm);
  EXPECT_EQ(installed.scanned, 3u);
  EXPECT_TRUE(installed.warnings.empty()) << installed.warnings.front();
  ASSERT_EQ(installed.packages.size(), 2u);

  const auto& b = installed.packages[0];
  EXPECT_EQ(b.relative_path, "node_modules/.pnpm/@s+b@1.2.3_react@18.2.0/node_modules/@s/b");
  EXPECT_EQ(b.name, "@s/b");
  EXPECT_EQ(b.version, "1.2.3");
  EXPECT_TRUE(b.version_verified);
  EXPECT_TRUE(b.registry);
  EXPECT_EQ(b.manifest_name, "evil");
  EXPECT_EQ(b.dir, p.real() + "/" + b.relative_path);
  EXPECT_EQ(b.dependencies, (std::vector<std::string>{"node_modules/.pnpm/esbuild@0.19.0/node_modules/esbuild",
                                                      "node_modules/.pnpm/left-pad@1.0.0/node_modules/left-pad"}));

  const auto& e = installed.packages[1];
  EXPECT_EQ(e.relative_path, esbuild);
  EXPECT_EQ(e.name, "esbuild");
  EXPECT_EQ(e.version, "0.19.0");
  ASSERT_EQ(e.scripts.size(), 1u);
  EXPECT_EQ(e.scripts[0].command, "node install.js");
}

TEST(PackagesPnpm, ANonRegistryEntryHasAnUnverifiedVersion) {
  PnpmProject p;
  p.install("local", "file+packages+local", {{"postinstall", "node x.js"}});
  p.dir().write("node_modules/.pnpm/local@file+packages+local/node_modules/local/binding.gyp", "{}");
  const auto installed = find_installed(p.path());
  ASSERT_EQ(installed.packages.size(), 1u);
  EXPECT_EQ(installed.packages[0].version, "file+packages+local");
  EXPECT_FALSE(installed.packages[0].version_verified);
  EXPECT_FALSE(installed.packages[0].registry);
  ASSERT_EQ(installed.packages[0].scripts.size(), 2u);
  EXPECT_TRUE(installed.packages[0].scripts[0].implicit_gyp);
}

TEST(PackagesPnpm, TheLayoutIsPnpmWhenTheStoreExistsEvenBesideAnNpmLockfile) {
  PnpmProject p;
  p.dir().write("package-lock.json", "not even JSON");
  p.install("a", "1.0.0", {{"install", "x"}});
  EXPECT_EQ(find_installed(p.path()).layout, Layout::pnpm);
}

}  // namespace pnpm_store_test
