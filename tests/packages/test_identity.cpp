// Who a package is, from install paths and tarball URLs (packages/identity.hpp),
// against the cases npm's own version-from-tgz.js and script-allowed.js take.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "packages/identity.hpp"

using namespace airlock::packages;

namespace identity_test {

TEST(PackagesIdentity, TarballUrlsNameTheirPackageAndVersion) {
  auto id = tarball_identity("https://packages.example/esbuild/-/esbuild-0.19.0.tgz");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "esbuild");
  EXPECT_EQ(id->version, "0.19.0");
  id = tarball_identity("https://packages.example/@s/b/-/b-1.2.3-rc.1+build.5.tgz");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "@s/b");
  EXPECT_EQ(id->version, "1.2.3-rc.1");  // node-semver's .version drops build metadata
  id = tarball_identity("https://packages.example/@s%2fb/-/b-1.0.0.tgz");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "@s/b");
  // A registry mounted below the root, "/-/" in its own path.
  id = tarball_identity("http://packages.example/a/-/mirror/left-pad/-/left-pad-1.3.0.tgz");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "left-pad");
  EXPECT_EQ(id->version, "1.3.0");

  EXPECT_FALSE(tarball_identity(""));
  EXPECT_FALSE(tarball_identity("file:vendor/esbuild-0.19.0.tgz"));
  EXPECT_FALSE(tarball_identity("git+ssh://git@git.example/o/r.git#abc"));
  EXPECT_FALSE(tarball_identity("https://packages.example/esbuild/-/other-0.19.0.tgz"));  // file is not the name's
  EXPECT_FALSE(tarball_identity("https://packages.example/esbuild/-/esbuild-latest.tgz"));
  EXPECT_FALSE(tarball_identity("https://packages.example/esbuild-0.19.0.tgz"));
  EXPECT_FALSE(tarball_identity("https://packages.example/esbuild/-/esbuild-0.19.0.tgz?x=1"));
  // Dot segments would be folded by a URL parser: no identity rather than a guess.
  EXPECT_FALSE(tarball_identity("https://packages.example/x/../esbuild/-/esbuild-0.19.0.tgz"));
}

TEST(PackagesIdentity, RegistryEntriesAreTheOnesNpmTakesForRegistryPackages) {
  EXPECT_TRUE(is_registry_entry("https://packages.example/a/-/a-1.0.0.tgz", "1.0.0"));
  EXPECT_TRUE(is_registry_entry("", "1.0.0"));  // omit-lockfile-registry-resolved
  EXPECT_FALSE(is_registry_entry("", ""));
  // No path segment before "/-/": npm refuses to take a bare host as a registry.
  EXPECT_FALSE(is_registry_entry("https://evil.example/-/trusted-1.0.0.tgz", "1.0.0"));
  EXPECT_FALSE(is_registry_entry("file:../a", "1.0.0"));
  EXPECT_FALSE(is_registry_entry("git+https://git.example/a.git", "1.0.0"));
  EXPECT_FALSE(is_registry_entry("https://packages.example/a/-/a-latest.tgz", "1.0.0"));
}

TEST(PackagesIdentity, SemanticVersionsAsNodeSemverParsesThem) {
  EXPECT_EQ(semver_version("1.2.3"), "1.2.3");
  EXPECT_EQ(semver_version(" v1.2.3-alpha.1+sha.5 "), "1.2.3-alpha.1");
  EXPECT_EQ(semver_version("0.0.0-0"), "0.0.0-0");
  for (const char* bad : {"", "1.2", "1.2.3.4", "01.2.3", "1.2.3-01", "^1.2.3", "1.2.x", "latest", "=1.2.3", "1.2.3-",
                          "1.2.3+", "99999999999999999.0.0"})
    EXPECT_FALSE(semver_version(bad)) << bad;
}

TEST(PackagesIdentity, NamesAndInstallLocations) {
  for (const char* good : {"a", "left-pad", "@s/b", "A.B_c", "@_s/b"}) EXPECT_TRUE(is_package_name(good)) << good;
  for (const char* bad :
       {"", ".a", "_a", "@s", "@s/", "a/b", "@s/b/c", "a b", "a+b", "a%2fb", "node_modules", "@s/..", "@s/.x", "@./x"})
    EXPECT_FALSE(is_package_name(bad)) << bad;

  EXPECT_EQ(name_at_location("node_modules/a"), "a");
  EXPECT_EQ(name_at_location("node_modules/a/node_modules/@s/b"), "@s/b");
  EXPECT_EQ(name_at_location("packages/w/node_modules/c"), "c");
  for (const char* bad : {"", "packages/w", "node_modules", "node_modules/@s", "node_modules/a/b",
                          "node_modules/../x", "/node_modules/a", "node_modules//a", "node_modules/a/",
                          "node_modules/./a", "node_modules/@s/.."})
    EXPECT_FALSE(name_at_location(bad)) << bad;
}

TEST(PackagesIdentity, NodeLooksUpDependenciesFromTheNearestNodeModulesOutwards) {
  EXPECT_EQ(node_lookup_locations("node_modules/a/node_modules/@s/b", "c"),
            (std::vector<std::string>{"node_modules/a/node_modules/@s/b/node_modules/c",
                                      "node_modules/a/node_modules/@s/node_modules/c",
                                      "node_modules/a/node_modules/c", "node_modules/c"}));
  EXPECT_EQ(node_lookup_locations("packages/w/node_modules/x", "@s/d"),
            (std::vector<std::string>{"packages/w/node_modules/x/node_modules/@s/d", "packages/w/node_modules/@s/d",
                                      "packages/node_modules/@s/d", "node_modules/@s/d"}));
}

}  // namespace identity_test
