#pragma once
// Capabilities and identity of the payload (DESIGN.md, "No setuid, ever":
// as root, airlock drops to the configured user and capabilities before exec).
//
// build() turns policy::Process into a Credentials: the capabilities to keep and,
// when running as root, the user to become. apply() enforces it in the
// payload just before execve; afterwards the process holds exactly `keep`
// in its bounding, permitted, effective, inheritable and ambient sets, so the
// kept capabilities survive execve of an ordinary (non-setuid, no file caps)
// program even as a non-root user, and nothing else can ever be regained.
#include <sys/capability.h>
#include <sys/types.h>

#include <vector>

#include "policy/policy.hpp"

namespace airlock::capabilities {

struct Credentials {
  std::vector<cap_value_t> keep;  // sorted, no duplicates
  bool switch_user = false;
  uid_t uid = 0;  // the user to become (switch_user), else the current one
  gid_t gid = 0;
  // Supplementary groups after the switch: just `gid`. Memberships from
  // /etc/group (docker, adm, sudo, ...) are ambient authority the profile
  // did not ask for, so they are not carried over.
  std::vector<gid_t> groups;
};

// Resolves "CAP_*" names (any case) with cap_from_name(3); an unknown name or
// one this kernel does not support is an airlock::Error naming it.
// As root, resolves process.user (a name, or a numeric uid) with getpwnam(3)
// and process.group (a name or a numeric gid) with getgrnam(3); without a
// group, the user's primary group is used, or the same number as the uid for
// a numeric uid that has no passwd entry. A group without a user is an error.
// Not as root, user and group are ignored: there is nothing to switch from.
Credentials build(const policy::Process& process, bool running_as_root);

// Leaves this process CAP_KILL alone, effective and permitted (init once the
// sandbox is built: it still kills what the command leaves, whatever user
// that runs as, but can no longer remount or unmount anything, should the
// untrusted input it reads, the DNS refuser's queries, ever subvert it).
void keep_only_kill();

// In order: drop every capability not in `keep` from the bounding set; if
// switch_user, set PR_SET_KEEPCAPS (when keep is non-empty) so that the
// uid change leaves the permitted set alone, then setgroups, setresgid,
// setresuid; set permitted = effective = inheritable = keep; clear the
// ambient set and raise `keep` in it.
// Without CAP_SETPCAP (an unprivileged process outside a user namespace) the
// bounding set cannot be changed; apply() then sets no_new_privs instead,
// which blocks the only ways the bounding set matters (setuid and file
// capabilities at execve). Throws airlock::Error when a capability to keep is
// not held, airlock::SystemError when a step fails.
void apply(const Credentials& plan);
// apply() in two steps, the payload's: the bounding set while init builds
// the view (it matters only at execve), the rest once the view is built.
void drop_bounding_set(const Credentials& plan);
void apply_after_bounding_set(const Credentials& plan);

}  // namespace airlock::capabilities
