// The effects of the seccomp layer: a Filter turned into libseccomp contexts,
// loaded into the kernel or exported as BPF.
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/seccomp.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "sandbox/no_new_privs.hpp"
#include "sandbox/seccomp.hpp"
#include "sandbox/seccomp_prebuilt.hpp"
#include "sandbox/seccomp_context.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace airlock::seccomp {
namespace {

std::uint32_t to_scmp(Action action, int errno_value) {
  switch (action) {
    case Action::errno_:
      return SCMP_ACT_ERRNO(static_cast<std::uint32_t>(errno_value));
    case Action::enosys:
      return SCMP_ACT_ERRNO(ENOSYS);
    case Action::kill:
      return SCMP_ACT_KILL_PROCESS;
    case Action::log:
      return SCMP_ACT_LOG;
    case Action::allow:
      return SCMP_ACT_ALLOW;
    case Action::notify:
      return SCMP_ACT_NOTIFY;
  }
  throw Error("seccomp: unknown action");
}

void add_rule(void* ctx, const Rule& rule) {
  std::vector<scmp_arg_cmp> cmps;
  for (const auto& m : rule.when) {
    if (m.cmp == ArgMatch::Cmp::greater)
      cmps.push_back(scmp_arg_cmp{m.arg, SCMP_CMP_GT, m.value, 0});
    else
      cmps.push_back(scmp_arg_cmp{m.arg, SCMP_CMP_MASKED_EQ, m.mask, m.value});
  }
  check_scmp(seccomp_rule_add_exact_array(ctx, to_scmp(rule.action, rule.errno_value), rule.nr,
                                          static_cast<unsigned>(cmps.size()), cmps.data()),
             "add the rule for " + rule.syscall + " (" + rule.why + ")");
}

Context baseline_context(const Filter& filter) {
  Context ctx = new_context(SCMP_ACT_ALLOW, to_scmp(filter.bad_arch_action, 0));
  for (const auto& r : filter.rules) {
    if (r.fixed) add_rule(ctx.get(), r);
  }
  return ctx;
}

bool needs_policy_filter(const Filter& filter) {
  if (filter.default_action != Action::allow) return true;
  for (const auto& r : filter.rules) {
    if (!r.fixed) return true;
  }
  return false;
}

Context policy_context(const Filter& filter) {
  Context ctx = new_context(to_scmp(filter.default_action, filter.default_errno),
                            to_scmp(filter.bad_arch_action, 0));
  for (const auto& r : filter.rules) {
    if (!r.fixed) add_rule(ctx.get(), r);
  }
  return ctx;
}

// In load order. The baseline goes first: the policy may deny seccomp(2)
// itself, which would refuse any filter loaded after it.
std::vector<Context> contexts(const Filter& filter) {
  std::vector<Context> out;
  out.push_back(baseline_context(filter));
  if (needs_policy_filter(filter)) out.push_back(policy_context(filter));
  return out;
}

std::vector<sock_filter> export_program(void* ctx) {
  UniqueFd fd(static_cast<int>(check_syscall(memfd_create("airlock-seccomp-bpf", MFD_CLOEXEC),
                                             "memfd_create for the BPF export")));
  check_scmp(seccomp_export_bpf(ctx, fd.get()), "export the BPF program");
  struct stat st {};
  check_syscall(fstat(fd.get(), &st), "fstat the BPF export");
  const auto bytes = static_cast<std::size_t>(st.st_size);
  if (bytes % sizeof(sock_filter) != 0) {
    throw Error("seccomp: the exported BPF program has a partial instruction");
  }
  std::vector<sock_filter> program(bytes / sizeof(sock_filter));
  const auto got = check_syscall(pread(fd.get(), program.data(), bytes, 0), "read the BPF export");
  if (static_cast<std::size_t>(got) != bytes) throw Error("seccomp: short read of the BPF export");
  return program;
}

// Whether the baseline (or the policy filter) has a notifying rule.
bool uses_notify(const Filter& filter, bool baseline) {
  return std::any_of(filter.rules.begin(), filter.rules.end(),
                     [&](const Rule& r) { return r.fixed == baseline && r.action == Action::notify; });
}

// A notifying filter. With SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux
// 5.19; libseccomp 2.5 cannot ask for it) a call the supervisor has taken
// waits for its answer through signals other than fatal ones. Without it a
// signal (a timer, Go's preemption) would end the wait after the supervisor
// connected, and the connection be lost.
UniqueFd load_notifying(const sock_fprog& prog) {
  constexpr unsigned kNewListener = 1U << 3;       // SECCOMP_FILTER_FLAG_NEW_LISTENER
  constexpr unsigned kWaitKillableRecv = 1U << 5;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kNewListener | kWaitKillableRecv, &prog);
  if (fd < 0 && errno == EINVAL) fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kNewListener, &prog);
  check_syscall(fd, "seccomp: load the notifying filter");
  return UniqueFd(static_cast<int>(fd));
}

}  // namespace

std::string compile_key(const Filter& filter) {
  std::string key = std::to_string(static_cast<int>(filter.default_action)) + " " +
                    std::to_string(filter.default_errno) + " " +
                    std::to_string(static_cast<int>(filter.bad_arch_action)) + "\n";
  for (const auto& rule : filter.rules) {
    key += std::to_string(rule.nr) + " " + std::to_string(static_cast<int>(rule.action)) + " " +
           std::to_string(rule.errno_value) + (rule.fixed ? " fixed" : " policy");
    for (const auto& when : rule.when)
      key += " " + std::to_string(when.arg) + ":" + std::to_string(when.mask) + ":" + std::to_string(when.value) +
             ":" + std::to_string(static_cast<int>(when.cmp));
    key += "\n";
  }
  return key;
}

__attribute__((weak, noinline)) std::span<const PrebuiltFilter> prebuilt_filters() { return {}; }

std::vector<Program> compile(const Filter& filter) {
  const auto table = prebuilt_filters();
  if (!table.empty()) {
    const std::string key = compile_key(filter);
    for (const auto& prebuilt : table) {
      if (prebuilt.key != key) continue;
      std::vector<Program> programs;
      for (const auto& p : prebuilt.programs)
        programs.push_back(Program{std::vector<sock_filter>(p.code, p.code + p.length), p.notify});
      return programs;
    }
  }
  return compile_with_libseccomp(filter);
}

std::vector<Program> compile_with_libseccomp(const Filter& filter) {
  std::vector<Program> programs;
  const std::vector<Context> ctxs = contexts(filter);
  bool listener = false;
  for (const auto& ctx : ctxs) {
    Program program{export_program(ctx.get()), false};
    if (!listener && uses_notify(filter, &ctx == &ctxs.front())) program.notify = listener = true;
    programs.push_back(std::move(program));
  }
  return programs;
}

UniqueFd apply(const std::vector<Program>& programs) {
  sandbox::require_no_new_privs(
      "seccomp: no_new_privs is not set; the payload must set it before loading the filter, "
      "so that no setuid program runs under a filter that could mislead it (seccomp(2))");
  UniqueFd listener;
  for (const auto& program : programs) {
    if (program.code.empty() || program.code.size() > BPF_MAXINSNS)
      throw Error("seccomp: a compiled program has " + std::to_string(program.code.size()) + " instructions");
    const sock_fprog prog{static_cast<unsigned short>(program.code.size()),
                          const_cast<sock_filter*>(program.code.data())};
    if (program.notify) {
      listener = load_notifying(prog);
    } else {
      check_syscall(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0U, &prog), "seccomp: load the filter");
    }
  }
  return listener;
}

UniqueFd apply(const Filter& filter) { return apply(compile(filter)); }

std::vector<std::vector<sock_filter>> export_bpf(const Filter& filter) {
  std::vector<std::vector<sock_filter>> programs;
  for (auto& program : compile(filter)) programs.push_back(std::move(program.code));
  return programs;
}

}  // namespace airlock::seccomp
