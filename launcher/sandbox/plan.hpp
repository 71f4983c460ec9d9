#pragma once
// Step 2 of a run (DESIGN.md): given the policy and what the kernel offers,
// decide layer by layer what will be enforced, and what cannot be. The
// decision is data: `explain`, `doctor`, the run report and the refusal
// message all read the same EnforcementPlan.
#include <string>
#include <vector>

#include "kernel/features.hpp"
#include "policy/policy.hpp"

namespace airlock::sandbox {

struct LayerDecision {
  std::string layer;    // "namespaces", "filesystem", "network", "landlock", ...
  bool enforced = false;
  std::string detail;   // what is enforced, or what is missing and what that exposes
};

struct EnforcementPlan {
  bool namespaces = false;  // clone into user+mount+pid+ipc+uts+net+cgroup namespaces
  int landlock_abi = 0;     // 0: no Landlock
  bool landlock_tcp = false;  // Landlock narrows TCP connect/bind (ABI >= 4)
  bool seccomp = false;
  // filesystem.overlay is writable (an overlay); false: read-only instead.
  bool overlays = false;
  // The gateway hands allowed connections over (gateway/handoff.hpp)
  // rather than relaying them: an allow-list with network.handoff, io_uring
  // refused, and namespaces, Landlock ABI 4, seccomp user notification and
  // kernel::Features::handoff. A speed-up only: without it they are relayed.
  bool handoff = false;
  // How limits.processes is held: the sandbox pid namespace's own pid_max
  // (namespaces and kernel::Features::pid_max), or RLIMIT_NPROC where the
  // command does not run as the host's root; none when the profile sets
  // no such limit, or when neither can hold it (then it is missing).
  enum class ProcessFence { none, pid_max, rlimit };
  // The view binds the existing /proc (its engine's masks kept, airlock's
  // added) because the kernel refuses a fresh one (kernel::Features::fresh_proc).
  bool host_proc = false;
  ProcessFence process_fence = ProcessFence::none;
  std::vector<LayerDecision> layers;
  std::vector<std::string> missing;  // each: a feature the profile needs that is not here
  std::vector<std::string> unmet_requirements;  // the `enforcement.require` part of `missing`

  bool complete() const { return missing.empty(); }
};

EnforcementPlan plan_enforcement(const policy::Policy& policy, const kernel::Features& features);

// One line per layer: "enforced      LAYER: detail" or "NOT enforced  LAYER:
// detail", then each unmet `enforcement.require` entry.
std::string describe(const EnforcementPlan& plan);

// The message airlock refuses a run with when the plan is incomplete.
std::string refusal_message(const EnforcementPlan& plan);

// An incomplete plan refuses the run (Error(refusal_message)) unless the
// profile or the caller accepts best effort; then each missing feature is
// warned about as "best effort: <not_done>: <feature>" ("NOT enforced"; audit
// mode, which enforces nothing, says "NOT applied").
void refuse_or_warn(const EnforcementPlan& plan, bool best_effort, const std::string& not_done = "NOT enforced");

}  // namespace airlock::sandbox
