#pragma once
// The seccomp layer: a system call filter built as data from the policy
// (build), then loaded in one step just before execve (apply).
//
// A Filter is loaded as up to two stacked kernel filters:
//   1. the baseline: airlock's fixed rules (TIOCSTI/TIOCLINUX, namespace
//      flags of clone/unshare, clone3, personality, the socket families),
//      default allow;
//   2. the policy: the profile's deny list (default allow) or allow list
//      (default deny); omitted when it would allow everything.
// Two filters because libseccomp cannot express "allow ioctl except when
// the low 32 bits of cmd are TIOCSTI" in one filter: an unconditional rule
// for a system call swallows conditional ones for the same call. The kernel
// runs every filter and takes the most restrictive answer (seccomp(2),
// "Filter return values"), so a fixed refusal holds whatever the policy says.
#include <linux/filter.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "util/fd.hpp"

namespace airlock::seccomp {

enum class Action {
  errno_,  // fail the call with errno_value
  kill,    // SECCOMP_RET_KILL_PROCESS: the whole process dies with SIGSYS
  log,     // allow, and log to the audit log
  allow,
  enosys,  // fail with ENOSYS, the "not implemented" answer libc falls back on
  notify,  // SECCOMP_RET_USER_NOTIF: the supervisor answers (gateway handoff)
};

// The argument `arg` (0-based) matches when (value_of_arg & mask) == value,
// or, with cmp = greater, when value_of_arg > value (mask unused).
// libseccomp takes one comparison per argument in a rule.
struct ArgMatch {
  enum class Cmp { masked_eq, greater };
  unsigned arg;
  std::uint64_t mask;
  std::uint64_t value;
  Cmp cmp = Cmp::masked_eq;
};

struct Rule {
  std::string syscall;
  int nr;  // native number (seccomp_syscall_resolve_name)
  Action action;
  int errno_value;             // for errno_ (and ENOSYS for enosys); 0 otherwise
  std::vector<ArgMatch> when;  // all must match; empty: always
  std::string why;
  bool fixed = false;  // airlock's own rule, loaded in the baseline filter
  // For describe(): the condition of a run of rules in words, where listing
  // their comparisons would not read ("arg0 not PER_LINUX or the query").
  std::string shown = {};
};

// What the integrator builds from policy::Syscalls (@groups already expanded).
struct Request {
  // Allow-list profile: every call not in `allow` gets `action`.
  bool default_deny = false;
  std::vector<std::string> allow = {};  // with default_deny
  // With default allow: the calls that get `action`. With default_deny: names
  // removed from `allow` (deny wins).
  std::vector<std::string> deny = {};
  Action action = Action::errno_;  // errno_ | kill | log
  int errno_value = EPERM;
  // If false, clone/unshare with any CLONE_NEW* flag are refused (EPERM).
  bool allow_user_namespaces = false;
  // Address families (AF_*) socket(2) and socketpair(2) may create; every
  // other one fails with EAFNOSUPPORT. Empty: any.
  std::vector<int> socket_families = {};
  // Gateway handoff: every connect(), bind() and listen() waits for the
  // supervisor, and TCP Fast Open sends (which connect without connect())
  // are refused, EOPNOTSUPP.
  bool notify_connect = false;
};

struct Filter {
  std::vector<Rule> rules;                // fixed rules first, then the policy's
  Action default_action = Action::allow;  // of the policy filter
  int default_errno = 0;
  // What a system call from another ABI gets (i386 `int 0x80`, x32 numbers
  // with bit 30 set). KILL_PROCESS, in both filters, whatever the policy's
  // action: such a call bypasses every rule (the numbers mean different
  // calls), and an errno would only send a 32-bit program into loops of
  // failed calls (glibc's _exit retries exit forever) instead of a clear
  // death by SIGSYS that the run report can name.
  Action bad_arch_action = Action::kill;
  // Names the policy gave that libseccomp knows but that are no system call
  // on this architecture (e.g. "stime" on x86_64): nothing to filter.
  std::vector<std::string> not_native;
};

// Throws airlock::Error for an unknown system call name, an action that is
// not errno_/kill/log, or an errno outside 1..4095.
Filter build(const Request& spec);

// One kernel filter as BPF.
struct Program {
  std::vector<sock_filter> code;
  // Loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER: it has a notifying rule
  // (at most one program does; a task has one listener).
  bool notify = false;
};

// A Filter compiled to the programs apply() loads, in load order (baseline
// first). The payload compiles while init still builds the sandbox (start-up
// time) and, once it is built, only hands the BPF to seccomp(2): what
// libseccomp's seccomp_load() does with the attributes every context gets
// here (no TSYNC, LOG or SPEC_ALLOW flag; no_new_privs left alone).
// Throws airlock::SystemError when libseccomp cannot generate a program.
std::vector<Program> compile(const Filter& filter);

// Loads compiled programs into the calling thread, in order. no_new_privs
// must already be set (the payload sets it before Landlock); throws
// airlock::Error if it is not, and airlock::SystemError when the kernel
// refuses. Returns the notification listener when a rule notifies (an empty
// fd otherwise): the caller must hand it to whoever answers before any
// notifying call.
UniqueFd apply(const std::vector<Program>& programs);
// compile() then apply().
UniqueFd apply(const Filter& filter);

// The BPF programs apply() would load, in load order (baseline first). For
// tests and benchmarks.
std::vector<std::vector<sock_filter>> export_bpf(const Filter& filter);

// A summary for `airlock explain`.
std::string describe(const Filter& filter);

std::string to_string(Action action);

}  // namespace airlock::seccomp
