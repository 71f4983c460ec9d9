// Namespace set-up: the clone flags and id maps as data, and the effects
// (id map, hostname, loopback) checked in fresh namespaces. Run as root and
// as an unprivileged user (uid 65534); both must pass.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "namespace_harness.hpp"
#include "sandbox/namespaces.hpp"
#include "util/error.hpp"

namespace airlock::namespaces {
namespace {

using airlock::testing::errno_name;
using airlock::testing::run_in_new_namespaces;
using airlock::testing::slurp;

std::string hostname_now() {
  utsname names{};
  return ::uname(&names) == 0 ? names.nodename : "error:" + errno_name(errno);
}

// "up", "down" or an errno name.
std::string loopback_state() {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return errno_name(errno);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  const int rc = ::ioctl(sock, SIOCGIFFLAGS, &request);
  const int err = errno;
  ::close(sock);
  if (rc != 0) return errno_name(err);
  return (request.ifr_flags & IFF_UP) != 0 ? "up" : "down";
}

// A TCP connection from 127.0.0.1 to a listener on 127.0.0.1.
std::string loopback_connect() {
  const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::string result = "ok";
  if (server < 0 || client < 0 ||
      ::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(server, 1) != 0 ||
      ::getsockname(server, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    result = errno_name(errno);
  }
  if (server >= 0) ::close(server);
  if (client >= 0) ::close(client);
  return result;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(NamespacesData, CloneFlagsAskForEveryNamespace) {
  const int flags = clone_flags();
  for (const int ns : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
                       CLONE_NEWCGROUP}) {
    EXPECT_EQ(flags & ns, ns) << std::hex << ns;
  }
  EXPECT_EQ(flags & CLONE_NEWTIME, 0);
}

TEST(NamespacesData, UnprivilegedUserIsMappedToItselfWithSetgroupsDenied) {
  const IdMap map = id_map_for(1000, 1001, false);
  EXPECT_EQ(map, (IdMap{"1000 1000 1\n", "1001 1001 1\n", true}));
}

TEST(NamespacesData, RootMapsTheWholeRangeToItself) {
  // On the host (the initial user namespace) root has every id.
  const IdMap map = id_map_for(0, 0, true, "         0          0 4294967295\n", "0 0 4294967295\n");
  EXPECT_EQ(map, (IdMap{"0 0 4294967295\n", "0 0 4294967295\n", false}));
}

TEST(NamespacesData, RootInAContainerMapsOnlyTheRangesItHas) {
  // Rootless engines and hostUsers: false give the container's root a slice
  // of ids; asking for more is EPERM, so only those ranges are mapped.
  const IdMap map = id_map_for(0, 0, true, "0 100000 65536\n", "0 100000 1000\n1000 200000 1\n");
  EXPECT_EQ(map, (IdMap{"0 0 65536\n", "0 0 1000\n1000 1000 1\n", false}));
}

TEST(Namespaces, IdsInsideAreTheInvokingUsersAndTheChildIsPid1) {
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  const auto run = run_in_new_namespaces([](std::string& out) {
    out += "uid=" + std::to_string(::getuid()) + "\n";
    out += "gid=" + std::to_string(::getgid()) + "\n";
    out += "uid_map=" + first_line(slurp("/proc/self/uid_map")) + "\n";
    out += "setgroups=" + first_line(slurp("/proc/self/setgroups")) + "\n";
    out += "pid=" + std::to_string(::getpid()) + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["uid"], std::to_string(uid));
  EXPECT_EQ(v["gid"], std::to_string(gid));
  const std::string map = id_map_for(uid, gid, uid == 0).uid_map;
  std::istringstream expected(map), actual(v["uid_map"]);
  std::string e1, e2, e3, a1, a2, a3;
  expected >> e1 >> e2 >> e3;
  actual >> a1 >> a2 >> a3;
  EXPECT_EQ(a1 + " " + a2 + " " + a3, e1 + " " + e2 + " " + e3);
  EXPECT_EQ(v["setgroups"], uid == 0 ? "allow" : "deny");
  EXPECT_EQ(v["pid"], "1");
}

TEST(Namespaces, HostnameIsSetInsideOnly) {
  const std::string outside = hostname_now();
  const auto run = run_in_new_namespaces([](std::string& out) {
    out += std::string("set=") + (set_hostname("airlock-test") ? "yes" : "no") + "\n";
    out += "hostname=" + hostname_now() + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.values()["set"], "yes");
  EXPECT_EQ(run.values()["hostname"], "airlock-test");
  EXPECT_EQ(hostname_now(), outside);
}

// podman's default seccomp profile refuses sethostname(2) to a container
// without CAP_SYS_ADMIN, in any UTS namespace: the sandbox then keeps the
// hostname it inherited, and set_hostname says so instead of failing.
TEST(Namespaces, HostnameRefusedByAFilterOutsideIsReportedNotThrown) {
  const std::string outside = hostname_now();
  const auto run = run_in_new_namespaces([](std::string& out) {
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    if (filter == nullptr || seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sethostname), 0) != 0 ||
        seccomp_load(filter) != 0)
      return 2;
    seccomp_release(filter);
    out += std::string("set=") + (set_hostname("airlock-test") ? "yes" : "no") + "\n";
    out += "hostname=" + hostname_now() + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.values()["set"], "no");
  EXPECT_EQ(run.values()["hostname"], outside);
}

TEST(Namespaces, LoopbackStartsDownAndComesUp) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    out += "before=" + loopback_state() + "\n";
    out += "connect_before=" + loopback_connect() + "\n";
    bring_up_loopback();
    out += "after=" + loopback_state() + "\n";
    out += "connect_after=" + loopback_connect() + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["before"], "down");
  EXPECT_NE(v["connect_before"], "ok");
  EXPECT_EQ(v["after"], "up");
  EXPECT_EQ(v["connect_after"], "ok");
}

TEST(Namespaces, WriteIdMapNamesTheFileThatFailed) {
  try {
    write_id_map(999999999, id_map_for(1000, 1000, false));
    ADD_FAILURE() << "no error";
  } catch (const SystemError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/999999999/setgroups"), std::string::npos) << e.what();
  }
}

TEST(Namespaces, AcceptsMatchingRealAndEffectiveIds) { EXPECT_NO_THROW(refuse_setuid_binary()); }

// Only root can make its real and effective ids differ, as a setuid binary would.
TEST(Namespaces, RefusesToRunSetuidOrSetgid) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to split real and effective ids";
  for (const bool setgid : {false, true}) {
    const pid_t child = ::fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
      const int rc = setgid ? ::setresgid(0, 65534, 0) : ::setresuid(0, 65534, 0);
      if (rc != 0) ::_exit(2);
      try {
        refuse_setuid_binary();
      } catch (const Error& e) {
        ::_exit(std::string(e.what()).find("setuid/setgid") != std::string::npos ? 0 : 3);
      }
      ::_exit(1);
    }
    EXPECT_EQ(airlock::testing::wait_for(child), 0) << (setgid ? "setgid" : "setuid");
  }
}

}  // namespace
}  // namespace airlock::namespaces
