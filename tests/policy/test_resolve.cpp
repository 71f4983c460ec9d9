#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "policy/diagnostics.hpp"
#include "policy/resolve.hpp"
#include "support/temp_dir.hpp"
#include "util/fd.hpp"

using namespace airlock::policy;
using airlock::test::TempDir;

namespace {

class Resolve : public ::testing::Test {
 protected:
  Resolve() {
    ctx_.project = "/work/proj";
    ctx_.home = "/home/u";
    ctx_.tmp = "/tmp";
    ctx_.uid = 1000;
    ctx_.gid = 1000;
    ctx_.npm_registries = [this] {
      ++npm_calls_;
      return std::vector<RegistryAddress>{{"registry.test", "443"}, {"scoped.test", "8443"}};
    };
    dir_.write("policies/sets.toml", R"(
[sets.secret-files]
kind = "paths"
description = "test secrets"
entries = ["?${home}/.npmrc", "?${home}/.ssh"]

[sets.secret-names]
kind = "names"
entries = ["*_TOKEN", "AWS_*"]

[sets.mountish]
kind = "syscalls"
entries = ["mount", "umount2"]

[sets.more-mountish]
kind = "syscalls"
entries = ["@mountish", "pivot_root"]
)");
  }

  void profile(const std::string& name, const std::string& text) { dir_.write("profiles/" + name + ".toml", text); }

  Policy resolve_ok(const std::string& name, const Overrides& o = {}) {
    Catalog catalog({dir_ / "profiles"}, {dir_ / "policies"}, false);
    return resolve(name, catalog, ctx_, o);
  }

  // The messages a profile is rejected with (fails the test if it is accepted).
  std::vector<std::string> errors(const std::string& name) {
    Catalog catalog({dir_ / "profiles"}, {dir_ / "policies"}, false);
    try {
      resolve(name, catalog, ctx_);
    } catch (const ProfileError& e) {
      return e.messages();
    }
    ADD_FAILURE() << name << " was accepted";
    return {};
  }

  std::string one_error(const std::string& name) {
    auto e = errors(name);
    EXPECT_EQ(e.size(), 1u) << ::testing::PrintToString(e);
    return e.empty() ? "" : e.front();
  }

  Policy resolve_ok_text(const std::string& text) {
    profile("inline", text);
    return resolve_ok("inline");
  }

  std::string at(const std::string& name, int line, int col) {
    return dir_ / ("profiles/" + name + ".toml:" + std::to_string(line) + ":" + std::to_string(col));
  }

  TempDir dir_;
  Context ctx_;
  int npm_calls_ = 0;
};

std::vector<std::string> paths_of(const std::vector<PathRule>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back((r.optional ? "?" : "") + r.path);
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_F(Resolve, ExtendsMergesBaseFirstListsAppendScalarsOverride) {
  profile("base", R"(
[profile]
description = "base"
[filesystem]
view = "minimal"
read = ["/usr", "/etc"]
[process]
timeout = "10m"
)");
  profile("child", R"(
[profile]
description = "child"
extends = ["base"]
[filesystem]
read = ["/opt", "/usr"]
[process]
timeout = "5m"
)");
  auto p = resolve_ok("child");
  EXPECT_EQ(p.description, "child");
  EXPECT_EQ(p.filesystem.view, View::minimal);
  EXPECT_EQ(paths_of(p.filesystem.read), (Strings{"/usr", "/etc", "/opt"}));
  EXPECT_EQ(p.process.timeout, std::chrono::minutes(5));
  ASSERT_EQ(p.chain.size(), 2u);
  EXPECT_NE(p.chain[0].find("base.toml"), std::string::npos);
}

TEST_F(Resolve, MultipleExtendsApplyInOrderAndDiamondsLoadOnce) {
  profile("root", "[filesystem]\nread = [\"/r\"]\n");
  profile("a", "[profile]\nextends = [\"root\"]\n[filesystem]\nread = [\"/a\"]\n[process]\nhostname = \"a\"\n");
  profile("b", "[profile]\nextends = [\"root\"]\n[filesystem]\nread = [\"/b\"]\n[process]\nhostname = \"b\"\n");
  profile("top", "[profile]\nextends = [\"a\", \"b\"]\n");
  auto p = resolve_ok("top");
  EXPECT_EQ(paths_of(p.filesystem.read), (Strings{"/r", "/a", "/b"}));
  EXPECT_EQ(p.process.hostname, "b");
  EXPECT_EQ(p.chain.size(), 4u);
}

TEST_F(Resolve, BangRemovesInheritedEntriesAndWholeSets) {
  profile("base", R"(
[filesystem]
read = ["/usr", "/etc", "${home}/.config"]
hide = ["@secret-files"]
[environment]
deny = ["@secret-names"]
)");
  profile("child", R"(
[profile]
extends = ["base"]
[filesystem]
read = ["!/etc", "!${home}/.config"]
hide = ["!${home}/.npmrc"]
[environment]
deny = ["!@secret-names", "MY_TOKEN"]
)");
  auto p = resolve_ok("child");
  EXPECT_EQ(paths_of(p.filesystem.read), (Strings{"/usr"}));
  EXPECT_EQ(paths_of(p.filesystem.hide), (Strings{"?/home/u/.ssh"}));
  EXPECT_EQ(p.environment.deny, (Strings{"MY_TOKEN"}));
}

TEST_F(Resolve, RemovingSomethingAbsentIsAnError) {
  profile("p", "[filesystem]\nread = [\"/usr\", \"!/etc\"]\n");
  auto e = one_error("p");
  EXPECT_EQ(e.rfind(at("p", 2, 17), 0), 0u) << e;
  EXPECT_NE(e.find("removes nothing"), std::string::npos) << e;
}

TEST_F(Resolve, SetsExpandNestedAndCheckTheirKind) {
  profile("p", "[syscalls]\ndeny = [\"@more-mountish\"]\n");
  EXPECT_EQ(resolve_ok("p").syscalls.deny, (Strings{"mount", "umount2", "pivot_root"}));
  profile("wrong", "[filesystem]\nhide = [\"@secret-names\"]\n");
  auto e = one_error("wrong");
  EXPECT_NE(e.find("is a set of names but filesystem.hide takes paths"), std::string::npos) << e;
  profile("unknown", "[filesystem]\nhide = [\"/x\", \"@secret-filez\"]\n");
  e = one_error("unknown");
  EXPECT_EQ(e.rfind(at("unknown", 2, 15), 0), 0u) << e;
  EXPECT_NE(e.find("unknown set \"@secret-filez\"; known: @secret-files"), std::string::npos) << e;
}

TEST_F(Resolve, AProfileReplacesASetOnlyWhenItSaysSoAndTheRunKnows) {
  profile("p", R"(
[sets.secret-files]
kind = "paths"
replace = true
entries = ["/only/this"]
[filesystem]
hide = ["@secret-files"]
)");
  const auto policy = resolve_ok("p");
  EXPECT_EQ(paths_of(policy.filesystem.hide), (Strings{"/only/this"}));
  ASSERT_EQ(policy.replaced_sets.size(), 1u);
  EXPECT_NE(policy.replaced_sets[0].find("@secret-files"), std::string::npos);
}

// A second definition of a set's name would empty a security set from any
// policy directory: an error, naming where the first one is.
TEST_F(Resolve, DefiningASetAgainIsAnErrorThatSaysHowToAddOrReplace) {
  profile("p", R"(
[sets.secret-files]
kind = "paths"
entries = []
[filesystem]
hide = ["@secret-files"]
)");
  const auto e = one_error("p");
  EXPECT_NE(e.find(at("p", 2, 1)), std::string::npos) << e;
  EXPECT_NE(e.find("already defined (" + (dir_ / "policies/sets.toml") + ":2)"), std::string::npos) << e;
  EXPECT_NE(e.find("add = [...]"), std::string::npos) << e;
  EXPECT_NE(e.find("replace = true"), std::string::npos) << e;
}

TEST_F(Resolve, APolicyFileMayAddToASetButNotReplaceIt) {
  dir_.write("policies/zz-more.toml", R"(
[sets.secret-files]
add = ["/also/this", "?${home}/.ssh"]
)");
  const auto policy = resolve_ok_text("[filesystem]\nhide = [\"@secret-files\"]\n");
  EXPECT_EQ(paths_of(policy.filesystem.hide), (Strings{"?/home/u/.npmrc", "?/home/u/.ssh", "/also/this"}));
  ASSERT_EQ(policy.extended_sets.size(), 1u);
  EXPECT_NE(policy.extended_sets[0].find("1 entries added"), std::string::npos) << policy.extended_sets[0];

  dir_.write("policies/zz-more.toml", R"(
[sets.secret-files]
kind = "paths"
replace = true
entries = []
)");
  profile("q", "[filesystem]\nhide = [\"@secret-files\"]\n");
  const auto e = one_error("q");
  EXPECT_NE(e.find("replace = true is for a profile's own [sets], not a policy file"), std::string::npos) << e;
}

TEST_F(Resolve, AddingToASetNobodyDefinedOrOfAnotherKindIsAnError) {
  profile("p", R"(
[sets.nothing-here]
add = ["/x"]
)");
  EXPECT_NE(one_error("p").find("no earlier file defines @nothing-here"), std::string::npos);
  profile("q", R"(
[sets.secret-files]
kind = "names"
add = ["X_*"]
)");
  EXPECT_NE(one_error("q").find("a set of another kind"), std::string::npos);
}

TEST_F(Resolve, BuiltinAndUserVariables) {
  profile("p", R"(
[variables]
cache = "${home}/.cache/${tool}"
tool = "x"
[filesystem]
read = ["${project}", "${tmp}/u${uid}-${gid}", "${cache}", "/price$$5"]
)");
  auto p = resolve_ok("p");
  EXPECT_EQ(paths_of(p.filesystem.read),
            (Strings{"/work/proj", "/tmp/u1000-1000", "/home/u/.cache/x", "/price$5"}));
  EXPECT_EQ(p.variables.at("cache"), "/home/u/.cache/x");
  EXPECT_EQ(npm_calls_, 0) << "npm must not run when ${npm_registry} is unused";
}

TEST_F(Resolve, NpmRegistryIsAskedOnceAndOnlyWhenUsed) {
  profile("p", R"(
[network]
mode = "allowlist"
allow = ["${npm_registry}:${npm_registry_port}", "${npm_registry}:80"]
)");
  auto p = resolve_ok("p");
  ASSERT_EQ(p.network.allow.size(), 2u);
  EXPECT_EQ(p.network.allow[0].host, "registry.test");
  EXPECT_EQ(p.network.allow[0].ports[0].first, 443);
  EXPECT_EQ(npm_calls_, 1);
}

TEST_F(Resolve, UndefinedAndCyclicVariablesAreErrors) {
  profile("p", "[filesystem]\nread = [\"${hme}/x\"]\n");
  auto e = one_error("p");
  EXPECT_EQ(e.rfind(at("p", 2, 9), 0), 0u) << e;
  EXPECT_NE(e.find("undefined variable ${hme}"), std::string::npos) << e;
  profile("cyc", "[variables]\na = \"${b}\"\nb = \"${a}\"\n[filesystem]\nread = [\"/${a}\"]\n");
  auto errs = errors("cyc");
  ASSERT_FALSE(errs.empty());
  EXPECT_NE(errs.front().find("cycle"), std::string::npos) << errs.front();
}

TEST_F(Resolve, ExtendsCyclesAreDetected) {
  profile("a", "[profile]\nextends = [\"b\"]\n");
  profile("b", "[profile]\nextends = [\"c\"]\n");
  profile("c", "[profile]\nextends = [\"a\"]\n");
  auto e = one_error("a");
  EXPECT_NE(e.find("extends cycle: a -> b -> c -> a"), std::string::npos) << e;
  EXPECT_EQ(e.rfind(at("c", 2, 12), 0), 0u) << e;
  profile("self", "[profile]\nextends = [\"self\"]\n");
  EXPECT_NE(one_error("self").find("self -> self"), std::string::npos);
}

TEST_F(Resolve, UnknownExtendsTarget) {
  profile("p", "[profile]\nextends = [\"nope\"]\n");
  EXPECT_NE(one_error("p").find("no profile or policy file named \"nope\""), std::string::npos);
}

TEST_F(Resolve, UnknownKeysSectionsAndWrongTypes) {
  profile("p", R"(
[filesystem]
reed = ["/usr"]
write = "/tmp"
[netwrk]
mode = "none"
[process]
timeout = 30
)");
  auto e = errors("p");
  ASSERT_EQ(e.size(), 4u) << ::testing::PrintToString(e);
  const std::string all = e[0] + e[1] + e[2] + e[3];
  EXPECT_NE(all.find(at("p", 3, 8) + ": error: filesystem.reed: unknown key (did you mean \"read\"?); [filesystem] accepts view, read"),
            std::string::npos) << all;
  EXPECT_NE(all.find(at("p", 4, 9) + ": error: filesystem.write: expected an array of strings, found string"),
            std::string::npos) << all;
  EXPECT_NE(all.find("netwrk: unknown section [netwrk]"), std::string::npos) << all;
  EXPECT_NE(all.find(at("p", 8, 11) + ": error: process.timeout: expected a string, found integer"),
            std::string::npos) << all;
}

// One `airlock check` lists every error: an unknown key found while reading
// and a bad value found while building come together, in line order, each
// with the name it was probably meant to be.
TEST_F(Resolve, EveryErrorInOnePassInLineOrderWithSuggestions) {
  profile("builder", "[network]\nmode = \"none\"\n");
  profile("q", R"([profile]
extends = ["biulder"]
[network]
mode = "nope"
[filesystem]
reed = ["/usr"]
[proces]
user = "x"
)");
  auto e = errors("q");
  ASSERT_EQ(e.size(), 4u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0].rfind(at("q", 2, 12) + ": error: profile.extends: no profile or policy file named \"biulder\" "
                                         "(did you mean \"builder\"?)", 0), 0u) << e[0];
  EXPECT_EQ(e[1].rfind(at("q", 4, 8) + ": error: network.mode: unknown value \"nope\"", 0), 0u) << e[1];
  EXPECT_EQ(e[2].rfind(at("q", 6, 8) + ": error: filesystem.reed: unknown key (did you mean \"read\"?)", 0), 0u) << e[2];
  EXPECT_EQ(e[3].rfind(at("q", 7, 1) + ": error: proces: unknown section [proces] (did you mean \"process\"?)", 0), 0u)
      << e[3];
}

TEST_F(Resolve, DuplicateKeysAndSyntaxErrorsCarryTheirLocation) {
  profile("dup", "[network]\nmode = \"none\"\nmode = \"host\"\n");
  auto e = one_error("dup");
  EXPECT_EQ(e.rfind(at("dup", 3, 8), 0), 0u) << e;
  EXPECT_NE(e.find("duplicate key \"mode\""), std::string::npos) << e;
  EXPECT_NE(e.find("TOML syntax"), std::string::npos) << e;
  profile("syntax", "[network]\nmode = \"none\n");
  e = one_error("syntax");
  EXPECT_EQ(e.rfind(dir_ / "profiles/syntax.toml:2:", 0), 0u) << e;
}

TEST_F(Resolve, ValuesAreValidated) {
  profile("p", R"(
[filesystem]
read = ["relative/path", "/a/../b"]
devices = ["/etc/passwd"]
view = "everything"
[network]
allow = ["host:99999", "10.0.0.0/40:80"]
forward = ["localhost:5432"]
[syscalls]
deny = ["mount", "not_a_syscall"]
errno = "EWHATEVER"
[process]
capabilities = ["CAP_NET_BIND_SERVICE", "CAP_FLY"]
pass_fds = [1]
[limits]
nofile = "lots"
as = "4GB"
[enforcement]
require = ["landlock>=4", "seccomp>=2", "telepathy"]
)");
  auto e = errors("p");
  std::string all;
  for (const auto& m : e) all += m + "\n";
  for (const char* expected :
       {"filesystem.read: \"relative/path\" is not an absolute path", "contains \"..\"",
        "filesystem.devices: \"/etc/passwd\" is not a device", "unknown value \"everything\"; expected \"host\", \"minimal\"",
        "\"host:99999\": bad port", "\"10.0.0.0/40:80\": bad CIDR prefix", "\"localhost\" is not a literal IP",
        "unknown syscall \"not_a_syscall\"", "unknown errno \"EWHATEVER\"", "unknown capability \"CAP_FLY\"",
        "fd 1 must be 3 or more", "limits.nofile: \"lots\" is not a number", "limits.as: \"4GB\" is not a size",
        "only landlock takes a minimum version", "unknown feature \"telepathy\""})
    EXPECT_NE(all.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << all;
  EXPECT_EQ(e.size(), 15u) << all;
  EXPECT_NE(all.find(at("p", 3, 26)), std::string::npos) << "each entry has its own column:\n" << all;
}

TEST_F(Resolve, TypedValues) {
  profile("p", R"(
[filesystem]
read = ["/usr//lib/", "?/opt/./tool", "/"]
[syscalls]
default = "deny"
allow = ["read", "write"]
action = "kill"
errno = "ENOSYS"
[process]
timeout = "1h30m"
grace = "3s"
user = "nobody"
[limits]
nofile = 4096
as = "4GiB"
cpu = "10m"
core = "unlimited"
stack = "keep"
tmp = "256MiB"
[enforcement]
require = ["landlock>=4", "userns"]
best_effort = true
)");
  auto p = resolve_ok("p");
  std::vector<std::string> read;
  for (const auto& rule : p.filesystem.read) read.push_back(rule.path);
  EXPECT_NE(std::find(read.begin(), read.end(), "/usr/lib"), read.end());  // written as /usr//lib/
  EXPECT_NE(std::find(read.begin(), read.end(), "/opt/tool"), read.end());
  EXPECT_NE(std::find(read.begin(), read.end(), "/"), read.end());
  EXPECT_EQ(p.syscalls.default_action, SyscallDefault::deny);
  EXPECT_EQ(p.syscalls.action, SyscallAction::kill);
  EXPECT_EQ(p.syscalls.errno_value, ENOSYS);
  EXPECT_EQ(p.process.timeout, std::chrono::minutes(90));
  EXPECT_EQ(p.process.grace, std::chrono::seconds(3));
  EXPECT_EQ(p.process.user, "nobody");
  EXPECT_EQ(p.limits.rlimits.at("nofile").value, 4096u);
  EXPECT_EQ(p.limits.rlimits.at("as").value, 4ULL << 30);
  EXPECT_EQ(p.limits.rlimits.at("cpu").value, 600u);
  EXPECT_EQ(p.limits.rlimits.at("core").kind, Limit::Kind::unlimited);
  EXPECT_EQ(p.limits.rlimits.at("stack").kind, Limit::Kind::keep);
  EXPECT_EQ(p.limits.rlimits.at("tmp").value, 256ULL << 20);
  ASSERT_EQ(p.enforcement.require.size(), 2u);
  EXPECT_EQ(p.enforcement.require[0].min_version, 4);
  EXPECT_TRUE(p.enforcement.best_effort);
}

TEST_F(Resolve, CommandLineOverridesComeLast) {
  profile("p", "[filesystem]\nread = [\"/usr\"]\n[network]\nmode = \"none\"\n");
  Overrides o;
  o.allow_read = {"/opt"};
  o.allow_write = {"/var/tmp/out"};
  o.allow_net = {"db.internal:5432"};
  o.keep_env = {"FOO_*"};
  o.set_env = {{"A", "1"}};
  o.timeout = "45s";
  o.best_effort = true;
  auto p = resolve_ok("p", o);
  EXPECT_EQ(paths_of(p.filesystem.read), (Strings{"/usr", "/opt"}));
  EXPECT_EQ(paths_of(p.filesystem.write), (Strings{"/var/tmp/out"}));
  EXPECT_EQ(p.network.mode, NetworkMode::allowlist);
  EXPECT_EQ(p.network.allow.at(0).where.file, "--allow-net");
  EXPECT_EQ(p.environment.keep, (Strings{"FOO_*"}));
  EXPECT_EQ(p.environment.set.at("A"), "1");
  EXPECT_EQ(p.process.timeout, std::chrono::seconds(45));
  EXPECT_TRUE(p.enforcement.best_effort);

  Overrides bad;
  bad.allow_read = {"relative"};
  bad.timeout = "soon";
  Catalog catalog({dir_ / "profiles"}, {dir_ / "policies"}, false);
  try {
    resolve("p", catalog, ctx_, bad);
    FAIL();
  } catch (const ProfileError& e) {
    ASSERT_EQ(e.messages().size(), 2u);
    EXPECT_EQ(e.messages()[0].rfind("--allow-read: error: filesystem.read", 0), 0u) << e.messages()[0];
    EXPECT_EQ(e.messages()[1].rfind("--timeout: error: process.timeout", 0), 0u) << e.messages()[1];
  }
}

TEST_F(Resolve, ProfileFilesByPathAndMissingProfiles) {
  const auto file = dir_.write("elsewhere/mine.toml", "[process]\nhostname = \"mine\"\n");
  EXPECT_EQ(resolve_ok(file).process.hostname, "mine");
  EXPECT_THROW(resolve_ok("no-such-profile"), airlock::Error);
  EXPECT_THROW(resolve_ok(dir_ / "missing.toml"), airlock::Error);
}

TEST_F(Resolve, NpmRegistriesSetListsEveryConfiguredRegistry) {
  profile("p", "[network]\nmode = \"allowlist\"\nallow = [\"@npm-registries\", \"${npm_registry}:80\"]\n");
  auto p = resolve_ok("p");
  ASSERT_EQ(p.network.allow.size(), 3u);
  EXPECT_EQ(p.network.allow[0].text, "registry.test:443");
  EXPECT_EQ(p.network.allow[1].text, "scoped.test:8443");
  EXPECT_EQ(p.network.allow[2].text, "registry.test:80");
  EXPECT_EQ(npm_calls_, 1) << "npm is asked once per resolution";
  profile("wrong", "[filesystem]\nread = [\"@npm-registries\"]\n");
  EXPECT_NE(one_error("wrong").find("unknown set \"@npm-registries\""), std::string::npos);
}

TEST(RegistryAddress, FromPipQueryJson) {
  auto all = pip_addresses_from_json(
      R"({"indexes": ["https://pypi.example.org/simple/", "http://mirror.example:3141/root/"], "files": "files.example.org"})");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].host, "pypi.example.org");
  EXPECT_EQ(all[1].port, "3141");
  EXPECT_EQ(all[2].host, "files.example.org");
  EXPECT_EQ(all[2].port, "443");
  EXPECT_THROW(pip_addresses_from_json(R"({"indexes": []})"), airlock::Error);
}

TEST(RegistryAddress, FromNpmConfigJson) {
  const auto all = registry_addresses_from_npm_config(
      R"json({"registry": "https://registry.example.org/", "@corp:registry": "http://npm.corp.example:4873/",
          "@other:registry": "https://registry.example.org/", "//registry.example.org/:_authToken": "(protected)"})json");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].host, "registry.example.org");
  EXPECT_EQ(all[0].port, "443");
  EXPECT_EQ(all[1].host, "npm.corp.example");
  EXPECT_EQ(all[1].port, "4873");
  EXPECT_THROW(registry_addresses_from_npm_config("not json"), airlock::Error);
  EXPECT_THROW(registry_addresses_from_npm_config(R"({"registry": "ftp://x/"})"), airlock::Error);
}

TEST(RegistryAddress, ParsesNpmRegistryUrls) {
  auto a = registry_address_from_url("https://registry.example.org/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "registry.example.org");
  EXPECT_EQ(a->port, "443");
  a = registry_address_from_url("http://user:pw@localhost:4873/npm/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, "4873");
  a = registry_address_from_url("http://[::1]:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_FALSE(registry_address_from_url("ftp://x/"));
  EXPECT_FALSE(registry_address_from_url("registry.example.org"));
}

TEST_F(Resolve, PlusMarksWritePathsToCreate) {
  profile("p", "[filesystem]\nwrite = [\"+${home}/.npm\", \"?/opt/x\"]\n");
  auto p = resolve_ok("p");
  ASSERT_EQ(p.filesystem.write.size(), 2u);
  EXPECT_TRUE(p.filesystem.write[0].create);
  EXPECT_TRUE(p.filesystem.write[0].optional) << "a path that cannot be created is skipped, not fatal";
  EXPECT_EQ(p.filesystem.write[0].path, "/home/u/.npm");
  EXPECT_FALSE(p.filesystem.write[1].create);
  profile("child", "[profile]\nextends = [\"p\"]\n[filesystem]\nwrite = [\"!${home}/.npm\"]\n");
  EXPECT_EQ(resolve_ok("child").filesystem.write.size(), 1u) << "\"!path\" removes \"+path\"";
  profile("bad", "[filesystem]\nread = [\"+/usr\"]\n");
  EXPECT_NE(one_error("bad").find("only for filesystem.write"), std::string::npos);
}

// TOML strings may hold "\u0000"; inet_pton used to stop there, so these
// passed `airlock check` as rules for 1.2.3.4 and a pin to 10.0.0.5.
TEST_F(Resolve, AddressesWithAnEscapedNulAreRefused) {
  profile("nul", R"([network]
mode = "allowlist"
allow = ["1.2.3.4\u0000.evil.example:443"]
forward = ["127.0.0.1\u0000:5432"]
)");
  const auto e = errors("nul");
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_TRUE(e[0].starts_with(at("nul", 3, 10) + ": error: network.allow:")) << e[0];
  EXPECT_NE(e[0].find("bad host"), std::string::npos) << e[0];
  EXPECT_NE(e[1].find("network.forward"), std::string::npos) << e[1];
}

// Found while writing the profile fuzz target, which lets `extends` name any
// path: a directory read as an empty profile ("ok"), and /dev/zero was read
// until memory ran out (std::bad_alloc or the OOM killer).
TEST_F(Resolve, ExtendsOfADirectoryOrAnEndlessFileIsRefused) {
  const auto message_of = [this](const std::string& extends) {
    profile("p", "[profile]\nextends = [\"" + extends + "\"]\n");
    try {
      resolve_ok("p");
    } catch (const airlock::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  // Said where the profile names it (found by the malformed-profile fixtures).
  EXPECT_EQ(message_of(dir_.path() + "/"),
            at("p", 2, 12) + ": error: profile.extends: cannot read " + dir_.path() + "/: it is a directory, not a profile");
  EXPECT_EQ(message_of("/dev/zero"), at("p", 2, 12) +
                                         ": error: profile.extends: cannot read /dev/zero: larger than 1024 KiB, too "
                                         "large for a profile or policy file");
  dir_.write("profiles/huge.toml", "# " + std::string(kMaxProfileBytes, 'x') + "\n");
  EXPECT_NE(message_of("./huge.toml").find("too large"), std::string::npos);
}

// `airlock check some/dir/p.toml` names the profile by a path relative to
// the working directory; its `extends = ["./base.toml"]` is still relative
// to some/dir (found by the malformed-profile fixtures: the cycle fixture
// reported "no profile named ./extends-cycle.toml" unless run from its
// directory or named by an absolute path).
TEST_F(Resolve, ExtendsIsRelativeToAnIncluderNamedByARelativePath) {
  profile("base", "[process]\nhostname = \"from-base\"\n");
  profile("child", "[profile]\nextends = [\"./base.toml\"]\n");
  const auto relative = std::filesystem::relative(dir_.path() + "/profiles/child.toml").string();
  ASSERT_FALSE(relative.starts_with('/')) << relative;
  EXPECT_EQ(resolve_ok(relative).process.hostname, "from-base");
}

// A profile from an unreviewed repository must not write to the terminal
// through its error messages: ESC, NUL, a newline that would forge a line of
// its own, and C1 controls are quoted as escapes.
TEST_F(Resolve, ControlCharactersInMessagesAreEscaped) {
  profile("p", "[filesystem]\nread = [\"\\u001b]0;pwned\\u0007\\u001b[2Jx\", \"\\nfake: error\\u009b\"]\n");
  const auto e = errors("p");
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_NE(e[0].find("\"\\x1b]0;pwned\\x07\\x1b[2Jx\" is not an absolute path"), std::string::npos) << e[0];
  EXPECT_NE(e[1].find("\"\\x0afake: error\\u009b\""), std::string::npos) << e[1];
  for (const auto& message : e) {
    EXPECT_TRUE(std::none_of(message.begin(), message.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        << message;
    EXPECT_EQ(message.find("\xc2\x9b"), std::string::npos) << message;
  }
}

TEST(ReadTextFile, PipesAreReadToTheEnd) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  airlock::UniqueFd read_end(fds[0]);
  airlock::UniqueFd write_end(fds[1]);
  const std::string text = "[process]\nhostname = \"piped\"\n";
  ASSERT_EQ(::write(write_end.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  write_end.reset();
  EXPECT_EQ(read_text_file("/dev/fd/" + std::to_string(read_end.get())), text);
  EXPECT_EQ(read_text_file("/nonexistent/profile.toml"), std::nullopt);
}

// install-scripts gives each package its directory as ${package}, over the
// profile's own default.
TEST_F(Resolve, ACallersVariableReplacesTheProfilesOwn) {
  profile("pkg", R"(
[variables]
package = "${project}/node_modules/.unset"
[filesystem]
write = ["?${package}"]
)");
  EXPECT_EQ(paths_of(resolve_ok("pkg").filesystem.write), (Strings{"?/work/proj/node_modules/.unset"}));
  Overrides o;
  o.variables["package"] = "/work/proj/node_modules/esbuild";
  EXPECT_EQ(paths_of(resolve_ok("pkg", o).filesystem.write), (Strings{"?/work/proj/node_modules/esbuild"}));
}

TEST_F(Resolve, InstallScriptsAllowNetIsCheckedAsNetworkAllowIs) {
  const auto p = resolve_ok_text(R"(
[install_scripts]
allow_net = { "sharp" = "downloads.example.com:443  10.0.0.1:80", "@scope/x" = "x.example:443" }
)");
  EXPECT_EQ(p.install_scripts.allow_net.at("sharp"), (Strings{"downloads.example.com:443", "10.0.0.1:80"}));
  EXPECT_EQ(p.install_scripts.allow_net.at("@scope/x"), (Strings{"x.example:443"}));
  profile("bad", R"(
[install_scripts]
allow_net = { "sharp" = "downloads.example.com:443 downloads.example.com" }
)");
  EXPECT_NE(one_error("bad").find("install_scripts.allow_net.sharp"), std::string::npos);
  profile("empty", R"(
[install_scripts]
allow_net = { "sharp" = " " }
)");
  EXPECT_NE(one_error("empty").find("names no destination"), std::string::npos);
}
