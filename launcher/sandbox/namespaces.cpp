#include "sandbox/namespaces.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

namespace airlock::namespaces {
namespace {

// The id map files accept exactly one write(2) each (user_namespaces(7)),
// so a short write is a failure, not something to retry.
void write_proc_file(pid_t child, const char* name, const std::string& contents) {
  const std::string path = "/proc/" + std::to_string(child) + "/" + name;
  UniqueFd fd(static_cast<int>(check_syscall(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open " + path)));
  const long written = check_syscall(::write(fd.get(), contents.data(), contents.size()), "write " + path);
  if (static_cast<std::size_t>(written) != contents.size()) throw Error("short write to " + path);
}

}  // namespace

int clone_flags() {
  return CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET |
         CLONE_NEWCGROUP;
}

std::string identity_of_ranges(const std::string& own_map) {
  std::istringstream in(own_map);
  std::string out;
  unsigned long inside = 0, outside = 0, count = 0;
  while (in >> inside >> outside >> count)
    out += std::to_string(inside) + " " + std::to_string(inside) + " " + std::to_string(count) + "\n";
  return out;
}

IdMap id_map_for(uid_t outer_uid, gid_t outer_gid, bool outer_is_root) {
  if (outer_is_root) {
    return id_map_for(outer_uid, outer_gid, true, read_small_file("/proc/self/uid_map"),
                      read_small_file("/proc/self/gid_map"));
  }
  return id_map_for(outer_uid, outer_gid, false, "", "");
}

IdMap id_map_for(uid_t outer_uid, gid_t outer_gid, bool outer_is_root, const std::string& own_uid_map,
                 const std::string& own_gid_map) {
  // Root maps every id it has to itself, so that process.user can be any
  // of them. In the initial namespace that is the whole range; in a
  // container's user namespace (rootless engines, hostUsers: false) only
  // the ranges the container was given, which /proc/self/*_map lists.
  if (outer_is_root) return IdMap{identity_of_ranges(own_uid_map), identity_of_ranges(own_gid_map), false};
  return IdMap{std::to_string(outer_uid) + " " + std::to_string(outer_uid) + " 1\n",
               std::to_string(outer_gid) + " " + std::to_string(outer_gid) + " 1\n", true};
}

void write_id_map(pid_t child, const IdMap& map) {
  // An unprivileged writer may set gid_map only after setgroups is denied,
  // or the child could drop supplementary groups used to deny it access.
  if (map.deny_setgroups) write_proc_file(child, "setgroups", "deny");
  write_proc_file(child, "uid_map", map.uid_map);
  write_proc_file(child, "gid_map", map.gid_map);
}

bool set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) == 0) return true;
  if (errno == EPERM) return false;
  throw SystemError("set the hostname to " + name, errno);
}

void bring_up_loopback() {
  UniqueFd sock(static_cast<int>(
      check_syscall(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "open a socket to configure lo")));
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  check_syscall(::ioctl(sock.get(), SIOCGIFFLAGS, &request), "read the flags of lo");
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  check_syscall(::ioctl(sock.get(), SIOCSIFFLAGS, &request), "bring lo up");
}

void refuse_setuid_binary() {
  // Differing ids catch the common case; AT_SECURE also catches file
  // capabilities; the mode bits catch a setuid-root copy run by root, which
  // gains nothing now but would for the next user who runs it.
  struct stat self {};
  const bool bits = ::stat("/proc/self/exe", &self) == 0 && (self.st_mode & (S_ISUID | S_ISGID)) != 0;
  if (::getuid() != ::geteuid() || ::getgid() != ::getegid() || ::getauxval(AT_SECURE) != 0 || bits) {
    throw Error("airlock must not be setuid/setgid or carry file capabilities: it needs no privilege "
                "(remove them: chmod u-s,g-s; setcap -r)");
  }
}

}  // namespace airlock::namespaces
