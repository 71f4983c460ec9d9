#pragma once
// What this kernel and environment let an unprivileged process do, probed
// once per run. Each probe tries the real operation (in a throw-away child
// where it would change the caller), because sysctls, AppArmor and a
// container's seccomp profile can each forbid what the kernel version
// suggests is there.
#include <string>

namespace airlock::kernel {

struct Probe {
  bool available = false;
  std::string detail;  // what was found, or why not and how to fix it
};

struct Features {
  Probe user_namespaces;   // unshare(CLONE_NEWUSER) and then every other namespace inside it
  int landlock_abi = 0;    // 0: unavailable
  Probe landlock;
  Probe seccomp;           // seccomp filter mode
  Probe seccomp_notify;    // SECCOMP_RET_USER_NOTIF (audit mode)
  Probe handoff;           // the gateway's handoff: pidfd_getfd, SO_NETNS_COOKIE, ptrace access to the sandbox
  Probe mount_setattr;     // recursive read-only bind mounts
  Probe overlay;           // copy-on-write overlays in a user namespace (filesystem.overlay)
  Probe pid_max;           // a pid namespace of its own pid_max (limits.processes)
  // A new procfs can be mounted (no engine masks over /proc); assumed until probed.
  Probe fresh_proc{true, "not probed"};
  // sethostname(2) in a UTS namespace of the sandbox's own (informational:
  // refused, the sandbox keeps the inherited hostname); probed by doctor.
  Probe hostname{true, "not probed"};
  Probe cgroups;           // informational: which hierarchy, which controllers
  Probe tiocsti;           // informational: is legacy TIOCSTI injection live here
  bool running_as_root = false;               // and may set ids (may_set_ids below)
  bool root_without_id_capabilities = false;  // uid 0 without CAP_SETUID/CAP_SETGID
};

enum class ProbeDepth {
  full,   // try every namespace in a throw-away child (doctor, explain)
  quick,  // trust the sysctls; the run's own clone is the test (run)
};

Features probe(ProbeDepth depth = ProbeDepth::full);

// Whether the /proc that /proc/self/mountinfo (or `mountinfo_path`)
// describes lets a user namespace mount a fresh one (exported for tests).
Probe probe_fresh_proc(const std::string& mountinfo_path);

// Why user namespaces are unavailable, given the errno of the failed
// unshare/clone, with the fix for this machine.
Probe user_namespaces_unavailable(int err, bool inner_namespaces_failed);

// The Landlock ABI version this kernel offers; 0 without Landlock (not
// built, or not enabled at boot with lsm=).
int landlock_abi();

// Whether this process may become other users and map ids other than its
// own into a user namespace: root with CAP_SETUID and CAP_SETGID effective.
// A container's root can lack them (Kubernetes' capabilities: drop: ["ALL"]);
// airlock then works as an unprivileged user does, with uid 0 as its id.
bool may_set_ids();

// Whether this process may map its own uid into a user namespace: any
// non-root user may; uid 0 needs CAP_SETFCAP (Linux 5.12+, verify_root_map
// in kernel/user_namespace.c), which a container can drop.
bool may_map_own_uid();

}  // namespace airlock::kernel
