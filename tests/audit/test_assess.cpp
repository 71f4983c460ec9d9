// The assessment: observations against a base profile -> needs, would-be
// denials, secrets.
#include <gtest/gtest.h>

#include <algorithm>

#include "audit/assess.hpp"
#include "audit_support.hpp"
#include "policy/egress.hpp"

using namespace airlock::audit;
using namespace airlock::audit::testing;

namespace {

bool has_need(const Assessment& a, Access access, const std::string& anchor) {
  return std::any_of(a.needs.begin(), a.needs.end(),
                     [&](const Need& n) { return n.access == access && n.anchor == anchor; });
}

bool has_violation(const Assessment& a, const std::string& kind, const std::string& subject) {
  return std::any_of(a.violations.begin(), a.violations.end(),
                     [&](const Violation& v) { return v.kind == kind && v.subject == subject; });
}

}  // namespace

TEST(AuditAssess, WhatTheBaseAllowsNeedsNothing) {
  Observations seen;
  used(seen, "/usr/lib/x86_64-linux-gnu/libc.so.6", kRead);
  used(seen, "/work/proj/src/main.c", kRead);
  used(seen, "/work/proj/build/main.o", kWrite);
  used(seen, "/usr/bin/cc", kExec, "execve");
  created(seen, "/tmp/cc123.s", "openat");
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_TRUE(a.needs.empty());
  EXPECT_TRUE(a.violations.empty());
}

TEST(AuditAssess, ReadsWritesAndExecsOutsideTheBaseAreNeeds) {
  Observations seen;
  used(seen, "/var/lib/dpkg/status", kRead);
  used(seen, "/srv/data/log.txt", kWrite);
  used(seen, "/opt/tool/bin/tool", kExec, "execve");
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_TRUE(has_need(a, Access::read, "/var/lib/dpkg/status"));
  EXPECT_TRUE(has_need(a, Access::write, "/srv/data/log.txt"));
  EXPECT_TRUE(has_need(a, Access::exec, "/opt/tool/bin/tool"));
  EXPECT_TRUE(has_violation(a, "read", "/var/lib/dpkg/status"));
  EXPECT_TRUE(has_violation(a, "exec", "/opt/tool/bin/tool"));
}

TEST(AuditAssess, AReadOfAPathThatWasNotThereNeedsNothing) {
  Observations seen;
  seen.record(FileEvent{"/var/lib/missing.conf", "/var/lib/missing.conf", kRead, false, false, "openat"});
  EXPECT_TRUE(assess(seen, default_base(), test_places()).needs.empty());
}

TEST(AuditAssess, CreationsNeedTheFirstDirectoryThatExistedBefore) {
  Observations seen;
  created(seen, "/var/out");
  created(seen, "/var/out/a");
  seen.record(FileEvent{"/var/out/a/file", "/var/out/a/file", kCreate, false, false, "openat"});
  used(seen, "/var/out/a/file", kRead | kWrite);  // reading what it made needs nothing more
  const auto a = assess(seen, default_base(), test_places());
  ASSERT_EQ(a.needs.size(), 1u);
  EXPECT_EQ(a.needs[0].access, Access::write);
  EXPECT_EQ(a.needs[0].anchor, "/var");
  EXPECT_EQ(a.needs[0].created_child, "/var/out");
  EXPECT_EQ(a.needs[0].example, "/var/out");
}

TEST(AuditAssess, RemovalNeedsWriteOnTheDirectory) {
  Observations seen;
  used(seen, "/srv/spool/job1", kRemove, "unlink");
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_TRUE(has_need(a, Access::write, "/srv/spool"));
}

TEST(AuditAssess, ExecutingWhatTheCommandBuiltNeedsExecOnWhereItBuiltIt) {
  Observations seen;
  created(seen, "/var/tmp/t/conftest", "openat");
  used(seen, "/var/tmp/t/conftest", kExec, "execve");
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_TRUE(has_need(a, Access::exec, "/var/tmp/t"));
  EXPECT_TRUE(has_need(a, Access::write, "/var/tmp/t"));
}

TEST(AuditAssess, SecretsAreReportedAndNeverNeeded) {
  Observations seen;
  used(seen, "/home/u/.ssh/id_rsa", kRead);
  used(seen, "/etc/shadow", kRead);
  // Reached through a symlink: the name it was written with counts too.
  seen.record(FileEvent{"/elsewhere/key", "/home/u/.npmrc", kRead, true, false, "openat"});
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_TRUE(a.needs.empty());
  ASSERT_EQ(a.secrets.size(), 3u);
  EXPECT_EQ(a.secrets[0].path, "/etc/shadow");
  EXPECT_EQ(a.secrets[1].path, "/home/u/.npmrc");
  EXPECT_EQ(a.secrets[2].path, "/home/u/.ssh/id_rsa");
  EXPECT_EQ(a.secrets[2].how, "read (openat)");
}

TEST(AuditAssess, WhatTheBaseHidesStaysHidden) {
  Observations seen;
  used(seen, "/run/user/1000/bus", kRead);
  seen.unix_sockets.insert("/run/user/1000/bus");
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_TRUE(a.needs.empty());
  EXPECT_EQ(a.hidden, std::vector<std::string>{"/run/user/1000/bus"});
}

TEST(AuditAssess, LoopbackServicesOfTheHostNeedForwardButOwnServicesDoNot) {
  Observations seen;
  seen.record_destination(v4("127.0.0.1", 5432), "connect");  // host database
  seen.record_destination(v4("127.0.0.1", 8080), "connect");  // the command's own test server
  seen.bound_ports.insert(8080);
  seen.record_destination(v4("198.51.100.7", 443), "connect");
  seen.record_destination(v4("192.0.2.53", 53), "connect");  // the resolver
  const auto a = assess(seen, default_base(), test_places());
  ASSERT_EQ(a.forward.size(), 1u);
  EXPECT_EQ(a.forward[0].text(), "127.0.0.1:5432");
  ASSERT_EQ(a.allow.size(), 1u);
  EXPECT_EQ(a.allow[0].text(), "198.51.100.7:443");
  ASSERT_EQ(a.dns.size(), 1u);
  EXPECT_TRUE(has_violation(a, "connect", "198.51.100.7:443"));
  EXPECT_FALSE(has_violation(a, "connect", "127.0.0.1:8080"));
}

TEST(AuditAssess, AllowlistAddressRulesCoverTheirDestinations) {
  auto base = default_base();
  base.mode = airlock::policy::NetworkMode::allowlist;
  std::string why;
  base.allow.push_back(*airlock::policy::parse_egress_rule("10.0.0.0/8:5432", why));
  base.allow.push_back(*airlock::policy::parse_egress_rule("registry.example.org:443", why));
  base.forward.push_back(*airlock::policy::parse_endpoint("127.0.0.1:6379", why));
  Observations seen;
  seen.record_destination(v4("10.1.2.3", 5432), "connect");
  seen.record_destination(v4("10.1.2.3", 5433), "connect");
  seen.record_destination(v4("11.0.0.1", 5432), "connect");
  seen.record_destination(v4("127.0.0.1", 6379), "connect");
  const auto a = assess(seen, base, test_places());
  std::vector<std::string> allow;
  for (const auto& d : a.allow) allow.push_back(d.text());
  EXPECT_EQ(allow, (std::vector<std::string>{"10.1.2.3:5433", "11.0.0.1:5432"}));
  EXPECT_TRUE(a.forward.empty());
}

TEST(AuditAssess, HostModeWithoutAllowEntriesRefusesNoDestination) {
  auto base = default_base();
  base.mode = airlock::policy::NetworkMode::host;
  Observations seen;
  seen.record_destination(v4("198.51.100.7", 443), "connect");
  EXPECT_TRUE(assess(seen, base, test_places()).allow.empty());
}

TEST(AuditAssess, RefusedSystemCallsAreCounted) {
  Observations seen;
  seen.denied_calls["personality"] = 3;
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_EQ(a.syscalls.at("personality"), 3u);
  EXPECT_TRUE(has_violation(a, "syscall", "personality"));
}

TEST(AuditAssess, UsesTextNamesEveryKind) {
  EXPECT_EQ(uses_text(kRead | kCreate), "read, create");
  EXPECT_EQ(uses_text(0), "touch");
}
