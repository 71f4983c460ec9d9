// The generator: needs -> collapsed, safe grants -> stable profile text
// that the policy loader accepts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "audit/generate.hpp"
#include "audit_support.hpp"
#include "policy/catalog.hpp"
#include "policy/resolve.hpp"
#include "support/temp_dir.hpp"

using namespace airlock::audit;
using namespace airlock::audit::testing;

namespace {

Need need(Access access, const std::string& anchor, const std::string& created_child = {}) {
  return Need{access, anchor, anchor, created_child, {anchor}};
}

std::vector<std::string> grants(const ProfilePlan& plan, Access access) {
  std::vector<std::string> out;
  for (const auto& g : plan.grants)
    if (g.access == access) out.push_back((g.optional ? "?" : "") + g.path);
  return out;
}

ProfilePlan plan_for(const std::vector<Need>& needs, const BaseView& base = default_base()) {
  Assessment a;
  a.needs = needs;
  return plan_profile(a, base, test_places());
}

std::string generate_text(const Observations& seen, std::vector<std::string> command = {"make"}) {
  const auto places = test_places();
  const auto a = assess(seen, default_base(), places);
  GenerateOptions options;
  options.extends = "default";
  options.command = std::move(command);
  options.airlock_version = "test";
  return render(plan_profile(a, default_base(), places), a, places, options);
}

Observations busy_build() {
  Observations seen;
  used(seen, "/var/lib/dpkg/status", kRead);
  used(seen, "/var/lib/dpkg/info/gcc.list", kRead);
  used(seen, "/opt/sdk/lib/libsdk.so", kRead);
  used(seen, "/opt/sdk/bin/gen", kExec, "execve");
  used(seen, "/home/u/.cache/ccache/a/b.o", kWrite);
  used(seen, "/home/u/.gitconfig", kRead);
  used(seen, "/home/u/.ssh/config", kRead);
  seen.record_destination(v4("127.0.0.1", 5432), "connect");
  seen.denied_calls["personality"] = 1;
  seen.denied_calls["io_uring_setup"] = 1;
  return seen;
}

}  // namespace

TEST(AuditGenerate, SystemTreesAreGrantedWhole) {
  const auto places = test_places();
  EXPECT_EQ(collapse(need(Access::read, "/opt/sdk/lib/libsdk.so"), places), "/opt");
  EXPECT_EQ(collapse(need(Access::exec, "/usr/local/bin/tool"), places), "/usr");
  // Writes stay precise, even there.
  EXPECT_EQ(collapse(need(Access::write, "/opt/sdk/cache"), places), "/opt/sdk/cache");
}

TEST(AuditGenerate, TheProjectIsGrantedPrecisely) {
  const auto places = test_places();
  EXPECT_EQ(collapse(need(Access::read, "/work/proj/src/deep/file.c"), places), "/work/proj/src");
  EXPECT_EQ(collapse(need(Access::write, "/work/proj/build/obj"), places), "/work/proj/build/obj");
}

TEST(AuditGenerate, CachesInTheHomeDirectoryAreGrantedByDirectory) {
  const auto places = test_places();
  EXPECT_EQ(collapse(need(Access::write, "/home/u/.npm/_cacache/index/x"), places), "/home/u/.npm");
  EXPECT_EQ(collapse(need(Access::write, "/home/u/.cache/pip/http/a"), places), "/home/u/.cache/pip");
  EXPECT_EQ(collapse(need(Access::read, "/home/u/.local/share/tool/db"), places), "/home/u/.local/share/tool");
  EXPECT_EQ(collapse(need(Access::read, "/home/u/.gitconfig"), places), "/home/u/.gitconfig");
}

TEST(AuditGenerate, PrivateMountsAreGrantedAtTheirRoot) {
  const auto places = test_places();
  EXPECT_EQ(collapse(need(Access::write, "/tmp/build-1/x"), places), "/tmp");
  EXPECT_EQ(collapse(need(Access::read, "/proc/1/status"), places), "/proc");
  EXPECT_EQ(collapse(need(Access::read, "/var/lib/dpkg/status"), places), "/var/lib/dpkg");
}

TEST(AuditGenerate, NeverTheRootNorTheHomeDirectory) {
  const auto plan = plan_for({need(Access::read, "/"), need(Access::read, "/home/u"), need(Access::write, "/home"),
                              need(Access::write, "/home/u")});
  EXPECT_TRUE(plan.grants.empty());
  ASSERT_EQ(plan.refused.size(), 4u);
  for (const auto& r : plan.refused) EXPECT_FALSE(r.why.empty()) << r.path;
}

TEST(AuditGenerate, NeverAGrantThatHoldsASecret) {
  // /etc holds /etc/shadow: walk down to a directory that does not.
  auto base = default_base();
  base.read.clear();
  base.exec.clear();
  const auto plan = plan_for({need(Access::read, "/etc/ssl/certs/ca.pem"), need(Access::read, "/home/u/.config/gh/x")},
                             base);
  EXPECT_EQ(grants(plan, Access::read), std::vector<std::string>{"/etc/ssl/certs"});
  ASSERT_EQ(plan.refused.size(), 1u);
  EXPECT_NE(plan.refused[0].why.find("known secret"), std::string::npos);
}

TEST(AuditGenerate, ShellStartupFilesAreNeverWritable) {
  const auto plan = plan_for({need(Access::write, "/home/u/.bashrc"), need(Access::read, "/home/u/.profile")});
  EXPECT_EQ(grants(plan, Access::read), std::vector<std::string>{"?/home/u/.profile"});
  EXPECT_TRUE(grants(plan, Access::write).empty());
  ASSERT_EQ(plan.refused.size(), 1u);
}

TEST(AuditGenerate, PersistencePointsAreNeverWritable) {
  auto places = test_places();
  places.write_protected.push_back("/home/u/.local/bin");
  places.write_protected.push_back("/home/u/.config/airlock");
  Assessment a;
  a.needs = {need(Access::write, "/home/u/.local/bin/ls"),
             need(Access::write, "/home/u/.config/airlock/profiles/x.toml")};
  const auto plan = plan_profile(a, default_base(), places);
  EXPECT_TRUE(grants(plan, Access::write).empty());
  ASSERT_EQ(plan.refused.size(), 2u);
  EXPECT_NE(plan.refused[0].why.find("a later login, tool or the developer obeys"), std::string::npos) << plan.refused[0].why;
}

TEST(AuditGenerate, ADirectoryTheCommandCreatedInTheHomeIsGrantedItself) {
  Need n = need(Access::write, "/home/u", "/home/u/.npm");
  n.observed = {"/home/u/.npm", "/home/u/.npm/_logs", "/home/u/.npm/_logs/x.log"};
  Need caches = need(Access::write, "/home/u/.cache", "/home/u/.cache/tool");
  caches.observed = {"/home/u/.cache/tool", "/home/u/.cache/tool/f", "/home/u/.cache/other/g"};
  const auto plan = plan_for({n, caches});
  EXPECT_EQ(grants(plan, Access::write),
            (std::vector<std::string>{"?/home/u/.cache/other", "?/home/u/.cache/tool", "?/home/u/.npm"}));
  for (const auto& g : plan.grants) EXPECT_TRUE(g.created) << g.path;
}

TEST(AuditGenerate, NestedGrantsAndReadsUnderWritesAreMerged) {
  const auto plan = plan_for({need(Access::write, "/srv/data"), need(Access::write, "/srv/data/sub"),
                              need(Access::read, "/srv/data/sub/file"), need(Access::read, "/var/lib/a/b"),
                              need(Access::read, "/var/lib/a/c")});
  EXPECT_EQ(grants(plan, Access::write), std::vector<std::string>{"/srv/data"});
  EXPECT_EQ(grants(plan, Access::read), std::vector<std::string>{"/var/lib/a"});
}

TEST(AuditGenerate, CallsWithAFallbackStayRefused) {
  Assessment a;
  a.syscalls = {{"personality", 2}, {"io_uring_setup", 1}};
  const auto plan = plan_profile(a, default_base(), test_places());
  EXPECT_EQ(plan.syscalls, std::vector<std::string>{"personality"});
  EXPECT_EQ(plan.syscalls_left_denied, std::vector<std::string>{"io_uring_setup"});
}

TEST(AuditGenerate, ProfilePathsUseVariablesAndEscapeDollars) {
  const auto places = test_places();
  EXPECT_EQ(profile_path("/work/proj/src", places), "${project}/src");
  EXPECT_EQ(profile_path("/home/u/.npm", places), "${home}/.npm");
  EXPECT_EQ(profile_path("/srv/$weird", places), "/srv/$$weird");
  Places inside = places;
  inside.project = "/home/u/code";
  EXPECT_EQ(profile_path("/home/u/code/x", inside), "${project}/x");
}

TEST(AuditGenerate, TheTextIsStableWhateverTheOrderOfObservation) {
  // Observations are maps, but the command runs differently each time:
  // record the same events in another order and compare.
  const auto first = generate_text(busy_build());
  Observations shuffled;
  std::vector<std::string> paths;
  for (const auto& [path, record] : busy_build().paths) paths.push_back(path);
  std::mt19937 rng(7);
  std::shuffle(paths.begin(), paths.end(), rng);
  const auto source = busy_build();
  for (const auto& path : paths) {
    const auto& r = source.paths.at(path);
    shuffled.record(FileEvent{path, path, r.uses, r.existed, r.is_dir, *r.calls.begin()});
  }
  shuffled.destinations = source.destinations;
  shuffled.denied_calls = source.denied_calls;
  EXPECT_EQ(generate_text(shuffled), first);
}

TEST(AuditGenerate, TheTextSaysWhatItAddsAndWhatItRefused) {
  const auto text = generate_text(busy_build(), {"make", "TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"});
  EXPECT_NE(text.find("extends = [\"default\"]"), std::string::npos);
  EXPECT_NE(text.find("\"/var/lib/dpkg\","), std::string::npos) << text;
  EXPECT_NE(text.find("\"/opt\","), std::string::npos) << text;
  EXPECT_NE(text.find("\"+${home}/.cache/ccache\","), std::string::npos) << text;
  EXPECT_NE(text.find("\"?${home}/.gitconfig\","), std::string::npos) << text;
  EXPECT_NE(text.find("forward = [\"127.0.0.1:5432\"]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"!personality\",  # FLAGGED"), std::string::npos) << text;
  EXPECT_NE(text.find("# io_uring_setup: used, but left refused"), std::string::npos) << text;
  EXPECT_NE(text.find("KNOWN SECRETS"), std::string::npos) << text;
  EXPECT_NE(text.find("${home}/.ssh/config"), std::string::npos) << text;
  // The secret is listed in a comment only, never as an entry; the token on
  // the command line is not copied.
  EXPECT_EQ(text.find("\"${home}/.ssh"), std::string::npos) << text;
  EXPECT_EQ(text.find("ghp_"), std::string::npos) << text;
  EXPECT_EQ(text.find("mode = \"allowlist\""), std::string::npos) << text;
}

TEST(AuditGenerate, TheProfileLoadsAndGrantsWhatWasNeeded) {
  airlock::test::TempDir dir;
  std::filesystem::create_directories(dir / "project");
  std::filesystem::create_directories(dir / "home/.cache/tool");
  std::filesystem::create_directories(dir / "data");
  Places places;
  places.project = dir / "project";
  places.home = dir / "home";
  Observations seen;
  used(seen, dir / "data/in.txt", kRead);
  used(seen, dir / "home/.cache/tool/x", kWrite);
  seen.record_destination(v4("198.51.100.7", 443), "connect");
  seen.denied_calls["ptrace"] = 1;  // in @default-deny, which the built-in default denies
  BaseView base = default_base();
  base.read = {"/usr"};
  base.write = {};
  const auto a = assess(seen, base, places);
  GenerateOptions options;
  options.extends = "default";
  options.command = {"tool", "--flag"};
  const std::string text = render(plan_profile(a, base, places), a, places, options);
  const auto file = dir.write("generated.toml", text);

  airlock::policy::Context ctx;
  ctx.project = places.project;
  ctx.home = places.home;
  ctx.tmp = "/tmp";
  const airlock::policy::Catalog catalog({}, {}, true);
  const auto policy = airlock::policy::resolve(file, catalog, ctx);
  auto has = [](const std::vector<airlock::policy::PathRule>& rules, const std::string& path) {
    return std::any_of(rules.begin(), rules.end(), [&](const auto& r) { return r.path == path; });
  };
  EXPECT_TRUE(has(policy.filesystem.read, dir / "data")) << text;
  EXPECT_TRUE(has(policy.filesystem.write, dir / "home/.cache/tool")) << text;
  EXPECT_EQ(policy.network.mode, airlock::policy::NetworkMode::allowlist);
  ASSERT_EQ(policy.network.allow.size(), 1u);
  EXPECT_EQ(policy.network.allow[0].text, "198.51.100.7:443");
  EXPECT_EQ(std::count(policy.syscalls.deny.begin(), policy.syscalls.deny.end(), "ptrace"), 0);
  EXPECT_GT(std::count(policy.syscalls.deny.begin(), policy.syscalls.deny.end(), "bpf"), 0);
}

TEST(AuditGenerate, FileNamesAProfileCannotHoldAreRefusedNotMangled) {
  // A secret touched under a name with a newline and a byte that is not
  // UTF-8 must not break the comment it is listed in.
  Observations seen;
  used(seen, "/srv/bad\xff/file", kRead);
  used(seen, "/home/u/.ssh/id\nrsa\xfe", kRead);
  const auto text = generate_text(seen);
  EXPECT_EQ(text.find('\xff'), std::string::npos);
  EXPECT_EQ(text.find('\xfe'), std::string::npos);
  EXPECT_EQ(text.find("\"/srv/bad"), std::string::npos) << text;  // no entry
  EXPECT_NE(text.find("not valid UTF-8"), std::string::npos) << text;
  EXPECT_NE(text.find("${home}/.ssh/id?rsa?"), std::string::npos) << text;
}
