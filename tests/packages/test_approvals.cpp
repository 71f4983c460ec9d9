// The approval lists (packages/approvals.hpp): npm's allowScripts with the
// semantics of npm 11's script-allowed.js, pnpm's lists in package.json and
// pnpm-workspace.yaml, and --allow.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "packages/approvals.hpp"
#include "packages/packages_support.hpp"
#include "packages/pnpm_lists.hpp"
#include "support/error_message.hpp"
#include "util/error.hpp"

using namespace airlock::packages;
using namespace airlock::packages::testing;
using airlock::test::error_message;

namespace approvals_test {

Package registry_package(const std::string& name, const std::string& version) {
  Package p;
  p.name = name;
  p.registry_name = name;
  p.version = version;
  p.version_verified = true;
  p.registry = true;
  p.resolved = tarball_url(name, version);
  p.relative_path = "node_modules/" + name;
  return p;
}

Package file_package(const std::string& name, const std::string& resolved) {
  Package p;
  p.name = name;
  p.version = "1.0.0";
  p.resolved = resolved;
  p.relative_path = "node_modules/" + name;
  return p;
}

Approvals npm_rules(const json& allow_scripts) { return npm_allow_scripts_rules(allow_scripts, "/p/package.json"); }

Decision npm_decision(const json& allow_scripts, const Package& package) {
  return decide(package, npm_rules(allow_scripts));
}

TEST(PackagesApprovals, EveryNpmKeyForm) {
  const auto esbuild = registry_package("esbuild", "0.19.0");
  auto d = npm_decision({{"esbuild", true}}, esbuild);
  EXPECT_EQ(d.verdict, Verdict::approved);
  EXPECT_EQ(d.source, "package.json allowScripts \"esbuild\"");
  EXPECT_EQ(npm_decision({{"esbuild@*", true}}, esbuild).verdict, Verdict::approved);
  EXPECT_EQ(npm_decision({{"esbuild@0.19.0", true}}, esbuild).verdict, Verdict::approved);
  EXPECT_EQ(npm_decision({{"esbuild@0.18.0", true}}, esbuild).verdict, Verdict::unreviewed);
  EXPECT_EQ(npm_decision({{"esbuild@0.18.0 || 0.19.0", true}}, esbuild).verdict, Verdict::approved);
  EXPECT_EQ(npm_decision({{"esbuild@0.18.0 || 0.18.1", true}}, esbuild).verdict, Verdict::unreviewed);
  // npm compares a single pinned version as written: "v0.19.0" never matches.
  EXPECT_EQ(npm_decision({{"esbuild@v0.19.0", true}}, esbuild).verdict, Verdict::unreviewed);
  EXPECT_EQ(npm_decision({{"other", true}}, esbuild).verdict, Verdict::unreviewed);

  const auto scoped = registry_package("@s/b", "1.0.0");
  EXPECT_EQ(npm_decision({{"@s/b@1.0.0", true}}, scoped).verdict, Verdict::approved);
  EXPECT_EQ(npm_decision({{"@s/b", false}}, scoped).verdict, Verdict::denied);
}

TEST(PackagesApprovals, DenyWinsWhereverItStands) {
  const auto esbuild = registry_package("esbuild", "0.19.0");
  const auto d = npm_decision({{"esbuild", true}, {"esbuild@0.19.0", false}}, esbuild);
  EXPECT_EQ(d.verdict, Verdict::denied);
  EXPECT_EQ(d.source, "package.json allowScripts \"esbuild@0.19.0\"");
  // --allow comes first but a project's deny still holds: fail closed.
  auto approvals = npm_rules({{"esbuild", false}});
  approvals.rules.insert(approvals.rules.begin(), allow_rules({"esbuild"})[0]);
  EXPECT_EQ(decide(esbuild, approvals).verdict, Verdict::denied);
}

TEST(PackagesApprovals, RangesAndDistTagsAreIgnoredWithAWarning) {
  const auto approvals = npm_rules({{"esbuild@^0.19.0", true}, {"esbuild@latest", true}, {"a@>=1", true},
                                    {"b@1.x", true}, {"c@1.0.0 ||", true}, {"git+ssh://git@git.example/o/r.git", true},
                                    {"npm:esbuild@0.19.0", true}, {"d@npm:esbuild@1.0.0", true}});
  EXPECT_TRUE(approvals.rules.empty());
  ASSERT_EQ(approvals.warnings.size(), 8u);
  EXPECT_EQ(approvals.warnings[0],
            "package.json allowScripts: ignoring \"a@>=1\": semver ranges (^, ~, >=, <) and dist-tags are not allowed; "
            "use exact versions joined by \"||\", \"*\" or the bare name");
  for (const std::size_t i : {std::size_t{3}, std::size_t{6}, std::size_t{7}})  // by key: d@npm:..., git+ssh:..., npm:...
    EXPECT_NE(approvals.warnings[i].find("a git, URL, path or alias key, which airlock does not match (use --allow)"),
              std::string::npos)
        << approvals.warnings[i];
  EXPECT_EQ(decide(registry_package("esbuild", "0.19.0"), approvals).verdict, Verdict::unreviewed);
}

TEST(PackagesApprovals, NameKeysNeverMatchANonRegistryPackageButFileKeysDo) {
  const auto local = file_package("esbuild", "file:vendor/esbuild-0.19.0.tgz");
  auto d = npm_decision({{"esbuild", true}}, local);
  EXPECT_EQ(d.verdict, Verdict::unreviewed);
  EXPECT_NE(d.source.find("names a registry package; this one is from file:vendor/esbuild-0.19.0.tgz"), std::string::npos)
      << d.source;
  EXPECT_EQ(npm_decision({{"file:vendor/esbuild-0.19.0.tgz", true}}, local).verdict, Verdict::approved);
  EXPECT_EQ(npm_decision({{"esbuild@file:vendor/esbuild-0.19.0.tgz", false}}, local).verdict, Verdict::denied);
  const auto git = file_package("esbuild", "git+ssh://git@git.example/o/esbuild.git#0123abc");
  EXPECT_EQ(npm_decision({{"esbuild", true}}, git).verdict, Verdict::unreviewed);
  // --allow is the operator's word: by name, whatever the source.
  Approvals allow{allow_rules({"esbuild"}), {}};
  EXPECT_EQ(decide(git, allow).verdict, Verdict::approved);
  EXPECT_EQ(decide(git, allow).source, "--allow esbuild");
}

TEST(PackagesApprovals, RegistryIdentityIsTheTarballsNotTheInstallPath) {
  // node_modules/esbuild fetched as "evil": an allow for esbuild does not
  // follow the alias.
  auto alias = registry_package("esbuild", "1.0.0");
  alias.registry_name = "evil";
  EXPECT_EQ(npm_decision({{"esbuild", true}}, alias).verdict, Verdict::unreviewed);
  EXPECT_EQ(npm_decision({{"evil", false}}, alias).verdict, Verdict::denied);
  EXPECT_EQ(decide(alias, Approvals{allow_rules({"esbuild"}), {}}).verdict, Verdict::unreviewed);
}

TEST(PackagesApprovals, AnUnverifiedVersionMatchesADenyButNoAllow) {
  auto package = registry_package("esbuild", "0.19.0");
  package.version_verified = false;
  package.resolved.clear();
  EXPECT_EQ(npm_decision({{"esbuild@0.19.0", true}}, package).verdict, Verdict::unreviewed);
  EXPECT_EQ(npm_decision({{"esbuild@0.18.0", false}}, package).verdict, Verdict::denied);
  EXPECT_EQ(npm_decision({{"esbuild", true}}, package).verdict, Verdict::approved);
  EXPECT_EQ(decide(package, Approvals{allow_rules({"esbuild@0.19.0"}), {}}).verdict, Verdict::unreviewed);
}

TEST(PackagesApprovals, BundledDependenciesAreAlwaysDenied) {
  auto bundled = registry_package("inner", "1.0.0");
  bundled.in_bundle = true;
  const auto d = decide(bundled, Approvals{allow_rules({"inner"}), {}});
  EXPECT_EQ(d.verdict, Verdict::denied);
  EXPECT_EQ(d.source, "inBundle: npm never runs a bundled dependency's install scripts");
}

TEST(PackagesApprovals, MalformedListsAndArgumentsAreRefusedNamingFileAndKey) {
  EXPECT_EQ(error_message([] { (void)npm_rules({{"esbuild", "yes"}}); }),
            "/p/package.json: allowScripts[\"esbuild\"]: true (allow) or false (deny) expected");
  EXPECT_EQ(error_message([] { (void)npm_rules(json::array()); }), "/p/package.json: allowScripts: not an object");
  EXPECT_EQ(error_message([] { (void)allow_rules({"esbuild@^1"}); }),
            "--allow esbuild@^1: semver ranges (^, ~, >=, <) and dist-tags are not allowed; use exact versions joined by "
            "\"||\", \"*\" or the bare name");
  EXPECT_EQ(error_message([] { (void)allow_rules({"../x"}); }), "--allow ../x: not a package name");

  NpmProject p;
  p.root_manifest({{"pnpm", {{"onlyBuiltDependencies", "esbuild"}}}});
  EXPECT_EQ(error_message([&] { (void)read_approvals(p.path(), Layout::pnpm, {}); }),
            p.real() + "/package.json: pnpm.onlyBuiltDependencies: not a list of package names");
  p.root_manifest({});
  p.dir().write("pnpm-workspace.yaml", "packages:\n  - 'packages/*'\nallowBuilds:\n  esbuild: maybe\n");
  EXPECT_EQ(error_message([&] { (void)read_approvals(p.path(), Layout::pnpm, {}); }),
            p.real() + "/pnpm-workspace.yaml:4:12: allowBuilds: esbuild: true or false expected");
  p.dir().write("pnpm-workspace.yaml", "onlyBuiltDependencies: [esbuild\n");
  EXPECT_EQ(error_message([&] { (void)read_approvals(p.path(), Layout::pnpm, {}); }).find(p.real() + "/pnpm-workspace.yaml:"),
            0u);
}

TEST(PackagesApprovals, PnpmListsInPackageJsonAndTheWorkspaceFile) {
  NpmProject p;
  p.root_manifest({{"allowScripts", {{"core-js", true}}},
                   {"pnpm",
                    {{"onlyBuiltDependencies", {"esbuild", "sharp@0.33.0"}},
                     {"neverBuiltDependencies", {"core-js"}},
                     {"allowBuilds", {{"bcrypt", true}}},
                     {"dangerouslyAllowAllBuilds", true}}}});
  p.dir().write("pnpm-workspace.yaml",
                "packages: ['packages/*']\n"
                "onlyBuiltDependencies:\n  - '@s/native'\n  - esbuild@^0.19\n"
                "ignoredBuiltDependencies: [bcrypt]\n"
                "allowBuilds:\n  protobufjs: true\n  \"true-lookalike\": \"true\"\n");
  // A quoted "true" is a string: refused, not taken for an approval.
  EXPECT_THROW((void)read_approvals(p.path(), Layout::pnpm, {}), airlock::Error);
  p.dir().write("pnpm-workspace.yaml",
                "packages: ['packages/*']\n"
                "onlyBuiltDependencies:\n  - '@s/native'\n  - esbuild@^0.19\n"
                "ignoredBuiltDependencies: [bcrypt]\n"
                "allowBuilds:\n  protobufjs: true\n");
  const auto approvals = read_approvals(p.path(), Layout::pnpm, {{"left-pad"}, false});

  const auto verdict = [&](const Package& package) { return decide(package, approvals); };
  EXPECT_EQ(verdict(registry_package("left-pad", "1.0.0")).source, "--allow left-pad");
  EXPECT_EQ(verdict(registry_package("esbuild", "0.19.0")).source, "package.json pnpm.onlyBuiltDependencies \"esbuild\"");
  EXPECT_EQ(verdict(registry_package("sharp", "0.33.0")).verdict, Verdict::approved);
  EXPECT_EQ(verdict(registry_package("sharp", "0.33.1")).verdict, Verdict::unreviewed);
  // neverBuiltDependencies denies; allowScripts, npm's, is not read for pnpm.
  EXPECT_EQ(verdict(registry_package("core-js", "3.0.0")).verdict, Verdict::denied);
  const auto bcrypt = verdict(registry_package("bcrypt", "5.0.0"));
  EXPECT_EQ(bcrypt.verdict, Verdict::denied);
  EXPECT_EQ(bcrypt.source, "pnpm-workspace.yaml ignoredBuiltDependencies \"bcrypt\"");
  EXPECT_EQ(verdict(registry_package("@s/native", "1.0.0")).source, "pnpm-workspace.yaml onlyBuiltDependencies \"@s/native\"");
  EXPECT_EQ(verdict(registry_package("protobufjs", "7.0.0")).source, "pnpm-workspace.yaml allowBuilds \"protobufjs\"");
  // pnpm's allow lists match by name a registry package only; its denies
  // match by name whatever the source.
  EXPECT_EQ(verdict(file_package("esbuild", "file:../esbuild")).verdict, Verdict::unreviewed);
  EXPECT_EQ(verdict(file_package("core-js", "file:../core-js")).verdict, Verdict::denied);

  const auto& w = approvals.warnings;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], "package.json allowScripts: ignored, the project is installed by pnpm");
  EXPECT_EQ(w[1], "package.json pnpm.dangerouslyAllowAllBuilds: not honoured; name the packages to build instead");
  EXPECT_NE(w[2].find("pnpm-workspace.yaml onlyBuiltDependencies: ignoring \"esbuild@^0.19\""), std::string::npos);

  // Only --allow counts when the project's lists are ignored.
  const auto own = read_approvals(p.path(), Layout::pnpm, {{"left-pad"}, true});
  ASSERT_EQ(own.rules.size(), 1u);
  EXPECT_EQ(decide(registry_package("esbuild", "0.19.0"), own).verdict, Verdict::unreviewed);
  EXPECT_TRUE(own.warnings.empty());
}

// What a real pnpm 10.34.9 install showed: `"onlyBuiltDependencies":
// ["tool"]` does not make pnpm build a file: tarball named tool (it builds
// it when listed by its dep path, "tool@file:tool-1.0.0.tgz"), so neither
// does airlock; it used to run it.
TEST(PackagesApprovals, PnpmBuildsAPackageNotFromTheRegistryOnlyByItsDepPath) {
  PnpmProject p;
  p.install("esbuild", "0.19.0", {{"postinstall", "node install.js"}});
  p.install("tool", "1.0.0", {{"postinstall", "node build.js"}}, json::object(), "tool@file+tool-1.0.0.tgz");
  p.install("evil", "1.0.0", {{"postinstall", "node evil.js"}}, json::object(), "evil@file+evil-1.0.0.tgz");
  p.install("@s/gitdep", "1.0.0", {{"install", "node x.js"}}, json::object(),
            "@s+gitdep@git+https+++git.example+s+gitdep.git+0123abc");
  p.dir().write("package.json",
                json{{"name", "proj"},
                     {"pnpm",
                      {{"onlyBuiltDependencies",
                        {"esbuild", "evil", "tool@file:tool-1.0.0.tgz",
                         "@s/gitdep@git+https://git.example/s/gitdep.git#0123abc"}}}}}
                    .dump());
  const auto installed = find_installed(p.path());
  const auto approvals = read_approvals(p.path(), installed.layout, {});
  EXPECT_TRUE(approvals.warnings.empty()) << approvals.warnings.front();
  const auto decided = [&](const std::string& entry, const std::string& name) {
    const auto* package = find_package(installed, "node_modules/.pnpm/" + entry + "/node_modules/" + name);
    if (package == nullptr) throw std::runtime_error("not found: " + entry);
    EXPECT_EQ(package->store_entry, entry);
    return decide(*package, approvals);
  };
  EXPECT_EQ(decided("esbuild@0.19.0", "esbuild").source, "package.json pnpm.onlyBuiltDependencies \"esbuild\"");
  const auto tool = decided("tool@file+tool-1.0.0.tgz", "tool");
  EXPECT_EQ(tool.verdict, Verdict::approved);
  EXPECT_EQ(tool.source, "package.json pnpm.onlyBuiltDependencies \"tool@file:tool-1.0.0.tgz\"");
  EXPECT_EQ(decided("@s+gitdep@git+https+++git.example+s+gitdep.git+0123abc", "@s/gitdep").verdict, Verdict::approved);
  const auto evil = decided("evil@file+evil-1.0.0.tgz", "evil");
  EXPECT_EQ(evil.verdict, Verdict::unreviewed);
  EXPECT_EQ(evil.source,
            "package.json pnpm.onlyBuiltDependencies \"evil\" names a registry package; this one is the store entry "
            "evil@file+evil-1.0.0.tgz, not from the registry: only its dep path approves it");

  // The hint names the project's own way.
  const auto* evil_package = find_package(installed, "node_modules/.pnpm/evil@file+evil-1.0.0.tgz/node_modules/evil");
  ASSERT_NE(evil_package, nullptr);
  EXPECT_EQ(approval_hint(*evil_package, Layout::pnpm),
            "To approve it: pnpm's onlyBuiltDependencies or allowBuilds (package.json \"pnpm\" or pnpm-workspace.yaml; "
            "its dep path, as pnpm-lock.yaml names it) or --allow evil");
  EXPECT_EQ(approval_hint(registry_package("esbuild", "0.19.0"), Layout::npm),
            "To approve it: `npm approve-scripts esbuild` (package.json \"allowScripts\") or --allow esbuild");
}

TEST(PackagesApprovals, PnpmDepPathEntriesAsStoreEntries) {
  EXPECT_EQ(pnpm_dep_path_entry("tool@file:tool-1.0.0.tgz"), "tool@file+tool-1.0.0.tgz");
  EXPECT_EQ(pnpm_dep_path_entry("@s/b@file:../b"), "@s+b@file+..+b");
  EXPECT_EQ(pnpm_dep_path_entry("x@https://host.example/x.tgz"), "x@https+++host.example+x.tgz");
  // A peers suffix is dropped, as pnpm does.
  EXPECT_EQ(pnpm_dep_path_entry("x@file:x(react@18.2.0)"), "x@file+x");
  // Names, versions and ranges are no dep paths.
  for (const char* entry : {"esbuild", "esbuild@0.19.0", "esbuild@^0.19", "esbuild@0.19.0 || 0.19.1", "@s/b", "file:x",
                            "x@1.0.0(react@18.2.0)"})
    EXPECT_EQ(pnpm_dep_path_entry(entry), std::nullopt) << entry;
}

TEST(PackagesApprovals, NpmProjectsReadAllowScripts) {
  NpmProject p;
  p.root_manifest({{"allowScripts", {{"esbuild@0.19.0", true}, {"core-js", false}}},
                   {"pnpm", {{"onlyBuiltDependencies", {"core-js"}}}}});
  const auto approvals = read_approvals(p.path(), Layout::npm, {});
  EXPECT_EQ(decide(registry_package("esbuild", "0.19.0"), approvals).verdict, Verdict::approved);
  EXPECT_EQ(decide(registry_package("core-js", "3.0.0"), approvals).verdict, Verdict::denied);
  EXPECT_EQ(approvals.warnings, std::vector<std::string>{"package.json pnpm: ignored, the project is installed by npm"});
}

}  // namespace approvals_test
