#pragma once
// What audit mode watches: which system calls the
// payload's notification filter reports to the supervisor (built as data
// from the base profile), and where the supervisor records what it sees.
//
// The filter only ever observes: every notification is answered with
// SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the call runs as if unwatched
// (DESIGN.md, principle 3: seccomp user notification is used only to
// observe, never to enforce).
#include <memory>
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
};

// Pure: the Watch for a base profile's [syscalls]. A base whose action is
// "log" refuses nothing.
Watch build_watch(const policy::Syscalls& base);

// Payload side, after the other seccomp filters and right before execve:
// loads the notification filter and returns its listener. From here until
// execve the payload makes only never_watched() calls. Throws airlock::Error.
UniqueFd load_notification_filter(const Watch& watch);

}  // namespace airlock::audit
