// The seccomp layer as data: build(), describe(), the exported BPF (run in
// a small interpreter), and the syscall groups of policies/syscalls.toml.
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "sandbox/seccomp.hpp"
#include "seccomp_support.hpp"
#include "util/error.hpp"

namespace sc = airlock::seccomp;
using namespace airlock::seccomp::testing;

namespace {

std::vector<const sc::Rule*> rules_for(const sc::Filter& f, const std::string& name) {
  std::vector<const sc::Rule*> out;
  for (const auto& r : f.rules) {
    if (r.syscall == name) out.push_back(&r);
  }
  return out;
}
// The pointers point into the filter: of a temporary, they dangle (ASan
// found two such uses).
std::vector<const sc::Rule*> rules_for(sc::Filter&& f, const std::string& name) = delete;

const sc::Rule* rule_with(const sc::Filter& f, const std::string& name, std::uint64_t value) {
  for (const auto* r : rules_for(f, name)) {
    if (r->when.size() == 1 && r->when[0].value == value) return r;
  }
  return nullptr;
}
const sc::Rule* rule_with(sc::Filter&& f, const std::string& name, std::uint64_t value) = delete;

std::string build_error(const sc::Request& spec) {
  try {
    (void)sc::build(spec);
  } catch (const airlock::Error& e) {
    return e.what();
  }
  return "";
}

constexpr std::uint64_t kNamespaceFlags[] = {CLONE_NEWUSER,   CLONE_NEWNS,  CLONE_NEWPID,
                                             CLONE_NEWNET,    CLONE_NEWIPC, CLONE_NEWUTS,
                                             CLONE_NEWCGROUP, CLONE_NEWTIME};

constexpr std::uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;

}  // namespace

TEST(SeccompBuild, TiocstiAndTioclinuxComparedOnLow32Bits) {
  const sc::Filter f = sc::build({});
  for (const std::uint64_t cmd : {std::uint64_t{TIOCSTI}, std::uint64_t{TIOCLINUX}}) {
    const sc::Rule* r = rule_with(f, "ioctl", cmd);
    ASSERT_NE(r, nullptr) << "no ioctl rule for cmd " << cmd;
    EXPECT_EQ(r->nr, SCMP_SYS(ioctl));
    EXPECT_EQ(r->when[0].arg, 1u);
    EXPECT_EQ(r->when[0].mask, 0xffffffffULL);
    EXPECT_EQ(r->action, sc::Action::errno_);
    EXPECT_EQ(r->errno_value, EPERM);
    EXPECT_TRUE(r->fixed);
    EXPECT_FALSE(r->why.empty());
  }
}

TEST(SeccompBuild, Clone3AnsweredWithEnosys) {
  const sc::Filter filter = sc::build({});
  const auto rules = rules_for(filter, "clone3");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]->action, sc::Action::enosys);
  EXPECT_EQ(rules[0]->errno_value, ENOSYS);
  EXPECT_TRUE(rules[0]->when.empty());
}

TEST(SeccompBuild, OneRulePerNamespaceFlagForCloneAndUnshare) {
  const sc::Filter f = sc::build({});
  for (const char* name : {"clone", "unshare"}) {
    EXPECT_EQ(rules_for(f, name).size(), std::size(kNamespaceFlags)) << name;
    for (const std::uint64_t flag : kNamespaceFlags) {
      const sc::Rule* r = rule_with(f, name, flag);
      ASSERT_NE(r, nullptr) << name << " flag " << flag;
      EXPECT_EQ(r->when[0].arg, 0u);  // x86_64: flags are the first argument of both
      EXPECT_EQ(r->when[0].mask, flag);
      EXPECT_EQ(r->action, sc::Action::errno_);
      EXPECT_EQ(r->errno_value, EPERM);
    }
  }
}

TEST(SeccompBuild, AllowingUserNamespacesDropsTheFlagRules) {
  const sc::Filter f = sc::build({.allow_user_namespaces = true});
  EXPECT_TRUE(rules_for(f, "clone").empty());
  EXPECT_TRUE(rules_for(f, "unshare").empty());
  EXPECT_EQ(rules_for(f, "ioctl").size(), 2u);
  EXPECT_EQ(rules_for(f, "clone3").size(), 1u);
}

TEST(SeccompBuild, DenyListBecomesRulesWithTheConfiguredAction) {
  const sc::Filter f = sc::build({.deny = {"mount", "bpf", "mount"}, .errno_value = EACCES});
  EXPECT_EQ(f.default_action, sc::Action::allow);
  const auto mount = rules_for(f, "mount");
  ASSERT_EQ(mount.size(), 1u) << "duplicates collapse";
  EXPECT_EQ(mount[0]->nr, SCMP_SYS(mount));
  EXPECT_EQ(mount[0]->action, sc::Action::errno_);
  EXPECT_EQ(mount[0]->errno_value, EACCES);
  EXPECT_FALSE(mount[0]->fixed);
  EXPECT_EQ(rules_for(f, "bpf").size(), 1u);

  const sc::Filter kill = sc::build({.deny = {"mount"}, .action = sc::Action::kill});
  EXPECT_EQ(rules_for(kill, "mount")[0]->action, sc::Action::kill);
  const sc::Filter log = sc::build({.deny = {"mount"}, .action = sc::Action::log});
  EXPECT_EQ(rules_for(log, "mount")[0]->action, sc::Action::log);
}

TEST(SeccompBuild, AllowListDeniesEverythingElse) {
  const sc::Filter f =
      sc::build({.default_deny = true, .allow = {"read", "write", "mount"}, .deny = {"mount"}});
  EXPECT_EQ(f.default_action, sc::Action::errno_);
  EXPECT_EQ(f.default_errno, EPERM);
  EXPECT_EQ(rules_for(f, "read").size(), 1u);
  EXPECT_EQ(rules_for(f, "read")[0]->action, sc::Action::allow);
  EXPECT_TRUE(rules_for(f, "mount").empty()) << "deny wins over allow";
  // The policy filter must let clone3 through to the baseline's ENOSYS.
  const auto clone3 = rules_for(f, "clone3");
  ASSERT_EQ(clone3.size(), 2u);
  EXPECT_TRUE(std::any_of(clone3.begin(), clone3.end(),
                          [](auto* r) { return !r->fixed && r->action == sc::Action::allow; }));
}

TEST(SeccompBuild, Clone3InTheDenyListKeepsTheEnosysAnswer) {
  const sc::Filter filter = sc::build({.deny = {"clone3"}, .action = sc::Action::kill});
  const auto rules = rules_for(filter, "clone3");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]->action, sc::Action::enosys);
}

TEST(SeccompBuild, UnknownNamesAreRejectedByName) {
  const std::string msg = build_error({.deny = {"mount", "mountt"}});
  EXPECT_NE(msg.find("unknown system call \"mountt\""), std::string::npos) << msg;
  EXPECT_NE(build_error({.default_deny = true, .allow = {"no_such_call"}}).find("no_such_call"),
            std::string::npos);
  EXPECT_NE(build_error({.deny = {"clone3x"}}).find("clone3x"), std::string::npos);
}

TEST(SeccompBuild, ActionAndErrnoAreValidated) {
  EXPECT_NE(build_error({.action = sc::Action::allow}).find("errno, kill or log"),
            std::string::npos);
  EXPECT_NE(build_error({.action = sc::Action::enosys}), "");
  EXPECT_NE(build_error({.errno_value = 0}).find("1..4095"), std::string::npos);
  EXPECT_NE(build_error({.errno_value = 4096}), "");
  EXPECT_EQ(build_error({.errno_value = 4095}), "");
}

TEST(SeccompBuild, NamesOfOtherArchitecturesAreRecordedNotFiltered) {
  const sc::Filter f = sc::build({.deny = {"stime", "umount2"}});
  EXPECT_TRUE(rules_for(f, "stime").empty());
  EXPECT_EQ(f.not_native, std::vector<std::string>{"stime"});
  EXPECT_EQ(rules_for(f, "umount2").size(), 1u);
}

TEST(SeccompBuild, ForeignArchitecturesAreKilled) {
  EXPECT_EQ(sc::build({}).bad_arch_action, sc::Action::kill);
}

TEST(SeccompBuild, DescribeNamesPolicyAndFixedRules) {
  const std::string d = sc::describe(sc::build({.deny = {"mount", "stime"}}));
  EXPECT_NE(d.find("deny list"), std::string::npos) << d;
  EXPECT_NE(d.find("mount"), std::string::npos);
  EXPECT_NE(d.find("TIOCSTI"), std::string::npos);
  EXPECT_NE(d.find("arg1 & 0xffffffff == 0x5412"), std::string::npos) << d;
  EXPECT_NE(d.find("clone3"), std::string::npos);
  EXPECT_NE(d.find("clone [arg0 has any of CLONE_NEWUSER CLONE_NEWNS"), std::string::npos) << d;
  EXPECT_NE(d.find("denied calls: EPERM"), std::string::npos) << d;
  EXPECT_NE(d.find("i386, x32"), std::string::npos);
  EXPECT_NE(d.find("(nothing to filter): stime"), std::string::npos) << d;
  const std::string allow = sc::describe(sc::build({.default_deny = true, .allow = {"read"}}));
  EXPECT_NE(allow.find("allow list"), std::string::npos) << allow;
  EXPECT_NE(allow.find("allowed (1): read"), std::string::npos) << allow;
}

// --- The exported BPF, evaluated as the kernel would -----------------------

TEST(SeccompExport, BaselineAloneWhenThePolicyAllowsEverything) {
  const auto programs = sc::export_bpf(sc::build({}));
  ASSERT_EQ(programs.size(), 1u);
  EXPECT_FALSE(programs[0].empty());
  EXPECT_EQ(sc::export_bpf(sc::build({.deny = {"mount"}})).size(), 2u);
}

// compile() gives the programs apply() loads: the baseline first, the
// policy's after it, and only the baseline (the one with the notifying
// rules) asks for a listener; no program at all is built when nothing
// notifies.
TEST(SeccompCompile, OnlyTheBaselineOfAHandoffFilterAsksForAListener) {
  const auto filter = sc::build({.deny = {"mount"}, .notify_connect = true});
  const auto programs = sc::compile(filter);
  ASSERT_EQ(programs.size(), 2u);
  EXPECT_TRUE(programs[0].notify);
  EXPECT_FALSE(programs[1].notify);
  const auto exported = sc::export_bpf(filter);
  ASSERT_EQ(exported.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(programs[i].code.size(), exported[i].size());
    EXPECT_EQ(std::memcmp(programs[i].code.data(), exported[i].data(), exported[i].size() * sizeof(sock_filter)), 0);
  }
  EXPECT_EQ(run_stack(exported, call(SYS_connect, {3, 0, 16})), SECCOMP_RET_USER_NOTIF);
  for (const auto& program : sc::compile(sc::build({.deny = {"mount"}}))) EXPECT_FALSE(program.notify);
}

// The gateway's handoff: connect() waits for the supervisor; a send that
// would connect by itself (MSG_FASTOPEN) is refused, in any flags word;
// ordinary sends pass; a policy's refusal of connect still wins.
TEST(SeccompExport, HandoffNotifiesConnectAndRefusesFastOpen) {
  constexpr std::uint64_t kFastOpen = 0x20000000;  // MSG_FASTOPEN
  constexpr std::uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
  constexpr std::uint32_t kRefused = SECCOMP_RET_ERRNO | EOPNOTSUPP;
  const auto p = sc::export_bpf(sc::build({.notify_connect = true}));
  EXPECT_EQ(run_stack(p, call(SYS_connect, {3, 0, 16})), kNotify);
  EXPECT_EQ(run_stack(p, call(SYS_bind, {3, 0, 16})), kNotify);
  EXPECT_EQ(run_stack(p, call(SYS_listen, {3, 128})), kNotify);
  EXPECT_EQ(run_stack(p, call(SYS_sendto, {3, 0, 1, kFastOpen, 0, 16})), kRefused);
  EXPECT_EQ(run_stack(p, call(SYS_sendto, {3, 0, 1, kFastOpen | MSG_NOSIGNAL, 0, 16})), kRefused);
  EXPECT_EQ(run_stack(p, call(SYS_sendmsg, {3, 0, kFastOpen})), kRefused);
  EXPECT_EQ(run_stack(p, call(SYS_sendmmsg, {3, 0, 1, kFastOpen})), kRefused);
  EXPECT_EQ(run_stack(p, call(SYS_sendto, {3, 0, 1, MSG_NOSIGNAL, 0, 0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(p, call(SYS_sendmsg, {3, 0, 0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(p, call(SYS_accept4, {3, 0, 0, 0})), SECCOMP_RET_ALLOW);

  const auto without = sc::export_bpf(sc::build({}));
  EXPECT_EQ(run_stack(without, call(SYS_connect, {3, 0, 16})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(without, call(SYS_sendto, {3, 0, 1, kFastOpen, 0, 16})), SECCOMP_RET_ALLOW);

  const auto denied = sc::export_bpf(sc::build({.deny = {"connect"}, .notify_connect = true}));
  EXPECT_EQ(run_stack(denied, call(SYS_connect, {3, 0, 16})), kEperm);
}

TEST(SeccompExport, FixedRulesAnswerAsIntended) {
  const auto p = sc::export_bpf(sc::build({}));
  EXPECT_EQ(run_stack(p, call(SYS_ioctl, {0, TIOCSTI})), kEperm);
  EXPECT_EQ(run_stack(p, call(SYS_ioctl, {0, 0x100000000ULL | TIOCSTI})), kEperm);
  EXPECT_EQ(run_stack(p, call(SYS_ioctl, {0, 0xffffffff00000000ULL | TIOCLINUX})), kEperm);
  EXPECT_EQ(run_stack(p, call(SYS_ioctl, {0, TIOCGWINSZ})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(p, call(SYS_clone3, {0, 88})), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(run_stack(p, call(SYS_clone, {CLONE_NEWUSER | SIGCHLD})), kEperm);
  EXPECT_EQ(run_stack(p, call(SYS_clone, {CLONE_VM | CLONE_NEWNET})), kEperm);
  EXPECT_EQ(run_stack(p, call(SYS_clone, {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND})),
            SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(p, call(SYS_unshare, {CLONE_NEWTIME})), kEperm);
  EXPECT_EQ(run_stack(p, call(SYS_unshare, {CLONE_FS | CLONE_FILES})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(p, call(SYS_getpid)), SECCOMP_RET_ALLOW);
}

// libseccomp's x86_64 filter sends every number with the x32 bit to the
// bad-arch action by itself (a range check, not one number), except -1, the
// "skip this call" number a tracer may set, which the kernel answers ENOSYS.
TEST(SeccompExport, X32AndI386AreKilledByEveryFilter) {
  for (const auto& program : sc::export_bpf(sc::build({.deny = {"mount"}}))) {
    const std::vector<std::vector<sock_filter>> one{program};
    for (const int nr : {0, 1, SYS_getpid, SYS_ioctl, 512, 547, 0xffff}) {
      EXPECT_EQ(run_stack(one, call(0x40000000 | nr)), SECCOMP_RET_KILL_PROCESS) << nr;
    }
    EXPECT_EQ(run_stack(one, call(20, {}, AUDIT_ARCH_I386)), SECCOMP_RET_KILL_PROCESS);
    EXPECT_EQ(run_stack(one, call(SYS_getpid, {}, AUDIT_ARCH_AARCH64)), SECCOMP_RET_KILL_PROCESS);
  }
}

TEST(SeccompExport, PolicyCannotWeakenFixedRules) {
  // An allow list that allows ioctl, clone, unshare and clone3 outright.
  const auto allow_list = sc::export_bpf(sc::build(
      {.default_deny = true, .allow = {"ioctl", "clone", "unshare", "clone3", "getpid"}}));
  EXPECT_EQ(run_stack(allow_list, call(SYS_ioctl, {0, TIOCSTI})), kEperm);
  EXPECT_EQ(run_stack(allow_list, call(SYS_ioctl, {0, TIOCGWINSZ})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_stack(allow_list, call(SYS_clone3)), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(run_stack(allow_list, call(SYS_unshare, {CLONE_NEWUSER})), kEperm);
  EXPECT_EQ(run_stack(allow_list, call(SYS_getppid)), kEperm);
  // Log mode allows what it logs, but not what the fixed rules refuse.
  const auto log =
      sc::export_bpf(sc::build({.deny = {"ioctl", "clone3"}, .action = sc::Action::log}));
  EXPECT_EQ(run_stack(log, call(SYS_ioctl, {0, TIOCSTI})), kEperm);
  EXPECT_EQ(run_stack(log, call(SYS_ioctl, {0, TIOCGWINSZ})), SECCOMP_RET_LOG);
  EXPECT_EQ(run_stack(log, call(SYS_clone3)), SECCOMP_RET_ERRNO | ENOSYS);
  // A kill-mode allow list still leaves clone3 to ENOSYS, so threads work.
  const auto kill = sc::export_bpf(
      sc::build({.default_deny = true, .allow = {"getpid"}, .action = sc::Action::kill}));
  EXPECT_EQ(run_stack(kill, call(SYS_clone3)), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(run_stack(kill, call(SYS_getppid)), SECCOMP_RET_KILL_PROCESS);
}

TEST(SeccompExport, DenyListActions) {
  const auto eperm = sc::export_bpf(sc::build({.deny = {"mount", "bpf"}}));
  EXPECT_EQ(run_stack(eperm, call(SYS_mount)), kEperm);
  EXPECT_EQ(run_stack(eperm, call(SYS_bpf)), kEperm);
  EXPECT_EQ(run_stack(eperm, call(SYS_read)), SECCOMP_RET_ALLOW);
  const auto eacces = sc::export_bpf(sc::build({.deny = {"mount"}, .errno_value = EACCES}));
  EXPECT_EQ(run_stack(eacces, call(SYS_mount)), SECCOMP_RET_ERRNO | EACCES);
  const auto kill = sc::export_bpf(sc::build({.deny = {"mount"}, .action = sc::Action::kill}));
  EXPECT_EQ(run_stack(kill, call(SYS_mount)), SECCOMP_RET_KILL_PROCESS);
}

// --- policies/syscalls.toml -------------------------------------------------

TEST(SeccompPolicyFile, EveryEntryResolvesAndEveryReferenceExists) {
  const auto groups = load_groups(kSyscallsToml);
  const auto sets = airlock::test::read_policy_sets(kSyscallsToml);
  for (const auto& [name, entries] : groups) {
    const auto& group = sets.at(name);
    EXPECT_EQ(group.kind, "syscalls") << name;
    EXPECT_FALSE(group.description.empty()) << name;
    EXPECT_FALSE(entries.empty()) << name;
    for (const auto& e : entries) {
      if (e.starts_with("@")) {
        EXPECT_EQ(groups.count(e.substr(1)), 1u) << "@" << name << " refers to missing " << e;
      } else {
        EXPECT_NE(seccomp_syscall_resolve_name(e.c_str()), __NR_SCMP_ERROR)
            << "@" << name << ": libseccomp does not know \"" << e << "\"";
      }
    }
    std::vector<std::string> expanded;
    std::set<std::string> stack;
    EXPECT_NO_THROW(expand_into(groups, name, expanded, stack)) << name;
  }
}

TEST(SeccompPolicyFile, HasTheGroupsProfilesReferTo) {
  const auto groups = load_groups(kSyscallsToml);
  for (const char* g : {"privileged", "mount", "module", "kexec", "bpf", "keyring", "ptrace",
                        "io_uring", "perf", "userfaultfd", "namespaces", "clock", "reboot", "swap",
                        "obsolete", "raw-io", "process-vm", "default-deny"}) {
    EXPECT_EQ(groups.count(g), 1u) << "missing @" << g;
  }
}

TEST(SeccompPolicyFile, DefaultDenyCoversTheDangerousCalls) {
  const auto names = expand_group("default-deny");
  for (const char* n : {"mount",          "umount2",           "pivot_root",  "fsopen",
                        "init_module",    "finit_module",      "kexec_load",  "bpf",
                        "keyctl",         "add_key",           "ptrace",      "process_vm_writev",
                        "io_uring_setup", "perf_event_open",   "userfaultfd", "unshare",
                        "setns",          "settimeofday",      "reboot",      "swapon",
                        "iopl",           "open_by_handle_at", "uselib",      "_sysctl"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  for (const char* n : {"read", "execve", "clone", "ioctl", "personality"}) {
    EXPECT_EQ(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  const sc::Filter f = sc::build({.deny = names});
  EXPECT_GT(f.rules.size(), 60u);
}
