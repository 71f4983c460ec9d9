#include "sandbox/plan.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sandbox/limits.hpp"
#include "util/error.hpp"

namespace airlock::sandbox {
namespace {

void decide(EnforcementPlan& plan, const std::string& layer, bool enforced, const std::string& detail) {
  plan.layers.push_back({layer, enforced, detail});
  if (!enforced) plan.missing.push_back(layer + ": " + detail);
}

std::string endpoints_text(const policy::Network& network) {
  std::string out;
  if (!network.forward.empty()) out += "; " + std::to_string(network.forward.size()) + " host service(s) forwarded in";
  if (!network.publish.empty()) out += "; " + std::to_string(network.publish.size()) + " port(s) published to the host";
  return out;
}

void decide_network(EnforcementPlan& plan, const policy::Policy& policy) {
  using policy::NetworkMode;
  switch (policy.network.mode) {
    case NetworkMode::none:
      if (plan.namespaces) {
        plan.layers.push_back(
            {"network", true, "none: a fresh network namespace with only loopback" + endpoints_text(policy.network)});
      } else if (plan.landlock_tcp) {
        plan.landlock_tcp = true;
        decide(plan, "network", false,
               "no network namespace: Landlock refuses TCP connect/bind, but UDP, DNS and unix sockets reach the host");
      } else {
        decide(plan, "network", false, "no network namespace and no Landlock TCP rules (ABI < 4): the host network is open");
      }
      return;
    case NetworkMode::allowlist:
      if (plan.namespaces) {
        plan.layers.push_back({"network", true,
                               "allowlist: a fresh network namespace whose only exit is the egress gateway (" +
                                   std::to_string(policy.network.allow.size()) +
                                   " rule(s); DNS answered only for allowed names; UDP refused; allowed connections " +
                                   (plan.handoff ? "handed over" : "relayed") + ")" +
                                   endpoints_text(policy.network)});
      } else if (plan.landlock_tcp) {
        decide(plan, "network", false,
               "no network namespace, so no egress gateway: Landlock narrows TCP connect to the allowed ports only, "
               "to any address; names and addresses are not checked, and UDP, DNS and unix sockets reach the host");
      } else {
        decide(plan, "network", false,
               "no network namespace and no Landlock TCP rules (ABI < 4): the host network is open");
      }
      return;
    case NetworkMode::host:
      if (plan.landlock_tcp && !policy.network.allow.empty())
        plan.layers.push_back({"network", true, "host network, TCP connect narrowed by Landlock to the allowed ports"});
      else
        plan.layers.push_back({"network", true, "host network (weaker: nothing narrows it)"});
      return;
  }
}

void check_requirements(EnforcementPlan& plan, const policy::Policy& policy, const kernel::Features& f) {
  for (const auto& req : policy.enforcement.require) {
    bool ok = true;
    std::string have;
    if (req.feature == "landlock") {
      ok = f.landlock_abi >= std::max(1, req.min_version);
      have = "this kernel has Landlock ABI " + std::to_string(f.landlock_abi);
    } else if (req.feature == "seccomp") {
      ok = f.seccomp.available;
      have = f.seccomp.detail;
    } else if (req.feature == "seccomp-notify") {
      ok = f.seccomp_notify.available;
      have = f.seccomp_notify.detail;
    } else {  // every namespace comes together
      ok = f.user_namespaces.available;
      have = f.user_namespaces.detail;
    }
    if (ok) continue;
    plan.unmet_requirements.push_back("required \"" + req.text + "\" (" + req.where.str() + "): " + have);
    plan.missing.push_back(plan.unmet_requirements.back());
  }
}

// io_uring's operations bypass seccomp (policies/syscalls.toml): a profile
// that allows it gets the relay, whose checks io_uring cannot pass by.
bool refuses_io_uring(const policy::Syscalls& syscalls) {
  const auto& deny = syscalls.deny;
  const bool denied = std::find(deny.begin(), deny.end(), "io_uring_setup") != deny.end();
  if (syscalls.default_action == policy::SyscallDefault::allow) return denied;
  const auto& allow = syscalls.allow;
  return denied || std::find(allow.begin(), allow.end(), "io_uring_setup") == allow.end();
}

// process.user is honoured by switching users, which a root without
// CAP_SETUID and CAP_SETGID (Kubernetes' drop: ["ALL"]) cannot do: the
// command would run as root, so the layer is not enforced.
void decide_identity(EnforcementPlan& plan, const policy::Process& process, const kernel::Features& f) {
  if (f.root_without_id_capabilities && process.user) {
    decide(plan, "capabilities", false,
           "process.user = \"" + *process.user +
               "\" cannot be honoured: airlock runs as root without CAP_SETUID and CAP_SETGID (the container "
               "dropped them), so the command would run as root; start the container as that user instead "
               "(USER, securityContext.runAsUser)");
    return;
  }
  plan.layers.push_back({"capabilities", true, "all sets emptied except process.capabilities"});
}

}  // namespace

EnforcementPlan plan_enforcement(const policy::Policy& policy, const kernel::Features& f) {
  EnforcementPlan plan;
  plan.namespaces = f.user_namespaces.available;
  plan.landlock_abi = f.landlock_abi;
  plan.landlock_tcp = f.landlock_abi >= 4;
  plan.seccomp = f.seccomp.available;
  plan.handoff = policy.network.mode == policy::NetworkMode::allowlist && policy.network.handoff &&
                 refuses_io_uring(policy.syscalls) && plan.namespaces && plan.landlock_tcp && plan.seccomp &&
                 f.handoff.available;

  decide(plan, "namespaces", plan.namespaces,
         plan.namespaces ? "user, mount, pid, ipc, uts, net, cgroup"
                         : f.user_namespaces.detail + " (without them: no private /tmp or /proc, and /proc/<pid>/environ "
                                                      "of other processes of this user stays readable)");
  const bool view_ok = plan.namespaces && f.mount_setattr.available;
  decide(plan, "filesystem view", view_ok,
         view_ok ? (policy.filesystem.view == policy::View::host ? "host tree read-only, secrets hidden, private /tmp"
                                                                 : "minimal root with only the listed paths")
                 : (plan.namespaces ? f.mount_setattr.detail : "needs namespaces; only Landlock guards the filesystem"));
  plan.overlays = view_ok && f.overlay.available;
  plan.host_proc = view_ok && !f.fresh_proc.available;
  if (plan.host_proc) plan.layers.back().detail += "; /proc: " + f.fresh_proc.detail;
  if (!policy.filesystem.overlay.empty()) {
    // Read-only is stricter than an overlay, so not a refusal: a tool that
    // must write its cache there fails instead of writing through.
    plan.layers.push_back({"overlays", plan.overlays,
                           plan.overlays ? "filesystem.overlay writable, writes discarded at exit"
                                         : (view_ok ? f.overlay.detail : "needs the filesystem view") +
                                               std::string("; those directories are read-only instead")});
  }
  decide(plan, "landlock", f.landlock_abi > 0,
         f.landlock_abi > 0 ? "ABI " + std::to_string(f.landlock_abi) + ": read/write/exec allow-lists" : f.landlock.detail);
  decide(plan, "seccomp", plan.seccomp, plan.seccomp ? "syscall filter loaded last" : f.seccomp.detail);
  decide_network(plan, policy);
  decide_identity(plan, policy.process, f);
  plan.layers.push_back({"environment", true, "scrubbed: keep-list, secret names and secret-looking values dropped"});
  const bool host_root = limits::payload_is_host_root(policy.process);
  const auto nproc = limits::nproc_unenforceable(policy.limits, host_root);
  std::string limits_detail = "rlimits from [limits]";
  if (const auto tmp = limits::tmp_size(policy.limits, limits::memory_bytes()); tmp && *tmp > 0)
    limits_detail += "; the private /tmp and /dev/shm hold at most " + std::to_string(*tmp) + " bytes each";
  std::optional<std::string> processes_missing;
  if (const auto processes = limits::process_limit(policy.limits)) {
    const std::string n = std::to_string(*processes);
    if (plan.namespaces && f.pid_max.available && !plan.host_proc) {
      plan.process_fence = EnforcementPlan::ProcessFence::pid_max;
      limits_detail += "; at most " + n + " tasks at once (the sandbox's own pid_max)";
    } else if (!host_root) {
      plan.process_fence = EnforcementPlan::ProcessFence::rlimit;
      limits_detail += "; at most " + n + " tasks at once (RLIMIT_NPROC: " +
                       (plan.namespaces ? f.pid_max.detail : std::string("no pid namespace")) +
                       "; it also counts the user's processes outside the sandbox that share its user namespace)";
    } else {
      processes_missing =
          "limits.processes = " + n + " cannot be held: " +
          (!plan.namespaces ? std::string("no pid namespace of its own")
                            : plan.host_proc ? std::string("the sandbox's pid_max is written through a fresh /proc, "
                                                           "which this /proc's masks rule out")
                                             : f.pid_max.detail) +
          ", and RLIMIT_NPROC does not stop a command running as root; set process.user to an unprivileged user, "
          "or accept it with limits.processes = \"keep\" in a profile that extends this one";
    }
  }
  decide(plan, "limits", !nproc && !processes_missing,
         nproc ? *nproc : processes_missing.value_or(limits_detail));
  check_requirements(plan, policy, f);
  return plan;
}

std::string describe(const EnforcementPlan& plan) {
  std::string out;
  for (const auto& layer : plan.layers)
    out += std::string(layer.enforced ? "enforced      " : "NOT enforced  ") + layer.layer + ": " + layer.detail + "\n";
  for (const auto& unmet : plan.unmet_requirements) out += "NOT met       " + unmet + "\n";
  return out;
}

std::string refusal_message(const EnforcementPlan& plan) {
  std::string out = "refusing to run: the profile cannot be fully enforced here:";
  for (const auto& m : plan.missing) out += "\n  - " + m;
  out += "\nRun `airlock doctor` for how to fix this, or pass --best-effort (enforcement.best_effort = true) "
         "to accept the weaker sandbox.";
  return out;
}

void refuse_or_warn(const EnforcementPlan& plan, bool best_effort, const std::string& not_done) {
  if (plan.complete()) return;
  if (!best_effort) throw Error(refusal_message(plan));
  for (const auto& missing : plan.missing) spdlog::warn("best effort: {}: {}", not_done, missing);
}

}  // namespace airlock::sandbox
