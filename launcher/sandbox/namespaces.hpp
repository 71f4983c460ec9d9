#pragma once
// The namespaces a sandbox lives in, and the set-up done around clone():
// the supervisor writes the child's id maps; the child (the sandbox's init)
// names its host and brings up loopback in its own namespaces.
#include <sys/types.h>

#include <string>

namespace airlock::namespaces {

// CLONE_NEWUSER | NEWNS | NEWPID | NEWIPC | NEWUTS | NEWNET | NEWCGROUP.
int clone_flags();

struct IdMap {
  std::string uid_map;  // contents for /proc/<pid>/uid_map, one write
  std::string gid_map;
  bool deny_setgroups = false;  // write "deny" to /proc/<pid>/setgroups first

  bool operator==(const IdMap&) const = default;
};

// Unprivileged: the invoking user mapped to itself ("1000 1000 1") and
// setgroups denied, as user_namespaces(7) requires before an unprivileged
// gid_map. Root: the whole id range mapped to itself, so that process.user
// can be switched to inside.
IdMap id_map_for(uid_t outer_uid, gid_t outer_gid, bool outer_is_root);

// The same, pure: `own_*_map` are the caller's /proc/self/uid_map and
// gid_map ("inside outside count" lines); root maps each of its ranges to
// itself.
IdMap id_map_for(uid_t outer_uid, gid_t outer_gid, bool outer_is_root, const std::string& own_uid_map,
                 const std::string& own_gid_map);

// "0 100000 65536\n" -> "0 0 65536\n": each range of a map, mapped to itself.
std::string identity_of_ranges(const std::string& own_map);

// From the parent, while the child waits: setgroups (when denied), uid_map,
// gid_map. Must happen before the child makes itself non-dumpable: the
// files of a non-dumpable process belong to root.
void write_id_map(pid_t child, const IdMap& map);

// sethostname(2) in the child's own UTS namespace. False when it is refused
// with EPERM: in a UTS namespace of our own only a seccomp filter outside
// airlock refuses it (podman's default profile, without CAP_SYS_ADMIN), and
// the namespace stays ours, with the container's hostname. Other failures
// throw.
[[nodiscard]] bool set_hostname(const std::string& name);

// A new network namespace starts with loopback down; sets IFF_UP on "lo".
void bring_up_loopback();

// Throws airlock::Error when the real and effective ids differ: airlock is
// never installed setuid or setgid (DESIGN.md, principle 2).
void refuse_setuid_binary();

}  // namespace airlock::namespaces
