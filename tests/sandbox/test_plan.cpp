// The enforcement plan and what `explain` says of it, for kernels that are
// not this one: Features are made up, nothing is probed or applied.
#include <gtest/gtest.h>

#include <string>

#include "sandbox/landlock.hpp"
#include "sandbox/limits.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/spec.hpp"

namespace sb = airlock::sandbox;
namespace ll = airlock::landlock;
using airlock::kernel::Features;
using airlock::policy::Policy;

namespace {

Features full_kernel() {
  Features f;
  f.user_namespaces = {true, "all namespaces"};
  f.landlock_abi = 7;
  f.landlock = {true, "ABI 7"};
  f.seccomp = {true, "filter mode"};
  f.seccomp_notify = {true, "user_notif"};
  f.mount_setattr = {true, "mount_setattr"};
  f.fresh_proc = {true, "a fresh /proc"};
  return f;
}

// Docker's default seccomp profile: no namespaces, everything else there.
Features container_without_userns() {
  Features f = full_kernel();
  f.user_namespaces = {false, "cannot create a user namespace (unshare(CLONE_NEWUSER): Operation not permitted)"};
  return f;
}

Policy sample_policy() {
  Policy p;
  p.name = "sample";
  p.filesystem.read = {{"/usr", false, {}}, {"/etc", false, {}}};
  p.filesystem.write = {{"/work/project", false, {}}};
  p.filesystem.exec = {{"/usr", false, {}}};
  p.syscalls.deny = {"bpf", "ptrace"};
  return p;
}

const sb::LayerDecision* layer(const sb::EnforcementPlan& plan, const std::string& name) {
  for (const auto& l : plan.layers)
    if (l.layer == name) return &l;
  return nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// limits.processes: the sandbox's own pid_max where the kernel has one per
// pid namespace, RLIMIT_NPROC for a command that is not the host's root,
// and otherwise a layer that cannot be enforced (the run is refused).
TEST(EnforcementPlan, TheProcessLimitIsHeldByPidMaxThenRlimitElseIsMissing) {
  Policy p = sample_policy();
  p.limits.rlimits["processes"] = airlock::policy::Limit{airlock::policy::Limit::Kind::value, 100};
  Features f = full_kernel();
  f.pid_max = {true, "per pid namespace"};
  auto plan = sb::plan_enforcement(p, f);
  EXPECT_EQ(plan.process_fence, sb::EnforcementPlan::ProcessFence::pid_max);
  EXPECT_TRUE(plan.complete());
  EXPECT_TRUE(contains(layer(plan, "limits")->detail, "at most 100 tasks")) << layer(plan, "limits")->detail;

  f.pid_max = {false, "Linux 6.1 has no pid_max per pid namespace (needs 6.14+)"};
  p.process.user = "nobody";  // not the host's root: RLIMIT_NPROC holds it
  plan = sb::plan_enforcement(p, f);
  EXPECT_EQ(plan.process_fence, sb::EnforcementPlan::ProcessFence::rlimit);
  EXPECT_TRUE(plan.complete());
  EXPECT_TRUE(contains(layer(plan, "limits")->detail, "RLIMIT_NPROC")) << layer(plan, "limits")->detail;

  p.process.user.reset();
  plan = sb::plan_enforcement(p, f);
  if (!airlock::limits::payload_is_host_root(p.process)) GTEST_SKIP() << "only the host's root is exempt from RLIMIT_NPROC";
  EXPECT_EQ(plan.process_fence, sb::EnforcementPlan::ProcessFence::none);
  EXPECT_FALSE(plan.complete());
  EXPECT_TRUE(contains(layer(plan, "limits")->detail, "needs 6.14+")) << layer(plan, "limits")->detail;
}

// Under a container engine's /proc masks the view binds the existing /proc;
// the sandbox's pid_max, written through a fresh one, is out, so the task
// limit falls back to RLIMIT_NPROC.
TEST(EnforcementPlan, UnderProcMasksTheExistingProcIsBoundAndPidMaxIsOut) {
  Policy p = sample_policy();
  p.limits.rlimits["processes"] = airlock::policy::Limit{airlock::policy::Limit::Kind::value, 100};
  p.process.user = "nobody";
  Features f = full_kernel();
  f.pid_max = {true, "per pid namespace"};
  f.fresh_proc = {false, "/proc has mounts over parts of it"};
  const auto plan = sb::plan_enforcement(p, f);
  EXPECT_TRUE(plan.host_proc);
  EXPECT_EQ(plan.process_fence, sb::EnforcementPlan::ProcessFence::rlimit);
  EXPECT_TRUE(plan.complete());
  EXPECT_TRUE(contains(layer(plan, "filesystem view")->detail, "/proc has mounts over parts of it"));
  f.fresh_proc = {true, "fresh"};
  EXPECT_FALSE(sb::plan_enforcement(p, f).host_proc);
}

TEST(EnforcementPlan, FullKernelEnforcesEveryLayer) {
  const auto plan = sb::plan_enforcement(sample_policy(), full_kernel());
  EXPECT_TRUE(plan.complete());
  EXPECT_TRUE(plan.namespaces);
  for (const auto& l : plan.layers) EXPECT_TRUE(l.enforced) << l.layer << ": " << l.detail;
}

TEST(EnforcementPlan, WithoutUserNamespacesOnlyNamespaceLayersAreMissing) {
  const auto plan = sb::plan_enforcement(sample_policy(), container_without_userns());
  EXPECT_FALSE(plan.complete());
  EXPECT_FALSE(plan.namespaces);
  ASSERT_NE(layer(plan, "namespaces"), nullptr);
  EXPECT_FALSE(layer(plan, "namespaces")->enforced);
  EXPECT_TRUE(contains(layer(plan, "namespaces")->detail, "user namespace"));
  EXPECT_FALSE(layer(plan, "filesystem view")->enforced);
  EXPECT_FALSE(layer(plan, "network")->enforced);
  for (const char* kept : {"landlock", "seccomp", "capabilities", "environment", "limits"}) {
    ASSERT_NE(layer(plan, kept), nullptr) << kept;
    EXPECT_TRUE(layer(plan, kept)->enforced) << kept;
  }
  EXPECT_TRUE(contains(sb::refusal_message(plan), "--best-effort"));
}

// process.user needs CAP_SETUID and CAP_SETGID: a root without them would
// run the command as root, so the layer is not enforced and says why.
TEST(EnforcementPlan, ProcessUserWithoutTheIdCapabilitiesIsNotEnforced) {
  auto p = sample_policy();
  p.process.user = "nobody";
  Features f = full_kernel();
  f.root_without_id_capabilities = true;
  const auto plan = sb::plan_enforcement(p, f);
  EXPECT_FALSE(plan.complete());
  ASSERT_NE(layer(plan, "capabilities"), nullptr);
  EXPECT_FALSE(layer(plan, "capabilities")->enforced);
  EXPECT_TRUE(contains(layer(plan, "capabilities")->detail, "process.user = \"nobody\" cannot be honoured"));
  EXPECT_TRUE(contains(layer(plan, "capabilities")->detail, "runAsUser"));
  p.process.user.reset();
  EXPECT_TRUE(layer(sb::plan_enforcement(p, f), "capabilities")->enforced);
  p.process.user = "nobody";
  f.root_without_id_capabilities = false;
  EXPECT_TRUE(layer(sb::plan_enforcement(p, f), "capabilities")->enforced);
}

// Without a network namespace Landlock's TCP rules are all that narrow the
// network: network.mode = "none" must then handle connect and bind with no
// port allowed.
TEST(EnforcementPlan, NoNetnsMeansLandlockRefusesTcp) {
  const auto policy = sample_policy();
  const auto plan = sb::plan_enforcement(policy, container_without_userns());
  const auto request = sb::landlock_request(policy, plan, "");
  EXPECT_TRUE(request.restrict_tcp);
  EXPECT_TRUE(request.connect_tcp.empty());
  EXPECT_TRUE(request.bind_tcp.empty());
  const auto rs = ll::build(request, plan.landlock_abi);
  EXPECT_EQ(rs.handled_net, ll::net::kBindTcp | ll::net::kConnectTcp);
  EXPECT_TRUE(rs.ports.empty());

  const auto with_netns = sb::landlock_request(policy, sb::plan_enforcement(policy, full_kernel()), "");
  EXPECT_FALSE(with_netns.restrict_tcp) << "the network namespace does it";
}

TEST(EnforcementPlan, UnmetRequirementNamesItselfAndWhereItWasWritten) {
  auto policy = sample_policy();
  policy.enforcement.require = {{"landlock", 8, {"/etc/airlock/profiles/p.toml", 6, 12}, "landlock>=8"},
                                {"seccomp", 0, {"/etc/airlock/profiles/p.toml", 6, 27}, "seccomp"}};
  const auto plan = sb::plan_enforcement(policy, full_kernel());
  EXPECT_FALSE(plan.complete());
  ASSERT_EQ(plan.unmet_requirements.size(), 1u);
  EXPECT_TRUE(contains(plan.unmet_requirements[0], "\"landlock>=8\" (/etc/airlock/profiles/p.toml:6:12)"))
      << plan.unmet_requirements[0];
  EXPECT_TRUE(contains(plan.unmet_requirements[0], "Landlock ABI 7"));
  EXPECT_EQ(plan.missing, plan.unmet_requirements);
  EXPECT_TRUE(contains(sb::describe(plan), "NOT met       required \"landlock>=8\""));
}

TEST(EnforcementDescription, ListsEveryLayerThenLandlockAndSeccomp) {
  const auto policy = sample_policy();
  const auto plan = sb::plan_enforcement(policy, container_without_userns());
  const auto text = sb::describe_enforcement(policy, plan);
  for (const auto& l : plan.layers) {
    const std::string line = std::string(l.enforced ? "enforced      " : "NOT enforced  ") + l.layer + ": " + l.detail;
    EXPECT_TRUE(contains(text, line)) << line << "\n---\n" << text;
  }
  EXPECT_TRUE(contains(text, "refuses this profile here unless --best-effort"));
  EXPECT_TRUE(contains(text, ll::describe(ll::build(sb::landlock_request(policy, plan, ""), 7)))) << text;
  EXPECT_TRUE(contains(text, "handled network rights: bind_tcp connect_tcp")) << text;
  EXPECT_TRUE(contains(text, "read+write  /work/project"));
  EXPECT_TRUE(contains(text, "the command and its ELF interpreter"));
  EXPECT_TRUE(contains(text, "seccomp: native architecture only"));
  EXPECT_TRUE(contains(text, "denied (2): bpf ptrace")) << text;
}

TEST(EnforcementDescription, SaysWhenBestEffortAcceptsTheGaps) {
  auto policy = sample_policy();
  policy.enforcement.best_effort = true;
  const auto text = sb::describe_enforcement(policy, sb::plan_enforcement(policy, container_without_userns()));
  EXPECT_TRUE(contains(text, "enforcement.best_effort = true")) << text;
  EXPECT_FALSE(contains(text, "refuses this profile"));
}

TEST(EnforcementDescription, KernelWithoutLandlockOrSeccompSaysSo) {
  Features f = full_kernel();
  f.landlock_abi = 0;
  f.landlock = {false, "not available"};
  f.seccomp = {false, "no CONFIG_SECCOMP_FILTER"};
  const auto policy = sample_policy();
  const auto plan = sb::plan_enforcement(policy, f);
  const auto text = sb::describe_enforcement(policy, plan);
  EXPECT_TRUE(contains(text, "NOT enforced  landlock: not available"));
  EXPECT_TRUE(contains(text, "NOT enforced  seccomp: no CONFIG_SECCOMP_FILTER"));
  EXPECT_TRUE(contains(text, "Landlock: not available on this kernel"));
  EXPECT_TRUE(contains(text, "seccomp: not available on this kernel"));
  EXPECT_FALSE(contains(text, "Landlock ABI"));
}

TEST(EnforcementDescription, AFilterThatCannotBeBuiltIsNamedNotThrown) {
  auto policy = sample_policy();
  policy.syscalls.deny = {"no_such_syscall"};
  std::string text;
  ASSERT_NO_THROW(text = sb::describe_enforcement(policy, sb::plan_enforcement(policy, full_kernel())));
  EXPECT_TRUE(contains(text, "seccomp: the filter cannot be built")) << text;
  EXPECT_TRUE(contains(text, "no_such_syscall"));
}

// The gateway's handoff: only for an allow-list, only with every feature it
// stands on, never when the profile lets io_uring (which bypasses seccomp)
// through, and never against the profile's network.handoff = false. The
// Landlock request and the seccomp spec follow the plan.
TEST(Plan, HandoffNeedsAnAllowListEveryFeatureAndIoUringRefused) {
  Features f = full_kernel();
  f.handoff = {true, "available"};
  Policy p = sample_policy();
  p.network.mode = airlock::policy::NetworkMode::allowlist;
  p.syscalls.deny = {"io_uring_setup", "io_uring_enter"};
  EXPECT_TRUE(sb::plan_enforcement(p, f).handoff);
  EXPECT_TRUE(sb::landlock_request(p, sb::plan_enforcement(p, f), "").refuse_tcp);
  EXPECT_NE(layer(sb::plan_enforcement(p, f), "network")->detail.find("handed over"), std::string::npos);

  Policy relay = p;
  relay.network.handoff = false;
  EXPECT_FALSE(sb::plan_enforcement(relay, f).handoff);
  EXPECT_FALSE(sb::landlock_request(relay, sb::plan_enforcement(relay, f), "").refuse_tcp);
  EXPECT_NE(layer(sb::plan_enforcement(relay, f), "network")->detail.find("relayed"), std::string::npos);

  Policy io_uring = p;
  io_uring.syscalls.deny = {"bpf"};
  EXPECT_FALSE(sb::plan_enforcement(io_uring, f).handoff);
  Policy allow_list = p;
  allow_list.syscalls.default_action = airlock::policy::SyscallDefault::deny;
  allow_list.syscalls.deny = {};
  allow_list.syscalls.allow = {"read", "write", "connect"};
  EXPECT_TRUE(sb::plan_enforcement(allow_list, f).handoff);
  allow_list.syscalls.allow.push_back("io_uring_setup");
  EXPECT_FALSE(sb::plan_enforcement(allow_list, f).handoff);

  Policy none = p;
  none.network.mode = airlock::policy::NetworkMode::none;
  EXPECT_FALSE(sb::plan_enforcement(none, f).handoff);

  Features no_probe = f;
  no_probe.handoff = {false, "kernel.yama.ptrace_scope=3"};
  EXPECT_FALSE(sb::plan_enforcement(p, no_probe).handoff);
  Features old_landlock = f;
  old_landlock.landlock_abi = 3;
  EXPECT_FALSE(sb::plan_enforcement(p, old_landlock).handoff);
  EXPECT_FALSE(sb::plan_enforcement(p, container_without_userns()).handoff);

  EXPECT_TRUE(sb::seccomp_spec(p, true).notify_connect);
  EXPECT_FALSE(sb::seccomp_spec(p).notify_connect);
}
