// The build order (packages/order.hpp): dependencies first, through packages
// without scripts, deterministic, cycles broken and said.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "packages/installed.hpp"
#include "packages/order.hpp"
#include "packages/packages_support.hpp"

using namespace airlock::packages;
using namespace airlock::packages::testing;

namespace order_test {

// A graph by hand: `edges` are "from -> to" by short name; names listed in
// `with_scripts` have scripts. Locations are node_modules/<name>.
Installed graph(const std::vector<std::pair<std::string, std::string>>& edges, const std::vector<std::string>& with_scripts,
                const std::vector<std::string>& without_scripts = {}) {
  Installed installed;
  const auto at = [](const std::string& name) { return "node_modules/" + name; };
  for (const auto& name : with_scripts) installed.dependency_graph[at(name)];
  for (const auto& name : without_scripts) installed.dependency_graph[at(name)];
  for (const auto& [from, to] : edges) installed.dependency_graph[at(from)].push_back(at(to));
  // find_installed lists a package's dependencies sorted; so does this.
  for (auto& [from, to] : installed.dependency_graph) std::sort(to.begin(), to.end());
  for (const auto& name : with_scripts) {
    Package package;
    package.name = name;
    package.relative_path = at(name);
    package.scripts = {{"install", "x", false}};
    installed.packages.push_back(package);
  }
  std::sort(installed.packages.begin(), installed.packages.end(),
            [](const Package& a, const Package& b) { return a.relative_path < b.relative_path; });
  return installed;
}

std::vector<std::string> names(const InstallOrder& order) {
  std::vector<std::string> out;
  for (const auto& package : order.packages) out.push_back(package.name);
  return out;
}

TEST(PackagesOrder, ADiamondBuildsTheSharedDependencyOnceAndFirst) {
  const auto order = install_order(graph({{"app", "left"}, {"app", "right"}, {"left", "base"}, {"right", "base"}},
                                         {"right", "left", "base", "app"}));
  EXPECT_EQ(names(order), (std::vector<std::string>{"base", "left", "right", "app"}));
  EXPECT_TRUE(order.warnings.empty());
}

TEST(PackagesOrder, AChainThroughPackagesWithoutScriptsStillOrders) {
  // a -> m (no scripts) -> z: z first although "a" sorts first.
  const auto order = install_order(graph({{"a", "m"}, {"m", "z"}}, {"a", "z"}, {"m"}));
  EXPECT_EQ(names(order), (std::vector<std::string>{"z", "a"}));
}

TEST(PackagesOrder, UnrelatedPackagesComeByPath) {
  const auto order = install_order(graph({}, {"c", "a", "b"}));
  EXPECT_EQ(names(order), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(PackagesOrder, ACycleIsBrokenTheSameWayEveryTimeAndSaid) {
  const auto installed = graph({{"a", "b"}, {"b", "c"}, {"c", "a"}, {"d", "c"}}, {"a", "b", "c", "d"});
  const auto order = install_order(installed);
  EXPECT_EQ(names(order), (std::vector<std::string>{"c", "b", "a", "d"}));
  ASSERT_EQ(order.warnings.size(), 1u);
  EXPECT_EQ(order.warnings[0],
            "dependency cycle node_modules/a -> node_modules/b -> node_modules/c -> node_modules/a: broken at "
            "node_modules/c -> node_modules/a (node_modules/c is built first)");
  EXPECT_EQ(names(install_order(installed)), names(order));
}

TEST(PackagesOrder, ARealNpmTreeOrdersByNodesResolution) {
  NpmProject p;
  // app needs b; the b it sees is its own nested one, which needs c.
  p.install_registry("node_modules/app", "app", "1.0.0", {{"install", "x"}}, {{"b", "2"}});
  p.install_registry("node_modules/app/node_modules/b", "b", "2.0.0", {{"install", "x"}}, {{"c", "1"}});
  p.install_registry("node_modules/b", "b", "1.0.0", {{"install", "x"}});
  p.install_registry("node_modules/c", "c", "1.0.0", {{"install", "x"}}, {{"missing-optional", "1"}});
  p.write_lockfile();
  const auto order = install_order(find_installed(p.path()));
  std::vector<std::string> paths;
  for (const auto& package : order.packages) paths.push_back(package.relative_path);
  EXPECT_EQ(paths, (std::vector<std::string>{"node_modules/c", "node_modules/app/node_modules/b", "node_modules/app",
                                             "node_modules/b"}));
}

TEST(PackagesOrder, ALongChainDoesNotExhaustTheStack) {
  std::vector<std::pair<std::string, std::string>> edges;
  std::vector<std::string> all;
  for (int i = 0; i < 100000; ++i) {
    all.push_back("p" + std::to_string(i));
    if (i > 0) edges.emplace_back("p" + std::to_string(i - 1), "p" + std::to_string(i));
  }
  const auto order = install_order(graph(edges, {"p0"}, all));
  ASSERT_EQ(order.packages.size(), 1u);
}

}  // namespace order_test
