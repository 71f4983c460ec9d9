#pragma once
// Resource limits of the payload (setrlimit(2)), from the policy's [limits].
//
// A number sets both the soft and the hard limit: the payload can neither
// raise it back nor hand a higher one to its children. "unlimited" sets both
// to RLIM_INFINITY, "keep" leaves what airlock inherited. Units are the
// kernel's: bytes for fsize, core, as and stack; seconds of CPU time for cpu;
// a count for nofile and nproc (nproc counts every process of the real uid,
// not only the sandbox's; a pid cgroup is the better fence for a sandbox).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.hpp"

namespace airlock::limits {

struct Rlimit {
  int resource;  // RLIMIT_*
  std::string name;
  policy::Limit limit;
};

// One entry per policy rlimit, in name order; names: nofile, nproc, fsize,
// core, cpu, as, stack. An unknown name is an airlock::Error naming it.
// `tmp` is not an rlimit (tmp_size).
std::vector<Rlimit> build(const policy::Limits& limits);

// limits.processes: how many tasks (processes and threads) the command and
// everything it starts may have at once, or nullopt for "keep" and
// "unlimited". Not an rlimit: the sandbox's pid namespace gets a pid_max
// (pid_max_for) where the kernel has one per namespace (Linux 6.14+);
// elsewhere RLIMIT_NPROC stands in for it (nproc_fallback).
std::optional<std::uint64_t> process_limit(const policy::Limits& limits);

// The kernel.pid_max and kernel.ns_last_pid that hold a fresh pid namespace
// to `processes` tasks besides its init. Once the kernel has handed out pid
// 300 it never again hands out one below (RESERVED_PIDS, kernel/pid.c), so
// ns_last_pid starts the count there: pids 300 .. pid_max - 1 are what is
// left after init (1) and the command (2).
struct PidRange {
  std::uint64_t pid_max = 0;
  std::uint64_t last_pid = 0;
};
PidRange pid_range_for(std::uint64_t processes);

// limits.tmp: the size of the sandbox's private /tmp and of its /dev/shm
// (each a tmpfs, mounts::limit_private_tmp), or nullopt for "keep": the
// kernel's default, half of the machine's memory. RLIMIT_FSIZE bounds one
// file; this bounds them all, so that a step filling /tmp gets ENOSPC
// instead of pressing the host's memory. "unlimited" is 0, which tmpfs
// reads as no limit. `ram_bytes`: the machine's memory (memory_bytes()),
// for a share of it.
std::optional<std::uint64_t> tmp_size(const policy::Limits& limits, std::uint64_t ram_bytes);

// The machine's memory, in bytes (sysinfo(2)); 0 when it cannot be read,
// which tmp_size() refuses only where limits.tmp is a share of memory.
std::uint64_t memory_bytes();

// setrlimit for every entry that is not "keep". Raising a limit above the
// hard limit needs CAP_SYS_RESOURCE; without it the airlock::Error says
// which limit and what the hard limit is.
void apply(const std::vector<Rlimit>& entries);

// core = 0, everything else "keep"; see limits.cpp for why.
policy::Limits defaults();

// Why limits.nproc cannot hold this payload, or nullopt when it can. The
// kernel exempts the initial user namespace's root from RLIMIT_NPROC
// (copy_process() in kernel/fork.c: `real_cred->user != INIT_USER`),
// capabilities or not, and also inside a user namespace that maps uid 0 to
// it, as airlock's does when run as root: a fork bomb would not stop.
std::optional<std::string> nproc_unenforceable(const policy::Limits& limits, bool payload_is_host_root);

// Whether the payload will run as uid 0 of the initial user namespace:
// airlock runs as a uid 0 that /proc/self/uid_map maps to 0, and
// process.user is unset or names root.
bool payload_is_host_root(const policy::Process& process);

}  // namespace airlock::limits
