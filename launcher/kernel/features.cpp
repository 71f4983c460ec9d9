#include "kernel/features.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <linux/landlock.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"
#include "util/files.hpp"


namespace airlock::kernel {
namespace {

std::string read_first_line(const std::string& path) {
  std::string text = read_small_file(path);
  const auto end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  return text;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// The fifth whitespace-separated field of a mountinfo line (the mount
// point); nullopt when the line has fewer.
std::optional<std::string_view> mount_point_of(std::string_view line) {
  std::size_t i = 0;
  for (int field = 1;; ++field) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) return std::nullopt;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (field == 5) return line.substr(start, i - start);
  }
}

// Runs `attempt` in a forked child and returns its errno (0 on success), so
// that namespaces it creates never touch the caller.
int errno_in_child(int (*attempt)()) {
  const pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(attempt());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

// The child's exit status carries the errno, plus this bit when the user
// namespace was made and the others inside it were not (errnos are < 128).
constexpr int kInnerNamespacesFailed = 128;

int try_user_namespaces() {
  if (unshare(CLONE_NEWUSER) != 0) return errno;
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP) != 0)
    return kInnerNamespacesFailed | (errno & 127);
  return 0;
}

Probe probe_user_namespaces() {
  const int status = errno_in_child(try_user_namespaces);
  if (status == 0) return {true, "user, mount, pid, net, ipc, uts and cgroup namespaces can be created unprivileged"};
  return user_namespaces_unavailable(status & 127, (status & kInnerNamespacesFailed) != 0);
}

// What the sysctls alone say, without creating anything: "" when nothing
// forbids user namespaces, else why not.
std::string sysctl_forbids_user_namespaces() {
  if (read_first_line("/proc/sys/user/max_user_namespaces") == "0") return "user.max_user_namespaces is 0";
  if (read_first_line("/proc/sys/kernel/unprivileged_userns_clone") == "0" && geteuid() != 0)
    return "kernel.unprivileged_userns_clone is 0";
  return "";
}

int try_hostname_in_own_namespace() {
  if (unshare(CLONE_NEWUSER | CLONE_NEWUTS) != 0) return kInnerNamespacesFailed;
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) return errno;
  return sethostname(name, std::strlen(name)) == 0 ? 0 : errno;
}

// A container engine's seccomp profile may refuse sethostname(2) even in a
// UTS namespace the caller owns (podman's, without CAP_SYS_ADMIN).
Probe probe_hostname() {
  const int status = errno_in_child(try_hostname_in_own_namespace);
  if (status == 0) return {true, "the sandbox gets a hostname of its own (process.hostname)"};
  if (status == kInnerNamespacesFailed) return {false, "not probed: no user namespace"};
  return {false, std::string("sethostname(2) is refused in a UTS namespace of airlock's own (") + std::strerror(status) +
                     "): a seccomp filter outside airlock (podman's default profile refuses it without "
                     "CAP_SYS_ADMIN); the sandbox keeps the container's hostname, its UTS namespace is still its own"};
}

Probe probe_landlock(int abi) {
  if (abi > 0) return {true, "ABI " + std::to_string(abi)};
  return {false, "not available: needs Linux 5.13+ with CONFIG_SECURITY_LANDLOCK=y and \"landlock\" in the lsm= boot list"};
}

// Asked of seccomp(2) itself: a container engine may hide or mask
// /proc/sys, where actions_avail would say the same.
bool seccomp_action_available(std::uint32_t action) {
  return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

std::string seccomp_actions() {
  std::string out;
  const std::pair<const char*, std::uint32_t> actions[] = {
      {"kill_process", SECCOMP_RET_KILL_PROCESS}, {"kill_thread", SECCOMP_RET_KILL_THREAD}, {"trap", SECCOMP_RET_TRAP},
      {"errno", SECCOMP_RET_ERRNO}, {"user_notif", SECCOMP_RET_USER_NOTIF}, {"trace", SECCOMP_RET_TRACE},
      {"log", SECCOMP_RET_LOG}, {"allow", SECCOMP_RET_ALLOW}};
  for (const auto& [name, action] : actions)
    if (seccomp_action_available(action)) out += (out.empty() ? "" : " ") + std::string(name);
  return out;
}

Probe probe_seccomp() {
  if (prctl(PR_GET_SECCOMP) < 0) return {false, std::string("prctl(PR_GET_SECCOMP) failed: ") + std::strerror(errno)};
  if (!seccomp_action_available(SECCOMP_RET_ERRNO))
    return {false, "seccomp filters are not available (CONFIG_SECCOMP_FILTER)"};
  return {true, "filter mode; actions: " + seccomp_actions()};
}

Probe probe_seccomp_notify() {
  if (seccomp_action_available(SECCOMP_RET_USER_NOTIF)) return {true, "SECCOMP_RET_USER_NOTIF available (audit mode)"};
  return {false, "SECCOMP_RET_USER_NOTIF missing (needs Linux 5.0+): audit mode unavailable"};
}


// The gateway's handoff reaches into the command (pidfd_getfd(2) needs
// ptrace access, which Yama's ptrace_scope 3 denies to all and 2 to
// everyone without CAP_SYS_PTRACE) and tells the sandbox's sockets from
// its own by SO_NETNS_COOKIE (Linux 5.14, after SECCOMP_IOCTL_NOTIF_ADDFD
// in 5.9). Without it allowed connections are relayed: slower, as safe.
Probe probe_handoff(bool notify) {
  if (!notify) return {false, "needs SECCOMP_RET_USER_NOTIF: allowed connections are relayed"};
  if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS)
    return {false, "pidfd_getfd(2) missing (needs Linux 5.6+): allowed connections are relayed"};
  const auto scope = read_first_line("/proc/sys/kernel/yama/ptrace_scope");
  if (scope == "3" || (scope == "2" && geteuid() != 0))
    return {false, "kernel.yama.ptrace_scope=" + scope + " forbids reaching into the sandbox: allowed connections are relayed"};
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, std::string("socket: ") + std::strerror(errno)};
  std::uint64_t cookie = 0;
  socklen_t length = sizeof cookie;
  constexpr int kSoNetnsCookie = 71;  // SO_NETNS_COOKIE, Linux 5.14
  const int rc = getsockopt(fd, SOL_SOCKET, kSoNetnsCookie, &cookie, &length);
  close(fd);
  if (rc != 0) return {false, "SO_NETNS_COOKIE missing (needs Linux 5.14+): allowed connections are relayed"};
  return {true, "allowed TCP connections are handed over as connected sockets"};
}

Probe probe_mount_setattr() {
  // An invalid fd tells EBADF (the syscall exists) from ENOSYS.
  if (syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) < 0 && errno == ENOSYS)
    return {false, "mount_setattr(2) missing (needs Linux 5.12+): the host tree cannot be made read-only recursively"};
  return {true, "mount_setattr(2) available: recursive read-only views"};
}

// filesystem.overlay: overlayfs mounted in the sandbox's user namespace
// keeps its metadata in user.* extended attributes of the upper layer, a
// tmpfs, which has them from Linux 6.6 on; before that some operations on
// an overlay fail (EIO), so overlays are read-only instead.
// The running kernel's release, or why it could not be read; `at_least`
// compares its major.minor.
struct Release {
  std::string text;
  unsigned major = 0, minor = 0;
  bool known = false;
  bool at_least(unsigned want_major, unsigned want_minor) const {
    return known && (major > want_major || (major == want_major && minor >= want_minor));
  }
};

Release kernel_release() {
  utsname name {};
  if (::uname(&name) != 0) return {"(uname(2) failed)"};
  Release r{name.release};
  r.known = std::sscanf(name.release, "%u.%u", &r.major, &r.minor) == 2;
  return r;
}

Probe probe_overlay(const Release& release) {
  if (!release.known)
    return {false, "kernel release \"" + release.text + "\" not understood: overlays are read-only"};
  if (release.at_least(6, 6)) return {true, "overlayfs in a user namespace on tmpfs with user xattrs (Linux 6.6+)"};
  return {false, "Linux " + release.text +
                     " has no user xattrs on tmpfs (needs 6.6+): filesystem.overlay directories are read-only"};
}

// limits.processes: from Linux 6.14 each pid namespace has its own
// kernel.pid_max, which its owner may lower; before, the file is the host's.
Probe probe_pid_max(const Release& release) {
  if (release.at_least(6, 14)) return {true, "a pid_max of the sandbox's own (Linux 6.14+)"};
  return {false, "Linux " + (release.known ? release.text : "\"" + release.text + "\"") +
                     " has no pid_max per pid namespace (needs 6.14+)"};
}

Probe probe_cgroups() {
  struct statfs fs {};
  if (statfs("/sys/fs/cgroup", &fs) != 0) return {false, "/sys/fs/cgroup is not mounted"};
  constexpr long kCgroup2Magic = 0x63677270;
  if (fs.f_type == kCgroup2Magic) {
    return {true, "cgroup v2 (unified); controllers: " + read_first_line("/sys/fs/cgroup/cgroup.controllers")};
  }
  auto unified = read_first_line("/sys/fs/cgroup/unified/cgroup.controllers");
  return {true, "cgroup v1/v2 hybrid; v2 controllers: " + (unified.empty() ? std::string("none") : unified) +
                    " (memory and pids are on v1 only, which airlock does not use)"};
}

Probe probe_tiocsti() {
  const auto legacy = read_first_line("/proc/sys/dev/tty/legacy_tiocsti");
  if (legacy == "0") return {true, "dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI injection itself"};
  return {true, "TIOCSTI injection is live here (dev.tty.legacy_tiocsti=" + (legacy.empty() ? std::string("n/a") : legacy) +
                    "); airlock refuses it with seccomp and a new session"};
}

}  // namespace

// A fresh procfs is refused (EPERM) in a user namespace while the /proc it
// would add to is not fully visible (mount_too_revealing() in
// fs/namespace.c): container engines mount over parts of it (runc masks
// /proc/kcore, /proc/acpi, ... and binds /proc/sys read-only). Only a mount
// on one of procfs's permanently empty directories leaves it visible;
// binfmt_misc is the one hosts have.
Probe probe_fresh_proc(const std::string& mountinfo_path) {
  const std::string text = read_small_file(mountinfo_path);
  std::vector<std::string> over;
  for (std::string_view rest(text); !rest.empty();) {
    const auto end = rest.find('\n');
    const auto point = mount_point_of(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (!point || point->rfind("/proc/", 0) != 0 || *point == "/proc/sys/fs/binfmt_misc") continue;
    over.emplace_back(*point);
  }
  if (over.empty()) return {true, "a fresh /proc for the sandbox's pid namespace"};
  std::string listed;
  for (std::size_t i = 0; i < over.size() && i < 4; ++i) listed += (i ? ", " : "") + over[i];
  if (over.size() > 4) listed += ", ...";
  return {false, "/proc has mounts over parts of it (" + listed +
                     ": a container engine's masks), so the kernel refuses a fresh one in a user namespace; the "
                     "sandbox gets this /proc bound, its masks kept and airlock's added, which lists processes "
                     "outside the sandbox"};
}

Probe user_namespaces_unavailable(int err, bool inner) {
  std::string why = inner ? std::string("a user namespace can be created, but not the mount, pid, net, ipc, uts and "
                                        "cgroup namespaces inside it: ") + std::strerror(err) + ". "
                          : std::string("cannot create a user namespace (") + std::strerror(err) +
                                "), so no other namespace either. ";
  if (read_first_line("/proc/sys/user/max_user_namespaces") == "0")
    return {false, why + "Fix: sysctl -w user.max_user_namespaces=15000"};
  if (read_first_line("/proc/sys/kernel/unprivileged_userns_clone") == "0")
    return {false, why + "Fix: sysctl -w kernel.unprivileged_userns_clone=1"};
  if (read_first_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
    return {false, why + "AppArmor restricts unprivileged user namespaces: give airlock an AppArmor profile with "
                         "the `userns,` rule, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"};
  // ENOSPC: the count of user namespaces reached user.max_user_namespaces
  // (a container's own limit, or the host's).
  if (err == ENOSPC)
    return {false, why + "The limit on user namespaces (user.max_user_namespaces) is reached here: raise it on the "
                         "host, sysctl -w user.max_user_namespaces=15000"};
  return {false, why + "Inside a container this is the engine's seccomp profile: give the container one that allows "
                       "unshare/clone of namespaces and nothing more (packaging/container/seccomp-airlock.json), not "
                       "seccomp=unconfined; `airlock doctor --containers` names the setting for each engine"};
}

Features probe(ProbeDepth depth) {
  Features f;
  f.running_as_root = may_set_ids();
  f.root_without_id_capabilities = geteuid() == 0 && !f.running_as_root;
  if (!may_map_own_uid()) {
    f.user_namespaces = {false, "uid 0 without CAP_SETFCAP cannot map itself into a user namespace (Linux 5.12+), and "
                                "the container dropped it. Fix: start the container as a non-root user (USER, "
                                "securityContext.runAsUser), or keep CAP_SETFCAP"};
  } else if (depth == ProbeDepth::full) {
    f.user_namespaces = probe_user_namespaces();
    f.hostname = probe_hostname();
  } else if (const auto why = sysctl_forbids_user_namespaces(); !why.empty()) {
    f.user_namespaces = user_namespaces_unavailable(EPERM, false);
  } else {
    // Creating namespaces to find out costs about as much as the sandbox's
    // own clone, which is the real test: a failure there re-plans the run.
    f.user_namespaces = {true, "assumed; the sandbox's own clone checks it"};
  }
  f.landlock_abi = landlock_abi();
  f.landlock = probe_landlock(f.landlock_abi);
  f.seccomp = probe_seccomp();
  f.seccomp_notify = probe_seccomp_notify();
  f.handoff = probe_handoff(f.seccomp_notify.available);
  f.mount_setattr = probe_mount_setattr();
  const Release release = kernel_release();
  f.overlay = probe_overlay(release);
  f.pid_max = probe_pid_max(release);
  f.fresh_proc = probe_fresh_proc("/proc/self/mountinfo");
  f.cgroups = probe_cgroups();
  f.tiocsti = probe_tiocsti();
  return f;
}

int landlock_abi() {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  // ENOSYS: kernel built without Landlock; EOPNOTSUPP: not enabled at boot (lsm=).
  return abi < 0 ? 0 : static_cast<int>(abi);
}

namespace {

// Whether this process holds `cap` in its effective set.
bool holds_effective(cap_value_t cap) {
  const cap_t caps = ::cap_get_proc();
  if (caps == nullptr) throw SystemError("cap_get_proc", errno);
  cap_flag_value_t value = CAP_CLEAR;
  const int rc = ::cap_get_flag(caps, cap, CAP_EFFECTIVE, &value);
  const int err = errno;
  ::cap_free(caps);
  if (rc != 0) throw SystemError("cap_get_flag", err);
  return value == CAP_SET;
}

}  // namespace

bool may_set_ids() {
  return ::geteuid() == 0 && holds_effective(CAP_SETUID) && holds_effective(CAP_SETGID);
}

bool may_map_own_uid() {
  return ::geteuid() != 0 || holds_effective(CAP_SETFCAP);
}

}  // namespace airlock::kernel
