#pragma once
// Helpers for the seccomp tests: running code under a filter in a child,
// evaluating exported BPF like the kernel does, and reading the syscall
// groups of policies/syscalls.toml.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sandbox/seccomp.hpp"
#include "support/policy_sets.hpp"

namespace airlock::seccomp::testing {

// How a child ended: exit code (the errno a body reports, 0 = success) or
// the signal that killed it.
struct Outcome {
  bool signaled = false;
  int value = 0;
  bool operator==(const Outcome&) const = default;
  static constexpr Outcome ok() { return {false, 0}; }
  static constexpr Outcome error(int e) { return {false, e}; }
  static constexpr Outcome signal(int s) { return {true, s}; }
};

inline std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  if (o.signaled) {
    const char* name = sigabbrev_np(o.value);
    return out << "killed by SIG" << (name != nullptr ? name : std::to_string(o.value).c_str());
  }
  if (o.value == 0) return out << "success";
  const char* name = strerrorname_np(o.value);
  return out << "exit " << o.value << " (" << (name != nullptr ? name : "?") << ")";
}

// Exit code of a child whose filter could not be applied.
inline constexpr int kApplyFailed = 250;

// The errno a raw system call result reports; 0 for success.
inline int errno_of(long rc) { return rc == -1 ? errno : 0; }

// Ends the child with a bare exit_group(2). Under AddressSanitizer a call
// to a noreturn function such as _exit(2) first runs
// __asan_handle_no_return, which calls sigaltstack(2) and aborts when that
// fails, as it does under an allow-list filter that does not name it; the
// abort then spun in ASan's "do not die twice" loop, whose sched_yield(2)
// the filter refused too. The raw syscall is not a noreturn call.
inline void exit_under_filter(int code) {
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

// Runs body in a fork()ed child; with a filter, the child first sets
// no_new_privs and applies it (so this test process stays unrestricted).
// body returns the child's exit code. No core dumps: SIGSYS would write one.
inline Outcome run_in_child(const Filter* filter, const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const rlimit no_core{0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0) _exit(kApplyFailed);
    if (filter != nullptr) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(kApplyFailed);
      try {
        apply(*filter);
      } catch (...) {
        _exit(kApplyFailed);
      }
    }
    exit_under_filter(body());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) throw std::runtime_error("waitpid failed");
  if (WIFSIGNALED(status)) return Outcome::signal(WTERMSIG(status));
  return Outcome::error(WEXITSTATUS(status));
}

// A classic-BPF interpreter for the instructions libseccomp emits, so that a
// filter's answers can be checked without loading it.
inline std::uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::uint32_t mem[BPF_MEMWORDS] = {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(&data);
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& i = prog[pc];
    switch (i.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (i.k + 4 > sizeof data) throw std::runtime_error("load outside seccomp_data");
        std::memcpy(&a, bytes + i.k, 4);
        break;
      case BPF_LD | BPF_IMM:
        a = i.k;
        break;
      case BPF_LDX | BPF_IMM:
        x = i.k;
        break;
      case BPF_LD | BPF_MEM:
        a = mem[i.k % BPF_MEMWORDS];
        break;
      case BPF_LDX | BPF_MEM:
        x = mem[i.k % BPF_MEMWORDS];
        break;
      case BPF_ST:
        mem[i.k % BPF_MEMWORDS] = a;
        break;
      case BPF_STX:
        mem[i.k % BPF_MEMWORDS] = x;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a &= i.k;
        break;
      case BPF_ALU | BPF_OR | BPF_K:
        a |= i.k;
        break;
      case BPF_MISC | BPF_TAX:
        x = a;
        break;
      case BPF_MISC | BPF_TXA:
        a = x;
        break;
      case BPF_JMP | BPF_JA:
        pc += i.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += (a == i.k) ? i.jt : i.jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += (a > i.k) ? i.jt : i.jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += (a >= i.k) ? i.jt : i.jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (a & i.k) ? i.jt : i.jf;
        break;
      case BPF_RET | BPF_K:
        return i.k;
      case BPF_RET | BPF_A:
        return a;
      default:
        throw std::runtime_error("unsupported BPF opcode " + std::to_string(i.code));
    }
  }
  throw std::runtime_error("BPF program ran off its end");
}

// The kernel's verdict over stacked filters: the most restrictive action
// (lowest as signed), ties going to the newest filter (seccomp_run_filters).
inline std::uint32_t run_stack(const std::vector<std::vector<sock_filter>>& programs,
                               const seccomp_data& data) {
  std::uint32_t verdict = SECCOMP_RET_ALLOW;
  for (auto it = programs.rbegin(); it != programs.rend(); ++it) {
    const std::uint32_t r = run_bpf(*it, data);
    if (static_cast<std::int32_t>(r & SECCOMP_RET_ACTION_FULL) <
        static_cast<std::int32_t>(verdict & SECCOMP_RET_ACTION_FULL)) {
      verdict = r;
    }
  }
  return verdict;
}

inline seccomp_data call(int nr, std::vector<std::uint64_t> args = {},
                         std::uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  for (std::size_t i = 0; i < args.size() && i < 6; ++i) d.args[i] = args[i];
  return d;
}

// policies/syscalls.toml: group name -> entries as written.
inline std::map<std::string, std::vector<std::string>> load_groups(const std::string& path) {
  std::map<std::string, std::vector<std::string>> groups;
  for (auto& [name, set] : airlock::test::read_policy_sets(path)) groups[name] = std::move(set.entries);
  return groups;
}

inline const char* kSyscallsToml = AIRLOCK_SOURCE_DIR "/policies/syscalls.toml";

// The names a group stands for, @references expanded; throws on an unknown
// reference or a cycle.
inline void expand_into(const std::map<std::string, std::vector<std::string>>& groups,
                        const std::string& group, std::vector<std::string>& out,
                        std::set<std::string>& stack) {
  const auto it = groups.find(group);
  if (it == groups.end()) throw std::runtime_error("no group @" + group);
  if (!stack.insert(group).second) throw std::runtime_error("cycle through @" + group);
  for (const auto& entry : it->second) {
    if (entry.starts_with("@")) {
      expand_into(groups, entry.substr(1), out, stack);
    } else {
      out.push_back(entry);
    }
  }
  stack.erase(group);
}

inline std::vector<std::string> expand_group(const std::string& group) {
  const auto groups = load_groups(kSyscallsToml);
  std::vector<std::string> out;
  std::set<std::string> stack;
  expand_into(groups, group, out, stack);
  return out;
}

}  // namespace airlock::seccomp::testing
