#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "kernel/features.hpp"
#include "../support/run_in_child.hpp"
#include "sandbox/capabilities.hpp"
#include "util/error.hpp"

namespace caps = airlock::capabilities;
using airlock::policy::Process;
using airlock::test::run_in_child;
using airlock::test::write_all;

namespace {

constexpr std::uint64_t kNetBindBit = std::uint64_t{1} << CAP_NET_BIND_SERVICE;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of "Field:\t..." in /proc/<pid>/status text.
std::optional<std::string> status_field(const std::string& status, const std::string& field) {
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(field + ":\t")) return line.substr(field.size() + 2);
  return std::nullopt;
}

std::uint64_t status_mask(const std::string& status, const std::string& field) {
  const auto v = status_field(status, field);
  if (!v) throw std::runtime_error("no " + field + " in status:\n" + status);
  return std::stoull(*v, nullptr, 16);
}

void send_own_status(int fd) {
  if (!write_all(fd, read_text("/proc/self/status"))) ::_exit(91);
}

// 0 if a TCP socket could bind a port below 1024 on loopback, else the errno.
int bind_privileged_loopback_port() {
  const airlock::UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return errno;
  for (std::uint16_t port = 600; port < 1000; ++port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return 0;
    if (errno != EADDRINUSE) return errno;
  }
  return EADDRINUSE;
}

// Containers often set this sysctl to 0, which makes the port test moot.
bool privileged_ports_need_a_capability() {
  return std::stoi(read_text("/proc/sys/net/ipv4/ip_unprivileged_port_start")) >= 1000;
}

Process process_with(std::vector<std::string> capabilities, std::optional<std::string> user = {},
                     std::optional<std::string> group = {}) {
  Process p;
  p.capabilities = std::move(capabilities);
  p.user = std::move(user);
  p.group = std::move(group);
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const airlock::Error& e) {
    return e.what();
  }
  return "<no error>";
}

uid_t nobody_uid() {
  const passwd* pw = ::getpwnam("nobody");
  return pw ? pw->pw_uid : 65534;
}

}  // namespace

// ---- build ---------------------------------------------------------------------

TEST(CapabilitiesBuild, ResolvesNamesSortedWithoutDuplicates) {
  const auto plan = caps::build(
      process_with({"CAP_NET_BIND_SERVICE", "cap_chown", "CAP_NET_BIND_SERVICE", "CAP_SYS_PTRACE"}), false);
  EXPECT_EQ(plan.keep, (std::vector<cap_value_t>{CAP_CHOWN, CAP_NET_BIND_SERVICE, CAP_SYS_PTRACE}));
}

TEST(CapabilitiesBuild, UnknownCapabilityIsAnErrorNamingIt) {
  for (const std::string bad : {"CAP_FLY", "10", "NET_ADMIN", "CAP_", ""}) {
    const auto message = error_of([&] { (void)caps::build(process_with({bad}), false); });
    EXPECT_NE(message.find("unknown capability '" + bad + "'"), std::string::npos) << message;
  }
}

TEST(CapabilitiesBuild, WithoutUserOrPrivilegeThereIsNothingToSwitch) {
  const auto as_root = caps::build(process_with({}), true);
  EXPECT_FALSE(as_root.switch_user);
  // "as root: switch to this user": not root, the user is not even looked up.
  const auto unprivileged = caps::build(process_with({}, "no-such-user-airlock"), false);
  EXPECT_FALSE(unprivileged.switch_user);
  EXPECT_EQ(unprivileged.uid, ::getuid());
}

TEST(CapabilitiesBuild, ResolvesUserByNameWithItsPrimaryGroupOnly) {
  const passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  const auto plan = caps::build(process_with({}, "nobody"), true);
  EXPECT_TRUE(plan.switch_user);
  EXPECT_EQ(plan.uid, uid);
  EXPECT_EQ(plan.gid, gid);
  EXPECT_EQ(plan.groups, std::vector<gid_t>{gid});
}

TEST(CapabilitiesBuild, ExplicitGroupReplacesThePrimaryGroup) {
  EXPECT_EQ(caps::build(process_with({}, "nobody", "root"), true).gid, 0u);
  const auto numeric = caps::build(process_with({}, "nobody", "4321"), true);
  EXPECT_EQ(numeric.gid, 4321u);
  EXPECT_EQ(numeric.groups, std::vector<gid_t>{4321});
}

TEST(CapabilitiesBuild, NumericUser) {
  ASSERT_EQ(::getpwuid(54321), nullptr) << "test expects uid 54321 to have no passwd entry";
  const auto unknown = caps::build(process_with({}, "54321"), true);
  EXPECT_EQ(unknown.uid, 54321u);
  EXPECT_EQ(unknown.gid, 54321u);
  const auto known = caps::build(process_with({}, "0"), true);
  EXPECT_EQ(known.uid, 0u);
  EXPECT_EQ(known.gid, 0u);
}

TEST(CapabilitiesBuild, BadIdentitiesAreErrors) {
  EXPECT_NE(error_of([] { (void)caps::build(process_with({}, "no-such-user-airlock"), true); })
                .find("no-such-user-airlock"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)caps::build(process_with({}, "nobody", "no-such-group-airlock"), true); })
                .find("no-such-group-airlock"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)caps::build(process_with({}, std::nullopt, "nogroup"), true); })
                .find("without process.user"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)caps::build(process_with({}, "4294967295"), true); }).find("reserved"),
            std::string::npos);
}

// ---- apply (in a child) -------------------------------------------------------

TEST(CapabilitiesApply, EmptyPlanAsRootClearsEverySet) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto r = run_in_child([](int out) {
    caps::apply(caps::Credentials{});
    if (privileged_ports_need_a_capability() && bind_privileged_loopback_port() != EACCES) ::_exit(4);
    send_own_status(out);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const auto* set : {"CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"})
    EXPECT_EQ(status_mask(r.output, set), 0u) << set;
}

TEST(CapabilitiesApply, KeptCapabilitySurvivesExecveAsAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto plan = caps::build(process_with({"CAP_NET_BIND_SERVICE"}, "nobody"), true);
  const auto r = run_in_child([&](int out) {
    caps::apply(plan);
    if (::setuid(0) != -1 || errno != EPERM) ::_exit(3);
    if (privileged_ports_need_a_capability() && bind_privileged_loopback_port() != 0) ::_exit(4);
    if (::dup2(out, STDOUT_FILENO) < 0) ::_exit(5);
    ::execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
    ::_exit(6);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto uid = std::to_string(nobody_uid());
  EXPECT_EQ(status_field(r.output, "Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(status_field(r.output, "Groups"), std::to_string(plan.gid) + " ");
  for (const auto* set : {"CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"})
    EXPECT_EQ(status_mask(r.output, set), kNetBindBit) << set;
}

namespace {

// Writes "[no-]ids [no-]map" (may_set_ids, may_map_own_uid) to `out`.
void say_identity_capabilities(int out) {
  const std::string seen = std::string(airlock::kernel::may_set_ids() ? "ids" : "no-ids") + " " +
                           (airlock::kernel::may_map_own_uid() ? "map" : "no-map");
  if (::write(out, seen.data(), seen.size()) < 0) ::_exit(3);
}

}  // namespace

// A container's root can lack the capabilities that make it root to airlock
// (Kubernetes' drop: ["ALL"]): it then maps only its own id, and without
// CAP_SETFCAP not even that (the kernel refuses uid 0 in a map).
TEST(CapabilitiesIdentity, RootIsRootToAirlockOnlyWithTheIdCapabilities) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  EXPECT_TRUE(airlock::kernel::may_set_ids());
  EXPECT_TRUE(airlock::kernel::may_map_own_uid());
  const auto r = run_in_child([](int out) {
    caps::apply(caps::Credentials{});  // root, every set empty
    say_identity_capabilities(out);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "no-ids no-map");
}

TEST(CapabilitiesIdentity, AnyOtherUserMapsItsOwnIdAndSwitchesToNone) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
  const auto plan = caps::build(process_with({}, "nobody"), true);
  const auto r = run_in_child([&](int out) {
    caps::apply(plan);
    say_identity_capabilities(out);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "no-ids map");
}

TEST(CapabilitiesApply, RootCannotRegainDroppedCapabilitiesThroughExecve) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto plan = caps::build(process_with({"CAP_NET_BIND_SERVICE"}), true);
  const auto r = run_in_child([&](int out) {
    caps::apply(plan);
    if (::dup2(out, STDOUT_FILENO) < 0) ::_exit(5);
    ::execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
    ::_exit(6);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // execve as root grants the whole bounding set (capabilities(7)), so this
  // is what the bounding-set drop is for.
  for (const auto* set : {"CapBnd", "CapEff", "CapPrm"})
    EXPECT_EQ(status_mask(r.output, set), kNetBindBit) << set;
}

namespace {

// As root, become an ordinary user first: all capabilities go, the bounding
// set stays full, as for any unprivileged process.
void become_unprivileged() {
  if (::geteuid() == 0 && ::setresuid(65534, 65534, 65534) != 0) ::_exit(7);
}

}  // namespace

TEST(CapabilitiesApply, UnprivilegedEmptyPlanSetsNoNewPrivsInsteadOfBoundingDrop) {
  const auto r = run_in_child([](int out) {
    become_unprivileged();
    caps::apply(caps::Credentials{});
    send_own_status(out);
  });
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(status_field(r.output, "NoNewPrivs"), "1");
  for (const auto* set : {"CapEff", "CapPrm", "CapInh", "CapAmb"})
    EXPECT_EQ(status_mask(r.output, set), 0u) << set;
}

TEST(CapabilitiesApply, UnprivilegedCannotKeepACapabilityItDoesNotHold) {
  const auto plan = caps::build(process_with({"CAP_NET_BIND_SERVICE"}), false);
  const auto r = run_in_child([&](int) {
    become_unprivileged();
    caps::apply(plan);
  });
  EXPECT_EQ(r.exit_code, airlock::test::kChildThrew);
  EXPECT_NE(r.output.find("cannot keep CAP_NET_BIND_SERVICE"), std::string::npos) << r.output;
}
