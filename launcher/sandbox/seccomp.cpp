// The seccomp filter as data: which rules, in which filter, and why.
// Loading it is seccomp_load.cpp's job.
#include "sandbox/seccomp.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

#include "policy/socket_families.hpp"
#include "util/error.hpp"

namespace airlock::seccomp {
namespace {

// ioctl(2)'s cmd is `unsigned int` in the kernel (ksys_ioctl), so the upper
// half of the 64-bit register is dropped before the tty layer sees it:
// 0x100005412 *is* TIOCSTI. Compare the low 32 bits only (CVE-2019-10063).
constexpr std::uint64_t kLow32 = 0xffffffffULL;

// The flags argument of clone(2). s390 swaps the first two arguments
// (clone(2), "C library/kernel differences").
#if defined(__s390__) || defined(__s390x__)
constexpr unsigned kCloneFlagsArg = 1;
#else
constexpr unsigned kCloneFlagsArg = 0;
#endif
constexpr unsigned kUnshareFlagsArg = 0;

struct NamespaceFlag {
  std::uint64_t flag;
  const char* name;
};

// CLONE_NEWTIME (0x80) lies inside clone()'s exit-signal byte (CSIGNAL), so
// clone() cannot actually ask for it; on clone the rule refuses only exit
// signals >= 128, which no valid program passes. It matters for unshare().
constexpr NamespaceFlag kNamespaceFlags[] = {
    {CLONE_NEWUSER, "CLONE_NEWUSER"},     {CLONE_NEWNS, "CLONE_NEWNS"},
    {CLONE_NEWPID, "CLONE_NEWPID"},       {CLONE_NEWNET, "CLONE_NEWNET"},
    {CLONE_NEWIPC, "CLONE_NEWIPC"},       {CLONE_NEWUTS, "CLONE_NEWUTS"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
};

constexpr int kMaxErrno = 4095;  // the kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

// The native number, negative for a name libseccomp knows only on other
// architectures; throws for a name it does not know at all.
int resolve(const std::string& name) {
  const int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    throw Error("seccomp: unknown system call \"" + name +
                "\" in the syscalls policy (libseccomp " + libseccomp_version() +
                " does not know this name; check the spelling or the @group it came from)");
  }
  return nr;
}

Rule fixed_errno_rule(const char* syscall, int err, std::vector<ArgMatch> when, std::string why) {
  const Action answer = err == ENOSYS ? Action::enosys : Action::errno_;
  return Rule{syscall, resolve(syscall), answer, err, std::move(when), std::move(why), true};
}

void add_terminal_injection_rules(std::vector<Rule>& rules) {
  rules.push_back(fixed_errno_rule(
      "ioctl", EPERM, {{1, kLow32, TIOCSTI}},
      "TIOCSTI pushes input into a terminal: the command could type into the user's shell "
      "(CVE-2017-5226); low 32 bits compared since the kernel truncates cmd (CVE-2019-10063)"));
  rules.push_back(fixed_errno_rule(
      "ioctl", EPERM, {{1, kLow32, TIOCLINUX}},
      "TIOCLINUX can paste the console selection into the input, the same injection "
      "(CVE-2023-1523)"));
}

constexpr const char* kNamespaceWhy =
    "the sandbox's namespaces are airlock's to make; the command may not make its own";

void add_namespace_rules(std::vector<Rule>& rules) {
  for (const auto& ns : kNamespaceFlags) {
    rules.push_back(
        fixed_errno_rule("clone", EPERM, {{kCloneFlagsArg, ns.flag, ns.flag}}, kNamespaceWhy));
  }
  for (const auto& ns : kNamespaceFlags) {
    rules.push_back(
        fixed_errno_rule("unshare", EPERM, {{kUnshareFlagsArg, ns.flag, ns.flag}}, kNamespaceWhy));
  }
}

// MSG_FASTOPEN (linux/socket.h): a send that connects a TCP socket first.
constexpr std::uint64_t kMsgFastOpen = 0x20000000;

// The gateway's handoff (DESIGN.md, "Network"): the supervisor sees every
// connect(), bind() and listen() and makes the TCP ones itself. A send with MSG_FASTOPEN
// connects without connect(), so it would pass unseen; refused, as a
// kernel without Fast Open would (the flags are a register, not memory,
// so the filter's answer cannot be raced).
void add_handoff_rules(std::vector<Rule>& rules) {
  rules.push_back(Rule{"connect", resolve("connect"), Action::notify, 0, {},
                       "the gateway's handoff: the supervisor makes allowed TCP connections itself", true});
  rules.push_back(Rule{"bind", resolve("bind"), Action::notify, 0, {},
                       "the gateway's handoff: the supervisor binds TCP sockets, never one it handed over", true});
  rules.push_back(Rule{"listen", resolve("listen"), Action::notify, 0, {},
                       "the gateway's handoff: the supervisor listens, never on a socket it handed over", true});
  const char* why = "TCP Fast Open connects without connect(), unseen by the gateway's handoff";
  rules.push_back(fixed_errno_rule("sendto", EOPNOTSUPP, {{3, kMsgFastOpen, kMsgFastOpen}}, why));
  rules.push_back(fixed_errno_rule("sendmsg", EOPNOTSUPP, {{2, kMsgFastOpen, kMsgFastOpen}}, why));
  rules.push_back(fixed_errno_rule("sendmmsg", EOPNOTSUPP, {{3, kMsgFastOpen, kMsgFastOpen}}, why));
}

// personality(2) takes an unsigned int: the kernel keeps the low 32 bits.
// PER_LINUX (0) and the query (0xffffffff) are what a program uses; every
// other value sets an execution domain or a flag that weakens the process
// (ADDR_NO_RANDOMIZE turns ASLR off for what it runs next,
// READ_IMPLIES_EXEC makes every readable mapping executable, MMAP_PAGE_ZERO
// maps page 0). 32-bit programs are killed anyway, so PER_LINUX32 has no use.
// A value is 0 or 0xffffffff exactly when each of its low bits equals bit
// 31: one masked comparison per bit and way, as libseccomp compares an
// argument once per rule. The upper half is the kernel's to drop: a
// sign-extended query (-1) is still the query.
constexpr std::uint64_t kBit31 = 1ULL << 31;

void add_personality_rules(std::vector<Rule>& rules) {
  const char* why =
      "only PER_LINUX and the query: other execution domains and flags turn off ASLR (ADDR_NO_RANDOMIZE), make "
      "data executable (READ_IMPLIES_EXEC) or map page 0 (MMAP_PAGE_ZERO)";
  const char* shown = "arg0 neither PER_LINUX (0) nor the query (0xffffffff)";
  for (unsigned bit = 0; bit < 31; ++bit) {
    const std::uint64_t b = 1ULL << bit;
    rules.push_back(fixed_errno_rule("personality", EPERM, {{0, b | kBit31, b}}, why));
    rules.push_back(fixed_errno_rule("personality", EPERM, {{0, b | kBit31, kBit31}}, why));
  }
  for (auto it = rules.end() - 62; it != rules.end(); ++it) it->shown = shown;
}

// The number of address families the kernel knows (AF_MAX): a family at or
// above it is refused by the kernel already (EAFNOSUPPORT), and by the rule
// for "greater than the last one" here.
constexpr int kAddressFamilies = 46;

// socket(2) and socketpair(2) with a family the profile does not name:
// EAFNOSUPPORT, what a kernel built without that family answers. A network
// namespace covers inet and inet6 only: vsock reaches the hypervisor host,
// and the others reach hardware, kernel crypto (alg) or their own protocol
// stacks, which no build needs. The family is an int the kernel truncates;
// a value with upper bits set is refused.
void add_socket_family_rules(const std::vector<int>& allowed, std::vector<Rule>& rules) {
  std::string names;
  for (int family : allowed) names += (names.empty() ? "" : ", ") + policy::socket_family_name(family);
  const std::string why = "address families the profile does not name (syscalls.socket_families)";
  const std::string shown = "arg0 (family) not one of " + names;
  for (const char* call : {"socket", "socketpair"}) {
    for (int family = 0; family < kAddressFamilies; ++family) {
      if (std::find(allowed.begin(), allowed.end(), family) != allowed.end()) continue;
      rules.push_back(fixed_errno_rule(call, EAFNOSUPPORT, {{0, ~0ULL, static_cast<std::uint64_t>(family)}}, why));
      rules.back().shown = shown;
    }
    rules.push_back(fixed_errno_rule(call, EAFNOSUPPORT,
                                     {{0, 0, static_cast<std::uint64_t>(kAddressFamilies - 1), ArgMatch::Cmp::greater}},
                                     why));
    rules.back().shown = shown;
  }
}

std::vector<Rule> fixed_rules(const Request& spec) {
  std::vector<Rule> rules;
  add_terminal_injection_rules(rules);
  add_personality_rules(rules);
  // s390x multiplexes sockets through socketcall(2), whose arguments live
  // in memory: libseccomp cannot filter socket() by family there.
#if !defined(__s390__) && !defined(__s390x__)
  if (!spec.socket_families.empty()) add_socket_family_rules(spec.socket_families, rules);
#endif
  if (spec.notify_connect) add_handoff_rules(rules);
  // clone3 passes its flags in memory, which seccomp cannot read; ENOSYS
  // makes glibc (>= 2.34) fall back to clone, whose flags are checked.
  rules.push_back(fixed_errno_rule(
      "clone3", ENOSYS, {},
      "its flags live in memory seccomp cannot read; libc falls back to clone on ENOSYS"));
  if (!spec.allow_user_namespaces) add_namespace_rules(rules);
  return rules;
}

void validate(const Request& spec) {
  switch (spec.action) {
    case Action::errno_:
      if (spec.errno_value < 1 || spec.errno_value > kMaxErrno) {
        throw Error("seccomp: the errno for denied system calls must be 1.." +
                    std::to_string(kMaxErrno) + ", not " + std::to_string(spec.errno_value));
      }
      return;
    case Action::kill:
    case Action::log:
      return;
    case Action::allow:
    case Action::enosys:
    case Action::notify:
      break;
  }
  throw Error("seccomp: the action for denied system calls must be errno, kill or log, not " +
              to_string(spec.action));
}

// Names in order of first appearance, each once.
std::vector<std::string> unique(const std::vector<std::string>& names,
                                const std::set<std::string>& minus = {}) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (minus.count(n) == 0 && seen.insert(n).second) out.push_back(n);
  }
  return out;
}

void add_policy_rules(const Request& spec, Filter& filter) {
  const int err = spec.action == Action::errno_ ? spec.errno_value : 0;
  std::vector<std::string> names;
  Action action = spec.action;
  std::string why;
  if (spec.default_deny) {
    names = unique(spec.allow, {spec.deny.begin(), spec.deny.end()});
    action = Action::allow;
    why = "in the profile's allow list";
  } else {
    names = unique(spec.deny);
    why = "in the profile's deny list";
  }
  for (const auto& name : names) {
    const int nr = resolve(name);
    if (name == "clone3") continue;  // answered by the fixed rule; see below
    if (nr < 0) {
      filter.not_native.push_back(name);
      continue;
    }
    filter.rules.push_back(
        Rule{name, nr, action, action == Action::errno_ ? err : 0, {}, why, false});
  }
  // Of stacked filters with the same kind of answer, the newest one's errno
  // wins, and kill beats errno; the policy filter is loaded last. So it must
  // allow clone3, or libc would see EPERM (or die) instead of the ENOSYS it
  // falls back on.
  if (spec.default_deny) {
    filter.rules.push_back(Rule{"clone3",
                                resolve("clone3"),
                                Action::allow,
                                0,
                                {},
                                "left to the fixed ENOSYS answer",
                                false});
  }
}

}  // namespace

std::string to_string(Action action) {
  switch (action) {
    case Action::errno_:
      return "errno";
    case Action::kill:
      return "kill";
    case Action::log:
      return "log";
    case Action::allow:
      return "allow";
    case Action::enosys:
      return "enosys";
    case Action::notify:
      return "notify";
  }
  return "unknown";
}

Filter build(const Request& spec) {
  validate(spec);
  Filter filter;
  filter.rules = fixed_rules(spec);
  filter.default_action = spec.default_deny ? spec.action : Action::allow;
  filter.default_errno = spec.default_deny && spec.action == Action::errno_ ? spec.errno_value : 0;
  add_policy_rules(spec, filter);
  return filter;
}

namespace {

std::string errno_name(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : std::to_string(err);
}

std::string answer(Action action, int err) {
  switch (action) {
    case Action::errno_:
      return errno_name(err);
    case Action::enosys:
      return "ENOSYS";
    case Action::kill:
      return "kill process (SIGSYS)";
    case Action::log:
      return "allow and log";
    case Action::allow:
      return "allow";
    case Action::notify:
      return "answered by the supervisor";
  }
  return "unknown";
}

std::string hex(std::uint64_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << v;
  return out.str();
}

std::string flag_name(std::uint64_t flag) {
  for (const auto& ns : kNamespaceFlags) {
    if (ns.flag == flag) return ns.name;
  }
  return hex(flag);
}

// "arg1 & 0xffffffff == 0x5412"; a run of single-flag tests on one argument
// (the namespace rules) reads better as "arg0 has any of CLONE_NEWUSER ...".
std::string conditions(const std::vector<const Rule*>& run) {
  const bool flags = run.size() > 1 && std::all_of(run.begin(), run.end(), [&](const Rule* r) {
                       return r->when.size() == 1 && r->when[0].mask == r->when[0].value &&
                              r->when[0].arg == run[0]->when[0].arg;
                     });
  std::string out;
  if (flags) {
    out = "arg" + std::to_string(run[0]->when[0].arg) + " has any of";
    for (const Rule* r : run) out += " " + flag_name(r->when[0].mask);
    return out;
  }
  for (const Rule* r : run) {
    for (const auto& m : r->when) {
      if (!out.empty()) out += ", ";
      out += "arg" + std::to_string(m.arg) + " & " + hex(m.mask) + " == " + hex(m.value);
    }
  }
  return out;
}

bool same_outcome(const Rule& a, const Rule& b) {
  return a.syscall == b.syscall && a.action == b.action && a.errno_value == b.errno_value &&
         a.why == b.why;
}

void describe_fixed(const Filter& filter, std::ostringstream& out) {
  std::vector<const Rule*> fixed;
  for (const auto& r : filter.rules) {
    if (r.fixed) fixed.push_back(&r);
  }
  for (std::size_t i = 0; i < fixed.size();) {
    std::size_t end = i + 1;
    while (end < fixed.size() && same_outcome(*fixed[i], *fixed[end])) ++end;
    const std::vector<const Rule*> run(fixed.begin() + static_cast<std::ptrdiff_t>(i),
                                       fixed.begin() + static_cast<std::ptrdiff_t>(end));
    out << "    " << fixed[i]->syscall;
    if (!fixed[i]->shown.empty())
      out << " [" << fixed[i]->shown << "]";
    else if (!fixed[i]->when.empty())
      out << " [" << conditions(run) << "]";
    out << ": " << answer(fixed[i]->action, fixed[i]->errno_value) << " - " << fixed[i]->why
        << "\n";
    i = end;
  }
}

void describe_policy(const Filter& filter, std::ostringstream& out) {
  std::vector<std::string> names;
  Action action = Action::allow;
  int err = 0;
  for (const auto& r : filter.rules) {
    if (r.fixed || (filter.default_action != Action::allow && r.syscall == "clone3")) continue;
    names.push_back(r.syscall);
    action = r.action;
    err = r.errno_value;
  }
  if (filter.default_action != Action::allow) {
    out << "  policy: allow list; every other call: "
        << answer(filter.default_action, filter.default_errno) << "\n";
    out << "  allowed (" << names.size() << "):";
  } else if (names.empty()) {
    out << "  policy: nothing denied beyond the fixed rules\n";
    return;
  } else {
    out << "  policy: deny list; denied calls: " << answer(action, err) << "\n";
    out << "  denied (" << names.size() << "):";
  }
  for (const auto& n : names) out << " " << n;
  out << "\n";
}

}  // namespace

std::string describe(const Filter& filter) {
  std::ostringstream out;
  out << "seccomp: native architecture only; system calls of other ABIs (i386, x32): "
      << answer(filter.bad_arch_action, 0) << "\n";
  describe_policy(filter, out);
  out << "  fixed rules (hold whatever the policy says):\n";
  describe_fixed(filter, out);
  if (!filter.not_native.empty()) {
    out << "  not system calls on this architecture (nothing to filter):";
    for (const auto& n : filter.not_native) out << " " << n;
    out << "\n";
  }
  return out.str();
}

}  // namespace airlock::seccomp
