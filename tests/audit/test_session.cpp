// What an audited run applies: the view, the watch, the Spec, the plan.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "audit/session.hpp"
#include "audit/watch.hpp"
#include "audit_support.hpp"
#include "policy/catalog.hpp"
#include "policy/resolve.hpp"
#include "support/temp_dir.hpp"

using namespace airlock;
using namespace airlock::audit;

namespace {

const mounts::Step* step_at(const mounts::Plan& plan, const std::string& target) {
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
  // After every mount, before the final remounts.
  for (auto it = bashrc + 1; it != plan.steps.end(); ++it)
    EXPECT_TRUE(it->op == mounts::Op::remount_ro || it->op == mounts::Op::bind_ro) << it->target;
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
  EXPECT_FALSE(plan(f).complete());
  f.seccomp_notify = {true, ""};
  const auto ok = plan(f);
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
  host.cwd = dir.path();
  host.env = {"PATH=/usr/bin:/bin"};
  const auto spec = prepare(base, plan(f), {"true"}, host, places_for(ctx, catalog));
  EXPECT_FALSE(spec.landlock.has_value());
  ASSERT_TRUE(spec.seccomp.has_value());
  for (const auto& rule : spec.seccomp->rules) EXPECT_TRUE(rule.fixed) << rule.syscall << " is the base's";
  ASSERT_TRUE(spec.audit.has_value());
  EXPECT_TRUE(spec.audit->host_network);
  ASSERT_NE(spec.audit->observations, nullptr);
  EXPECT_NE(std::find(spec.audit->denied.begin(), spec.audit->denied.end(), "ptrace"), spec.audit->denied.end());
  EXPECT_EQ(spec.mounts.steps.front().op, mounts::Op::bind_rw);
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
