#pragma once
// What audit mode watches: which system calls the
// payload's notification filter reports to the supervisor (built as data
// from the base profile), and where the supervisor records what it sees.
//
// In audit mode the filter only observes: every notification is answered
// with SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the call runs as if unwatched
// (DESIGN.md, principle 3: seccomp user notification never decides whether
// a call's arguments are allowed). An enforced run that names its refusals
// (`refuse_errno`, used by install-scripts) also answers the profile's
// refused calls with an error: a refusal of the whole call, whatever its
// arguments, so nothing is read from the caller to decide it and there is
// nothing to race; the call never runs, and if the supervisor goes away the
// kernel fails it with ENOSYS.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/observations.hpp"
#include "policy/policy.hpp"
#include "util/fd.hpp"

namespace airlock::audit {

struct Watch {
  std::vector<std::string> watched;  // the families of calls.hpp that exist on this architecture
  std::vector<std::string> denied;   // calls the base profile refuses (with default allow)
  bool notify_by_default = false;    // the base is an allow list: every other call is one it refuses
  std::vector<std::string> allowed;  // with notify_by_default: calls the base allows
  // Non-zero: the `denied` calls fail with this errno instead of going on
  // (only with notify_by_default false). The seccomp filter of such a run
  // leaves exactly these calls to the watch (refused_by_watch()).
  int refuse_errno = 0;
};

// An enforced run whose refusals are named: the Watch of `policy` that
// refuses its [syscalls] refusals itself, or nullopt when they cannot move
// from the seccomp filter (an allow-list profile, or an action other than
// "errno": kill and log stay in the filter).
std::optional<Watch> build_refusing_watch(const policy::Syscalls& policy);
// The calls a refusing Watch refuses itself; the run's seccomp filter must
// refuse every other call of the profile's deny list.
std::vector<std::string> refused_by_watch(const Watch& watch);

// Pure: the Watch for a base profile's [syscalls]. A base whose action is
// "log" refuses nothing.
Watch build_watch(const policy::Syscalls& base);

// Payload side, after the other seccomp filters and right before execve:
// loads the notification filter and returns its listener. From here until
// execve the payload makes only never_watched() calls. Throws airlock::Error.
UniqueFd load_notification_filter(const Watch& watch);

}  // namespace airlock::audit
