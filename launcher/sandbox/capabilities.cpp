#include "sandbox/capabilities.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "util/error.hpp"

namespace airlock::capabilities {
namespace {

// ---- Names and ids ------------------------------------------------------------

struct CapFree {
  void operator()(void* p) const noexcept { (void)::cap_free(p); }
};
using CapState = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

std::string cap_name(cap_value_t cap) {
  const std::unique_ptr<char, CapFree> name(::cap_to_name(cap));
  if (!name) return "capability " + std::to_string(cap);
  std::string s(name.get());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  return s;
}

bool has_cap_prefix(const std::string& name) {
  return name.size() > 4 && (name[0] == 'C' || name[0] == 'c') &&
         (name[1] == 'A' || name[1] == 'a') && (name[2] == 'P' || name[2] == 'p') && name[3] == '_';
}

cap_value_t resolve_capability(const std::string& name) {
  cap_value_t cap = 0;
  // cap_from_name also accepts bare numbers; a profile must say what it means.
  if (!has_cap_prefix(name) || ::cap_from_name(name.c_str(), &cap) != 0)
    throw Error("unknown capability '" + name +
                "' in process.capabilities (expected a name such as CAP_NET_BIND_SERVICE)");
  if (cap >= ::cap_max_bits())
    throw Error("capability '" + name + "' in process.capabilities is not supported by this kernel");
  return cap;
}

// A decimal id, or nullopt for a name. (uid_t)-1 means "unchanged" to
// setresuid(2), so it is not a valid id.
std::optional<std::uint32_t> numeric_id(const std::string& text) {
  std::uint32_t id = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  if (id == std::numeric_limits<std::uint32_t>::max())
    throw Error("id " + text + " is reserved and cannot be switched to");
  return id;
}

std::size_t lookup_buffer_size() {
  const long n = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  return n > 0 ? static_cast<std::size_t>(n) : 16384;
}

// getpwnam_r/getpwuid_r/getgrnam_r share one calling convention: retry with a
// larger buffer on ERANGE; found means a non-null result.
template <typename Entry, typename Lookup>
std::optional<Entry> lookup_entry(Lookup lookup, const std::string& what) {
  std::string buffer(lookup_buffer_size(), '\0');
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    const int rc = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0) throw SystemError("look up " + what, rc);
    if (found == nullptr) return std::nullopt;
    return entry;  // only the numeric fields are used after `buffer` is gone
  }
}

std::optional<passwd> user_by_name(const std::string& name) {
  return lookup_entry<passwd>(
      [&](passwd* p, char* b, std::size_t n, passwd** r) { return ::getpwnam_r(name.c_str(), p, b, n, r); },
      "user '" + name + "'");
}

std::optional<passwd> user_by_id(uid_t uid) {
  return lookup_entry<passwd>(
      [&](passwd* p, char* b, std::size_t n, passwd** r) { return ::getpwuid_r(uid, p, b, n, r); },
      "uid " + std::to_string(uid));
}

std::optional<group> group_by_name(const std::string& name) {
  return lookup_entry<group>(
      [&](group* g, char* b, std::size_t n, group** r) { return ::getgrnam_r(name.c_str(), g, b, n, r); },
      "group '" + name + "'");
}

struct Identity {
  uid_t uid = 0;
  gid_t primary_gid = 0;
};

Identity resolve_user(const std::string& user) {
  if (const auto id = numeric_id(user)) {
    const auto entry = user_by_id(*id);
    return {*id, entry ? entry->pw_gid : static_cast<gid_t>(*id)};
  }
  const auto entry = user_by_name(user);
  if (!entry) throw Error("process.user: no user named '" + user + "' (not in the passwd database)");
  return {entry->pw_uid, entry->pw_gid};
}

gid_t resolve_group(const std::string& group_name) {
  if (const auto id = numeric_id(group_name)) return *id;
  const auto entry = group_by_name(group_name);
  if (!entry) throw Error("process.group: no group named '" + group_name + "' (not in the group database)");
  return entry->gr_gid;
}

// ---- Kernel state ---------------------------------------------------------------

CapState current_caps() {
  CapState caps(::cap_get_proc());
  if (!caps) throw SystemError("read the process capabilities", errno);
  return caps;
}

bool holds(const CapState& caps, cap_value_t cap, cap_flag_t set) {
  cap_flag_value_t value = CAP_CLEAR;
  check_syscall(::cap_get_flag(caps.get(), cap, set, &value), "read capability " + cap_name(cap));
  return value == CAP_SET;
}

bool kept(const Credentials& plan, cap_value_t cap) {
  return std::find(plan.keep.begin(), plan.keep.end(), cap) != plan.keep.end();
}

}  // namespace

void drop_bounding_set(const Credentials& plan) {
  const bool can_drop = holds(current_caps(), CAP_SETPCAP, CAP_EFFECTIVE);
  bool left_in_bounding_set = false;
  for (cap_value_t cap = 0; cap < ::cap_max_bits(); ++cap) {
    if (kept(plan, cap)) continue;
    // Dropping a capability the set no longer holds succeeds: no need to
    // ask first (one prctl per capability instead of two, at start-up).
    if (can_drop)
      check_syscall(::cap_drop_bound(cap), "drop " + cap_name(cap) + " from the capability bounding set");
    else if (::cap_get_bound(cap) == 1)
      left_in_bounding_set = true;
  }
  // PR_CAPBSET_DROP needs CAP_SETPCAP (prctl(2)). A process without it can
  // only gain capabilities at execve (setuid-root or file capabilities), which
  // no_new_privs forbids; the payload sets it later anyway, this makes the
  // layer hold on its own.
  if (left_in_bounding_set)
    check_syscall(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs");
}

namespace {

void switch_user(const Credentials& plan) {
  // Without KEEPCAPS, changing all uids away from 0 clears the permitted set
  // (capabilities(7), "Effect of user ID changes on capabilities"), and the
  // capabilities we mean to keep would be gone before we could keep them.
  if (!plan.keep.empty()) check_syscall(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "set PR_SET_KEEPCAPS");
  // Groups before uid: setgroups and setresgid need CAP_SETGID, which the
  // uid change takes away.
  check_syscall(::setgroups(plan.groups.size(), plan.groups.data()), "setgroups");
  check_syscall(::setresgid(plan.gid, plan.gid, plan.gid), "setresgid to " + std::to_string(plan.gid));
  check_syscall(::setresuid(plan.uid, plan.uid, plan.uid), "setresuid to " + std::to_string(plan.uid));
  if (!plan.keep.empty()) check_syscall(::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "clear PR_SET_KEEPCAPS");
}

void set_exactly(const Credentials& plan) {
  const auto held = current_caps();
  for (const auto cap : plan.keep)
    if (!holds(held, cap, CAP_PERMITTED))
      throw Error("cannot keep " + cap_name(cap) +
                  ": the process does not hold it (is airlock running without privilege?)");
  CapState wanted(::cap_init());
  if (!wanted) throw SystemError("allocate a capability set", errno);
  if (!plan.keep.empty()) {
    const int n = static_cast<int>(plan.keep.size());
    for (const auto set : {CAP_PERMITTED, CAP_EFFECTIVE, CAP_INHERITABLE})
      check_syscall(::cap_set_flag(wanted.get(), set, n, plan.keep.data(), CAP_SET),
                    "build the capability set");
  }
  check_syscall(::cap_set_proc(wanted.get()), "set the process capabilities");
}

// Ambient capabilities are what a non-root user carries across execve of a
// program without file capabilities (capabilities(7), "Ambient capability
// set"); raising needs the capability in permitted and inheritable, which
// set_exactly() just arranged.
void set_ambient(const Credentials& plan) {
  check_syscall(::cap_reset_ambient(), "clear the ambient capability set");
  for (const auto cap : plan.keep)
    check_syscall(::cap_set_ambient(cap, CAP_SET), "raise " + cap_name(cap) + " in the ambient set");
}

}  // namespace

Credentials build(const policy::Process& process, bool running_as_root) {
  Credentials plan;
  for (const auto& name : process.capabilities) plan.keep.push_back(resolve_capability(name));
  std::sort(plan.keep.begin(), plan.keep.end());
  plan.keep.erase(std::unique(plan.keep.begin(), plan.keep.end()), plan.keep.end());

  plan.uid = ::getuid();
  plan.gid = ::getgid();
  if (!running_as_root || (!process.user && !process.group)) return plan;
  if (!process.user)
    throw Error("process.group is set without process.user: set both, or neither to stay root");
  const auto identity = resolve_user(*process.user);
  plan.switch_user = true;
  plan.uid = identity.uid;
  plan.gid = process.group ? resolve_group(*process.group) : identity.primary_gid;
  plan.groups = {plan.gid};
  return plan;
}

void keep_only_kill() {
  CapState kill_only(::cap_init());
  if (!kill_only) throw SystemError("allocate a capability set", errno);
  const cap_value_t kill[] = {CAP_KILL};
  check_syscall(::cap_set_flag(kill_only.get(), CAP_PERMITTED, 1, kill, CAP_SET), "cap_set_flag");
  check_syscall(::cap_set_flag(kill_only.get(), CAP_EFFECTIVE, 1, kill, CAP_SET), "cap_set_flag");
  check_syscall(::cap_set_proc(kill_only.get()), "drop init's capabilities but CAP_KILL");
}

void apply(const Credentials& plan) {
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the
  // user switch and set_exactly() take away.
  drop_bounding_set(plan);
  apply_after_bounding_set(plan);
}

void apply_after_bounding_set(const Credentials& plan) {
  if (plan.switch_user) switch_user(plan);
  set_exactly(plan);
  set_ambient(plan);
}

}  // namespace airlock::capabilities
