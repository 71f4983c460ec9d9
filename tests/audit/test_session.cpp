// What an audited run applies: the view, the watch, the Spec, the plan.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "audit/paths.hpp"
#include "audit/session.hpp"
#include "audit/watch.hpp"
#include <linux/landlock.h>
#include "sandbox/plan.hpp"
#include "audit_support.hpp"
#include "policy/catalog.hpp"
#include "policy/resolve.hpp"
#include "support/temp_dir.hpp"

using namespace airlock;
using namespace airlock::audit;

namespace {

const mounts::Step* step_at(const mounts::Layout& plan, const std::string& target) {
  const mounts::Step* found = nullptr;
  for (const auto& s : plan.steps)
    if (s.target == target && s.op != mounts::Op::remount_ro) found = &s;
  return found;
}

bool exists_except(const std::set<std::string>& missing, const std::string& path) {
  std::string p = path;
  if (p.size() > 1 && p.ends_with('/')) p.pop_back();
  return missing.count(p) == 0;
}

policy::PathRule rule(const std::string& path) { return policy::PathRule{path, false, {}}; }

policy::Filesystem base_fs() {
  policy::Filesystem fs;
  fs.read = {rule("/usr"), rule("/work/proj")};
  fs.write = {rule("/work/proj"), rule("/tmp")};
  fs.hide = {rule("/run/user")};
  return fs;
}

}  // namespace

TEST(AuditView, TheHostTreeIsWritableAndSecretsAreHidden) {
  auto places = audit::testing::test_places();
  const auto plan = view(base_fs(), places, [](const std::string& p) { return exists_except({"/run/secrets"}, p); });
  ASSERT_NE(step_at(plan, "/"), nullptr);
  EXPECT_EQ(step_at(plan, "/")->op, mounts::Op::bind_rw);
  EXPECT_EQ(step_at(plan, "/work/proj")->op, mounts::Op::bind_rw);
  EXPECT_EQ(step_at(plan, "/tmp")->op, mounts::Op::tmpfs);
  // Hidden although the base does not hide them.
  ASSERT_NE(step_at(plan, "/home/u/.ssh"), nullptr);
  EXPECT_EQ(step_at(plan, "/home/u/.ssh")->op, mounts::Op::tmpfs_ro);
  ASSERT_NE(step_at(plan, "/etc/shadow"), nullptr);
  EXPECT_EQ(step_at(plan, "/run/secrets"), nullptr);  // absent on this host: nothing to hide
  ASSERT_NE(step_at(plan, "/run/user"), nullptr);     // the base's own hides stay
  for (const auto& s : plan.steps) {
    const bool startup = s.target == "/home/u/.bashrc" || s.target == "/home/u/.profile";
    if (!startup) {
      EXPECT_NE(s.op, mounts::Op::bind_ro) << s.target << " is not writable";
    }
  }
}

TEST(AuditView, ShellStartupFilesStayReadOnlyOnTop) {
  auto places = audit::testing::test_places();
  const auto plan = view(base_fs(), places, [](const std::string&) { return true; });
  const auto bashrc = std::find_if(plan.steps.begin(), plan.steps.end(),
                                   [](const mounts::Step& s) { return s.target == "/home/u/.bashrc"; });
  ASSERT_NE(bashrc, plan.steps.end());
  EXPECT_EQ(bashrc->op, mounts::Op::bind_ro);
  // Nothing mounted later covers it (a step on it or above it).
  for (auto it = bashrc + 1; it != plan.steps.end(); ++it)
    EXPECT_TRUE(it->op == mounts::Op::remount_ro || !airlock::path_within("/home/u/.bashrc", it->target)) << it->target;
}

// airlock's own configuration stays read-only in an audit, its parents
// pinned as mount points (so ~/.config cannot be renamed away and replaced),
// and every self-bind comes before the hides beneath it: a bind's source is
// the host's tree, which would show a hidden secret again.
TEST(AuditView, ProtectedPathsArePinnedBeforeTheHidesBeneathThem) {
  auto fs = base_fs();
  fs.protect.push_back(policy::PathRule{"/home/u/.config/airlock", true, {}, false});
  const auto plan = view(fs, audit::testing::test_places(), [](const std::string&) { return true; });
  const auto index = [&](const std::string& target) {
    for (std::size_t i = 0; i < plan.steps.size(); ++i)
      if (plan.steps[i].target == target) return static_cast<long>(i);
    return -1L;
  };
  ASSERT_GE(index("/home/u/.config"), 0);
  ASSERT_GE(index("/home/u/.config/airlock"), 0);
  EXPECT_EQ(step_at(plan, "/home/u/.config/airlock")->op, mounts::Op::bind_ro);
  EXPECT_LT(index("/home/u/.config"), index("/home/u/.config/airlock"));
  ASSERT_GE(index("/home/u/.config/gh"), 0);
  EXPECT_LT(index("/home/u/.config"), index("/home/u/.config/gh"));
}

TEST(AuditView, AMinimalBaseIsAuditedInTheHostView) {
  auto fs = base_fs();
  fs.view = policy::View::minimal;
  const auto plan = view(fs, audit::testing::test_places(), [](const std::string&) { return true; });
  EXPECT_EQ(plan.view, policy::View::host);
  EXPECT_EQ(step_at(plan, "/")->op, mounts::Op::bind_rw);
}

TEST(AuditWatch, TheBaseDenyListIsWatchedBesideTheFamilies) {
  policy::Syscalls base;
  base.deny = {"ptrace", "personality", "sendmsg", "close", "ptrace"};
  const auto watch = build_watch(base);
  EXPECT_EQ(watch.denied, (std::vector<std::string>{"personality", "ptrace"}));  // sorted, unique
  EXPECT_FALSE(watch.notify_by_default);
  for (const char* family : {"openat", "execve", "mkdir", "unlinkat", "renameat2", "connect", "bind", "sendto"})
    EXPECT_NE(std::find(watch.watched.begin(), watch.watched.end(), family), watch.watched.end()) << family;
}

TEST(AuditWatch, AnAllowListBaseNotifiesEverythingElse) {
  policy::Syscalls base;
  base.default_action = policy::SyscallDefault::deny;
  base.allow = {"read", "write", "openat", "ptrace"};
  base.deny = {"ptrace"};
  const auto watch = build_watch(base);
  EXPECT_TRUE(watch.notify_by_default);
  EXPECT_EQ(watch.allowed, (std::vector<std::string>{"openat", "read", "write"}));
  EXPECT_EQ(watch.denied, std::vector<std::string>{"ptrace"});
}

TEST(AuditWatch, ALoggingBaseRefusesNothing) {
  policy::Syscalls base;
  base.deny = {"ptrace"};
  base.action = policy::SyscallAction::log;
  EXPECT_TRUE(build_watch(base).denied.empty());
}

TEST(AuditSession, ThePlanNeedsUserNotification) {
  kernel::Features f;
  f.user_namespaces = {true, ""};
  f.mount_setattr = {true, ""};
  f.seccomp = {true, ""};
  f.seccomp_notify = {false, "no user_notif"};
  EXPECT_FALSE(plan(f, policy::NetworkMode::none).complete());
  f.seccomp_notify = {true, ""};
  const auto ok = plan(f, policy::NetworkMode::none);
  EXPECT_TRUE(ok.complete());
  EXPECT_EQ(ok.landlock_abi, 0);
}

TEST(AuditSession, TheSpecObservesAndEnforcesNothingOfTheBase) {
  test::TempDir dir;
  policy::Context ctx;
  ctx.project = dir.path();
  ctx.home = dir.path();
  ctx.tmp = "/tmp";
  const policy::Catalog catalog({}, {}, true);
  const auto base = policy::resolve("default", catalog, ctx);
  kernel::Features f;
  f.user_namespaces = {true, ""};
  f.mount_setattr = {true, ""};
  f.seccomp = {true, ""};
  f.seccomp_notify = {true, ""};
  f.landlock_abi = 7;
  sandbox::HostState host;
  host.memory_bytes = std::uint64_t{8} << 30;
  host.cwd = dir.path();
  host.env = {"PATH=/usr/bin:/bin"};
  const auto audited = prepare(base, plan(f, base.network.mode), {"true"}, host, places_for(ctx, catalog));
  const auto& spec = audited.spec;
  EXPECT_FALSE(spec.landlock.has_value());
  ASSERT_TRUE(spec.seccomp.has_value());
  for (const auto& rule : spec.seccomp->rules) EXPECT_TRUE(rule.fixed) << rule.syscall << " is the base's";
  ASSERT_NE(audited.recorder, nullptr);
  const auto& denied = audited.recorder->watch().denied;
  EXPECT_NE(std::find(denied.begin(), denied.end(), "ptrace"), denied.end());
  EXPECT_EQ(spec.mounts.steps.front().op, mounts::Op::bind_rw);
}

namespace {

kernel::Features full_features() {
  kernel::Features f;
  f.user_namespaces = {true, ""};
  f.mount_setattr = {true, ""};
  f.seccomp = {true, ""};
  f.seccomp_notify = {true, ""};
  f.landlock_abi = 7;
  return f;
}

sandbox::Spec audit_spec(const std::string& profile_text, const test::TempDir& dir, const kernel::Features& f) {
  policy::Context ctx;
  ctx.project = dir.path();
  ctx.home = dir.path();
  ctx.tmp = "/tmp";
  const policy::Catalog catalog({}, {}, true);
  const auto base = policy::resolve(dir.write("base.toml", profile_text), catalog, ctx);
  sandbox::HostState host;
  host.memory_bytes = std::uint64_t{8} << 30;
  host.cwd = dir.path();
  host.env = {"PATH=/usr/bin:/bin"};
  return prepare(base, plan(f, base.network.mode), {"true"}, host, places_for(ctx, catalog)).spec;
}

const mounts::Step* resolv_conf(const sandbox::Spec& spec) {
  for (const auto& step : spec.mounts.steps)
    if (step.target == "/etc/resolv.conf" && step.op == mounts::Op::bind_content) return &step;
  return nullptr;
}

}  // namespace

TEST(AuditSession, ABaseWithoutHostNetworkIsAuditedBehindTheLogOnlyGateway) {
  test::TempDir dir;
  for (const char* network : {"", "[network]\nmode = \"allowlist\"\nallow = [\"a.test:443\"]\n"}) {
    const auto spec = audit_spec(std::string("[profile]\nextends = [\"default\"]\n") + network, dir, full_features());
    ASSERT_TRUE(spec.gateway.has_value()) << network;
    EXPECT_TRUE(spec.gateway->log_only);
    EXPECT_TRUE(spec.gateway->routes.empty()) << "listeners and routes are made on demand";
    EXPECT_FALSE(spec.host_network);
    ASSERT_NE(resolv_conf(spec), nullptr);
    EXPECT_NE(resolv_conf(spec)->source.find("nameserver 127.0.0.53"), std::string::npos);
  }
  const auto p = plan(full_features(), policy::NetworkMode::none);
  const auto network = std::find_if(p.layers.begin(), p.layers.end(), [](const auto& l) { return l.layer == "network"; });
  ASSERT_NE(network, p.layers.end());
  EXPECT_NE(network->detail.find("log-only"), std::string::npos) << network->detail;
}

TEST(AuditSession, AHostNetworkBaseOrNoNamespacesKeepTheHostNetwork) {
  test::TempDir dir;
  const auto host_base =
      audit_spec("[profile]\nextends = [\"default\"]\n[network]\nmode = \"host\"\n", dir, full_features());
  EXPECT_FALSE(host_base.gateway.has_value());
  EXPECT_TRUE(host_base.host_network);
  EXPECT_EQ(resolv_conf(host_base), nullptr);
  auto no_namespaces = full_features();
  no_namespaces.user_namespaces = {false, "off"};
  EXPECT_FALSE(observes_names(plan(no_namespaces, policy::NetworkMode::none), policy::NetworkMode::none));
  EXPECT_FALSE(observes_names(plan(full_features(), policy::NetworkMode::host), policy::NetworkMode::host));
  EXPECT_TRUE(observes_names(plan(full_features(), policy::NetworkMode::allowlist), policy::NetworkMode::allowlist));
}

TEST(AuditSession, PlacesExpandTheSecretSetsForThisUser) {
  test::TempDir dir;
  policy::Context ctx;
  ctx.project = dir / "p";
  ctx.home = dir.path();
  ctx.tmp = "/tmp";
  const auto places = places_for(ctx, policy::Catalog({}, {}, true));
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  EXPECT_TRUE(has(places.secrets, dir / ".ssh"));
  EXPECT_TRUE(has(places.secrets, dir / ".npmrc"));
  EXPECT_TRUE(has(places.secrets, "/etc/shadow"));
  EXPECT_TRUE(has(places.write_protected, dir / ".bashrc"));
  EXPECT_EQ(places.home, dir.path());
}

// Persistence points: @persistence and the PATH directories under home.
TEST(AuditSession, PersistencePointsAreWriteProtected) {
  test::TempDir dir;
  policy::Context ctx;
  ctx.project = dir / "p";
  ctx.home = dir.path();
  const std::string old_path = std::getenv("PATH");
  ::setenv("PATH", (dir / "tools/bin:" + old_path).c_str(), 1);
  const auto places = places_for(ctx, policy::Catalog({}, {}, true));
  ::setenv("PATH", old_path.c_str(), 1);
  auto has = [&](const std::string& s) {
    return std::find(places.write_protected.begin(), places.write_protected.end(), s) != places.write_protected.end();
  };
  for (const char* p : {".config/airlock", ".local/bin", ".bash_aliases", ".gitconfig", ".config/systemd/user",
                        ".config/autostart", "tools/bin"})
    EXPECT_TRUE(has(dir / p)) << p;
  EXPECT_TRUE(has("/etc/airlock"));
}

// install-scripts' run: every layer of the package's profile, Landlock
// included, with the profile's refused calls moved from the seccomp filter
// to the watch, which refuses them itself (and so can name them).
TEST(AuditSession, AnEnforcedRunKeepsEveryLayerAndMovesOnlyTheWatchedRefusals) {
  test::TempDir dir;
  dir.write("node_modules/pkg/package.json", "{}");
  const auto package = dir / "node_modules/pkg";
  policy::Context ctx;
  ctx.project = dir.path();
  ctx.home = dir.path();
  ctx.tmp = "/tmp";
  const policy::Catalog catalog({}, {}, true);
  policy::Overrides overrides;
  overrides.variables["package"] = package;
  const auto policy = policy::resolve("npm-install-script", catalog, ctx, overrides);
  sandbox::HostState host;
  host.memory_bytes = std::uint64_t{8} << 30;
  host.cwd = package;
  host.env = {"PATH=/usr/bin:/bin"};
  const auto plan = sandbox::plan_enforcement(policy, full_features());
  const auto run = prepare_enforced(policy, plan, {"true"}, host);
  ASSERT_TRUE(run);
  ASSERT_TRUE(run->spec.landlock.has_value());
  std::vector<std::string> writable;
  for (const auto& rule : run->spec.landlock->paths)
    if ((rule.access & LANDLOCK_ACCESS_FS_WRITE_FILE) != 0) writable.push_back(rule.path);
  EXPECT_NE(std::find(writable.begin(), writable.end(), package), writable.end());
  EXPECT_EQ(std::find(writable.begin(), writable.end(), dir.path()), writable.end()) << "the project is not writable";
  const auto& watch = run->recorder->watch();
  EXPECT_EQ(watch.refuse_errno, EPERM);
  ASSERT_NE(std::find(watch.denied.begin(), watch.denied.end(), "ptrace"), watch.denied.end());
  ASSERT_TRUE(run->spec.seccomp.has_value());
  for (const auto& rule : run->spec.seccomp->rules) {
    if (rule.fixed) continue;
    EXPECT_EQ(std::find(watch.denied.begin(), watch.denied.end(), rule.syscall), watch.denied.end())
        << rule.syscall << " is refused by the watch, not the filter";
  }
  // The same profile run by `airlock run` refuses ptrace in the filter.
  const auto plain = sandbox::prepare(policy, plan, {"true"}, host);
  ASSERT_TRUE(plain.seccomp.has_value());
  EXPECT_TRUE(std::any_of(plain.seccomp->rules.begin(), plain.seccomp->rules.end(),
                          [](const seccomp::Rule& r) { return r.syscall == "ptrace" && !r.fixed; }));
}
