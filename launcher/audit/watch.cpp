#include "audit/watch.hpp"

#include <seccomp.h>

#include <algorithm>
#include <set>

#include "audit/calls.hpp"

namespace airlock::audit {
namespace {

bool native(const std::string& name) { return seccomp_syscall_resolve_name(name.c_str()) >= 0; }

bool is_never_watched(const std::string& name) {
  const auto& never = never_watched();
  return std::any_of(never.begin(), never.end(), [&](const char* n) { return name == n; });
}

std::vector<std::string> sorted_unique(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace

Watch build_watch(const policy::Syscalls& base) {
  Watch watch;
  for (const auto& call : watched_calls())
    if (native(call.name)) watch.watched.emplace_back(call.name);
  const bool refuses = base.action != policy::SyscallAction::log;
  if (base.default_action == policy::SyscallDefault::deny) {
    watch.notify_by_default = refuses;
    const std::set<std::string> deny(base.deny.begin(), base.deny.end());
    for (const auto& name : base.allow)
      if (deny.count(name) == 0 && native(name)) watch.allowed.push_back(name);
    for (const auto& name : base.deny)
      if (refuses && native(name) && !is_never_watched(name)) watch.denied.push_back(name);
  } else if (refuses) {
    for (const auto& name : base.deny)
      if (native(name) && !is_never_watched(name)) watch.denied.push_back(name);
  }
  watch.allowed = sorted_unique(std::move(watch.allowed));
  watch.denied = sorted_unique(std::move(watch.denied));
  return watch;
}

std::optional<Watch> build_refusing_watch(const policy::Syscalls& policy) {
  if (policy.default_action != policy::SyscallDefault::allow || policy.action != policy::SyscallAction::errno_)
    return std::nullopt;
  Watch watch = build_watch(policy);
  watch.refuse_errno = policy.errno_value;
  return watch;
}

std::vector<std::string> refused_by_watch(const Watch& watch) {
  return watch.refuse_errno != 0 ? watch.denied : std::vector<std::string>{};
}

}  // namespace airlock::audit
